#include "passes/FuseEpilogue.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"
#include "passes/LoopFusion.h"

namespace sigma {

using namespace loop;

namespace {

// Tries to move kernel q's single loop nest into the last loop nest of
// kernel p (its producer), at the outermost level. Loop-free statements
// before q's nest (the zeroing of a fused weight update's statistics) move
// to the front of p when p does not touch what they touch.
bool fuseInto(Module& m, size_t p, size_t q, std::vector<std::string>& remarks) {
  std::vector<Stmt> producer = topLevelStatements(m.kernels[p].body), consumer = topLevelStatements(m.kernels[q].body);
  std::vector<Stmt> prologue;
  while (consumer.size() > 1 && !as<For>(consumer.front())) {
    prologue.push_back(consumer.front());
    consumer.erase(consumer.begin());
  }
  if (producer.empty() || consumer.empty() || !as<For>(consumer.front())) return false;
  if (consumer.size() > 1) {  // e.g. a matmul in k chunks: it needs all of the producer's rows at once
    remarks.push_back(fmt::format("fuse-epilogue: @{} not fused into @{}: from its first loop on it has {} top-level statements, "
                                  "not one loop nest",
                                  m.kernels[q].name, m.kernels[p].name, consumer.size()));
    return false;
  }
  const Stmt producerAll = Block::make(producer), prologueAll = Block::make(prologue);
  if (conflicts(buffersRead(producerAll), buffersWritten(producerAll), buffersRead(prologueAll),
                buffersWritten(prologueAll))) {
    remarks.push_back(fmt::format("fuse-epilogue: @{} not fused into @{}: its first statements touch what the producer does",
                                  m.kernels[q].name, m.kernels[p].name));
    return false;
  }
  Stmt merged = mergeAtDepth(producer.back(), consumer.front(), 1);
  // A register-blocked producer walks rows in blocks: split the consumer's
  // row loop the same way so that its blocks line up with the producer's.
  const For *pf = as<For>(producer.back()), *cf = as<For>(consumer.front());
  if (!merged && pf && cf && pf->extent > 0 && cf->extent % pf->extent == 0)
    if (Stmt split = splitOuterLoop(consumer.front(), cf->extent / pf->extent))
      merged = mergeAtDepth(producer.back(), split, 1);
  if (!merged) {
    remarks.push_back(fmt::format("fuse-epilogue: @{} not fused into @{}: its rows are not the producer's rows",
                                  m.kernels[q].name, m.kernels[p].name));
    return false;
  }
  Module trial = m;
  // A fused weight update keeps its name: it is what the merged kernel is for.
  const std::string consumerName = m.kernels[q].name;
  const std::string producerName = m.kernels[p].name;
  std::string why, name = consumerName.rfind("weight_update_", 0) == 0 ? consumerName : producerName;
  if (!mergeKernels(trial, {p, q}, name, why)) {
    remarks.push_back(fmt::format("fuse-epilogue: @{} not fused into @{}: {}", consumerName, producerName, why));
    return false;
  }
  for (Kernel& k : trial.kernels)
    if (k.name == name) {
      producer.back() = merged;
      producer.insert(producer.begin(), prologue.begin(), prologue.end());
      k.body = Block::make(producer);
    }
  m = std::move(trial);
  remarks.push_back(fmt::format("fuse-epilogue: @{} fused into the outer loop of @{}{}", consumerName, producerName,
                                name == producerName ? "" : fmt::format(" (the kernel is now @{})", name)));
  return true;
}

}  // namespace

void fuseEpilogues(Module& m, std::vector<std::string>& remarks) {
  for (size_t p = 0; p < m.kernels.size(); ++p) {
    std::vector<Stmt> stmts = topLevelStatements(m.kernels[p].body);
    if (stmts.empty() || !as<For>(stmts.back())) continue;
    std::set<std::string> temps;
    for (const std::string& b : buffersWritten(stmts.back()))
      if (m.findBuffer(b)->kind == BufferKind::Temp || m.findBuffer(b)->kind == BufferKind::Output) temps.insert(b);
    // The first later kernel that reads what p writes is its epilogue candidate.
    for (size_t q = p + 1; q < m.kernels.size(); ++q) {
      std::set<std::string> reads = buffersRead(m.kernels[q]);
      if (std::none_of(temps.begin(), temps.end(), [&](const std::string& t) { return reads.count(t); })) continue;
      if (fuseInto(m, p, q, remarks)) --p;  // look at p again: a chain of epilogues
      break;
    }
  }
}

}  // namespace sigma

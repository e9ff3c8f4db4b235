#include "codegen/PerfMap.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>

#include "ir/Error.h"

namespace sigma::codegen {

namespace {

// Appends `text` to the map in one write(2): O_APPEND makes each write land
// at the end as a whole, whoever else is appending. /tmp is everyone's: a
// symbolic link planted at the map's name is not followed. A profiling aid
// must not fail the compile (a full /tmp, a planted link), but whoever
// asked for the map is told, once per process, why it is missing or short.
void appendToMap(const std::string& text) {
  const std::string path = perfMapPath();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  bool ok = fd >= 0;
  int error = ok ? 0 : errno;
  if (ok) {
    ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    if (!ok) error = errno;
    ::close(fd);
  }
  static std::atomic<bool> warned{false};
  if (!ok && !warned.exchange(true))
    fmt::print(stderr, "sigma: cannot write the perf map {}: {} (JIT code stays unnamed in perf)\n", path,
               std::strerror(error));
}

// After JITLink has fixed up a graph, its symbols' addresses are final: list
// the callable ones. Local symbols are there too (the kernels have internal
// linkage), which the JIT's own symbol table would not show.
class PerfMapPlugin : public llvm::orc::ObjectLinkingLayer::Plugin {
 public:
  explicit PerfMapPlugin(std::string moduleName) : moduleName_(std::move(moduleName)) {}

  void modifyPassConfig(llvm::orc::MaterializationResponsibility&, llvm::jitlink::LinkGraph&,
                        llvm::jitlink::PassConfiguration& config) override {
    // A call from one function to another in the same section needs no
    // relocation, so nothing refers to the kernels' symbols and JITLink's
    // dead-stripping would drop them (their code stays, reached from the
    // entry): keep them, to be listed.
    config.PrePrunePasses.push_back([](llvm::jitlink::LinkGraph& graph) {
      for (llvm::jitlink::Symbol* symbol : graph.defined_symbols())
        if (symbol->isCallable()) symbol->setLive(true);
      return llvm::Error::success();
    });
    config.PostFixupPasses.push_back([this](llvm::jitlink::LinkGraph& graph) {
      std::string lines;
      for (const llvm::jitlink::Symbol* symbol : graph.defined_symbols()) {
        if (!symbol->isCallable() || !symbol->hasName() || symbol->getSize() == 0) continue;
        lines += fmt::format("{:x} {:x} sigma:{}:{}\n", symbol->getAddress().getValue(), symbol->getSize(),
                             moduleName_, symbol->getName().str());
      }
      appendToMap(lines);
      return llvm::Error::success();
    });
  }

  llvm::Error notifyFailed(llvm::orc::MaterializationResponsibility&) override { return llvm::Error::success(); }
  llvm::Error notifyRemovingResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey) override {
    return llvm::Error::success();
  }
  void notifyTransferringResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey, llvm::orc::ResourceKey) override {}

 private:
  std::string moduleName_;
};

}  // namespace

bool perfMapRequestedByEnvironment() {
  const char* value = std::getenv("SIGMA_PERF_MAP");
  return value && std::strcmp(value, "1") == 0;
}

std::string perfMapPath() { return fmt::format("/tmp/perf-{}.map", ::getpid()); }

void writePerfMapOnLink(llvm::orc::LLJIT& jit, const std::string& moduleName) {
  auto* layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer());
  if (!layer) fail("codegen: a perf map needs the JITLink linker, which the JIT of module '{}' does not use", moduleName);
  layer->addPlugin(std::make_unique<PerfMapPlugin>(moduleName));
}

}  // namespace sigma::codegen

#include "codegen/PerfMap.h"

#include <fcntl.h>
#include <unistd.h>

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
// symbolic link planted at the map's name is not followed.
void appendToMap(const std::string& text) {
  int fd = ::open(perfMapPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;  // a profiling aid: a full /tmp must not fail the compile
  [[maybe_unused]] ssize_t written = ::write(fd, text.data(), text.size());
  ::close(fd);
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

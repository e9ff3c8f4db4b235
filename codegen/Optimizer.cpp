#include "codegen/Optimizer.h"

#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Passes/OptimizationLevel.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Target/TargetMachine.h>

#include "ir/Error.h"

namespace sigma::codegen {

void optimizeModule(llvm::Module& module, llvm::TargetMachine& machine, int optLevel) {
  if (optLevel < 0 || optLevel > 3) fail("codegen: optimization level {} is not in 0..3", optLevel);
  // Target-dependent passes (vectorizer cost model, TTI) read these; the
  // emitter sets them already, but the optimizer must not depend on that.
  module.setTargetTriple(machine.getTargetTriple().str());
  module.setDataLayout(machine.createDataLayout());

  // Clang's choices: vectorize loops and straight-line code from O2 on.
  // Neither reassociates float math without fast-math flags (which Sigma
  // never sets), so vectorized code computes the same bits as scalar code:
  // a float sum stays a sequential chain.
  // That includes a tiny step's whole loop (W1's, every value a few floats,
  // kernels inlined), where the SLP vectorizer packs the per-element work of
  // the small layers: W1's native loop takes ~5% less time with it (Zen 4,
  // alternating A/B runs; an earlier form of that loop, before its last step
  // was peeled, ran faster without it).
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  tuning.LoopUnrolling = optLevel >= 1;
  tuning.LoopInterleaving = optLevel >= 1;

  // The four analysis managers must outlive the pass run and be destroyed in
  // reverse order of their proxies (loop, function, CGSCC, module), which
  // declaration order here gives.
  llvm::LoopAnalysisManager loopAM;
  llvm::FunctionAnalysisManager functionAM;
  llvm::CGSCCAnalysisManager cgsccAM;
  llvm::ModuleAnalysisManager moduleAM;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(moduleAM);
  builder.registerCGSCCAnalyses(cgsccAM);
  builder.registerFunctionAnalyses(functionAM);
  builder.registerLoopAnalyses(loopAM);
  builder.crossRegisterProxies(loopAM, functionAM, cgsccAM, moduleAM);

  static const llvm::OptimizationLevel* const levels[] = {&llvm::OptimizationLevel::O0, &llvm::OptimizationLevel::O1,
                                                          &llvm::OptimizationLevel::O2, &llvm::OptimizationLevel::O3};
  const llvm::OptimizationLevel& level = *levels[optLevel];
  // buildPerModuleDefaultPipeline asserts on O0; O0 has its own (nearly
  // empty) pipeline, which keeps the IRBuilder output as is.
  llvm::ModulePassManager passes =
      optLevel == 0 ? builder.buildO0DefaultPipeline(level) : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, moduleAM);
}

}  // namespace sigma::codegen

// The code generator on whole modules: constant buffers, empty loops and
// modules, optimization levels, the text it prints, concurrent compiles,
// malformed input and compile time; each run against the interpreter.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "CodegenTestSupport.h"

using namespace sigma;
using namespace sigma::loop;
using namespace sigma::codegentest;

namespace {

TEST(Codegen, SpecialValues) {
  // x: the operand; y: a second operand for min/max.
  std::vector<float> xs = {0.0f, -0.0f, kNaN, kInf, -kInf, -1.0f, 0.0f, -0.0f};
  std::vector<float> ys = {-0.0f, 0.0f, 1.0f, kNaN, 0.0f, 0.0f, kInf, kInf};
  const int64_t n = int64_t(xs.size());
  Module m;
  m.name = "specials";
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), buffer("y", ScalarType::F32, n, BufferKind::Input)};
  Expr x = lf("x", v("i")), y = lf("y", v("i"));
  auto add = [&](const std::string& name, Expr value) {
    m.buffers.push_back(buffer(name, ScalarType::F32, n, BufferKind::Output));
    m.kernels.push_back(elementwise(name + "_k", name, n, value));
  };
  add("sign", un(UnaryOp::Sign, x));
  add("neg", un(UnaryOp::Neg, x));
  add("abs", un(UnaryOp::Abs, x));
  add("min", bin(BinaryOp::Min, x, y));
  add("max", bin(BinaryOp::Max, x, y));
  add("mul", x * y);
  add("div", x / y);
  add("sqrt", un(UnaryOp::Sqrt, x));
  add("log", un(UnaryOp::Log, x));
  add("exp", un(UnaryOp::Exp, x));
  add("tanh", un(UnaryOp::Tanh, x));
  Storage input(m);
  input.set("x", xs);
  input.set("y", ys);
  for (VectorIsa isa : hostisas::hostIsas()) {  // the vector math of each ISA's code
    Results each = runBoth(m, input, 3, isa);
    expectIdentical(m, each.jit, each.reference, "on " + hostisas::isaName(isa));
  }
  Results r = runBoth(m, input);

  auto bits = [](float f) { return std::bit_cast<uint32_t>(f); };
  Storage& j = r.jit;
  EXPECT_EQ(bits(j.f32("sign")[0]), bits(0.0f));  // sign(0) = 0
  EXPECT_EQ(bits(j.f32("sign")[1]), bits(0.0f));  // sign(-0) = +0
  EXPECT_EQ(bits(j.f32("sign")[2]), bits(0.0f));  // sign(NaN) = 0
  EXPECT_EQ(j.f32("sign")[4], -1.0f);
  EXPECT_EQ(bits(j.f32("neg")[0]), bits(-0.0f));
  EXPECT_EQ(bits(j.f32("abs")[1]), bits(0.0f));
  EXPECT_EQ(bits(j.f32("min")[0]), bits(-0.0f));  // min(+0, -0) = -0
  EXPECT_EQ(bits(j.f32("max")[0]), bits(0.0f));   // max(+0, -0) = +0
  EXPECT_EQ(bits(j.f32("min")[1]), bits(-0.0f));
  EXPECT_TRUE(std::isnan(j.f32("max")[2]));       // NaN in, NaN out
  EXPECT_TRUE(std::isnan(j.f32("min")[3]));
  EXPECT_TRUE(std::isnan(j.f32("mul")[3]));       // inf * NaN
  EXPECT_TRUE(std::isnan(j.f32("mul")[6]));       // 0 * inf
  EXPECT_EQ(j.f32("div")[5], -kInf);              // -1 / 0
  EXPECT_TRUE(std::isnan(j.f32("sqrt")[5]));      // sqrt(-1)
  EXPECT_EQ(bits(j.f32("sqrt")[1]), bits(-0.0f)); // sqrt(-0) = -0
  EXPECT_EQ(j.f32("log")[0], -kInf);
  EXPECT_TRUE(std::isnan(j.f32("log")[5]));
  EXPECT_EQ(j.f32("exp")[4], 0.0f);
  EXPECT_EQ(j.f32("exp")[3], kInf);
  EXPECT_EQ(j.f32("tanh")[3], 1.0f);
  EXPECT_EQ(j.f32("tanh")[4], -1.0f);
}

TEST(Codegen, ConstantBuffersComeFromInitNotFromTheCaller) {
  const int64_t n = 6;
  Module m;
  m.name = "consts";
  Buffer cf = buffer("cf", ScalarType::F32, n, BufferKind::Constant);
  cf.init = {1.5f, -0.0f, kInf, 2.0f, -3.25f, 1e-40f};
  Buffer ci = buffer("ci", ScalarType::I32, n, BufferKind::Constant);
  ci.init = {1.9f, -1.9f, 3e9f, -3e9f, kNaN, 7.0f};
  m.buffers = {cf, ci, buffer("out", ScalarType::F32, n, BufferKind::Output)};
  m.kernels.push_back(elementwise("use_0", "out", n,
                                  lf("cf", v("i")) + Cast::make(ScalarType::F32, load("ci", ScalarType::I32, v("i")))));
  Results r = runBoth(m, Storage(m));  // Storage passes null for const buffers
  expectIdentical(m, r.jit, r.reference);
  EXPECT_EQ(r.jit.f32("out")[0], 2.5f);
  EXPECT_EQ(r.jit.f32("out")[2], kInf);
}

TEST(Codegen, EmptyLoopsShadowedVariablesAndEmptyModules) {
  Module m;
  m.name = "edges";
  m.buffers = {buffer("o", ScalarType::F32, 12, BufferKind::Output)};
  // The inner `i` shadows the outer one; the zero-extent loop never runs.
  Stmt inner = For::make("i", 3, Store::make("o", v("j") * i64(3) + v("i"), Cast::make(ScalarType::F32, v("i"))));
  m.kernels.push_back(Kernel{"shadow_0", {}, For::make("i", 2, For::make("j", 4, inner))});
  m.kernels.push_back(Kernel{"never_1", {}, For::make("i", 0, Store::make("o", i64(100), f32(1.0f)))});
  checkAgainstInterpreter(m, Storage(m));

  Module empty;
  empty.name = "empty";
  auto jit = JitModule::compile(empty);
  jit->entry()(nullptr);
}

TEST(Codegen, OptimizationLevelsAgree) {
  Module m = pipelineModule(37);
  Module mm = matmulModule(5, 13, 8);
  Results reference = runBoth(m, Storage(m, 3), 0);
  expectIdentical(m, reference.jit, reference.reference, "O0");
  for (int level = 1; level <= 3; ++level) {
    checkAgainstInterpreter(m, Storage(m, 3), level);
    checkAgainstInterpreter(mm, Storage(mm, 4), level);
    Results r = runBoth(m, Storage(m, 3), level);
    expectIdentical(m, r.jit, reference.jit, "O" + std::to_string(level) + " vs O0");
  }
}

TEST(Codegen, TextOutputs) {
  Module m = matmulModule(8, 8, 8);
  auto jit = JitModule::compile(m);
  const std::string& ir = jit->llvmIR();
  EXPECT_NE(ir.find("define"), std::string::npos);
  EXPECT_NE(ir.find("@sigma_step(ptr"), std::string::npos) << ir;
  const std::string& raw = jit->unoptimizedLLVMIR();
  EXPECT_NE(raw.find("define internal void @matmul_3(ptr noalias"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\"target-cpu\""), std::string::npos);
  const std::string& asm_ = jit->assembly();
  EXPECT_NE(asm_.find("matmul_3:"), std::string::npos) << asm_;
  EXPECT_NE(asm_.find("sigma_step:"), std::string::npos);
  EXPECT_NE(asm_.find("\tret"), std::string::npos);
  EXPECT_EQ(&jit->assembly(), &asm_);  // made once
  const std::string& target = jit->targetDescription();
  EXPECT_EQ(target.rfind("x86_64 ", 0), 0u) << target;

  // With AVX2 on the host, an elementwise kernel is vectorized with it (or
  // with AVX-512's zmm registers where the host has those).
  if (target.find("+avx2") != std::string::npos) {
    Module e;
    e.name = "vec";
    e.buffers = {buffer("x", ScalarType::F32, 1024, BufferKind::Input), buffer("y", ScalarType::F32, 1024, BufferKind::Output)};
    e.kernels.push_back(elementwise("scale_0", "y", 1024, lf("x", v("i")) * f32(3.0f) + f32(1.0f)));
    auto vec = JitModule::compile(e);
    const std::string& code = vec->assembly();
    EXPECT_TRUE(code.find("ymm") != std::string::npos || code.find("zmm") != std::string::npos) << code;
  }
}

TEST(Codegen, SeparateModulesCompileAndRunConcurrently) {
  Module a = matmulModule(12, 10, 9);
  Module b = pipelineModule(64);
  Storage inA(a, 11), inB(b, 12);
  Storage refA = inA, refB = inB;
  interpret(a, refA.pointers().data());
  interpret(b, refB.pointers().data());
  Storage outA = inA, outB = inB;
  std::string errorA, errorB;
  auto work = [](const Module& m, Storage& s, std::string& error) {
    try {
      auto jit = JitModule::compile(m);
      jit->entry()(s.pointers().data());
      (void)jit->assembly();
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  std::thread ta(work, std::cref(a), std::ref(outA), std::ref(errorA));
  std::thread tb(work, std::cref(b), std::ref(outB), std::ref(errorB));
  ta.join();
  tb.join();
  EXPECT_EQ(errorA, "");
  EXPECT_EQ(errorB, "");
  expectIdentical(a, outA, refA, "thread a");
  expectIdentical(b, outB, refB, "thread b");
}

void expectError(const Module& m, const std::string& fragment, int optLevel = 3) {
  try {
    JitModule::compile(m, {.optLevel = optLevel});
    ADD_FAILURE() << "expected an error containing: " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Codegen, RejectsMalformedModulesWithClearErrors) {
  Module base;
  base.name = "bad";
  base.buffers = {buffer("x", ScalarType::F32, 4, BufferKind::Input), buffer("k", ScalarType::I32, 4, BufferKind::Input)};
  expectError(base, "optimization level 4", 4);

  Module unknown = base;
  unknown.kernels.push_back(elementwise("copy_0", "nowhere", 4, lf("x", v("i"))));
  expectError(unknown, "buffer 'nowhere'");

  Module mistyped = base;
  mistyped.kernels.push_back(elementwise("copy_0", "x", 4, lf("k", v("i"))));
  expectError(mistyped, "loads a f32 from i32 buffer 'k'");

  Module unbound = base;
  unbound.kernels.push_back(elementwise("copy_0", "x", 4, Cast::make(ScalarType::F32, v("j"))));
  expectError(unbound, "loop variable 'j'");

  Module reserved = base;
  reserved.kernels.push_back(elementwise("sigma_step", "x", 4, f32(0.0f)));
  expectError(reserved, "reserved");

  Module twice = base;
  twice.kernels.push_back(elementwise("k_0", "x", 4, f32(0.0f)));
  twice.kernels.push_back(elementwise("k_0", "x", 4, f32(1.0f)));
  expectError(twice, "two kernels named 'k_0'");

  Module constStore = base;
  Buffer c = buffer("c", ScalarType::F32, 4, BufferKind::Constant);
  c.init = {1, 2, 3, 4};
  constStore.buffers.push_back(c);
  constStore.kernels.push_back(elementwise("w_0", "c", 4, f32(0.0f)));
  expectError(constStore, "const buffer 'c'");
}

// VectorIsa::Avx2 (SIGMA_TARGET=avx2) turns every AVX-512 feature off: the
// code uses ymm registers only, and the target says so.
TEST(Codegen, TheAvx2CapLeavesNoAvx512) {
  Module m = pipelineModule(4096);
  auto jit = JitModule::compile(m, {.isa = VectorIsa::Avx2});
  const std::string target = jit->targetDescription(), assembly = jit->assembly();
  EXPECT_EQ(target.find("+avx512"), std::string::npos) << target;
  EXPECT_NE(target.find("+avx2"), std::string::npos) << target;
  EXPECT_EQ(assembly.find("zmm"), std::string::npos);
  EXPECT_NE(assembly.find("ymm"), std::string::npos);
}

TEST(Codegen, SigmaTargetNamesTheIsaOrFailsClearly) {
  const char* saved = std::getenv("SIGMA_TARGET");
  const std::string before = saved ? saved : "";
  setenv("SIGMA_TARGET", "avx2", 1);
  EXPECT_EQ(vectorIsaFromEnvironment(), VectorIsa::Avx2);
  EXPECT_EQ(effectiveVectorIsa(VectorIsa::Host), VectorIsa::Avx2);
  EXPECT_EQ(JitModule::compile(Module{})->targetDescription().find("+avx512"), std::string::npos);
  setenv("SIGMA_TARGET", "host", 1);
  EXPECT_EQ(effectiveVectorIsa(VectorIsa::Host), VectorIsa::Host);
  EXPECT_EQ(effectiveVectorIsa(VectorIsa::Avx2), VectorIsa::Avx2);
  setenv("SIGMA_TARGET", "avx512", 1);
  try {
    vectorIsaFromEnvironment();
    ADD_FAILURE() << "SIGMA_TARGET=avx512 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("SIGMA_TARGET='avx512'"), std::string::npos) << e.what();
  }
  if (saved) setenv("SIGMA_TARGET", before.c_str(), 1);
  else unsetenv("SIGMA_TARGET");
}

TEST(Codegen, SmallModuleCompilesQuickly) {
  Module m = pipelineModule(256);
  auto start = std::chrono::steady_clock::now();
  auto jit = JitModule::compile(m);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("compile_ms", std::to_string(ms));
  std::printf("[ info ] 4-kernel module compiled at O3 in %.1f ms for %s\n", ms, jit->targetDescription().c_str());
  EXPECT_LT(ms, 10000.0);  // generous: shared CI machines, Debug builds
}

}  // namespace

// `sigma train` as a user runs it: the built binary, its exit code and its
// messages. Every bad flag or spec must exit non-zero with one line naming
// the problem.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "TrainTestSupport.h"

using namespace sigma::traintest;

namespace {

// A failing run: non-zero exit and exactly one line, which is returned.
std::string errorLine(const std::string& args) {
  CliRun run = runSigma(args);
  EXPECT_NE(run.status, 0) << args << "\n" << run.output;
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << args << "\n" << run.output;
  return run.output.substr(0, run.output.find('\n'));
}

// The seed network as a graph-IR file: what `sigma inspect --emit forward` prints.
const char* kXorModel = R"(graph @xor_model {
  %x = input : f32[4,2]
  %fc1.weight = param : f32[3,2]
  %0 = matmul %x, %fc1.weight {transpose_b} : f32[4,3]
  %fc1.bias = param : f32[3]
  %1 = add %0, %fc1.bias : f32[4,3]
  %2 = tanh %1 : f32[4,3]
  %fc2.weight = param : f32[1,3]
  %3 = matmul %2, %fc2.weight {transpose_b} : f32[4,1]
  %fc2.bias = param : f32[1]
  %4 = add %3, %fc2.bias : f32[4,1]
}
)";

}  // namespace

TEST(TrainCli, NoArgumentsTrainsTheSeedNetwork) {
  CliRun run = runSigma("train");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("seed network"), std::string::npos);
  EXPECT_NE(run.output.find("final loss 0.00"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("fc2.weight"), std::string::npos);
}

TEST(TrainCli, BadFlagsAndSpecsExitWithOneLineNamingTheProblem) {
  const std::string e = "sigma train: error: ";
  EXPECT_EQ(errorLine("train --model mlp:2-x-1 --data xor"),
            e + "model spec 'mlp:2-x-1': size 2 is 'x', not a positive integer");
  EXPECT_EQ(errorLine("train --model mlp:2 --data xor"),
            e + "model spec 'mlp:2': needs at least an input and an output size (e.g. mlp:784-10)");
  EXPECT_EQ(errorLine("train --model cnn:2-4 --data xor"),
            e + "model spec 'cnn:2-4': unknown kind 'cnn' (expected mlp:IN-HIDDEN-...-OUT, e.g. mlp:784-512-256-10)");
  EXPECT_EQ(errorLine("train --model mlp:3-4-1 --data xor"),
            e + "model mlp:3-4-1 takes 3 inputs, but data set xor has 2 features per sample");
  EXPECT_EQ(errorLine("train --model mlp:2-4-3 --data xor"),
            e + "the model predicts 3 values per sample, but data set xor has 2 classes");
  EXPECT_EQ(errorLine("train --model mlp:2-4-1 --act swish"),
            e + "unknown activation 'swish' (expected relu, tanh, sigmoid, gelu or leaky_relu)");
  EXPECT_EQ(errorLine("train --data xor --optimizer rmsprop"),
            e + "unknown optimizer 'rmsprop' (expected sgd, momentum, nesterov, adam or adamw)");
  EXPECT_EQ(errorLine("train --data xor --weight-decay 0.1"),
            e + "--weight-decay is AdamW's decoupled decay (--optimizer adamw); with sgd use --l2 (PyTorch's "
                "weight_decay=wd is --l2 wd/2)");
  EXPECT_EQ(errorLine("train --data xor --optimizer adam --momentum 0.9"),
            e + "--momentum applies to --optimizer momentum or nesterov, not adam");
  EXPECT_EQ(errorLine("train --data nowhere"),
            e + "--data 'nowhere': expected xor, fashion-mnist, csv:PATH or a directory of IDX files");
  EXPECT_EQ(errorLine("train --data xor --resume"), e + "--resume continues the run in --out DIR; give --out");
  EXPECT_EQ(errorLine("train --data xor --threads 0"), e + "--threads must be between 1 and 256, got 0");
  EXPECT_EQ(errorLine("train --data xor --epochs 0"), e + "--epochs must be positive, got 0");
  EXPECT_EQ(errorLine("train --data xor --eval-every 0"), e + "--eval-every must be positive, got 0");
  EXPECT_EQ(errorLine("train --data xor --lr fast"), e + "--lr expects a number, got 'fast'");
  EXPECT_EQ(errorLine("train --data xor --schedule linear"),
            e + "schedule 'linear': expected constant, step:N[:GAMMA] or cosine[:MIN]");
  EXPECT_EQ(errorLine("train --data xor --holdout 1.5"), e + "--holdout 1.5: expected a fraction in [0, 1)");
  EXPECT_EQ(errorLine("train --data fashion-mnist"), e + "--data fashion-mnist needs --model (e.g. mlp:784-256-10)");
  EXPECT_EQ(errorLine("train --data xor --act relu"),
            e + "--act applies to --model mlp:...; the default model is the seed network (tanh)");
  EXPECT_EQ(errorLine("train --data xor --steps 10"),
            e + "--steps is for the seed-network demo (no other flags); use --epochs");
  EXPECT_EQ(errorLine("train --data xor --l1-proximal"), e + "--l1-proximal makes --l1 proximal; give --l1 too");
  EXPECT_TRUE(errorLine("train --data xor --colour red").ends_with("unknown argument '--colour' (see sigma help)"));
}

TEST(TrainCli, TrainsAModelFileAndWritesIdenticalMetricsTwice) {
  TempDir dir;
  writeFile(dir.file("xor.sg"), kXorModel);
  const std::string args = "train --model " + dir.file("xor.sg") +
                           " --data xor --epochs 2500 --lr 0.1 --l1 1e-4 --l2 1e-4 --log-every 250 --seed 3 --threads 2 --out ";
  CliRun first = runSigma(args + dir.file("a")), second = runSigma(args + dir.file("b"));
  ASSERT_EQ(first.status, 0) << first.output;
  EXPECT_NE(first.output.find("final test_accuracy 100.00%"), std::string::npos) << first.output;
  const std::string metrics = readFile(dir.file("a/metrics.jsonl"));
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 10 + 2500);  // steps every 250, every epoch
  EXPECT_EQ(metrics, readFile(dir.file("b/metrics.jsonl")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("a/checkpoint.sgck")));
  // Every --out run leaves its report, with Chart.js inlined (no network).
  const std::string report = readFile(dir.file("a/report.html"));
  EXPECT_NE(report.find("Chart"), std::string::npos);
  EXPECT_EQ(report.find("<script src=\"http"), std::string::npos);

  // Resuming a finished run has nothing to do; a longer one continues it.
  CliRun again = runSigma(args + dir.file("a") + " --resume");
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
}

// BRIEF §2: same seed, same data, same thread count -> the same bits. Sigma
// gives more: only loops whose iterations write disjoint elements run in
// parallel, so 1 and 2 threads write byte-identical metrics on Fashion-MNIST.
TEST(TrainCli, OneAndTwoThreadsTrainToTheSameBits) {
  TempDir dir;
  const std::string args = "train --model mlp:784-64-10 --act relu --data fashion-mnist --epochs 1 --optimizer momentum "
                           "--l1 1e-5 --l2 5e-4 --log-every 50 --progress off --out ";
  CliRun one = runSigma(args + dir.file("one") + " --threads 1"), two = runSigma(args + dir.file("two") + " --threads 2");
  ASSERT_EQ(one.status, 0) << one.output;
  ASSERT_EQ(two.status, 0) << two.output;
  EXPECT_EQ(readFile(dir.file("one/metrics.jsonl")), readFile(dir.file("two/metrics.jsonl")));
  EXPECT_EQ(readFile(dir.file("one/importance.jsonl")), readFile(dir.file("two/importance.jsonl")));
}

// Tiered compilation: with an empty cache, fit starts on the O0 code while
// O3 compiles, then switches; --no-tiering runs O3 from the first step. Both
// write the same bytes.
TEST(TrainCli, TieredAndUntieredCompilesTrainToTheSameBits) {
  TempDir dir;
  const std::string args = "train --model mlp:784-64-10 --act relu --data fashion-mnist --epochs 1 --optimizer adam "
                           "--l1 1e-5 --l2 5e-4 --log-every 20 --progress off --out ";
  CliRun tiered = runSigma(args + dir.file("tiered") + " --cache-dir " + dir.file("empty-cache"));
  CliRun direct = runSigma(args + dir.file("direct") + " --no-tiering --no-cache");
  ASSERT_EQ(tiered.status, 0) << tiered.output;
  ASSERT_EQ(direct.status, 0) << direct.output;
  EXPECT_EQ(readFile(dir.file("tiered/metrics.jsonl")), readFile(dir.file("direct/metrics.jsonl")));
  EXPECT_EQ(readFile(dir.file("tiered/importance.jsonl")), readFile(dir.file("direct/importance.jsonl")));
}

TEST(TrainCli, ModelFileProblemsNameTheFile) {
  TempDir dir;
  writeFile(dir.file("two.sg"), "graph @g {\n  %x = input : f32[4,2]\n  %y = input : f32[4,2]\n  %0 = add %x, %y : f32[4,2]\n}\n");
  EXPECT_EQ(errorLine("train --data xor --model " + dir.file("two.sg")),
            "sigma train: error: " + dir.file("two.sg") +
                ": a model has exactly one input, %x : f32[BATCH, ...]; this one has 2 input(s), the first %x");
  writeFile(dir.file("xor.sg"), kXorModel);
  EXPECT_EQ(errorLine("train --data xor --batch 8 --model " + dir.file("xor.sg")),
            "sigma train: error: --batch 8 differs from the batch of " + dir.file("xor.sg") +
                " (%x : f32[4,2]); shapes in a model file are fixed");
  writeFile(dir.file("bad.sg"), "graph @g {\n  %x = input : f32[4,2]\n  %0 = frobnicate %x : f32[4,2]\n}\n");
  std::string line = errorLine("train --data xor --model " + dir.file("bad.sg"));
  EXPECT_EQ(line.rfind(dir.file("bad.sg") + ":3:", 0), 0u) << line;
}

TEST(TrainCli, TrainsOnACsvFileWithAHoldout) {
  TempDir dir;
  std::string csv = "x0,x1,label\n";
  sigma::Dataset data = blobs(90, 3);
  for (int64_t i = 0; i < data.count; ++i)
    csv += fmt::format("{},{},{}\n", data.features[2 * i], data.features[2 * i + 1], data.labels[i]);
  writeFile(dir.file("blobs.csv"), csv);
  CliRun run = runSigma("train --model mlp:2-16-3 --data csv:" + dir.file("blobs.csv") +
                  " --optimizer adam --lr 0.02 --epochs 20 --batch 8 --progress off");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("test: holdout 0.2 of blobs (18 samples)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("epoch 20/20"), std::string::npos);
}

TEST(TrainCli, InspectTakesTheSameModelAndOptimizerFlags) {
  CliRun run = runSigma("inspect --model mlp:4-3-2 --act gelu --optimizer momentum --l2 1e-3 --batch 2 --emit graph");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("update %fc1.weight.m = "), std::string::npos);
  EXPECT_NE(run.output.find("%fc2.weight.l2 = input : f32[]"), std::string::npos);
  EXPECT_EQ(run.output.find("%fc2.bias.l2"), std::string::npos);  // biases are not regularized
  EXPECT_EQ(errorLine("inspect --model mlp:4-3-2 --optimizer sgd --momentum 0.5"),
            "sigma inspect: error: --momentum applies to --optimizer momentum or nesterov, not sgd");
}

// sigma::fit: convergence on XOR and on a small synthetic problem, the
// evaluator's exactness on partial batches, metrics.jsonl's format and
// determinism, and resuming from a checkpoint bit for bit.
#include <gtest/gtest.h>

#include <cstring>

#include "frontend/Importance.h"
#include "frontend/MetricsLog.h"
#include "frontend/SeedNetwork.h"
#include "frontend/Trainer.h"
#include "frontend/TrainingState.h"
#include "runtime/Checkpoint.h"
#include "TrainTestSupport.h"

using namespace sigma;
using namespace sigma::traintest;

namespace {

nn::Sequential blobNet() { return nn::Sequential{nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 3)}; }

TrainingStep blobStep(const Optimizer& opt, int64_t batch = 16, uint64_t seed = 3) {
  return compile(blobNet(), loss::cross_entropy(), opt,
                 {.batch = batch, .seed = seed, .regularize = {{"*", reg::l1(1e-4f) + reg::l2(1e-3f)}}});
}

int64_t countLines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

}  // namespace

TEST(Fit, LearnsXorWithTheSeedNetwork) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  Dataset xor_ = xorDataset();
  FitHistory h = fit(step, xor_, &xor_, {.epochs = 3000, .progress = ProgressMode::Off});
  ASSERT_EQ(h.epochs.size(), 3000u);
  EXPECT_LT(h.epochs.back().loss, 0.01);
  ASSERT_TRUE(h.epochs.back().test);
  EXPECT_EQ(h.epochs.back().test->accuracy, 1.0);
  EXPECT_EQ(h.epochs.back().test->count, 4);
  EXPECT_EQ(h.epochs.back().step, 3000);
}

TEST(Fit, LearnsASmallClassificationProblem) {
  auto [train, test] = splitHoldout(blobs(300, 11), 0.25, 5);
  TrainingStep step = blobStep(optim::adam({.lr = 0.02f}));
  FitOptions options{.epochs = 15, .schedule = schedule::cosine(15), .progress = ProgressMode::Off};
  std::vector<double> accuracies;
  options.onEpoch = [&](const EpochResult& e) { accuracies.push_back(e.test->accuracy); };
  FitHistory h = fit(step, train, &test, options);
  ASSERT_EQ(accuracies.size(), 15u);
  EXPECT_GT(h.epochs.back().test->accuracy, 0.95);
  EXPECT_LT(h.epochs.back().loss, h.epochs.front().loss);
  EXPECT_EQ(h.epochs.back().step, 15 * (225 / 16));  // full batches only
  EXPECT_LT(h.epochs.back().lr, 0.02f * 0.02f);      // the cosine schedule reached its end
}

// evaluateEvery = 3 over 7 epochs: epochs 3, 6 and the last are evaluated,
// the others have no test result, in the history and in metrics.jsonl; the
// training itself is the same bits as evaluating every epoch.
TEST(Fit, EvaluatesEveryNthEpochAndAfterTheLast) {
  auto [train, test] = splitHoldout(blobs(120, 4), 0.25, 5);
  auto run = [&](int64_t every, const std::string& dir) {
    TrainingStep step = blobStep(optim::adam({.lr = 0.02f}));
    return fit(step, train, &test,
               {.epochs = 7, .outDir = dir, .evaluateEvery = every, .progress = ProgressMode::Off});
  };
  TempDir sparse, dense;
  FitHistory some = run(3, sparse.path()), all = run(1, dense.path());
  ASSERT_EQ(some.epochs.size(), 7u);
  for (size_t e = 0; e < 7; ++e) {
    const bool evaluated = e == 2 || e == 5 || e == 6;
    EXPECT_EQ(bool(some.epochs[e].test), evaluated) << "epoch " << e + 1;
    EXPECT_TRUE(all.epochs[e].test) << "epoch " << e + 1;
    EXPECT_EQ(some.epochs[e].loss, all.epochs[e].loss) << "epoch " << e + 1;
    if (evaluated && some.epochs[e].test) EXPECT_EQ(some.epochs[e].test->loss, all.epochs[e].test->loss);
  }
  // Epoch lines without an evaluation say so: null, as for a non-finite number.
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(readFile(sparse.path() + "/" + kMetricsFile), "\"test_accuracy\":null"), 4u);
  EXPECT_EQ(count(readFile(dense.path() + "/" + kMetricsFile), "\"test_accuracy\":null"), 0u);
}

TEST(Fit, RejectsDataThatDoesNotFitTheModel) {
  TrainingStep step = blobStep(optim::sgd());
  Dataset xor_ = xorDataset();
  EXPECT_EQ(errorOf([&] { fit(step, xor_, nullptr, {.progress = ProgressMode::Off}); }),
            "data set 'xor' has 2 classes, but the model predicts 3 values per sample (one-hot targets need 2, a "
            "label target 1)");
  Dataset wide = blobs(40, 1);
  wide.sampleShape = {1};
  wide.features.resize(40);
  EXPECT_EQ(errorOf([&] { fit(step, wide, nullptr, {.progress = ProgressMode::Off}); }),
            "data set 'blobs' has 1 features per sample; the model's input x takes 2");
  EXPECT_EQ(errorOf([&] { fit(step, blobs(30, 1), nullptr, {.epochs = 0}); }), "fit: epochs must be positive, got 0");
  EXPECT_EQ(errorOf([&] { fit(step, blobs(30, 1), nullptr, {.evaluateEvery = 0}); }),
            "fit: evaluateEvery must be positive, got 0");
}

// A partial last batch is padded; the evaluator must still give the exact
// mean loss and accuracy over the real samples: compare with a batch-1 step
// (same seed, same weights) that sees one sample at a time.
TEST(Evaluator, PartialBatchesGiveTheExactMean) {
  Dataset data = blobs(10, 2);
  TrainingStep wide = blobStep(optim::sgd(), 4), single = blobStep(optim::sgd(), 1);
  Evaluator eWide(wide), eSingle(single);
  EvalResult a = eWide.evaluate(wide, data), b = eSingle.evaluate(single, data);
  EXPECT_EQ(a.count, 10);
  EXPECT_NEAR(a.loss, b.loss, 1e-6);
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_GT(a.loss, 0.1);  // an untrained network: not trivially zero
}

TEST(Metrics, LinesHaveTheDocumentedFieldsAndRunsAreByteIdentical) {
  auto run = [](const std::string& dir) {
    auto [train, test] = splitHoldout(blobs(120, 4), 0.25, 5);
    TrainingStep step = blobStep(optim::momentum({.lr = 0.05f, .momentum = 0.9f}));
    fit(step, train, &test, {.epochs = 3, .seed = 9, .logEvery = 2, .outDir = dir, .progress = ProgressMode::Off});
    return readFile(dir + "/" + kMetricsFile);
  };
  TempDir a, b;
  std::string first = run(a.path()), second = run(b.path());
  EXPECT_EQ(first, second);
  // 90 samples, batch 16: 5 steps per epoch, 15 in all; steps 2, 4, ..., 14 logged, plus 3 epoch lines.
  EXPECT_EQ(countLines(first), 7 + 3);
  std::istringstream lines(first);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("{\"step\":2,\"epoch\":1,\"loss\":", 0), 0u) << line;
  for (const char* key : {"\"lr\":0.05,", "\"weights\":{\"fc1.weight\":{\"sum\":", "\"abs_sum\":", "\"sq_sum\":",
                          "\"max_abs\":", "\"zeros\":0,", "\"grad_sq_sum\":", "\"fc2.bias\":{"})
    EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
  EXPECT_EQ(line.find("test_loss"), std::string::npos);
  EXPECT_EQ(line.back(), '}');
  std::getline(lines, line);
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("{\"step\":5,\"epoch\":1,", 0), 0u) << "the first epoch's line: " << line;
  EXPECT_NE(line.find(",\"test_loss\":"), std::string::npos);
  EXPECT_NE(line.find(",\"test_accuracy\":"), std::string::npos);
}

TEST(Metrics, NonFiniteNumbersBecomeNull) {
  StepResult r;
  r.weights.push_back({"w", 1.5f, NAN, INFINITY, 0, 3, 0.25f});
  EXPECT_EQ(metricsStepLine(7, 2, -INFINITY, 0.001f, r),
            "{\"step\":7,\"epoch\":2,\"loss\":null,\"lr\":0.001,\"weights\":{\"w\":{\"sum\":1.5,\"abs_sum\":null,"
            "\"sq_sum\":null,\"max_abs\":0,\"zeros\":3,\"grad_sq_sum\":0.25}}}");
  EXPECT_TRUE(metricsEpochLine(7, 2, 0.5, 0.001f, r, nullptr).ends_with("}},\"test_loss\":null,\"test_accuracy\":null}"));
}

// Adam (state and bias correction), regularization, a cosine schedule and
// shuffling all continue exactly: 2 epochs straight = 1, stop, resume, 1.
TEST(Resume, ContinuesBitForBitAsIfNeverStopped) {
  auto [train, test] = splitHoldout(blobs(150, 6), 0.2, 5);
  FitOptions options{.epochs = 2, .seed = 4, .schedule = schedule::cosine(2), .logEvery = 3,
                     .progress = ProgressMode::Off};
  TempDir straight, broken;
  TrainingStep a = blobStep(optim::adam({.lr = 0.01f}));
  options.outDir = straight.path();
  fit(a, train, &test, options);

  TrainingStep b = blobStep(optim::adam({.lr = 0.01f}));
  options.outDir = broken.path();
  options.epochs = 1;
  fit(b, train, &test, options);
  // A crash after the checkpoint left lines of steps that will run again.
  std::ofstream(broken.file(kMetricsFile), std::ios::app) << "{\"step\":999}\n";
  std::ofstream(broken.file(kImportanceFile), std::ios::app) << "{\"epoch\":2,\"step\":999}\n";

  TrainingStep c = blobStep(optim::adam({.lr = 0.01f}), 16, /*seed=*/77);  // other initial weights
  options.epochs = 2;
  options.resume = true;
  FitHistory h = fit(c, train, &test, options);
  EXPECT_EQ(h.firstEpoch, 2);
  ASSERT_EQ(h.epochs.size(), 1u);
  EXPECT_EQ(readFile(broken.file(kMetricsFile)), readFile(straight.file(kMetricsFile)));
  EXPECT_EQ(readFile(broken.file(kImportanceFile)), readFile(straight.file(kImportanceFile)));
  for (const char* name : {"fc1.weight", "fc2.bias", "fc1.weight.m", "fc2.weight.v"}) {
    std::span<float> x = a.parameter(name), y = c.parameter(name);
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size_bytes()), 0) << name;
  }
  EXPECT_EQ(c.stepCount(), a.stepCount());
}

// The importance trend: after every epoch, in the history and (with an
// output directory) in importance.jsonl, which parses back to the same values.
TEST(Fit, RecordsTheInputImportanceAfterEveryEpoch) {
  Dataset data = blobs(64, 2);
  TempDir dir;
  TrainingStep step = blobStep(optim::adam({.lr = 0.05f}));
  FitHistory h = fit(step, data, nullptr, {.epochs = 3, .outDir = dir.path(), .progress = ProgressMode::Off});
  ASSERT_EQ(h.epochs.size(), 3u);
  for (const EpochResult& e : h.epochs) {
    ASSERT_TRUE(e.importance);
    EXPECT_EQ(e.importance->layer, "fc1.weight");
    EXPECT_EQ(e.importance->values.size(), 2u);
  }
  EXPECT_EQ(h.epochs.back().importance->values, inputImportance(step).values);
  EXPECT_NE(h.epochs.front().importance->values, h.epochs.back().importance->values);  // it moves in training
  std::vector<ImportanceSnapshot> log = parseImportanceLog(readFile(dir.file(kImportanceFile)), kImportanceFile);
  ASSERT_EQ(log.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(log[i].epoch, int64_t(i) + 1);
    EXPECT_EQ(log[i].step, h.epochs[i].step);
    EXPECT_EQ(log[i].importance.values, h.epochs[i].importance->values);
  }
  EXPECT_EQ(importanceLogBytesThrough(dir.file(kImportanceFile), 2),
            int64_t(readFile(dir.file(kImportanceFile)).rfind("{\"epoch\":3")));
  EXPECT_NE(errorOf([] { parseImportanceLog("{\"epoch\":1}\n", "imp.jsonl"); }).find("imp.jsonl:1: error: no \"step\" field"),
            std::string::npos);
}

TEST(Resume, RejectsAnotherOptimizerOrAMissingCheckpoint) {
  Dataset data = blobs(60, 1);
  TempDir dir;
  TrainingStep sgd = blobStep(optim::sgd());
  FitOptions options{.epochs = 1, .outDir = dir.path(), .resume = true, .progress = ProgressMode::Off};
  EXPECT_NE(errorOf([&] { fit(sgd, data, nullptr, options); }).find(dir.file(kCheckpointFile)), std::string::npos);
  options.resume = false;
  fit(sgd, data, nullptr, options);
  TrainingStep adam = blobStep(optim::adam());
  options.resume = true;
  options.epochs = 2;
  EXPECT_EQ(errorOf([&] { fit(adam, data, nullptr, options); }),
            dir.file(kCheckpointFile) + ": the checkpoint was trained with optimizer sgd, this run uses adam");
  options.seed = 2;
  EXPECT_EQ(errorOf([&] { fit(sgd, data, nullptr, options); }),
            dir.file(kCheckpointFile) + ": the run was trained with seed 1, resumed with seed 2");
}

TEST(Resume, RestoresChangedRegularizationCoefficients) {
  Dataset data = blobs(60, 1);
  TempDir dir;
  TrainingStep a = blobStep(optim::sgd());
  FitOptions options{.epochs = 1, .outDir = dir.path(), .progress = ProgressMode::Off};
  options.onEpoch = [&](const EpochResult&) { a.setRegularizer("fc1.weight", reg::l2(0.25f)); };
  fit(a, data, nullptr, options);
  TrainingStep b = blobStep(optim::sgd());
  restoreTrainingState(b, loadCheckpoint(dir.file(kCheckpointFile)), "ckpt");
  EXPECT_EQ(b.regularizer("fc1.weight"), reg::l2(0.25f));
  EXPECT_EQ(b.regularizer("fc2.weight"), reg::l1(1e-4f) + reg::l2(1e-3f));
  EXPECT_EQ(b.stepCount(), 60 / 16);
}

// Building a graph through nn modules, a shape error names the layer: the
// user's call site, as far as a module knows it.
TEST(Fit, ShapeErrorsInAModuleNameTheLayer) {
  nn::Sequential net{nn::Linear(4, 8), nn::ReLU(), nn::Linear(6, 2)};
  std::string what = errorOf([&] { compile(net, loss::mse(), optim::sgd(), {.batch = 3}); });
  EXPECT_EQ(what, "Sequential layer 3: Linear(6, 2): expects an input of shape [batch,6], got f32[3,8]");
  // An op's own error, inside a layer that does not name itself, gets the layer's name.
  nn::Sequential bad{nn::Linear(4, 8), nn::Sequential{nn::Linear(8, 3), nn::Linear(2, 1)}};
  what = errorOf([&] { compile(bad, loss::mse(), optim::sgd(), {.batch = 3}); });
  EXPECT_EQ(what.rfind("Sequential layer 2, Sequential(", 0), 0u) << what;
  EXPECT_NE(what.find("Sequential layer 2: Linear(2, 1): expects an input of shape [batch,2], got f32[3,3]"),
            std::string::npos)
      << what;
}

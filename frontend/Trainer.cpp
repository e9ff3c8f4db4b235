#include "frontend/Trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "frontend/MetricsLog.h"
#include "frontend/NonFiniteCheck.h"
#include "ir/Error.h"

namespace sigma {

TrainingProgress resumeTrainingState(TrainingStep& step, const FitOptions& options) {
  if (options.outDir.empty()) fail("fit: resume needs the output directory of the run");
  const std::string path = (std::filesystem::path(options.outDir) / kCheckpointFile).string();
  TrainingProgress saved = restoreTrainingState(step, loadCheckpoint(path), path);
  if (saved.seed != options.seed)
    fail("{}: the run was trained with seed {}, resumed with seed {}", path, saved.seed, options.seed);
  return saved;
}

namespace {

std::string lastCheckpointNote(const std::string& path, int64_t epoch) {
  if (path.empty()) return "no checkpoint is written without an output directory";
  if (epoch == 0) return fmt::format("no checkpoint was written yet ({})", path);
  return fmt::format("{} holds the last good state (epoch {})", path, epoch);
}

// A checkpoint of NaN weights would be garbage that resumes: scan what it
// would hold (once per save, not per step) and keep the previous one instead.
void refuseNonFiniteState(TrainingStep& step, int64_t epoch, const std::string& path, int64_t lastSaved) {
  std::vector<std::string> tensors = step.parameterNames();
  tensors.insert(tensors.end(), step.stateNames().begin(), step.stateNames().end());
  for (const std::string& t : tensors)
    if (std::optional<std::string> bad = findNonFiniteElement(t, std::as_const(step).parameter(t)))
      fail("fit: the checkpoint of epoch {} was not written: {} is not finite; {}", epoch, *bad,
           lastCheckpointNote(path, lastSaved));
}

}  // namespace

FitHistory fit(TrainingStep& step, const Dataset& train, const Dataset* test, const FitOptions& options) {
  if (options.epochs <= 0) fail("fit: epochs must be positive, got {}", options.epochs);
  if (options.logEvery < 0) fail("fit: logEvery must be 0 or positive, got {}", options.logEvery);
  if (options.checkpointEvery <= 0) fail("fit: checkpointEvery must be positive, got {}", options.checkpointEvery);
  train.validate();
  const TargetEncoding encoding = targetEncoding(step, train);
  if (test) {
    test->validate();
    targetEncoding(step, *test);  // fails early, not after the first epoch
  }
  const int64_t batch = step.batch();
  const int64_t stepsPerEpoch = BatchIterator(train, batch, PartialBatch::Drop).numBatches();

  FitHistory history;
  MetricsLog log, importanceLog;
  int64_t firstEpoch = 0;  // from 0
  std::string checkpointPath;
  if (!options.outDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.outDir, ec);
    if (ec) fail("{}: cannot create the output directory: {}", options.outDir, ec.message());
    checkpointPath = (std::filesystem::path(options.outDir) / kCheckpointFile).string();
    int64_t keepBytes = 0;
    if (options.resume) {
      TrainingProgress saved = resumeTrainingState(step, options);
      firstEpoch = saved.epoch;
      keepBytes = saved.metricsBytes;
    }
    log.open((std::filesystem::path(options.outDir) / kMetricsFile).string(), keepBytes);
    const std::string importancePath = (std::filesystem::path(options.outDir) / kImportanceFile).string();
    importanceLog.open(importancePath, options.resume ? importanceLogBytesThrough(importancePath, firstEpoch) : 0);
  }
  history.firstEpoch = firstEpoch + 1;
  int64_t lastSaved = firstEpoch;  // the epoch of the checkpoint on disk (0: none)

  std::unique_ptr<Evaluator> evaluator;
  if (test) evaluator = std::make_unique<Evaluator>(step);
  float* x = step.executable().f32("x").data();
  float* target = step.executable().f32("target").data();
  std::vector<int32_t> labels(static_cast<size_t>(batch));
  const float baseRate = step.optimizer().lr;
  ProgressReporter progress(options.progress, options.epochs, stepsPerEpoch);

  for (int64_t epoch = firstEpoch; epoch < options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    progress.beginEpoch(epoch);
    BatchIterator it(train, batch, PartialBatch::Drop, options.shuffle, options.seed, epoch);
    EpochResult result;
    result.epoch = epoch + 1;
    double lossSum = 0;
    int64_t s = 0;
    // One-hot targets go straight into the step's target buffer.
    const bool oneHot = encoding == TargetEncoding::OneHot;
    while (it.next(x, labels.data(), oneHot ? target : nullptr)) {
      if (!oneHot) encodeTargets(encoding, labels.data(), batch, train.numClasses, target);
      result.lr = options.schedule.rate(baseRate, epoch, s, stepsPerEpoch);
      step.setLearningRate(result.lr);
      StepResult r = step.runInPlace();
      if (options.stopOnNonFinite)
        if (std::optional<std::string> bad = findNonFinite(r)) {
          log.flush();
          fail("fit: training stopped at step {} (epoch {}, lr {}): {} is not finite; {}; lower the learning rate?",
               step.stepCount(), epoch + 1, result.lr, *bad, lastCheckpointNote(checkpointPath, lastSaved));
        }
      lossSum += r.loss;
      if (options.logEvery > 0 && step.stepCount() % options.logEvery == 0)
        log.write(metricsStepLine(step.stepCount(), epoch + 1, r.loss, result.lr, r));
      double absSum = 0;
      for (const WeightStats& w : r.weights) absSum += w.abs_sum;
      progress.step(s, r.loss, absSum);
      result.last = std::move(r);
      ++s;
    }
    progress.endEpoch();
    result.step = step.stepCount();
    result.loss = lossSum / double(s);
    if (evaluator) result.test = evaluator->evaluate(step, *test);
    result.importance = tryInputImportance(step);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    log.write(metricsEpochLine(result.step, result.epoch, result.loss, result.lr, result.last,
                               result.test ? &*result.test : nullptr));
    log.flush();
    if (result.importance) {
      importanceLog.write(importanceLine(result.epoch, result.step, *result.importance));
      importanceLog.flush();
    }
    // The callback may set the next epoch's coefficients: the checkpoint,
    // written after it, holds those. The log is flushed before it, so the
    // checkpoint never points past the log's end.
    if (options.onEpoch) options.onEpoch(result);
    const bool due = (epoch + 1) % options.checkpointEvery == 0 || epoch + 1 == options.epochs;
    if (!checkpointPath.empty() && due) {
      if (options.stopOnNonFinite) refuseNonFiniteState(step, epoch + 1, checkpointPath, lastSaved);
      saveCheckpoint(checkpointPath, captureTrainingState(step, {epoch + 1, options.seed, log.bytes()}));
      lastSaved = epoch + 1;
    }
    history.epochs.push_back(std::move(result));
  }
  return history;
}

}  // namespace sigma

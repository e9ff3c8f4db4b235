#include "frontend/Trainer.h"

#include <chrono>
#include <climits>
#include <cmath>
#include <algorithm>
#include <filesystem>
#include <functional>
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
  if (options.evaluateEvery <= 0) fail("fit: evaluateEvery must be positive, got {}", options.evaluateEvery);
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

  // The compiled loop reads the data set's features as they are and its
  // targets encoded once, here; each epoch it gets the order and the rates.
  const bool compiledLoop = options.compiledLoop && step.hasTrainingLoop() && train.count <= INT32_MAX;
  std::vector<float> targetTable;
  std::vector<int32_t> order;
  std::vector<float> rates;
  if (compiledLoop) {
    targetTable.resize(size_t(train.count * (step.targetSize() / batch)));
    encodeTargets(encoding, train.labels.data(), train.count, train.numClasses, targetTable.data());
  }
  // The epoch's starting state, for a compiled loop that meets a non-finite step.
  std::vector<std::vector<float>> saved;
  std::vector<std::string> savedNames = step.parameterNames();
  savedNames.insert(savedNames.end(), step.stateNames().begin(), step.stateNames().end());

  for (int64_t epoch = firstEpoch; epoch < options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    progress.beginEpoch(epoch);
    BatchIterator it(train, batch, PartialBatch::Drop, options.shuffle, options.seed, epoch);
    EpochResult result;
    result.epoch = epoch + 1;
    double lossSum = 0;
    int64_t s = 0;
    // What follows each step, wherever it ran: the stop on a non-finite
    // value (`replay` first puts the step where that step left it), the
    // loss, the log line, the progress display.
    auto afterStep = [&](StepResult r, float lr, const std::function<void()>& replay) {
      result.lr = lr;
      if (options.stopOnNonFinite)
        if (std::optional<std::string> bad = findNonFinite(r)) {
          if (replay) replay();
          log.flush();
          fail("fit: training stopped at step {} (epoch {}, lr {}): {} is not finite; {}; lower the learning rate?",
               step.stepCount(), epoch + 1, lr, *bad, lastCheckpointNote(checkpointPath, lastSaved));
        }
      lossSum += r.loss;
      if (options.logEvery > 0 && step.stepCount() % options.logEvery == 0)
        log.write(metricsStepLine(step.stepCount(), epoch + 1, r.loss, lr, r));
      double absSum = 0;
      for (const WeightStats& w : r.weights) absSum += w.abs_sum;
      progress.step(s, r.loss, absSum);
      result.last = std::move(r);
      ++s;
    };
    if (compiledLoop) {
      order.assign(it.order().begin(), it.order().begin() + stepsPerEpoch * batch);
      rates.resize(size_t(stepsPerEpoch));
      for (int64_t i = 0; i < stepsPerEpoch; ++i) rates[size_t(i)] = options.schedule.rate(baseRate, epoch, i, stepsPerEpoch);
      const TrainingStep::LoopBatches batches{train.features, targetTable, order, rates};
      const int64_t firstStep = step.stepCount();
      if (options.stopOnNonFinite) {
        saved.resize(savedNames.size());
        for (size_t i = 0; i < savedNames.size(); ++i) {
          std::span<const float> data = std::as_const(step).parameter(savedNames[i]);
          saved[i].assign(data.begin(), data.end());
        }
      }
      // One call per epoch (per fiftieth with a progress display); one per
      // step while a tiered compile is still optimizing, so that the loop
      // moves to the optimized code as soon as it is there, not a whole
      // epoch of O0 code later.
      const int64_t chunk = progress.mode() == ProgressMode::Off ? stepsPerEpoch : (stepsPerEpoch + 49) / 50;
      for (int64_t begin = 0, end = 0; begin < stepsPerEpoch; begin = end) {
        end = std::min(stepsPerEpoch, begin + (step.executable().optimizing() ? 1 : chunk));
        step.runLoop(batches, begin, end);
        for (int64_t i = begin; i < end; ++i) {
          // A stop at step i: back to the epoch's start, then steps [0, i] again.
          auto replay = [&, i] {
            for (size_t t = 0; t < savedNames.size(); ++t)
              std::ranges::copy(saved[t], step.parameter(savedNames[t]).begin());
            step.setStepCount(firstStep);
            step.runLoop(batches, 0, i + 1);
          };
          step.setStepCount(firstStep + i + 1);  // what the step's number in a log line or an error says
          afterStep(step.loopResult(i), rates[size_t(i)], replay);
        }
        step.setStepCount(firstStep + end);
      }
    } else {
      // One-hot targets go straight into the step's target buffer.
      const bool oneHot = encoding == TargetEncoding::OneHot;
      while (it.next(x, labels.data(), oneHot ? target : nullptr)) {
        if (!oneHot) encodeTargets(encoding, labels.data(), batch, train.numClasses, target);
        const float lr = options.schedule.rate(baseRate, epoch, s, stepsPerEpoch);
        step.setLearningRate(lr);
        afterStep(step.runInPlace(), lr, nullptr);
      }
    }
    progress.endEpoch();
    result.step = step.stepCount();
    result.loss = lossSum / double(s);
    if (evaluator && ((epoch + 1) % options.evaluateEvery == 0 || epoch + 1 == options.epochs))
      result.test = evaluator->evaluate(step, *test);
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

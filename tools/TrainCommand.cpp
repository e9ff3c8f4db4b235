// sigma train (BRIEF §3). With no model or data flags it trains the seed
// network on XOR step by step, printing the loss and the weight sums (the
// embedded default). Any of the training flags selects the full loop: a
// model (--model mlp:... or a graph-IR file), a data set, an optimizer,
// regularization and a schedule, trained by sigma::fit with a progress bar,
// per-epoch test accuracy and weight sums, metrics.jsonl and checkpoints.
#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "frontend/Report.h"
#include "frontend/SeedNetwork.h"
#include "frontend/Trainer.h"
#include "tools/Commands.h"
#include "tools/ModelFlags.h"
#include "tools/RunConfig.h"
#include "tools/TrainData.h"

namespace sigma::cli {

namespace {
void printWeights(const StepResult& r) {
  fmt::print("  {:<12} {:>11} {:>11} {:>11} {:>11} {:>8} {:>11}\n", "parameter", "sum", "abs_sum", "sq_sum",
             "max_abs", "zeros", "grad_sq_sum");
  for (const WeightStats& w : r.weights)
    fmt::print("  {:<12} {:>11.6g} {:>11.6g} {:>11.6g} {:>11.6g} {:>8} {:>11.4g}\n", w.name, w.sum, w.abs_sum,
               w.sq_sum, w.max_abs, int64_t(w.zeros), w.grad_sq_sum);
}

// The embedded default: the seed network on XOR, one batch, step by step.
int seedNetworkDemo(long long steps, long long logEvery, long long seed, double lr, bool interpret,
                    const PassOptions& passes) {
  if (steps <= 0 || logEvery <= 0) fail("--steps and --log-every must be positive");
  Optimizer opt = seedOptimizer();
  opt.lr = float(lr);
  TrainingStep step = compile(seedNetwork(), seedLoss(), opt,
                              {.batch = 4, .seed = uint64_t(seed),
                               .backend = interpret ? Backend::Interpreter : Backend::JIT, .passes = passes});
  fmt::print("sigma train: seed network {} on XOR, mse, {}, {} steps ({})\n", seedNetwork().str(), opt.str(), steps,
             interpret ? "interpreter" : "jit");
  XorBatch xor_;
  StepResult r;
  for (long long s = 1; s <= steps; ++s) {
    r = step.run(xor_.x, xor_.y);
    if (s % logEvery == 0 || s == steps) {
      fmt::print("step {:>6}  loss {:.6f}  data_loss {:.6f}", s, r.loss, r.data_loss);
      for (const WeightStats& w : r.weights)
        if (w.name.ends_with(".weight")) fmt::print("  {} Σ|w| {:.4f}", w.name, w.abs_sum);
      fmt::print("\n");
    }
  }
  fmt::print("final loss {:.6f} after {} steps; weight sums of the last step:\n", r.loss, steps);
  printWeights(r);
  if (passes.timePasses) fmt::print(stderr, "{}", step.timingReport());
  return 0;
}

// The flags of the training loop, besides the model's (tools/ModelFlags.h).
struct FitFlags {
  ModelFlags model;
  std::optional<std::string> data, testData, out, schedule, progress;
  std::optional<double> holdout;
  std::optional<int64_t> epochs, threads, logEvery, steps, checkpointEvery, evalEvery;
  bool resume = false, interpret = false, allowNonFinite = false, noCompiledLoop = false;

  bool any() const {
    return model.any() || data || testData || out || schedule || progress || holdout || epochs || threads ||
           checkpointEvery || evalEvery || resume || allowNonFinite || noCompiledLoop;
  }
};

ProgressMode progressMode(const std::optional<std::string>& name) {
  if (!name || *name == "auto") return ProgressMode::Auto;
  if (*name == "bar") return ProgressMode::Bar;
  if (*name == "lines") return ProgressMode::Lines;
  if (*name == "off") return ProgressMode::Off;
  fail("--progress takes auto, bar, lines or off, not '{}'", *name);
}

int fitCommand(const FitFlags& f, const PassOptions& passes) {
  if (f.steps) fail("--steps is for the seed-network demo (no other flags); use --epochs");
  if (f.resume && !f.out) fail("--resume continues the run in --out DIR; give --out");
  const int64_t epochs = f.epochs.value_or(10), logEvery = f.logEvery.value_or(100);
  const int64_t seed = f.model.seed.value_or(1), threads = f.threads.value_or(1);
  if (epochs <= 0) fail("--epochs must be positive, got {}", epochs);
  if (logEvery < 0) fail("--log-every must be 0 (epochs only) or positive, got {}", logEvery);
  if (seed < 0) fail("--seed must be non-negative, got {}", seed);
  if (f.checkpointEvery && *f.checkpointEvery <= 0)
    fail("--checkpoint-every must be positive, got {}", *f.checkpointEvery);
  if (f.evalEvery && *f.evalEvery <= 0) fail("--eval-every must be positive, got {}", *f.evalEvery);
  if (threads <= 0 || threads > 256) fail("--threads must be between 1 and 256, got {}", threads);
  const ProgressMode progress = progressMode(f.progress);
  const Schedule schedule = parseSchedule(f.schedule.value_or("constant"), epochs);
  // Everything that can fail (flags, data, model, compilation, the
  // checkpoint) is checked before anything is printed: an error is one line.
  const std::string dataForm = f.data.value_or("xor");
  TrainingData data = loadTrainingData(dataForm, f.testData, f.holdout, uint64_t(seed));

  // The model: the seed network (XOR only), an mlp: spec or a graph-IR file.
  if (!f.model.model && dataForm != "xor")
    fail("--data {} needs --model (e.g. mlp:{}-256-{})", dataForm, data.train.sampleSize(), data.train.numClasses);
  ChosenModel model = chooseModel(f.model);
  if (model.inputs != data.train.sampleSize())
    fail("model {} takes {} inputs, but data set {} has {} features per sample", f.model.model.value_or(model.text),
         model.inputs, data.train.name, data.train.sampleSize());
  if (model.outputs != data.train.numClasses && model.outputs != 1)
    fail("the model predicts {} values per sample, but data set {} has {} classes", model.outputs, data.train.name,
         data.train.numClasses);

  const Loss loss = chooseLoss(f.model, model);
  const Optimizer optimizer = chooseOptimizer(f.model, model);
  const int64_t batch = chooseBatch(f.model, model, std::min<int64_t>(128, data.train.count));
  CompileOptions options{.batch = batch, .seed = uint64_t(seed),
                         .backend = f.interpret ? Backend::Interpreter : Backend::JIT, .passes = passes,
                         .regularize = regularizationRules(f.model)};
  options.threads = int(threads);
  const auto compileStart = std::chrono::steady_clock::now();
  TrainingStep step = compileModel(model, loss, optimizer, options);
  const double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();

  FitOptions fo{.epochs = epochs, .seed = uint64_t(seed), .schedule = schedule, .logEvery = logEvery,
                .outDir = f.out.value_or(""), .resume = f.resume,
                .checkpointEvery = f.checkpointEvery.value_or(std::max<int64_t>(1, epochs / 20)),
                .evaluateEvery = f.evalEvery.value_or(1),
                .progress = progress, .stopOnNonFinite = !f.allowNonFinite, .compiledLoop = !f.noCompiledLoop};
  if (f.resume) resumeTrainingState(step, fo);  // fit restores it again; this checks it first

  fmt::print("sigma train: {} | {} | {} | regularization {} | lr schedule {}\n", model.text, loss.str(),
             optimizer.str(), regularizationText(f.model, model), schedule.str());
  const int64_t stepsPerEpoch = data.train.count / batch;
  fmt::print("data: {} ({} samples), test: {}; batch {}, {} steps per epoch, {} epochs; compiled in {:.2f} s\n",
             data.train.name, data.train.count, data.testDescription, batch, stepsPerEpoch, epochs, compileSeconds);
  std::fflush(stdout);
  if (passes.timePasses) fmt::print(stderr, "{}", step.timingReport());

  if (f.out) {
    std::filesystem::create_directories(*f.out);
    writeRunConfig(*f.out, {{"model", model.text}, {"loss", loss.str()}, {"optimizer", optimizer.str()},
                            {"regularization", regularizationText(f.model, model)}, {"schedule", schedule.str()},
                            {"data", data.train.name}, {"train_samples", data.train.count},
                            {"test", data.testDescription}, {"input_shape", data.train.sampleShape},
                            {"batch", batch}, {"epochs", epochs}, {"seed", seed}, {"threads", threads},
                            {"fusion", !passes.noFusion},
                            {"stop_on_nonfinite", !f.allowNonFinite}});
  }

  // Print every epoch of a short run; about ten of a long one (XOR runs thousands).
  const int64_t printEvery = epochs <= 20 ? 1 : (epochs + 9) / 10;
  fo.onEpoch = [&](const EpochResult& e) {
    if (e.epoch % printEvery != 0 && e.epoch != epochs) return;
    fmt::print("epoch {}/{}  loss {:.5f}  lr {:.3g}", e.epoch, epochs, e.loss, e.lr);
    if (e.test) fmt::print("  test_loss {:.5f}  test_accuracy {:.2f}%", e.test->loss, 100 * e.test->accuracy);
    fmt::print("  ({:.1f} s)\n", e.seconds);
    if (printEvery == 1 || e.epoch == epochs) printWeights(e.last);
    std::fflush(stdout);
  };
  FitHistory history = fit(step, data.train, data.test ? &*data.test : nullptr, fo);

  if (history.epochs.empty()) {
    fmt::print("nothing to do: the checkpoint in {} already completed {} epochs\n", *f.out, epochs);
    return 0;
  }
  double seconds = 0;
  for (const EpochResult& e : history.epochs) seconds += e.seconds;
  const EpochResult& last = history.epochs.back();
  fmt::print("done: {} epochs ({} steps) in {:.1f} s, {:.2f} s per epoch", history.epochs.size(), last.step, seconds,
             seconds / double(history.epochs.size()));
  if (last.test) fmt::print("; final test_accuracy {:.2f}%", 100 * last.test->accuracy);
  fmt::print("\n");
  if (f.out) {
    // The run's report (plots of loss, accuracy, weight sums, input
    // importance) comes with every --out run, as `sigma report` writes it.
    ReportSummary report = writeReport(*f.out);
    for (const std::string& w : report.warnings) fmt::print(stderr, "sigma train: warning: report: {}\n", w);
    fmt::print("wrote {0}/{1}, {0}/{2}, {0}/{3}, {0}/{4} and {5}\n", *f.out, kConfigFile, kMetricsFile, kImportanceFile,
               kCheckpointFile, report.path);
  }
  return 0;
}
}  // namespace

int trainCommand(Args& args) {
  FitFlags f;
  f.model = takeModelFlags(args);
  f.data = args.value("data");
  f.testData = args.value("test-data");
  f.holdout = numberFlag(args, "holdout");
  f.epochs = integerFlag(args, "epochs");
  f.schedule = args.value("schedule");
  f.threads = integerFlag(args, "threads");
  f.out = args.value("out");
  f.resume = args.flag("resume");
  f.allowNonFinite = args.flag("allow-nonfinite");
  f.noCompiledLoop = args.flag("no-compiled-loop");
  f.checkpointEvery = integerFlag(args, "checkpoint-every");
  f.evalEvery = integerFlag(args, "eval-every");
  f.logEvery = integerFlag(args, "log-every");
  f.progress = args.value("progress");
  f.steps = integerFlag(args, "steps");
  f.interpret = args.flag("interpret");
  PassOptions passes = passOptionsFromFlags(args);
  args.finish();

  if (f.any()) return fitCommand(f, passes);
  return seedNetworkDemo(f.steps.value_or(5000), f.logEvery.value_or(500), f.model.seed.value_or(1),
                         f.model.lr.value_or(0.1), f.interpret, passes);
}

}  // namespace sigma::cli

// sigma train: trains the seed network on XOR, printing the loss and the
// per-layer weight sums as it goes and at the end.
#include <fmt/format.h>

#include "frontend/SeedNetwork.h"
#include "tools/Commands.h"

namespace sigma::cli {

namespace {
void printWeights(const StepResult& r) {
  fmt::print("  {:<12} {:>11} {:>11} {:>11} {:>11} {:>6} {:>11}\n", "parameter", "sum", "abs_sum", "sq_sum", "max_abs",
             "zeros", "grad_sq_sum");
  for (const WeightStats& w : r.weights)
    fmt::print("  {:<12} {:>11.6g} {:>11.6g} {:>11.6g} {:>11.6g} {:>6} {:>11.4g}\n", w.name, w.sum, w.abs_sum,
               w.sq_sum, w.max_abs, int64_t(w.zeros), w.grad_sq_sum);
}
}  // namespace

int trainCommand(Args& args) {
  const long long steps = args.integer("steps", 5000);
  const long long logEvery = args.integer("log-every", 500);
  const long long seed = args.integer("seed", 1);
  const double lr = args.number("lr", 0.1);
  const bool interpret = args.flag("interpret");
  args.finish();
  if (steps <= 0 || logEvery <= 0) fail("sigma train: --steps and --log-every must be positive");

  Optimizer opt = seedOptimizer();
  opt.lr = float(lr);
  TrainingStep step = compile(seedNetwork(), seedLoss(), opt,
                              {.batch = 4, .seed = uint64_t(seed), .backend = interpret ? Backend::Interpreter : Backend::JIT});
  fmt::print("sigma train: seed network {} on XOR, mse, {}, {} steps ({})\n", seedNetwork().str(), opt.str(), steps,
             interpret ? "interpreter" : "jit");

  XorBatch xor_;
  StepResult r = step.run(xor_.x, xor_.y, 0);
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
  return 0;
}

}  // namespace sigma::cli

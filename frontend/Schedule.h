// Learning-rate schedules, computed on the host before every step and fed
// to the step's `lr` input: changing the rate never recompiles anything.
//
// A schedule maps training progress, measured in epochs (epoch e's step s of
// S is at progress e + s/S, both from 0), to a factor of the base rate:
//   constant       1
//   step(N, γ)     γ^⌊progress / N⌋: the rate drops by γ every N epochs
//   cosine(T, m)   m + (1 − m)·(1 + cos(π·min(progress, T)/T))/2: from 1 at
//                  the start to m (a fraction of the base rate) after T
//                  epochs, smoothly, step by step
#pragma once

#include <cstdint>
#include <string>

namespace sigma {

struct Schedule {
  enum class Kind { Constant, Step, Cosine };
  Kind kind = Kind::Constant;
  double everyEpochs = 1;  // Step: N
  double gamma = 0.1;      // Step: γ
  double totalEpochs = 1;  // Cosine: T
  double minFactor = 0;    // Cosine: m, the final rate as a fraction of the base

  // The factor at `progress` epochs (see above).
  double factor(double progress) const;
  // The learning rate of step `stepInEpoch` (from 0) of `stepsPerEpoch` in
  // epoch `epoch` (from 0), for base rate `base`.
  float rate(float base, int64_t epoch, int64_t stepInEpoch, int64_t stepsPerEpoch) const;
  std::string str() const;  // "constant", "step(every=2, gamma=0.5)", "cosine(epochs=10, min=0)"
};

// Parses the command-line form: "constant", "step:N:GAMMA" (or "step:N",
// γ = 0.1), "cosine" (T = totalEpochs, to 0) or "cosine:MIN" (MIN a
// fraction of the base rate). Throws sigma::Error naming what is wrong.
Schedule parseSchedule(const std::string& text, int64_t totalEpochs);

namespace schedule {
inline Schedule constant() { return {}; }
inline Schedule step(double everyEpochs, double gamma) {
  return {.kind = Schedule::Kind::Step, .everyEpochs = everyEpochs, .gamma = gamma};
}
inline Schedule cosine(double totalEpochs, double minFactor = 0) {
  return {.kind = Schedule::Kind::Cosine, .totalEpochs = totalEpochs, .minFactor = minFactor};
}
}  // namespace schedule

}  // namespace sigma

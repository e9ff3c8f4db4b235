#include "frontend/Schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "ir/Error.h"

namespace sigma {

double Schedule::factor(double progress) const {
  switch (kind) {
    case Kind::Constant: return 1;
    case Kind::Step: return std::pow(gamma, std::floor(progress / everyEpochs));
    case Kind::Cosine: {
      double t = std::clamp(progress / totalEpochs, 0.0, 1.0);
      return minFactor + (1 - minFactor) * 0.5 * (1 + std::cos(std::numbers::pi * t));
    }
  }
  return 1;
}

float Schedule::rate(float base, int64_t epoch, int64_t stepInEpoch, int64_t stepsPerEpoch) const {
  double progress = double(epoch) + (stepsPerEpoch > 0 ? double(stepInEpoch) / double(stepsPerEpoch) : 0.0);
  return float(double(base) * factor(progress));
}

std::string Schedule::str() const {
  switch (kind) {
    case Kind::Constant: return "constant";
    case Kind::Step: return fmt::format("step(every={}, gamma={})", everyEpochs, gamma);
    case Kind::Cosine: return fmt::format("cosine(epochs={}, min={})", totalEpochs, minFactor);
  }
  return "?";
}

namespace {
double number(const std::string& schedule, const std::string& field, const char* what) {
  try {
    size_t used = 0;
    double v = std::stod(field, &used);
    if (used == field.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  fail("schedule '{}': {} must be a number, got '{}'", schedule, what, field);
}
}  // namespace

Schedule parseSchedule(const std::string& text, int64_t totalEpochs) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  if (parts.empty()) fail("schedule '': expected constant, step:N[:GAMMA] or cosine[:MIN]");
  const std::string& kind = parts[0];
  if (kind == "constant" && parts.size() == 1) return schedule::constant();
  if (kind == "step" && (parts.size() == 2 || parts.size() == 3)) {
    double every = number(text, parts[1], "N (epochs between drops)");
    double gamma = parts.size() == 3 ? number(text, parts[2], "GAMMA") : 0.1;
    if (every <= 0) fail("schedule '{}': N must be positive", text);
    if (gamma <= 0) fail("schedule '{}': GAMMA must be positive", text);
    return schedule::step(every, gamma);
  }
  if (kind == "cosine" && parts.size() <= 2) {
    double min = parts.size() == 2 ? number(text, parts[1], "MIN (final fraction of the rate)") : 0.0;
    if (min < 0 || min > 1) fail("schedule '{}': MIN is a fraction of the base rate, in [0, 1]", text);
    return schedule::cosine(double(std::max<int64_t>(totalEpochs, 1)), min);
  }
  fail("schedule '{}': expected constant, step:N[:GAMMA] or cosine[:MIN]", text);
}

}  // namespace sigma

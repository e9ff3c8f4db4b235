// Shared by the training tests (fit, metrics, resume, CLI): temporary
// directories, file contents, error messages, small data sets.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <bit>
#include <cstdint>
#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "frontend/Compile.h"
#include "frontend/SeedNetwork.h"
#include "ir/Error.h"
#include "ir/LoopParser.h"
#include "ir/LoopVerifier.h"
#include "runtime/Dataset.h"
#include "runtime/Rng.h"

namespace sigma::traintest {

// A command's exit code (-1 if a signal ended it) and its output.
struct CliRun {
  int status = -1;
  std::string output;  // stdout, and stderr where the command sends it there (2>&1)
};

inline CliRun runCommand(const std::string& command) {
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) run.output.append(buffer, n);
  int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The sigma CLI of this build: `sigma ARGS`, stdout and stderr together.
inline CliRun runSigma(const std::string& args) {
  return runCommand(std::string(SIGMA_BINARY_DIR) + "/bin/sigma " + args + " 2>&1");
}

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/sigma-train-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Whether the step's timing report (--time-passes) has a row starting with `prefix`.
inline bool hasTimingRow(const TrainingStep& step, const std::string& prefix) {
  for (const PassTiming& t : step.timings())
    if (t.name.rfind(prefix, 0) == 0) return true;
  return false;
}

// Everything `steps` XOR steps of a seed-network step produce, as bits: each
// step's loss and weight statistics, then the final parameters. Two steps
// that compute the same thing give the same vector.
inline std::vector<uint32_t> xorTrainingBits(TrainingStep& step, int steps = 25) {
  std::vector<float> values;
  XorBatch batch;
  for (int i = 0; i < steps; ++i) {
    StepResult r = step.run(batch.x, batch.y);
    values.push_back(r.loss);
    for (const WeightStats& w : r.weights) values.insert(values.end(), {w.sum, w.abs_sum, w.sq_sum, w.grad_sq_sum});
  }
  for (const std::string& name : step.parameterNames())
    for (float v : std::as_const(step).parameter(name)) values.push_back(v);
  std::vector<uint32_t> bits;
  for (float v : values) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

template <typename F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// What the verifier says of a loop module written as text ("(no error)" if
// it passes); a parse error is returned the same way.
inline std::string verifyTextError(const std::string& text) {
  return errorOf([&] { verifyModule(parseModule(text)); });
}

// Three Gaussian blobs in the plane, one per class: an easy problem a small
// MLP learns in a few epochs.
inline Dataset blobs(int64_t count, uint64_t seed) {
  const float centers[3][2] = {{0, 2}, {2, -1}, {-2, -1}};
  Dataset d;
  d.name = "blobs";
  d.count = count;
  d.sampleShape = {2};
  d.numClasses = 3;
  Rng rng(seed);
  for (int64_t i = 0; i < count; ++i) {
    int32_t label = int32_t(i % 3);
    d.labels.push_back(label);
    for (int k = 0; k < 2; ++k) d.features.push_back(centers[label][k] + 0.5f * rng.normal());
  }
  return d;
}

}  // namespace sigma::traintest

#include "tools/TrainData.h"

#include <filesystem>

#include <fmt/format.h>

#include "ir/Error.h"
#include "runtime/CsvReader.h"
#include "runtime/IdxReader.h"

namespace sigma::cli {

namespace {
// One --data form: its training samples and, when the form has one, its test split.
struct Loaded {
  Dataset train;
  std::optional<Dataset> test;
};

Loaded load(const std::string& form, const char* flag) {
  if (form == "xor") return {xorDataset(), xorDataset()};
  if (form == "fashion-mnist") {
    auto [train, test] = loadFashionMnist();
    return {std::move(train), std::move(test)};
  }
  if (form.starts_with("csv:")) {
    if (form.size() == 4) fail("{} csv: needs a file name (csv:PATH)", flag);
    return {loadCsv(form.substr(4)), std::nullopt};
  }
  std::error_code ec;
  if (std::filesystem::is_directory(form, ec)) {
    auto [train, test] = loadFashionMnist(form);
    return {std::move(train), std::move(test)};
  }
  fail("{} '{}': expected xor, fashion-mnist, csv:PATH or a directory of IDX files{}", flag, form,
       std::filesystem::exists(form, ec) ? " (a plain file: did you mean csv:" + form + "?)" : "");
}
}  // namespace

TrainingData loadTrainingData(const std::string& data, const std::optional<std::string>& testData,
                              std::optional<double> holdout, uint64_t seed) {
  if (testData && holdout) fail("give --test-data or --holdout, not both");
  if (holdout && (*holdout < 0 || *holdout >= 1)) fail("--holdout {}: expected a fraction in [0, 1)", *holdout);
  Loaded loaded = load(data, "--data");
  TrainingData out{std::move(loaded.train), std::nullopt, ""};
  if (testData) {
    Loaded t = load(*testData, "--test-data");
    out.test = t.test ? std::move(*t.test) : std::move(t.train);
    out.testDescription = fmt::format("--test-data {}", *testData);
  } else if (holdout && *holdout == 0) {
    out.testDescription = "none (--holdout 0)";
  } else if (holdout || !loaded.test) {
    double fraction = holdout.value_or(0.2);
    auto [rest, held] = splitHoldout(out.train, fraction, seed);
    out.testDescription = fmt::format("holdout {} of {} ({} samples)", fraction, out.train.name, held.count);
    out.train = std::move(rest);
    out.test = std::move(held);
  } else {
    out.test = std::move(loaded.test);
    out.testDescription = data == "xor" ? "the 4 XOR samples" : fmt::format("{} ({} samples)", out.test->name,
                                                                            out.test->count);
  }
  return out;
}

}  // namespace sigma::cli

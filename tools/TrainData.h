// `sigma train --data`, `--test-data` and `--holdout`: from the command
// line's data forms to a training set and an optional test set.
//
//   xor              the 4 XOR samples; they are also the test set
//   fashion-mnist    Debian's dataset-fashion-mnist: 60,000 train, 10,000 test
//   DIR              a directory with the four MNIST-format IDX files
//                    (train-/t10k-images-idx3-ubyte, -labels-idx1-ubyte, .gz or not)
//   csv:PATH         numeric columns, the last one the integer class label
//
// The test set: --test-data in the same forms (for a form with a train and a
// test split, its test split), else --holdout FRACTION split off the
// training set (seeded), else the data's own test split, else a 0.2 holdout.
// --holdout 0 trains on everything and evaluates nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/Dataset.h"

namespace sigma::cli {

struct TrainingData {
  Dataset train;
  std::optional<Dataset> test;
  std::string testDescription;  // "fashion-mnist test split", "holdout 0.2 of ...", ...
};

TrainingData loadTrainingData(const std::string& data, const std::optional<std::string>& testData,
                              std::optional<double> holdout, uint64_t seed);

}  // namespace sigma::cli

// Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian
// magic number 0x000008NN (0x08: unsigned bytes, NN: number of dimensions),
// NN big-endian u32 dimensions, then the bytes. Files may be gzipped; zlib
// reads plain files transparently, so both go through the same path.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "runtime/Dataset.h"

namespace sigma {

// Images (magic 0x00000803, dims count × rows × cols) and labels (magic
// 0x00000801, dims count) into one data set with sampleShape {rows, cols}.
// Pixels become value / 255 when scaleToUnit, raw 0..255 otherwise.
// numClasses = 0 infers max label + 1; otherwise labels must be below it.
// Throws sigma::Error naming the file and what is wrong with it.
Dataset loadIdx(const std::string& imagesPath, const std::string& labelsPath,
                bool scaleToUnit = true, int64_t numClasses = 0);

// {train (60000 samples), test (10000 samples)}, 28 × 28, 10 classes, from
// the four standard files in `dir` (each as NAME.gz, or plain NAME).
std::pair<Dataset, Dataset> loadFashionMnist(
    const std::string& dir = "/usr/share/datasets/fashion-mnist");

}  // namespace sigma

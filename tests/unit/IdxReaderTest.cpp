#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ir/Error.h"
#include "runtime/IdxReader.h"

using namespace sigma;

namespace {

// A fresh directory under /tmp, removed with everything in it.
class IdxTempDir {
 public:
  IdxTempDir() {
    char pattern[] = "/tmp/sigma-idx-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~IdxTempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<uint8_t> idx(uint32_t magic, std::vector<uint32_t> dims, std::vector<uint8_t> data) {
  std::vector<uint8_t> out;
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
  };
  be32(magic);
  for (uint32_t d : dims) be32(d);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void writePlain(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

void writeGz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, bytes.data(), unsigned(bytes.size()));
  gzclose(gz);
}

std::string errorOf(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Three 2×3 images with pixels 0, 10, 20, ... and labels 0 2 1.
const std::vector<uint8_t> kPixels = {0,   10,  20,  30,  40,  50,  60,  70,  80,
                                      90,  100, 110, 120, 130, 140, 150, 160, 255};
const std::vector<uint8_t> kImages = idx(0x803, {3, 2, 3}, kPixels);
const std::vector<uint8_t> kLabels = idx(0x801, {3}, {0, 2, 1});

void expectSynthetic(const Dataset& d) {
  EXPECT_EQ(d.count, 3);
  EXPECT_EQ(d.sampleShape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(d.numClasses, 3);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 2, 1}));
  ASSERT_EQ(d.features.size(), kPixels.size());
  for (size_t i = 0; i < kPixels.size(); ++i) EXPECT_EQ(d.features[i], float(kPixels[i]) / 255.0f);
  EXPECT_EQ(d.features.back(), 1.0f);
  d.validate();
}

}  // namespace

TEST(IdxReader, ReadsPlainFiles) {
  IdxTempDir dir;
  writePlain(dir.file("images"), kImages);
  writePlain(dir.file("labels"), kLabels);
  Dataset d = loadIdx(dir.file("images"), dir.file("labels"));
  expectSynthetic(d);
  EXPECT_EQ(d.name, "images");
  Dataset raw = loadIdx(dir.file("images"), dir.file("labels"), /*scaleToUnit=*/false);
  EXPECT_EQ(raw.features[1], 10.0f);
  EXPECT_EQ(raw.features.back(), 255.0f);
}

TEST(IdxReader, ReadsGzippedFiles) {
  IdxTempDir dir;
  writeGz(dir.file("images.gz"), kImages);
  writeGz(dir.file("labels.gz"), kLabels);
  Dataset d = loadIdx(dir.file("images.gz"), dir.file("labels.gz"));
  expectSynthetic(d);
  EXPECT_EQ(d.name, "images");
}

TEST(IdxReader, MissingFileNamesIt) {
  IdxTempDir dir;
  writePlain(dir.file("labels"), kLabels);
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("nope"), dir.file("labels")); }),
            "cannot open " + dir.file("nope") + ": No such file or directory");
}

TEST(IdxReader, BadMagicNamesTheFileAndTheExpectedFormat) {
  IdxTempDir dir;
  writePlain(dir.file("images"), kImages);
  writePlain(dir.file("labels"), kLabels);
  // Images and labels swapped.
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("labels"), dir.file("images")); }),
            dir.file("labels") + ": bad magic number 0x00000801, expected 0x00000803 (IDX images)");
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images"), dir.file("images")); }),
            dir.file("images") + ": bad magic number 0x00000803, expected 0x00000801 (IDX labels)");
}

TEST(IdxReader, TruncatedDataSaysHowMuchIsMissing) {
  IdxTempDir dir;
  writePlain(dir.file("labels"), kLabels);
  std::vector<uint8_t> cut(kImages.begin(), kImages.end() - 8);  // 10 of 18 pixel bytes
  writePlain(dir.file("images"), cut);
  writeGz(dir.file("images.gz"), cut);
  const std::string expected = ": truncated: expected 18 bytes of pixel data after the header, found 10";
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images"), dir.file("labels")); }),
            dir.file("images") + expected);
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images.gz"), dir.file("labels")); }),
            dir.file("images.gz") + expected);

  writePlain(dir.file("header"), std::vector<uint8_t>(kImages.begin(), kImages.begin() + 10));
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("header"), dir.file("labels")); }),
            dir.file("header") + ": truncated: expected 16 bytes of header, found 10");
  writePlain(dir.file("short-labels"), idx(0x801, {3}, {0, 1}));
  writePlain(dir.file("images"), kImages);
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images"), dir.file("short-labels")); }),
            dir.file("short-labels") + ": truncated: expected 3 bytes of label data after the header, found 2");
}

TEST(IdxReader, CutOffGzipStreamIsAnError) {
  IdxTempDir dir;
  writePlain(dir.file("labels"), kLabels);
  std::vector<uint8_t> pixels(100 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(i * 31 % 251);
  writeGz(dir.file("whole.gz"), idx(0x803, {100, 28, 28}, pixels));
  // Keep only the first half of the compressed bytes.
  std::FILE* f = std::fopen(dir.file("whole.gz").c_str(), "rb");
  std::vector<uint8_t> gz(1 << 16);
  gz.resize(std::fread(gz.data(), 1, gz.size(), f));
  std::fclose(f);
  gz.resize(gz.size() / 2);
  writePlain(dir.file("cut.gz"), gz);
  std::string message = errorOf([&] { loadIdx(dir.file("cut.gz"), dir.file("labels")); });
  EXPECT_EQ(message.rfind(dir.file("cut.gz") + ": ", 0), 0u) << message;
}

TEST(IdxReader, TrailingBytesAreAnError) {
  IdxTempDir dir;
  std::vector<uint8_t> longer = kImages;
  longer.push_back(1);
  writePlain(dir.file("images"), longer);
  writePlain(dir.file("labels"), kLabels);
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images"), dir.file("labels")); }),
            dir.file("images") + ": 1 unexpected bytes after the 18 bytes of pixel data");
}

TEST(IdxReader, CountMismatchNamesBothFiles) {
  IdxTempDir dir;
  writePlain(dir.file("images"), kImages);
  writePlain(dir.file("labels"), idx(0x801, {2}, {0, 1}));
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images"), dir.file("labels")); }),
            dir.file("images") + " has 3 images but " + dir.file("labels") + " has 2 labels");
}

TEST(IdxReader, LabelsOutOfRange) {
  IdxTempDir dir;
  writePlain(dir.file("images"), kImages);
  writePlain(dir.file("labels"), kLabels);
  EXPECT_EQ(errorOf([&] { loadIdx(dir.file("images"), dir.file("labels"), true, 2); }),
            dir.file("labels") + ": label 2 at index 1 is out of range 0..1");
}

TEST(IdxReader, FashionMnistLayoutAcceptsPlainFiles) {
  IdxTempDir dir;
  std::vector<uint8_t> pixels(2 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(i % 256);
  writePlain(dir.file("train-images-idx3-ubyte"), idx(0x803, {2, 28, 28}, pixels));
  writePlain(dir.file("train-labels-idx1-ubyte"), idx(0x801, {2}, {9, 3}));
  writeGz(dir.file("t10k-images-idx3-ubyte.gz"), idx(0x803, {1, 28, 28}, std::vector<uint8_t>(784, 51)));
  writeGz(dir.file("t10k-labels-idx1-ubyte.gz"), idx(0x801, {1}, {4}));
  auto [train, test] = loadFashionMnist(dir.path());
  EXPECT_EQ(train.name, "fashion-mnist-train");
  EXPECT_EQ(train.count, 2);
  EXPECT_EQ(train.numClasses, 10);
  EXPECT_EQ(train.labels, (std::vector<int32_t>{9, 3}));
  EXPECT_EQ(train.features[255], 1.0f);
  EXPECT_EQ(test.count, 1);
  EXPECT_EQ(test.features[0], 0.2f);

  writePlain(dir.file("train-labels-idx1-ubyte"), idx(0x801, {2}, {9, 10}));
  EXPECT_EQ(errorOf([&] { loadFashionMnist(dir.path()); }),
            dir.file("train-labels-idx1-ubyte") + ": label 10 at index 1 is out of range 0..9");
  std::filesystem::remove(dir.file("t10k-labels-idx1-ubyte.gz"));
  writePlain(dir.file("train-labels-idx1-ubyte"), idx(0x801, {2}, {9, 3}));
  EXPECT_EQ(errorOf([&] { loadFashionMnist(dir.path()); }),
            "cannot open " + dir.file("t10k-labels-idx1-ubyte.gz") + ": No such file or directory");
  EXPECT_EQ(errorOf([&] { loadFashionMnist(dir.file("missing")); }),
            "cannot open Fashion-MNIST directory " + dir.file("missing") + ": No such directory");
}

// The real data set. It is installed on the development machines and by
// `make test`'s dependency script, so its absence is a failure, not a skip.
TEST(IdxReader, LoadsRealFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  ASSERT_TRUE(std::filesystem::is_directory(dir))
      << dir << " is missing: install Fashion-MNIST there (make test's dependency script does)";
  auto start = std::chrono::steady_clock::now();
  auto [train, test] = loadFashionMnist(dir);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("loaded Fashion-MNIST in %.3f s\n", seconds);
  EXPECT_EQ(train.count, 60000);
  EXPECT_EQ(test.count, 10000);
  for (const Dataset* d : {&train, &test}) {
    EXPECT_EQ(d->sampleShape, (std::vector<int64_t>{28, 28}));
    EXPECT_EQ(d->numClasses, 10);
    d->validate();  // every label in 0..9, sizes consistent
    // A raw loop: the test binary is often built without optimisation.
    float lo = 1.0f, hi = 0.0f;
    const float* p = d->features.data();
    for (size_t i = 0, n = d->features.size(); i < n; ++i) {
      lo = p[i] < lo ? p[i] : lo;
      hi = p[i] > hi ? p[i] : hi;
    }
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
  }
  // Computed once with Python's gzip module: the first training sample is
  // an ankle boot (class 9) whose pixels sum to 76247 (out of 255 each), and
  // the first test sample is also class 9.
  EXPECT_EQ(train.labels[0], 9);
  EXPECT_EQ(train.labels[1], 0);
  EXPECT_EQ(test.labels[0], 9);
  double sum = 0;
  for (int i = 0; i < 784; ++i) sum += train.features[size_t(i)];
  EXPECT_NEAR(sum * 255.0, 76247.0, 0.05);
}

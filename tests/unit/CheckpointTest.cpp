#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ir/Error.h"
#include "runtime/Checkpoint.h"

using namespace sigma;

namespace {

// A fresh directory under /tmp, removed with everything in it.
class CheckpointTempDir {
 public:
  CheckpointTempDir() {
    char pattern[] = "/tmp/sigma-ckp-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~CheckpointTempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<uint8_t> readBytes(const std::string& path) {
  std::vector<uint8_t> bytes(std::filesystem::file_size(path));
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f || std::fread(bytes.data(), 1, bytes.size(), f) != bytes.size())
    throw std::runtime_error("cannot read " + path);
  std::fclose(f);
  return bytes;
}

void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

std::string errorOf(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Checkpoint sample(float scale = 1.0f) {
  Checkpoint c;
  c.meta["model"] = "mlp 784-128-10";
  c.meta["step"] = "1200";
  c.meta["optimizer"] = "sgd momentum=0.9";
  std::vector<float> w(128 * 4), b(4);
  for (size_t i = 0; i < w.size(); ++i) w[i] = scale * (float(i) * 0.25f - 7.0f);
  for (size_t i = 0; i < b.size(); ++i) b[i] = -float(i) / 3.0f;
  c.add("fc1.weight", {4, 128}, w);
  c.add("fc1.bias", {4}, b);
  c.add("scalar", {}, std::vector<float>{3.5f});
  c.add("empty", {0, 3}, std::vector<float>{});
  return c;
}

// The byte offsets of the layout, for the tests that cut the file.
constexpr size_t kHeader = 8 + 4 + 8;

}  // namespace

TEST(Checkpoint, RoundTripKeepsEverything) {
  CheckpointTempDir dir;
  Checkpoint c = sample();
  saveCheckpoint(dir.file("a.ckp"), c);
  Checkpoint back = loadCheckpoint(dir.file("a.ckp"));
  EXPECT_EQ(back.meta, c.meta);
  ASSERT_EQ(back.tensors.size(), c.tensors.size());
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].name, c.tensors[i].name);
    EXPECT_EQ(back.tensors[i].shape, c.tensors[i].shape);
    EXPECT_EQ(back.tensors[i].data, c.tensors[i].data);  // bit-exact
  }
  ASSERT_NE(back.find("fc1.bias"), nullptr);
  EXPECT_EQ(back.find("fc1.bias")->numel(), 4);
  EXPECT_EQ(back.find("scalar")->numel(), 1);
  EXPECT_EQ(back.find("nope"), nullptr);
  // Little-endian on disk, starting with the magic and version 1.
  std::vector<uint8_t> bytes = readBytes(dir.file("a.ckp"));
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "SIGMACKP");
  EXPECT_EQ((std::vector<uint8_t>(bytes.begin() + 8, bytes.begin() + 12)), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(bytes[12] | bytes[13] << 8 | bytes[14] << 16, int(bytes.size()));
  // No temporary file is left behind.
  int files = 0;
  for (auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(Checkpoint, EmptyCheckpointRoundTrips) {
  CheckpointTempDir dir;
  saveCheckpoint(dir.file("e.ckp"), Checkpoint{});
  Checkpoint back = loadCheckpoint(dir.file("e.ckp"));
  EXPECT_TRUE(back.meta.empty());
  EXPECT_TRUE(back.tensors.empty());
}

TEST(Checkpoint, RejectsInvalidContentsOnSave) {
  CheckpointTempDir dir;
  Checkpoint c = sample();
  c.tensors.push_back(c.tensors[0]);
  EXPECT_EQ(errorOf([&] { saveCheckpoint(dir.file("d.ckp"), c); }),
            "checkpoint: duplicate tensor name 'fc1.weight'");
  EXPECT_EQ(errorOf([&] { Checkpoint().add("w", {2, 2}, std::vector<float>(3)); }),
            "checkpoint tensor 'w': 3 values for a shape of 4 elements");
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.ckp")));
}

TEST(Checkpoint, MissingFileAndWrongMagic) {
  CheckpointTempDir dir;
  EXPECT_EQ(errorOf([&] { loadCheckpoint(dir.file("none.ckp")); }),
            "cannot open " + dir.file("none.ckp") + ": No such file or directory");
  writeBytes(dir.file("text.ckp"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  EXPECT_EQ(errorOf([&] { loadCheckpoint(dir.file("text.ckp")); }),
            dir.file("text.ckp") + " is not a Sigma checkpoint (it does not start with \"SIGMACKP\")");
  writeBytes(dir.file("short.ckp"), {'x'});
  EXPECT_EQ(errorOf([&] { loadCheckpoint(dir.file("short.ckp")); }),
            dir.file("short.ckp") + " is not a Sigma checkpoint (it does not start with \"SIGMACKP\")");
  writeBytes(dir.file("empty.ckp"), {});
  EXPECT_EQ(errorOf([&] { loadCheckpoint(dir.file("empty.ckp")); }),
            dir.file("empty.ckp") + ": truncated at byte 0 while reading the header (the file is empty)");
}

TEST(Checkpoint, FutureVersionIsRefused) {
  CheckpointTempDir dir;
  saveCheckpoint(dir.file("v.ckp"), sample());
  std::vector<uint8_t> bytes = readBytes(dir.file("v.ckp"));
  bytes[8] = 2;
  writeBytes(dir.file("v.ckp"), bytes);
  EXPECT_EQ(errorOf([&] { loadCheckpoint(dir.file("v.ckp")); }),
            dir.file("v.ckp") + ": checkpoint format version 2 is not supported (this build of Sigma "
                                "reads version 1; the file was written by a newer Sigma)");
}

TEST(Checkpoint, FlippedByteIsAChecksumMismatch) {
  CheckpointTempDir dir;
  saveCheckpoint(dir.file("c.ckp"), sample());
  std::vector<uint8_t> bytes = readBytes(dir.file("c.ckp"));
  bytes[bytes.size() / 2] ^= 0x10;  // inside fc1.weight's data
  writeBytes(dir.file("c.ckp"), bytes);
  std::string message = errorOf([&] { loadCheckpoint(dir.file("c.ckp")); });
  EXPECT_EQ(message.rfind(dir.file("c.ckp") + ": checksum mismatch (stored 0x", 0), 0u) << message;
  EXPECT_NE(message.find(", computed 0x"), std::string::npos) << message;
  EXPECT_TRUE(message.ends_with("): the file is corrupt")) << message;
  // A flip in the stored checksum itself is caught the same way.
  bytes[bytes.size() / 2] ^= 0x10;
  bytes.back() ^= 0x01;
  writeBytes(dir.file("c.ckp"), bytes);
  message = errorOf([&] { loadCheckpoint(dir.file("c.ckp")); });
  EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << message;
}

TEST(Checkpoint, TruncationNamesTheByteAndTheEntry) {
  CheckpointTempDir dir;
  const std::string path = dir.file("t.ckp");
  saveCheckpoint(path, sample());
  const std::vector<uint8_t> whole = readBytes(path);
  const std::string total = " (the complete file has " + std::to_string(whole.size()) + " bytes)";
  // Offsets: the metadata (3 entries) follows the header; the first tensor
  // is fc1.weight with 512 floats.
  size_t meta = 4;
  for (auto& [k, v] : sample().meta) meta += 8 + k.size() + v.size();
  const size_t firstTensor = kHeader + meta + 4;
  const size_t weightData = firstTensor + 4 + 10 + 4 + 16;
  struct Cut {
    size_t at;
    std::string what;
  };
  std::vector<Cut> cuts = {
      {10, "the header"},
      {kHeader + 2, "the metadata count"},
      {kHeader + 9, "metadata entry #0"},
      {firstTensor + 2, "the name of tensor #0"},
      {firstTensor + 16, "tensor 'fc1.weight'"},
      {weightData + 100, "tensor 'fc1.weight'"},
      {weightData + 512 * 4 + 5, "the name of tensor #1"},
      {whole.size() - 2, "the checksum"},
  };
  for (const Cut& cut : cuts) {
    writeBytes(path, std::vector<uint8_t>(whole.begin(), whole.begin() + long(cut.at)));
    std::string expected = path + ": truncated at byte " + std::to_string(cut.at) + " while reading " +
                           cut.what + (cut.at < kHeader ? "" : total);
    EXPECT_EQ(errorOf([&] { loadCheckpoint(path); }), expected);
  }
}

TEST(Checkpoint, AbsurdLengthIsCorruption) {
  CheckpointTempDir dir;
  const std::string path = dir.file("l.ckp");
  saveCheckpoint(path, sample());
  std::vector<uint8_t> bytes = readBytes(path);
  // The first metadata key's length ("model", 5) becomes 2^30.
  bytes[kHeader + 4 + 3] = 0x40;
  writeBytes(path, bytes);
  EXPECT_EQ(errorOf([&] { loadCheckpoint(path); }),
            path + ": a length of 1073741829 bytes at byte 28 (reading metadata entry #0) is larger "
                   "than the file (" + std::to_string(bytes.size()) + " bytes): the file is corrupt");
  // A tensor count that cannot fit.
  bytes = readBytes(path);
  bytes[kHeader + 4 + 3] = 0;
  bytes[kHeader + 3] = 0x10;  // metadata count 0x10000003
  writeBytes(path, bytes);
  std::string message = errorOf([&] { loadCheckpoint(path); });
  EXPECT_NE(message.find("the metadata count has 268435459 entries at byte 24, more than the file"),
            std::string::npos)
      << message;
}

TEST(Checkpoint, TrailingGarbageIsCorruption) {
  CheckpointTempDir dir;
  const std::string path = dir.file("g.ckp");
  saveCheckpoint(path, sample());
  std::vector<uint8_t> bytes = readBytes(path);
  size_t size = bytes.size();
  bytes.push_back(0);
  writeBytes(path, bytes);
  EXPECT_EQ(errorOf([&] { loadCheckpoint(path); }),
            path + ": the checkpoint ends at byte " + std::to_string(size) + " but the file has " +
                std::to_string(size + 1) + " bytes (header says " + std::to_string(size) +
                "): the file is corrupt");
}

TEST(Checkpoint, SavingOverAnExistingCheckpointIsAtomic) {
  CheckpointTempDir dir;
  const std::string path = dir.file("model.ckp");
  saveCheckpoint(path, sample(1.0f));
  // A crash mid-save leaves a half-written temporary next to the checkpoint;
  // the checkpoint itself must still load, unchanged.
  std::vector<uint8_t> garbage = readBytes(path);
  garbage.resize(garbage.size() / 3);
  writeBytes(path + ".tmp.99999", garbage);
  writeBytes(path + ".tmp." + std::to_string(getpid()), {'j', 'u', 'n', 'k'});
  Checkpoint old = loadCheckpoint(path);
  EXPECT_EQ(old.find("fc1.weight")->data, sample(1.0f).find("fc1.weight")->data);
  // A new save replaces it (over a stale temporary of the same name).
  saveCheckpoint(path, sample(2.0f));
  Checkpoint fresh = loadCheckpoint(path);
  EXPECT_EQ(fresh.find("fc1.weight")->data, sample(2.0f).find("fc1.weight")->data);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(getpid())));
}

TEST(Checkpoint, SaveIntoAMissingDirectoryFails) {
  CheckpointTempDir dir;
  const std::string path = dir.file("no/such/dir/x.ckp");
  std::string message = errorOf([&] { saveCheckpoint(path, sample()); });
  EXPECT_EQ(message.rfind("cannot write checkpoint " + path + ": cannot create " + path + ".tmp.", 0), 0u)
      << message;
  EXPECT_TRUE(message.ends_with(": No such file or directory")) << message;
}

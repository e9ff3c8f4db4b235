// Checkpoints that survive faults: a child process saves a large checkpoint
// over the same path again and again, and the parent SIGKILLs it at random
// points (seeded). After every kill the file at PATH must be a complete
// checkpoint, either the last one the child finished or the one it was
// writing, never a corrupt one, and never missing once one was written; the
// next child resumes from it. Leftover PATH.tmp.<pid> files from the killed
// children must not disturb loading, and loading one of them directly must
// either give a complete checkpoint or a clean sigma::Error.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ir/Error.h"
#include "runtime/Checkpoint.h"

using namespace sigma;

namespace {

class CrashTempDir {
 public:
  CrashTempDir() {
    char pattern[] = "/tmp/sigma-ckp-crash-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~CrashTempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Generation g of the training state: ~6 MB of weights, every value a
// function of (g, tensor, index), so a loaded checkpoint can be checked
// bit for bit against the generation its metadata names.
constexpr int64_t kRows = 1024, kCols = 1400;

float valueOf(uint64_t generation, uint64_t tensor, uint64_t index) {
  uint64_t z = generation * 0x9E3779B97F4A7C15ull + tensor * 0xBF58476D1CE4E5B9ull + index;
  z = (z ^ (z >> 31)) * 0x94D049BB133111EBull;
  return float(int32_t(z >> 40) - (1 << 23)) / 4096.0f;  // exact in f32
}

Checkpoint generationCheckpoint(uint64_t generation) {
  Checkpoint c;
  c.meta["generation"] = std::to_string(generation);
  c.meta["model"] = "crash-test";
  std::vector<float> w(static_cast<size_t>(kRows * kCols)), b(static_cast<size_t>(kRows));
  for (size_t i = 0; i < w.size(); ++i) w[i] = valueOf(generation, 0, i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = valueOf(generation, 1, i);
  c.add("fc.weight", {kRows, kCols}, w);
  c.add("fc.bias", {kRows}, b);
  c.add("step", {}, std::vector<float>{float(generation)});
  return c;
}

// The generation a loaded checkpoint holds; fails the test unless every
// tensor is exactly that generation's.
uint64_t checkGeneration(const Checkpoint& c, const std::string& what) {
  auto it = c.meta.find("generation");
  if (it == c.meta.end()) {
    ADD_FAILURE() << what << ": no generation in the metadata";
    return 0;
  }
  uint64_t g = std::stoull(it->second);
  Checkpoint expected = generationCheckpoint(g);
  EXPECT_EQ(c.meta, expected.meta) << what;
  EXPECT_EQ(c.tensors.size(), expected.tensors.size()) << what;
  for (const NamedTensor& e : expected.tensors) {
    const NamedTensor* t = c.find(e.name);
    if (!t) {
      ADD_FAILURE() << what << ": tensor " << e.name << " is missing";
      continue;
    }
    EXPECT_EQ(t->shape, e.shape) << what << " " << e.name;
    EXPECT_TRUE(t->data.size() == e.data.size() &&
                std::memcmp(t->data.data(), e.data.data(), e.data.size() * sizeof(float)) == 0)
        << what << ": tensor " << e.name << " differs from generation " << g;
  }
  return g;
}

// The child: resumes from the checkpoint at `path` if there is one, then
// saves generation after generation, reporting each finished save on `fd`.
[[noreturn]] void saveForever(const std::string& path, int fd) {
  try {
    uint64_t g = 0;
    if (std::filesystem::exists(path)) g = std::stoull(loadCheckpoint(path).meta.at("generation"));
    for (;;) {
      ++g;
      saveCheckpoint(path, generationCheckpoint(g));
      if (::write(fd, &g, sizeof g) != sizeof g) _exit(4);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: %s\n", e.what());
    _exit(3);
  }
}

std::vector<std::string> leftoverTemporaries(const CrashTempDir& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    if (entry.path().filename().string().rfind("model.ckp.tmp.", 0) == 0) out.push_back(entry.path().string());
  return out;
}

}  // namespace

TEST(CheckpointCrash, SigkillDuringSavesNeverLosesOrCorruptsTheCheckpoint) {
  CrashTempDir dir;
  const std::string path = dir.file("model.ckp");

  // How long one save takes here (it fsyncs): the kills are spread over a
  // few saves' worth of time so that they land in every phase of a save:
  // encoding, writing, fsync, rename, directory sync.
  auto start = std::chrono::steady_clock::now();
  saveCheckpoint(dir.file("timing.ckp"), generationCheckpoint(0));
  const auto oneSave = std::chrono::steady_clock::now() - start;
  std::filesystem::remove(dir.file("timing.ckp"));
  const int64_t maxDelayUs =
      std::max<int64_t>(2000, 3 * std::chrono::duration_cast<std::chrono::microseconds>(oneSave).count());

  std::mt19937_64 rng(20240607);
  std::uniform_int_distribution<int64_t> delay(0, maxDelayUs);
  constexpr int kTrials = 24;
  uint64_t onDisk = 0;  // the generation at PATH after the last trial (0: none yet)
  for (int trial = 0; trial < kTrials; ++trial) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    pid_t child = ::fork();
    ASSERT_GE(child, 0) << std::strerror(errno);
    if (child == 0) {
      ::close(fds[0]);
      saveForever(path, fds[1]);
    }
    ::close(fds[1]);
    // If an assertion below returns early, the child must not outlive the test.
    struct Reaper {
      pid_t pid;
      ~Reaper() {
        if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
      }
    } reaper{child};
    // Odd trials wait for at least one finished save first, so that some
    // kills interrupt the overwrite of an existing checkpoint for sure.
    uint64_t finished = onDisk, g = 0;
    if (trial % 2 == 1) {
      ASSERT_EQ(::read(fds[0], &g, sizeof g), ssize_t(sizeof g)) << "trial " << trial;
      finished = g;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    reaper.pid = 0;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "trial " << trial << ": the child ended on its own (status " << status << ")";

    // Every save the child reported as finished; the last one is the
    // newest checkpoint that must be on disk (or a newer one, if the
    // rename happened but the report did not).
    while (::read(fds[0], &g, sizeof g) == ssize_t(sizeof g)) finished = g;
    ::close(fds[0]);

    const std::string what = "trial " + std::to_string(trial);
    if (!std::filesystem::exists(path)) {
      EXPECT_EQ(finished, 0u) << what << ": the checkpoint is missing after generation " << finished
                              << " was written";
      continue;
    }
    Checkpoint loaded;
    try {
      loaded = loadCheckpoint(path);
    } catch (const Error& e) {
      FAIL() << what << ": the checkpoint at PATH does not load: " << e.what();
    }
    uint64_t got = checkGeneration(loaded, what);
    EXPECT_TRUE(got == finished || got == finished + 1)
        << what << ": PATH holds generation " << got << ", but the last finished save was " << finished;
    EXPECT_GE(got, onDisk) << what << ": the checkpoint went back in time";
    onDisk = got;

    // A killed child leaves its temporary behind when the kill came before
    // the rename: loading it must give a whole checkpoint or a clean error.
    for (const std::string& tmp : leftoverTemporaries(dir)) {
      try {
        checkGeneration(loadCheckpoint(tmp), what + " " + tmp);
      } catch (const Error& e) {
        std::string message = e.what();
        EXPECT_EQ(message.rfind(tmp, 0), 0u) << message;  // names the file
      }
    }
  }
  EXPECT_GT(onDisk, 0u) << "no save ever finished: the kills came too early to test anything";
  std::printf("CheckpointCrash: %d trials, one save takes %.1f ms, final generation %llu, %zu leftover "
              "temporaries\n",
              kTrials, std::chrono::duration<double, std::milli>(oneSave).count(),
              static_cast<unsigned long long>(onDisk), leftoverTemporaries(dir).size());

  // Resume after the last kill: the checkpoint loads with the temporaries
  // still there, and a new save replaces it and leaves no temporary of its own.
  Checkpoint last = loadCheckpoint(path);
  EXPECT_EQ(checkGeneration(last, "after the trials"), onDisk);
  saveCheckpoint(path, generationCheckpoint(onDisk + 1));
  EXPECT_EQ(checkGeneration(loadCheckpoint(path), "resumed"), onDisk + 1);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
}

namespace {

Checkpoint smallCheckpoint() {
  Checkpoint c;
  c.meta["kind"] = "training";
  c.meta["step"] = "42";
  c.add("w", {3, 4}, std::vector<float>{1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12});
  c.add("b", {3}, std::vector<float>{0.5f, 0.25f, -0.125f});
  c.add("s", {}, std::vector<float>{7});
  return c;
}

std::vector<uint8_t> fileBytes(const std::string& path) {
  std::vector<uint8_t> bytes(std::filesystem::file_size(path));
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f || std::fread(bytes.data(), 1, bytes.size(), f) != bytes.size()) throw std::runtime_error("cannot read " + path);
  std::fclose(f);
  return bytes;
}

void putBytes(const std::string& path, const std::vector<uint8_t>& bytes, size_t count) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  if (count) std::fwrite(bytes.data(), 1, count, f);
  std::fclose(f);
}

// The message of the sigma::Error loading `path` throws; fails the test if
// it loads (or throws anything else).
std::string refusal(const std::string& path, const std::string& what) {
  try {
    loadCheckpoint(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << what << ": loaded";
  return "";
}

}  // namespace

// Whatever a crash cuts a checkpoint to, it is refused, with the file named
// and the reason: truncated (or, for a cut inside the magic, not a checkpoint).
TEST(CheckpointCrash, EveryTruncationIsRefused) {
  CrashTempDir dir;
  const std::string path = dir.file("t.ckp");
  saveCheckpoint(path, smallCheckpoint());
  const std::vector<uint8_t> whole = fileBytes(path);
  for (size_t n = 0; n < whole.size(); ++n) {
    putBytes(path, whole, n);
    std::string message = refusal(path, "cut to " + std::to_string(n) + " bytes");
    EXPECT_EQ(message.rfind(path, 0), 0u) << message;
    EXPECT_TRUE(message.find(": truncated at byte " + std::to_string(n) + " while reading ") != std::string::npos ||
                (n == 0 && message.find("truncated at byte 0") != std::string::npos))
        << "cut to " << n << " bytes: " << message;
  }
  putBytes(path, whole, whole.size());
  EXPECT_EQ(loadCheckpoint(path).tensors.size(), 3u);
}

// Every single-bit error anywhere in the file is caught: by the magic, the
// version, the length checks or the CRC-32 (which detects all of them).
TEST(CheckpointCrash, EveryBitFlipIsRefused) {
  CrashTempDir dir;
  const std::string path = dir.file("f.ckp");
  saveCheckpoint(path, smallCheckpoint());
  const std::vector<uint8_t> whole = fileBytes(path);
  for (size_t i = 0; i < whole.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bytes = whole;
      bytes[i] ^= uint8_t(1u << bit);
      putBytes(path, bytes, bytes.size());
      std::string message = refusal(path, "bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      EXPECT_EQ(message.rfind(path, 0), 0u) << message;
    }
  }
}

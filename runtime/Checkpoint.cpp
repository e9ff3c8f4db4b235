#include "runtime/Checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "ir/Error.h"

namespace sigma {

static constexpr char kMagic[8] = {'S', 'I', 'G', 'M', 'A', 'C', 'K', 'P'};

int64_t NamedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const NamedTensor* Checkpoint::find(const std::string& name) const {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

NamedTensor& Checkpoint::add(std::string name, std::vector<int64_t> shape, std::span<const float> data) {
  NamedTensor t{std::move(name), std::move(shape), std::vector<float>(data.begin(), data.end())};
  if (t.numel() != int64_t(t.data.size()))
    fail("checkpoint tensor '{}': {} values for a shape of {} elements", t.name, t.data.size(), t.numel());
  tensors.push_back(std::move(t));
  return tensors.back();
}

// zlib's crc32 takes a 32-bit length; feed large buffers in pieces.
static uint32_t crc32Of(const uint8_t* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    uInt chunk = uInt(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return uint32_t(crc);
}

// ---- encoding --------------------------------------------------------------

namespace {

class Writer {
 public:
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(uint8_t(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(uint8_t(v >> (8 * i)));
  }
  void string(const std::string& s, const std::string& what) {
    if (s.size() > UINT32_MAX) fail("checkpoint: {} is longer than 4 GiB", what);
    u32(uint32_t(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void floats(const std::vector<float>& values) {
    if (values.empty()) return;  // data() may be null, which memcpy forbids
    size_t at = bytes.size();
    bytes.resize(at + values.size() * 4);
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(bytes.data() + at, values.data(), values.size() * 4);
    } else {
      for (float f : values) {
        uint32_t bits = std::bit_cast<uint32_t>(f);
        for (int i = 0; i < 4; ++i) bytes[at++] = uint8_t(bits >> (8 * i));
      }
    }
  }
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> encode(const Checkpoint& c) {
  Writer w;
  w.bytes.insert(w.bytes.end(), kMagic, kMagic + 8);
  w.u32(kCheckpointVersion);
  w.u64(0);  // total size, patched below
  w.u32(uint32_t(c.meta.size()));
  for (const auto& [key, value] : c.meta) {
    w.string(key, "a metadata key");
    w.string(value, fmt::format("metadata '{}'", key));
  }
  w.u32(uint32_t(c.tensors.size()));
  std::set<std::string> names;
  for (const NamedTensor& t : c.tensors) {
    if (!names.insert(t.name).second) fail("checkpoint: duplicate tensor name '{}'", t.name);
    for (int64_t d : t.shape)
      if (d < 0) fail("checkpoint tensor '{}': negative dimension {}", t.name, d);
    if (t.numel() != int64_t(t.data.size()))
      fail("checkpoint tensor '{}': {} values for a shape of {} elements", t.name, t.data.size(),
           t.numel());
    w.string(t.name, "a tensor name");
    w.u32(uint32_t(t.shape.size()));
    for (int64_t d : t.shape) w.u64(uint64_t(d));
    w.floats(t.data);
  }
  uint64_t total = w.bytes.size() + 4;
  for (int i = 0; i < 8; ++i) w.bytes[12 + i] = uint8_t(total >> (8 * i));
  w.u32(crc32Of(w.bytes.data(), w.bytes.size()));
  return w.bytes;
}

// ---- decoding --------------------------------------------------------------

// Reads fields in order, checking each against two limits: `bound`, the
// file size the header promises (a field that reaches past it is corrupt),
// and the real end of the file (a field that reaches past that, but not
// past `bound`, is truncated).
class Reader {
 public:
  Reader(const std::string& path, const std::vector<uint8_t>& bytes)
      : path_(path), bytes_(bytes) {}

  void setBound(size_t bound) { bound_ = bound; }
  size_t position() const { return pos_; }
  const char* what = "the header";  // the entry being read, for messages
  std::string whatStorage;

  void need(uint64_t n) {
    if (n > bound_ - std::min(pos_, bound_))
      fail("{}: a length of {} bytes at byte {} (reading {}) is larger than the file "
           "({} bytes): the file is corrupt",
           path_, n, pos_, what, bound_);
    if (n > bytes_.size() - pos_)
      fail("{}: truncated at byte {} while reading {}{}", path_, bytes_.size(), what,
           bound_ == kUnknown ? "" : fmt::format(" (the complete file has {} bytes)", bound_));
  }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(bytes_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(bytes_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }
  std::string string() {
    uint32_t n = u32();
    need(n);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void floats(float* out, size_t count) {
    need(uint64_t(count) * 4);
    if (count == 0) return;  // out may be null, which memcpy forbids
    const uint8_t* in = bytes_.data() + pos_;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out, in, count * 4);
    } else {
      for (size_t i = 0; i < count; ++i, in += 4)
        out[i] = std::bit_cast<float>(uint32_t(in[0]) | uint32_t(in[1]) << 8 |
                                      uint32_t(in[2]) << 16 | uint32_t(in[3]) << 24);
    }
    pos_ += count * 4;
  }
  // Entries of at least `minBytes` each: a count that cannot fit is corrupt,
  // and checking it up front avoids reserving memory for it.
  void checkCount(uint64_t count, uint64_t minBytes) {
    if (count * minBytes > bound_ - std::min(pos_, bound_))
      fail("{}: {} has {} entries at byte {}, more than the file ({} bytes) can hold: the file is "
           "corrupt",
           path_, what, count, pos_, bound_);
  }
  void setWhat(std::string s) {
    whatStorage = std::move(s);
    what = whatStorage.c_str();
  }

 private:
  const std::string& path_;
  const std::vector<uint8_t>& bytes_;
  // Until the header's size is read, only the file's end limits reads.
  static constexpr size_t kUnknown = SIZE_MAX / 2;
  size_t bound_ = kUnknown;
  size_t pos_ = 0;
};

std::vector<uint8_t> readFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0)
    bytes.insert(bytes.end(), buffer, buffer + n);
  if (std::ferror(f.get())) fail("cannot read {}: {}", path, std::strerror(errno));
  return bytes;
}

}  // namespace

Checkpoint loadCheckpoint(const std::string& path) {
  const std::vector<uint8_t> bytes = readFile(path);
  // A prefix of the magic is a checkpoint cut short; anything else is not one.
  if (!std::equal(bytes.begin(), bytes.begin() + std::min<size_t>(bytes.size(), 8), kMagic))
    fail("{} is not a Sigma checkpoint (it does not start with \"SIGMACKP\")", path);
  if (bytes.size() < 8)
    fail("{}: truncated at byte {} while reading the header{}", path, bytes.size(),
         bytes.empty() ? " (the file is empty)" : "");
  Reader r(path, bytes);
  r.u64();  // the magic, checked above
  uint32_t version = r.u32();
  if (version != kCheckpointVersion)
    fail("{}: checkpoint format version {} is not supported (this build of Sigma reads version "
         "{}{})",
         path, version, kCheckpointVersion,
         version > kCheckpointVersion ? "; the file was written by a newer Sigma" : "");
  uint64_t total = r.u64();
  // Trust the header's size unless the file is longer (then the header or
  // the tail is what is corrupt, and the final checks say so).
  r.setBound(size_t(std::max<uint64_t>(total, bytes.size())));

  Checkpoint c;
  r.what = "the metadata count";
  uint32_t metaCount = r.u32();
  r.checkCount(metaCount, 8);
  for (uint32_t i = 0; i < metaCount; ++i) {
    r.setWhat(fmt::format("metadata entry #{}", i));
    std::string key = r.string();
    r.setWhat(fmt::format("metadata '{}'", key));
    std::string value = r.string();
    if (!c.meta.emplace(key, std::move(value)).second)
      fail("{}: duplicate metadata key '{}': the file is corrupt", path, key);
  }
  r.what = "the tensor count";
  uint32_t tensorCount = r.u32();
  r.checkCount(tensorCount, 8);
  c.tensors.reserve(tensorCount);
  for (uint32_t i = 0; i < tensorCount; ++i) {
    r.setWhat(fmt::format("the name of tensor #{}", i));
    NamedTensor t;
    t.name = r.string();
    if (c.find(t.name)) fail("{}: duplicate tensor '{}': the file is corrupt", path, t.name);
    r.setWhat(fmt::format("tensor '{}'", t.name));
    uint32_t rank = r.u32();
    r.checkCount(rank, 8);
    uint64_t numel = 1;
    for (uint32_t k = 0; k < rank; ++k) {
      uint64_t d = r.u64();
      if (d > uint64_t(INT64_MAX) || __builtin_mul_overflow(numel, d, &numel) || numel > (UINT64_MAX >> 2))
        fail("{}: tensor '{}' has an impossible dimension {} at byte {}: the file is corrupt", path,
             t.name, d, r.position() - 8);
      t.shape.push_back(int64_t(d));
    }
    r.need(numel * 4);  // before allocating: a corrupt shape must not allocate
    t.data.resize(size_t(numel));
    r.floats(t.data.data(), t.data.size());
    c.tensors.push_back(std::move(t));
  }
  size_t checksumAt = r.position();
  r.what = "the checksum";
  uint32_t stored = r.u32();
  uint32_t computed = crc32Of(bytes.data(), checksumAt);
  if (stored != computed)
    fail("{}: checksum mismatch (stored 0x{:08x}, computed 0x{:08x}): the file is corrupt", path,
         stored, computed);
  if (r.position() != bytes.size() || r.position() != total)
    fail("{}: the checkpoint ends at byte {} but the file has {} bytes (header says {}): the file "
         "is corrupt",
         path, r.position(), bytes.size(), total);
  return c;
}

void saveCheckpoint(const std::string& path, const Checkpoint& checkpoint) {
  const std::vector<uint8_t> bytes = encode(checkpoint);
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail("cannot write checkpoint {}: cannot create {}: {}", path, tmp, std::strerror(errno));
  // Keep the first failure's reason: later cleanup calls overwrite errno.
  std::string error;
  auto check = [&](bool ok, const char* step) {
    if (!ok && error.empty()) error = fmt::format("{}: {}", step, std::strerror(errno));
  };
  check(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size(), "write");
  check(std::fflush(f) == 0, "flush");
  // fsync before the rename: otherwise the rename can reach the disk before
  // the data, and a crash leaves an empty file where the old one was.
  check(::fsync(fileno(f)) == 0, "fsync");
  check(std::fclose(f) == 0, "close");
  if (error.empty()) check(std::rename(tmp.c_str(), path.c_str()) == 0, "rename");
  if (!error.empty()) {
    std::remove(tmp.c_str());
    fail("cannot write checkpoint {} (through {}): {}", path, tmp, error);
  }
  // The rename itself lives in the directory: sync it so it survives a crash.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail("cannot open directory {} to sync checkpoint {}: {}", dir, path, std::strerror(errno));
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  // Some file systems cannot sync directories (EINVAL); the rename still happened.
  if (rc != 0 && err != EINVAL)
    fail("cannot sync directory {} after writing checkpoint {}: {}", dir, path, std::strerror(err));
}

}  // namespace sigma

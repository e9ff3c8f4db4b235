// Training checkpoints: metadata strings and named f32 tensors in a small,
// versioned binary format. Layout (all integers little-endian):
//
//   "SIGMACKP"                       8 bytes, magic
//   u32 version                      kCheckpointVersion
//   u64 total size                   bytes in the whole file, checksum included
//   u32 metadata count, then per entry: u32 length + key, u32 length + value
//   u32 tensor count, then per tensor:
//     u32 length + name, u32 rank, rank × i64 dims, prod(dims) × f32 (IEEE bits)
//   u32 CRC-32 (zlib) of every byte before it
//
// The total size lets the loader tell a truncated file (fewer bytes than
// promised) from a corrupt length field (more than the whole file).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace sigma {

inline constexpr uint32_t kCheckpointVersion = 1;

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;  // prod(shape) values, row-major
  int64_t numel() const;
};

struct Checkpoint {
  // e.g. "model", "step", "epoch", "seed", "optimizer"; values are strings
  // so that the format never needs to change for a new kind of entry.
  std::map<std::string, std::string> meta;
  std::vector<NamedTensor> tensors;  // names unique, in saving order

  const NamedTensor* find(const std::string& name) const;  // null if absent
  // Appends a tensor, copying `data` (whose size must match `shape`).
  NamedTensor& add(std::string name, std::vector<int64_t> shape, std::span<const float> data);
};

// Writes atomically: the bytes go to PATH.tmp.<pid>, which is flushed and
// fsync'ed, renamed over PATH, and the directory is fsync'ed. A crash at any
// point leaves either the previous checkpoint or the new one at PATH.
void saveCheckpoint(const std::string& path, const Checkpoint& checkpoint);

// Throws sigma::Error naming the file and the problem: missing, not a
// checkpoint, unsupported version, truncated (with the byte offset and the
// entry being read), a length larger than the file, or a checksum mismatch.
Checkpoint loadCheckpoint(const std::string& path);

}  // namespace sigma

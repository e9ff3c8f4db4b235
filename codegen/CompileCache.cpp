#include "codegen/CompileCache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/xxhash.h>

namespace sigma::codegen {

namespace {

// The entry file: a fixed header, then the object, then the IR text. The
// header is in host byte order: an entry is only ever read by the host that
// wrote it (the triple is in the key).
constexpr char kMagic[8] = {'S', 'G', 'O', 'B', 'J', '\r', '\n', '\x1a'};  // catches text-mode mangling
constexpr uint32_t kFormat = 1;
constexpr size_t kKeyBytes = 64;  // hex SHA-256

struct Header {
  char magic[8];
  uint32_t format;
  uint32_t keyBytes;
  char key[kKeyBytes];
  uint64_t objectBytes;
  uint64_t irBytes;
  uint64_t checksum;  // xxh3-64 of everything after the header
};
static_assert(sizeof(Header) == 104, "the entry header is part of the file format");

uint64_t checksum(std::string_view payload) {
  return llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
}

// The whole file, or nullopt when it cannot be opened or read (a missing
// entry is the common case: no error to report).
std::optional<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> bytes;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    std::string data(size_t(info.st_size), '\0');
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::read(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += size_t(n);
    }
    if (done == data.size()) bytes = std::move(data);
  }
  ::close(fd);
  return bytes;
}

bool writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(size_t(n));
  }
  return true;
}

}  // namespace

std::string defaultCacheDirectory() {
  auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
  if (std::string dir = env("SIGMA_CACHE_DIR"); !dir.empty()) return dir;
  if (std::string dir = env("XDG_CACHE_HOME"); !dir.empty()) return dir + "/sigma";
  if (std::string dir = env("HOME"); !dir.empty()) return dir + "/.cache/sigma";
  return "";
}

const char* cacheStatusName(CacheStatus status) {
  switch (status) {
    case CacheStatus::Disabled: return "disabled";
    case CacheStatus::Hit: return "hit";
    case CacheStatus::Miss: return "miss";
    case CacheStatus::Damaged: return "damaged";
  }
  return "?";
}

std::string cacheKey(std::initializer_list<std::string_view> parts) {
  llvm::SHA256 hash;
  for (std::string_view part : parts) {
    const uint64_t size = part.size();
    hash.update(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(&size), sizeof size));
    hash.update(llvm::StringRef(part.data(), part.size()));
  }
  std::array<uint8_t, 32> digest = hash.final();
  return llvm::toHex(digest, /*LowerCase=*/true);
}

CompileCache::CompileCache(const CacheOptions& options) {
  if (options.enabled) directory_ = options.directory.empty() ? defaultCacheDirectory() : options.directory;
}

std::string CompileCache::entryPath(const std::string& key) const { return directory_ + "/" + key + ".sgobj"; }

CompileCache::Lookup CompileCache::load(const std::string& key) const {
  Lookup result;
  if (!enabled()) return result;
  result.status = CacheStatus::Miss;
  std::optional<std::string> file = readFile(entryPath(key));
  if (!file) return result;
  auto reject = [&](std::string problem) {
    result.status = CacheStatus::Damaged;
    result.problem = std::move(problem);
    return result;
  };
  Header header;
  if (file->size() < sizeof header) return reject(fmt::format("{} bytes, shorter than the header", file->size()));
  std::memcpy(&header, file->data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0) return reject("not a Sigma object-cache entry");
  if (header.format != kFormat) return reject(fmt::format("entry format {}, expected {}", header.format, kFormat));
  if (header.keyBytes != kKeyBytes || key.size() != kKeyBytes ||
      std::memcmp(header.key, key.data(), kKeyBytes) != 0)
    return reject("the entry is for another key");
  const uint64_t payload = file->size() - sizeof header;
  // Each size alone first: their sum could wrap around.
  if (header.objectBytes > payload || header.irBytes > payload || header.objectBytes + header.irBytes != payload)
    return reject(fmt::format("the header announces {} + {} bytes, the file holds {}", header.objectBytes,
                              header.irBytes, payload));
  std::string_view body(file->data() + sizeof header, payload);
  if (checksum(body) != header.checksum) return reject("checksum mismatch");
  result.status = CacheStatus::Hit;
  result.entry = CacheEntry{std::string(body.substr(0, header.objectBytes)),
                            std::string(body.substr(header.objectBytes))};
  return result;
}

bool CompileCache::store(const std::string& key, const CacheEntry& entry) const {
  if (!enabled() || key.size() != kKeyBytes) return false;
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) return false;

  std::string file(sizeof(Header), '\0');
  file += entry.object;
  file += entry.optimizedIR;
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.format = kFormat;
  header.keyBytes = kKeyBytes;
  std::memcpy(header.key, key.data(), kKeyBytes);
  header.objectBytes = entry.object.size();
  header.irBytes = entry.optimizedIR.size();
  header.checksum = checksum(std::string_view(file).substr(sizeof header));
  std::memcpy(file.data(), &header, sizeof header);

  // A unique name in the same directory (same file system: rename is
  // atomic), then the rename: the entry appears whole or not at all. No
  // fsync: an entry torn by a power cut fails its checksum and is rebuilt.
  std::string temporary = entryPath(key) + ".tmp.XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) return false;
  ::fchmod(fd, 0644);  // mkstemp's 0600 would hide entries from a shared, read-only cache
  bool ok = writeAll(fd, file);
  ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(temporary.c_str(), entryPath(key).c_str()) == 0;
  if (!ok) ::unlink(temporary.c_str());
  return ok;
}

}  // namespace sigma::codegen

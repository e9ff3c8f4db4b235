// The on-disk cache of JIT-compiled objects: what makes a second compile of
// the same training step skip LLVM's optimizer and backend.
//
// An entry is one file, DIR/<key>.sgobj, holding the host object file that
// the backend made and the optimized LLVM IR it was made from (so that
// llvmIR(), assembly() and --dump-dir work on a hit too). The key is a
// SHA-256 of everything the object depends on: the loop-IR module's printed
// text, the unoptimized LLVM IR generated from it, the host's triple, CPU
// and feature string, the optimization level, Sigma's version and codegen
// revision (codegen/Version.h), and LLVM's version.
//
// The directory: CacheOptions::directory, else $SIGMA_CACHE_DIR, else
// $XDG_CACHE_HOME/sigma, else $HOME/.cache/sigma. Clearing it (rm -r) is
// always safe.
//
// Failure model: the cache can only make a compile faster, never make it
// fail. Writers write a unique temporary file in the directory and rename(2)
// it onto the entry, so concurrent writers (threads or processes) never
// leave a mixed file and readers see either no entry or a whole one. An
// entry that is truncated, has another magic, format, key or size, or whose
// checksum does not match is reported as damaged, ignored and rewritten. A
// directory that cannot be created or written turns storing off for that
// compile, silently; reading still works if the entries are readable.
//
// An object is reused by other processes, so the generated code must hold no
// address of this one: it reaches the runtime through the RuntimeABI slot
// (codegen/RuntimeABI.h) and libm through the JIT's linker, at link time.
//
// This header is LLVM-free: CompileOptions (frontend/Compile.h) holds a
// CacheOptions.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sigma::codegen {

struct CacheOptions {
  bool enabled = true;
  std::string directory{};  // empty: defaultCacheDirectory()
};

// $SIGMA_CACHE_DIR, else $XDG_CACHE_HOME/sigma, else $HOME/.cache/sigma;
// empty when none of the variables is set (caching is then off).
std::string defaultCacheDirectory();

// What happened to one compile's cache lookup.
enum class CacheStatus {
  Disabled,  // CacheOptions::enabled is false, or there is no directory
  Hit,       // the object came from the cache: no LLVM optimization, no machine code generation
  Miss,      // no entry: compiled (and stored, if the directory is writable)
  Damaged,   // an entry failed its checks: ignored, compiled, replaced
};
const char* cacheStatusName(CacheStatus status);  // "disabled", "hit", "miss", "damaged"

// The payload of an entry.
struct CacheEntry {
  std::string object;       // the host object file (ELF on Linux), as the backend wrote it
  std::string optimizedIR;  // the LLVM IR the object was compiled from, as text
};

// The hex SHA-256 key of a compile: `parts` are hashed in order, each
// length-prefixed, so that no two different lists give the same bytes.
std::string cacheKey(std::initializer_list<std::string_view> parts);

class CompileCache {
 public:
  // Resolves the directory (creating nothing yet).
  explicit CompileCache(const CacheOptions& options);

  bool enabled() const { return !directory_.empty(); }
  const std::string& directory() const { return directory_; }
  std::string entryPath(const std::string& key) const;  // DIR/<key>.sgobj

  struct Lookup {
    CacheStatus status = CacheStatus::Disabled;  // Hit, Miss or Damaged (or Disabled)
    std::optional<CacheEntry> entry;              // set on a hit
    std::string problem;                          // why a damaged entry was rejected
  };
  // Reads and checks the entry for `key`. Never throws.
  Lookup load(const std::string& key) const;
  // Writes the entry for `key` atomically (creating the directory); false,
  // with nothing left behind, when that is not possible. Never throws.
  bool store(const std::string& key, const CacheEntry& entry) const;

 private:
  std::string directory_;
};

}  // namespace sigma::codegen

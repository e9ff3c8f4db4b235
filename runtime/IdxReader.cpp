#include "runtime/IdxReader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "ir/Error.h"
#include "runtime/HugePages.h"

namespace sigma {
namespace {

uint32_t bigEndian32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

// One IDX file, gzipped or plain (zlib reads plain files transparently),
// read as a stream: the pixels are converted to floats chunk by chunk as
// they are inflated, so no copy of the whole file is ever held. Inflating
// is then the only real cost of loading Fashion-MNIST.
class IdxFile {
 public:
  explicit IdxFile(const std::string& path) : path_(path) {
    // open() first, so the error names the real cause (errno) rather than
    // whatever gzopen leaves behind.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open {}: {}", path, std::strerror(errno));
    struct stat st {};
    fileBytes_ = ::fstat(fd, &st) == 0 ? uint64_t(st.st_size) : 0;
    gz_ = gzdopen(fd, "rb");
    if (!gz_) {
      ::close(fd);
      fail("cannot open {}: out of memory for the zlib reader", path);
    }
    gzbuffer(gz_, 1 << 18);
  }
  ~IdxFile() { gzclose(gz_); }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  // Reads up to n bytes; fewer only at the end of the data.
  size_t read(uint8_t* out, size_t n) {
    size_t done = 0;
    while (done < n) {
      int got = gzread(gz_, out + done, unsigned(std::min<size_t>(n - done, 1u << 30)));
      if (got <= 0) break;
      done += size_t(got);
    }
    int err = Z_OK;
    const char* message = gzerror(gz_, &err);
    // Z_BUF_ERROR is zlib's "unexpected end of file" for a cut-off .gz.
    if (err != Z_OK) fail("{}: cannot decompress: {}", path_, message && *message ? message : "gzip error");
    return done;
  }

  // Checks the magic (whose low byte is the rank) and returns the dimensions.
  std::vector<uint64_t> header(uint32_t magic, const char* format) {
    const size_t rank = magic & 0xff, size = 4 + 4 * rank;
    uint8_t bytes[4 + 4 * 255];
    size_t found = read(bytes, 4);
    if (found == 4 && bigEndian32(bytes) != magic)
      fail("{}: bad magic number 0x{:08x}, expected 0x{:08x} ({})", path_, bigEndian32(bytes), magic, format);
    if (found == 4) found += read(bytes + 4, size - 4);
    if (found < size) fail("{}: truncated: expected {} bytes of header, found {}", path_, size, found);
    std::vector<uint64_t> dims;
    for (size_t i = 0; i < rank; ++i) dims.push_back(bigEndian32(bytes + 4 + 4 * i));
    return dims;
  }

  // Streams exactly `expected` bytes to sink(chunk, size, offset), then
  // checks that nothing follows. `allocate` runs first, once the size is
  // known to be possible: a header that lies must not allocate terabytes.
  template <typename Allocate, typename Sink>
  void payload(uint64_t expected, const char* kind, Allocate allocate, Sink sink) {
    // Deflate cannot expand data more than 1032:1.
    const bool plain = gzdirect(gz_) != 0;
    if (expected > (plain ? fileBytes_ : fileBytes_ * 1032 + (1 << 20)))
      fail("{}: truncated: expected {} bytes of {} data after the header, found {}", path_, expected,
           kind, skipRest());
    allocate();
    std::vector<uint8_t> chunk(size_t(std::min<uint64_t>(expected, 1 << 20)) + 1);
    uint64_t found = 0;
    while (found < expected) {
      size_t want = size_t(std::min<uint64_t>(expected - found, chunk.size() - 1));
      size_t got = read(chunk.data(), want);
      sink(chunk.data(), got, found);
      found += got;
      if (got < want)
        fail("{}: truncated: expected {} bytes of {} data after the header, found {}", path_,
             expected, kind, found);
    }
    if (uint64_t extra = skipRest())
      fail("{}: {} unexpected bytes after the {} bytes of {} data", path_, extra, expected, kind);
  }

 private:
  uint64_t skipRest() {
    uint8_t buffer[1 << 14];
    uint64_t total = 0;
    while (size_t got = read(buffer, sizeof buffer)) total += got;
    return total;
  }

  std::string path_;
  gzFile gz_ = nullptr;
  uint64_t fileBytes_ = 0;
};

std::string stem(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (name.size() > 3 && name.ends_with(".gz")) name.resize(name.size() - 3);
  return name;
}

}  // namespace

Dataset loadIdx(const std::string& imagesPath, const std::string& labelsPath, bool scaleToUnit,
                int64_t numClasses) {
  Dataset d;
  d.name = stem(imagesPath);
  IdxFile images(imagesPath);
  std::vector<uint64_t> dims = images.header(0x00000803, "IDX images");
  // Three u32 dimensions can overflow u64; no real file is that large.
  uint64_t pixels = 0;
  if (__builtin_mul_overflow(dims[0], dims[1] * dims[2], &pixels))
    fail("{}: dimensions {}×{}×{} overflow a 64-bit size", imagesPath, dims[0], dims[1], dims[2]);
  if (dims[1] == 0 || dims[2] == 0) fail("{}: empty image size {}×{}", imagesPath, dims[1], dims[2]);
  d.count = int64_t(dims[0]);
  d.sampleShape = {int64_t(dims[1]), int64_t(dims[2])};
  // A table keeps the conversion exactly value / 255.0f, and cheap.
  float table[256];
  for (int v = 0; v < 256; ++v) table[v] = scaleToUnit ? float(v) / 255.0f : float(v);
  images.payload(
      pixels, "pixel",
      [&] {
        d.features.reserve(size_t(pixels));
        // Fashion-MNIST's 188 MB are read a random row at a time by every
        // batch gather: 2 MiB pages spare those reads a TLB miss (a walk
        // through the guest's and the host's tables, on a VM) each.
        adviseHugePages(d.features.data(), size_t(pixels) * sizeof(float));
      },
      [&](const uint8_t* in, size_t n, uint64_t at) {
        // Growing chunk by chunk zero-fills only what is about to be
        // overwritten, while it is in cache, rather than 4 bytes per pixel
        // of memory traffic up front.
        d.features.resize(size_t(at + n));
        float* out = d.features.data() + at;
        for (size_t i = 0; i < n; ++i) out[i] = table[in[i]];
      });

  IdxFile labels(labelsPath);
  uint64_t labelCount = labels.header(0x00000801, "IDX labels")[0];
  std::vector<uint8_t> raw;
  labels.payload(
      labelCount, "label", [&] { raw.resize(size_t(labelCount)); },
      [&](const uint8_t* in, size_t n, uint64_t at) { std::memcpy(raw.data() + at, in, n); });
  if (labelCount != dims[0])
    fail("{} has {} images but {} has {} labels", imagesPath, dims[0], labelsPath, labelCount);

  d.labels.resize(raw.size());
  int64_t maxLabel = -1;
  for (size_t i = 0; i < raw.size(); ++i) {
    int32_t label = raw[i];
    if (numClasses > 0 && label >= numClasses)
      fail("{}: label {} at index {} is out of range 0..{}", labelsPath, label, i, numClasses - 1);
    maxLabel = std::max<int64_t>(maxLabel, label);
    d.labels[i] = label;
  }
  d.numClasses = numClasses > 0 ? numClasses : maxLabel + 1;
  return d;
}

std::pair<Dataset, Dataset> loadFashionMnist(const std::string& dir) {
  // The distribution ships gzipped files; an unpacked copy works as well.
  auto pick = [&](const std::string& name) {
    std::filesystem::path base = std::filesystem::path(dir) / name;
    std::string gz = base.string() + ".gz";
    if (!std::filesystem::exists(gz) && std::filesystem::exists(base)) return base.string();
    return gz;  // when neither exists, the open error names the .gz file
  };
  if (!std::filesystem::is_directory(dir))
    fail("cannot open Fashion-MNIST directory {}: No such directory", dir);
  auto load = [&](const char* images, const char* labels, const char* name) {
    Dataset d = loadIdx(pick(images), pick(labels), true, 10);
    if (d.sampleShape != std::vector<int64_t>{28, 28})
      fail("{}: images are {}×{}, Fashion-MNIST images are 28×28", pick(images), d.sampleShape[0],
           d.sampleShape[1]);
    d.name = name;
    return d;
  };
  Dataset train = load("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "fashion-mnist-train");
  Dataset test = load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "fashion-mnist-test");
  return {std::move(train), std::move(test)};
}

}  // namespace sigma

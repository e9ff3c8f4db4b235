#include "ir/Type.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sigma {

const char* dtypeName(DType t) { return t == DType::F32 ? "f32" : "i32"; }

bool parseDType(const std::string& s, DType& out) {
  if (s == "f32") return out = DType::F32, true;
  if (s == "i32") return out = DType::I32, true;
  return false;
}

int64_t numElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> rowMajorStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::string shapeString(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::string TensorType::str() const { return dtypeName(dtype) + shapeString(shape); }

bool broadcastShapes(const Shape& a, const Shape& b, Shape& out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

bool broadcastsTo(const Shape& from, const Shape& to) {
  Shape out;
  return from.size() <= to.size() && broadcastShapes(from, to, out) && out == to;
}

}  // namespace sigma

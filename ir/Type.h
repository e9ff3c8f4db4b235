// Element types and static shapes, shared by the graph IR and the loop IR.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sigma {

enum class DType : uint8_t { F32, I32 };

const char* dtypeName(DType t);           // "f32", "i32"
bool parseDType(const std::string& s, DType& out);

using Shape = std::vector<int64_t>;

int64_t numElements(const Shape& shape);  // 1 for a scalar (rank 0)
std::vector<int64_t> rowMajorStrides(const Shape& shape);
std::string shapeString(const Shape& shape);  // "[4,3]"

// A tensor's static type: element type and shape. Printed as f32[4,3];
// a scalar is f32[].
struct TensorType {
  DType dtype = DType::F32;
  Shape shape;

  int64_t rank() const { return int64_t(shape.size()); }
  int64_t size() const { return numElements(shape); }
  std::string str() const;
  bool operator==(const TensorType&) const = default;
};

// NumPy broadcasting of two shapes; returns false when they do not broadcast.
bool broadcastShapes(const Shape& a, const Shape& b, Shape& out);
// True when `from` broadcasts to `to` (the inverse is a reduction to `from`).
bool broadcastsTo(const Shape& from, const Shape& to);

}  // namespace sigma

// Tensor types of the graph IR: an element type and a static shape whose
// dimensions may include the symbolic batch dimension B (kBatch).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::ir {

enum class DType { F32, F64, I32 };

/// The symbolic batch dimension; bound to the run-time batch size.
inline constexpr int64_t kBatch = -1;

struct Shape {
  std::vector<int64_t> dims;

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) : dims(d) {}
  explicit Shape(std::vector<int64_t> d) : dims(std::move(d)) {}

  size_t rank() const { return dims.size(); }
  bool isScalar() const { return dims.empty(); }
  bool hasBatch() const;
  /// Number of elements with B bound to `batch`.
  int64_t numElements(int64_t batch) const;
  /// "[B,4]" ; "[]" for scalars.
  std::string str() const;
  bool operator==(const Shape &) const = default;
};

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
  bool isVoid = false; // the type of effect ops (assign, output)

  static TensorType voidType() { return {DType::F32, {}, true}; }
  /// "f32[B,4]".
  std::string str() const;
  bool operator==(const TensorType &) const = default;
};

const char *dtypeName(DType t);
int64_t dtypeBytes(DType t);

} // namespace nnc::ir

// Tensor types of the graph IR: an element type and a static shape whose
// dimensions may include the symbolic batch dimension B (kBatch).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::ir {

enum class DType { F32, F64, I32 };

/// The symbolic batch dimension; bound to the run-time batch size.
inline constexpr int64_t kBatch = -1;

/// The most elements one tensor may have, B counted as 1: 2^40 (4 TiB of
/// f32). Its byte size then fits int64 at any batch size below 2^20; the
/// verifier and the front end refuse larger tensors (docs/language.md).
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

/// a * b, or nullopt if it overflows int64 (a, b >= 0).
std::optional<int64_t> checkedMul(int64_t a, int64_t b);

struct Shape {
  std::vector<int64_t> dims;

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) : dims(d) {}
  explicit Shape(std::vector<int64_t> d) : dims(std::move(d)) {}

  size_t rank() const { return dims.size(); }
  bool isScalar() const { return dims.empty(); }
  bool hasBatch() const;
  /// Number of elements with B bound to `batch`, or nullopt if it overflows int64.
  std::optional<int64_t> checkedNumElements(int64_t batch) const;
  /// The same, saturated at INT64_MAX (never wraps). Exact in any verified
  /// graph at batch sizes below 2^20 (kMaxTensorElements).
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
  /// Bytes with B bound to `batch`, saturated at INT64_MAX.
  int64_t bytes(int64_t batch) const;
  bool operator==(const TensorType &) const = default;
};

/// "" if `t` has at most kMaxTensorElements elements (B counted as 1), else
/// "f32[...] has 7.38e+19 elements (2.95e+20 bytes), more than the 2^40
/// (1099511627776) a tensor may have".
std::string tensorSizeError(const TensorType &t);
/// "4.8 GB" for 4800000000 bytes (decimal units, 3 significant digits).
std::string formatBytes(double bytes);

const char *dtypeName(DType t);
int64_t dtypeBytes(DType t);

} // namespace nnc::ir

#include "ir/types.h"

#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace nnc::ir {

bool Shape::hasBatch() const {
  for (int64_t d : dims)
    if (d == kBatch)
      return true;
  return false;
}

std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

std::optional<int64_t> Shape::checkedNumElements(int64_t batch) const {
  int64_t n = 1;
  for (int64_t d : dims) {
    std::optional<int64_t> m = checkedMul(n, d == kBatch ? batch : d);
    if (!m)
      return std::nullopt;
    n = *m;
  }
  return n;
}

int64_t Shape::numElements(int64_t batch) const {
  return checkedNumElements(batch).value_or(std::numeric_limits<int64_t>::max());
}

std::string Shape::str() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ",";
    s += dims[i] == kBatch ? "B" : std::to_string(dims[i]);
  }
  return s + "]";
}

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  }
  return "?";
}

int64_t dtypeBytes(DType t) { return t == DType::F64 ? 8 : 4; }

int64_t TensorType::bytes(int64_t batch) const {
  return checkedMul(shape.numElements(batch), dtypeBytes(dtype))
      .value_or(std::numeric_limits<int64_t>::max());
}

namespace {
/// An exact count below 2^53, else three significant digits: "7.38e+19".
std::string formatCount(double n) {
  return n < 9007199254740992.0 ? fmt::format("{}", (int64_t)n) : fmt::format("{:.3g}", n);
}
} // namespace

std::string formatBytes(double bytes) {
  const char *units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1000 && u < 6) {
    bytes /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} bytes", (int64_t)bytes)
                : fmt::format("{:.3g} {}", bytes, units[u]);
}

std::string tensorSizeError(const TensorType &t) {
  if (t.isVoid)
    return "";
  // In double, so that a product far beyond int64 is still named.
  double n = 1;
  for (int64_t d : t.shape.dims)
    n *= d == kBatch ? 1 : (double)d;
  if (n <= (double)kMaxTensorElements)
    return "";
  return fmt::format("{} has {} elements{} ({}), more than the 2^40 ({}) a tensor may have",
                     t.str(), formatCount(n), t.shape.hasBatch() ? " per sample" : "",
                     formatBytes(n * (double)dtypeBytes(t.dtype)), kMaxTensorElements);
}

std::string TensorType::str() const {
  if (isVoid)
    return "void";
  return std::string(dtypeName(dtype)) + shape.str();
}

} // namespace nnc::ir

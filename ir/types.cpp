#include "ir/types.h"

namespace nnc::ir {

bool Shape::hasBatch() const {
  for (int64_t d : dims)
    if (d == kBatch)
      return true;
  return false;
}

int64_t Shape::numElements(int64_t batch) const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d == kBatch ? batch : d;
  return n;
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
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  }
  return "?";
}

int64_t dtypeBytes(DType t) { return t == DType::F64 ? 8 : 4; }

std::string TensorType::str() const {
  if (isVoid)
    return "void";
  return std::string(dtypeName(dtype)) + shape.str();
}

} // namespace nnc::ir

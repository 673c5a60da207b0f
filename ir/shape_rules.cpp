#include "ir/shape_rules.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::ir {

namespace {
TypeOrError fail(std::string msg) { return {{}, std::move(msg)}; }
std::string dimStr(int64_t d) { return d == kBatch ? "B" : std::to_string(d); }
} // namespace

TypeOrError broadcastTypes(const TensorType &a, const TensorType &b, const char *verb) {
  if (a.dtype != b.dtype)
    return fail(fmt::format("cannot {} {} and {}: element types differ", verb, a.str(), b.str()));
  const auto &da = a.shape.dims, &db = b.shape.dims;
  size_t rank = std::max(da.size(), db.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - da.size() ? 1 : da[i - (rank - da.size())];
    int64_t y = i < rank - db.size() ? 1 : db[i - (rank - db.size())];
    if (x == y || y == 1)
      out[i] = x;
    else if (x == 1)
      out[i] = y;
    else
      return fail(fmt::format("cannot {} {} and {}: dimensions {} and {} do not broadcast", verb,
                              a.str(), b.str(), dimStr(x), dimStr(y)));
  }
  return {{a.dtype, Shape(out)}, ""};
}

TypeOrError binaryType(OpKind k, const TensorType &a, const TensorType &b) {
  const char *verb = k == OpKind::Add ? "add" : k == OpKind::Sub ? "subtract"
                   : k == OpKind::Mul ? "multiply elementwise" : k == OpKind::Div ? "divide"
                   : k == OpKind::Pow ? "raise" : k == OpKind::Maximum ? "take the maximum of"
                   : k == OpKind::Minimum ? "take the minimum of" : "compare";
  if (a.dtype == DType::I32 || b.dtype == DType::I32)
    return fail(fmt::format("cannot {} {} and {}: class ids are not numbers", verb, a.str(), b.str()));
  return broadcastTypes(a, b, verb);
}

TypeOrError matmulType(const TensorType &a, const TensorType &b) {
  auto err = [&](const std::string &why) {
    return fail(fmt::format("cannot multiply {} by {}: {}", a.str(), b.str(), why));
  };
  if (a.dtype != b.dtype || a.dtype == DType::I32)
    return err("element types must be the same float type");
  if (a.shape.rank() < 1 || a.shape.rank() > 2 || b.shape.rank() != 2)
    return err("'@' needs a vector or matrix on the left and a matrix on the right");
  int64_t ka = a.shape.dims.back(), kb = b.shape.dims[0];
  if (ka != kb)
    return err(fmt::format("inner dimensions {} and {} differ", dimStr(ka), dimStr(kb)));
  std::vector<int64_t> out;
  if (a.shape.rank() == 2)
    out.push_back(a.shape.dims[0]);
  out.push_back(b.shape.dims[1]);
  return {{a.dtype, Shape(out)}, ""};
}

TypeOrError reduceType(const TensorType &a, std::vector<int64_t> &axes, bool keepdims) {
  int64_t rank = (int64_t)a.shape.rank();
  for (auto &ax : axes) {
    if (ax < -rank || ax >= rank)
      return fail(fmt::format("axis {} is out of range for {} (rank {})", ax, a.str(), rank));
    if (ax < 0)
      ax += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return fail(fmt::format("an axis is repeated in the reduction of {}", a.str()));
  std::vector<int64_t> out;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), i);
    if (!reduced)
      out.push_back(a.shape.dims[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return {{a.dtype, Shape(out)}, ""};
}

TypeOrError reshapeType(const TensorType &a, const Shape &to) {
  if (a.shape.hasBatch() != to.hasBatch())
    return fail(fmt::format("cannot reshape {} to {}: the batch dimension must be kept",
                            a.str(), TensorType{a.dtype, to}.str()));
  if (a.shape.numElements(1) != to.numElements(1))
    return fail(fmt::format("cannot reshape {} to {}: element counts {} and {} differ", a.str(),
                            TensorType{a.dtype, to}.str(), a.shape.numElements(1),
                            to.numElements(1)));
  return {{a.dtype, to}, ""};
}

TypeOrError selectType(const TensorType &mask, const TensorType &a, const TensorType &b) {
  TypeOrError ab = broadcastTypes(a, b, "select between");
  if (!ab.ok())
    return ab;
  TensorType m = mask;
  m.dtype = ab.type.dtype;
  return broadcastTypes(m, ab.type, "select with mask");
}

namespace {
bool normalizeAxis(int64_t &axis, size_t rank) {
  int64_t r = (int64_t)rank;
  if (axis < -r || axis >= r)
    return false;
  if (axis < 0)
    axis += r;
  return true;
}
} // namespace

TypeOrError concatType(const std::vector<TensorType> &parts, int64_t &axis) {
  if (parts.empty())
    return fail("concat needs at least one tensor");
  const TensorType &first = parts[0];
  if (!normalizeAxis(axis, first.shape.rank()))
    return fail(fmt::format("axis {} is out of range for {} (rank {})", axis, first.str(),
                            first.shape.rank()));
  std::vector<int64_t> out = first.shape.dims;
  if (out[axis] == kBatch)
    return fail(fmt::format("cannot concatenate along the batch dimension of {}", first.str()));
  for (size_t i = 1; i < parts.size(); ++i) {
    const TensorType &p = parts[i];
    bool same = p.dtype == first.dtype && p.shape.rank() == first.shape.rank();
    for (size_t d = 0; same && d < out.size(); ++d)
      same = (int64_t)d == axis ? p.shape.dims[d] != kBatch : p.shape.dims[d] == first.shape.dims[d];
    if (!same)
      return fail(fmt::format("cannot concatenate {} and {} along axis {}: other dimensions "
                              "must match",
                              first.str(), p.str(), axis));
    if (__builtin_add_overflow(out[axis], p.shape.dims[axis], &out[axis]))
      return fail(fmt::format("cannot concatenate {} parts along axis {}: the result would have "
                              "more than 2^63 rows",
                              parts.size(), axis));
  }
  return {{first.dtype, Shape(out)}, ""};
}

TypeOrError sliceType(const TensorType &x, int64_t &axis, int64_t start, int64_t size) {
  if (!normalizeAxis(axis, x.shape.rank()))
    return fail(fmt::format("axis {} is out of range for {} (rank {})", axis, x.str(),
                            x.shape.rank()));
  int64_t extent = x.shape.dims[axis];
  int64_t end = 0;
  bool wraps = __builtin_add_overflow(start, size, &end);
  if (extent == kBatch || start < 0 || size < 1 || wraps || end > extent)
    return fail(
        wraps ? fmt::format("cannot slice {} elements from {} along axis {} of {}", size, start,
                            axis, x.str())
              : fmt::format("cannot slice [{}:{}] along axis {} of {}", start, end, axis, x.str()));
  std::vector<int64_t> out = x.shape.dims;
  out[axis] = size;
  return {{x.dtype, Shape(out)}, ""};
}

TypeOrError crossEntropyType(const TensorType &logits, const TensorType &labels) {
  if (logits.dtype == DType::I32 || logits.shape.rank() != 2)
    return fail(fmt::format("cross_entropy needs logits of shape f32[B,K], got {}", logits.str()));
  if (labels.dtype != DType::I32 || labels.shape.rank() != 1 ||
      labels.shape.dims[0] != logits.shape.dims[0])
    return fail(fmt::format("cross_entropy needs class ids i32[{}] (a `label`) for logits {}, got {}",
                            logits.shape.dims[0] == kBatch ? "B" : std::to_string(logits.shape.dims[0]),
                            logits.str(), labels.str()));
  return {{logits.dtype, Shape({logits.shape.dims[0]})}, ""};
}

} // namespace nnc::ir

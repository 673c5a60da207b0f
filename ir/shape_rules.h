// Shape rules of the graph IR. Each returns the result type or a message
// naming both shapes and the rule broken; the front end turns the message
// into a located diagnostic, the Builder asserts it is empty.
#pragma once
#include "ir/graph.h"

#include <string>

namespace nnc::ir {

struct TypeOrError {
  TensorType type;
  std::string error; // empty on success
  bool ok() const { return error.empty(); }
};

/// NumPy broadcasting of two shapes (B broadcasts only with B or 1).
TypeOrError broadcastTypes(const TensorType &a, const TensorType &b, const char *verb);
/// Type of an elementwise binary op `k` on a and b.
TypeOrError binaryType(OpKind k, const TensorType &a, const TensorType &b);
/// [M,K] @ [K,N] -> [M,N]; also [K] @ [K,N] -> [N].
TypeOrError matmulType(const TensorType &a, const TensorType &b);
/// Reduction over `axes` (negative counts from the end).
TypeOrError reduceType(const TensorType &a, std::vector<int64_t> &axes, bool keepdims);
/// Reshape to `to`, which may hold one kBatch that matches a's batch dimension.
TypeOrError reshapeType(const TensorType &a, const Shape &to);
/// select(mask, a, b): the three broadcast together; all float.
TypeOrError selectType(const TensorType &mask, const TensorType &a, const TensorType &b);
/// Concatenation along `axis` (negative counts from the end; normalized in place).
TypeOrError concatType(const std::vector<TensorType> &parts, int64_t &axis);
/// x[start : start+size] along `axis` (normalized in place).
TypeOrError sliceType(const TensorType &x, int64_t &axis, int64_t start, int64_t size);
/// Window ops (ops.def; shape_rules_window.cpp). x is [B,C,H,W] (B may be
/// the batch dimension), a filter [F,C,KH,KW]; `win` holds the stride and
/// padding (and for pooling the window; a convolution's comes from the
/// filter and is written into win). Errors name both shapes.
TypeOrError conv2dType(const TensorType &x, const TensorType &w, Window2D &win);
TypeOrError pool2dType(const TensorType &x, const Window2D &win, const char *op);
/// Gradient ops: the result type `result` (the forward op's operand) is
/// checked against g: the forward op on `result` must give g's shape.
TypeOrError conv2dGradInputType(const TensorType &g, const TensorType &w, Window2D win,
                                const TensorType &result);
TypeOrError conv2dGradFilterType(const TensorType &x, const TensorType &g, Window2D win,
                                 const TensorType &result);
TypeOrError pool2dGradType(const TensorType &g, const Window2D &win, const TensorType &result,
                           const char *op);
/// softmax_cross_entropy(logits f32[B,K], labels i32[B]).
TypeOrError crossEntropyType(const TensorType &logits, const TensorType &labels);

} // namespace nnc::ir

// Builder: appends typed nodes to a Graph. Shapes must already be valid
// (check them first with shape_rules.h); a violation is an internal error.
#pragma once
#include "ir/graph.h"

namespace nnc::ir {

class Builder {
public:
  explicit Builder(Graph &g) : g_(g) {}

  Graph &graph() { return g_; }
  /// Location stamped on every node created from now on.
  void setLoc(SourceLoc loc) { loc_ = std::move(loc); }

  Node *input(const std::string &name, TensorType type, int64_t classes = 0);
  Node *param(const std::string &name, TensorType type, Initializer init);
  Node *state(const std::string &name, TensorType type, Initializer init);
  /// A constant: a scalar, or a splat of `v` over `shape`.
  Node *constant(double v, DType t = DType::F32, Shape shape = {});
  Node *batchSize(DType t = DType::F32);

  Node *unary(OpKind k, Node *x);
  Node *binary(OpKind k, Node *a, Node *b);
  Node *add(Node *a, Node *b) { return binary(OpKind::Add, a, b); }
  Node *sub(Node *a, Node *b) { return binary(OpKind::Sub, a, b); }
  Node *mul(Node *a, Node *b) { return binary(OpKind::Mul, a, b); }
  Node *div(Node *a, Node *b) { return binary(OpKind::Div, a, b); }
  Node *neg(Node *x) { return unary(OpKind::Neg, x); }

  Node *select(Node *mask, Node *a, Node *b);
  Node *matmul(Node *a, Node *b);
  Node *transpose(Node *x);
  Node *reshape(Node *x, Shape to);
  Node *broadcast(Node *x, Shape to);
  Node *reduceSum(Node *x, std::vector<int64_t> axes, bool keepdims);
  Node *reduceMax(Node *x, std::vector<int64_t> axes, bool keepdims);
  Node *concat(const std::vector<Node *> &parts, int64_t axis);
  Node *slice(Node *x, int64_t axis, int64_t start, int64_t size);
  /// 0 or 1/(1-rate) per element of `shape`, redrawn each training step
  /// (`step` is a scalar counter); multiply by it for inverted dropout.
  Node *dropoutMask(Node *step, Shape shape, double rate, uint64_t seed);
  /// A tensor of `shape` filled with `v`.
  Node *full(double v, Shape shape, DType t = DType::F32);
  /// Sums a broadcast gradient `g` back to `shape` (inverse of broadcasting).
  Node *sumTo(Node *g, const Shape &shape);
  /// Mean of all elements (B counted at run time).
  Node *meanAll(Node *x);
  /// Window ops (ops.def): `win` gives stride and padding (and the pool's
  /// window; a convolution's is the filter's).
  Node *conv2d(Node *x, Node *w, Window2D win);
  Node *conv2dGradInput(Node *g, Node *w, const Window2D &win, const TensorType &xType);
  Node *conv2dGradFilter(Node *x, Node *g, const Window2D &win, const TensorType &wType);
  Node *maxPool2d(Node *x, const Window2D &win);
  Node *maxPool2dGrad(Node *x, Node *g, const Window2D &win);
  Node *avgPool2d(Node *x, const Window2D &win);
  Node *avgPool2dGrad(Node *g, const Window2D &win, const TensorType &xType);
  Node *softmax(Node *x);
  Node *softmaxCrossEntropy(Node *logits, Node *labels);
  Node *softmaxCrossEntropyGrad(Node *logits, Node *labels, Node *dloss);

  Node *output(const std::string &name, Node *v);
  Node *assign(Node *target, Node *v);

private:
  Node *make(OpKind k, TensorType t, std::vector<Node *> ops);
  Graph &g_;
  SourceLoc loc_;
};

} // namespace nnc::ir

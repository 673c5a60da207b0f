#include "ir/builder.h"

#include "ir/shape_rules.h"

#include <cassert>
#include <stdexcept>

namespace nnc::ir {

namespace {
TensorType check(const TypeOrError &t) {
  if (!t.ok())
    throw std::logic_error("internal error: IR builder: " + t.error);
  return t.type;
}
} // namespace

Node *Builder::make(OpKind k, TensorType t, std::vector<Node *> ops) {
  Node *n = g_.append(k, std::move(t), std::move(ops));
  n->loc = loc_;
  return n;
}

Node *Builder::input(const std::string &name, TensorType type, int64_t classes) {
  Node *n = make(OpKind::Input, std::move(type), {});
  n->name = name;
  n->classes = classes;
  return n;
}

Node *Builder::param(const std::string &name, TensorType type, Initializer init) {
  Node *n = make(OpKind::Param, std::move(type), {});
  n->name = name;
  n->init = init;
  return n;
}

Node *Builder::state(const std::string &name, TensorType type, Initializer init) {
  Node *n = make(OpKind::State, std::move(type), {});
  n->name = name;
  n->init = init;
  return n;
}

Node *Builder::constant(double v, DType t, Shape shape) {
  Node *n = make(OpKind::Constant, {t, std::move(shape)}, {});
  n->scalar = v;
  return n;
}

Node *Builder::batchSize(DType t) { return make(OpKind::BatchSize, {t, {}}, {}); }

Node *Builder::unary(OpKind k, Node *x) {
  assert(isElementwiseUnary(k));
  return make(k, x->type, {x});
}

Node *Builder::binary(OpKind k, Node *a, Node *b) {
  assert(isElementwiseBinary(k));
  return make(k, check(binaryType(k, a->type, b->type)), {a, b});
}

Node *Builder::select(Node *mask, Node *a, Node *b) {
  return make(OpKind::Select, check(selectType(mask->type, a->type, b->type)), {mask, a, b});
}

Node *Builder::concat(const std::vector<Node *> &parts, int64_t axis) {
  std::vector<TensorType> types;
  for (Node *p : parts)
    types.push_back(p->type);
  TensorType t = check(concatType(types, axis));
  if (parts.size() == 1)
    return parts[0];
  Node *n = make(OpKind::Concat, t, parts);
  n->axes = {axis};
  return n;
}

Node *Builder::slice(Node *x, int64_t axis, int64_t start, int64_t size) {
  TensorType t = check(sliceType(x->type, axis, start, size));
  if (t == x->type)
    return x;
  Node *n = make(OpKind::Slice, t, {x});
  n->axes = {axis};
  n->start = start;
  return n;
}

Node *Builder::dropoutMask(Node *step, Shape shape, double rate, uint64_t seed) {
  assert(step->shape().isScalar() && rate >= 0 && rate < 1);
  Node *n = make(OpKind::DropoutMask, {step->type.dtype, std::move(shape)}, {step});
  n->scalar = rate;
  n->seed = seed;
  return n;
}

Node *Builder::full(double v, Shape shape, DType t) { return constant(v, t, std::move(shape)); }

namespace {
Node *withWindow(Node *n, const Window2D &win) {
  n->win = win;
  return n;
}
} // namespace

Node *Builder::conv2d(Node *x, Node *w, Window2D win) {
  TensorType t = check(conv2dType(x->type, w->type, win));
  return withWindow(make(OpKind::Conv2D, t, {x, w}), win);
}

Node *Builder::conv2dGradInput(Node *g, Node *w, const Window2D &win, const TensorType &xType) {
  TensorType t = check(conv2dGradInputType(g->type, w->type, win, xType));
  return withWindow(make(OpKind::Conv2DGradInput, t, {g, w}), win);
}

Node *Builder::conv2dGradFilter(Node *x, Node *g, const Window2D &win, const TensorType &wType) {
  TensorType t = check(conv2dGradFilterType(x->type, g->type, win, wType));
  return withWindow(make(OpKind::Conv2DGradFilter, t, {x, g}), win);
}

Node *Builder::maxPool2d(Node *x, const Window2D &win) {
  return withWindow(make(OpKind::MaxPool2D, check(pool2dType(x->type, win, "max_pool2d")), {x}), win);
}

Node *Builder::maxPool2dGrad(Node *x, Node *g, const Window2D &win) {
  TensorType t = check(pool2dGradType(g->type, win, x->type, "max_pool2d_grad"));
  return withWindow(make(OpKind::MaxPool2DGrad, t, {x, g}), win);
}

Node *Builder::avgPool2d(Node *x, const Window2D &win) {
  return withWindow(make(OpKind::AvgPool2D, check(pool2dType(x->type, win, "avg_pool2d")), {x}), win);
}

Node *Builder::avgPool2dGrad(Node *g, const Window2D &win, const TensorType &xType) {
  TensorType t = check(pool2dGradType(g->type, win, xType, "avg_pool2d_grad"));
  return withWindow(make(OpKind::AvgPool2DGrad, t, {g}), win);
}

Node *Builder::matmul(Node *a, Node *b) {
  return make(OpKind::MatMul, check(matmulType(a->type, b->type)), {a, b});
}

Node *Builder::transpose(Node *x) {
  assert(x->shape().rank() == 2);
  Shape s({x->shape().dims[1], x->shape().dims[0]});
  return make(OpKind::Transpose, {x->type.dtype, s}, {x});
}

Node *Builder::reshape(Node *x, Shape to) {
  if (x->shape() == to)
    return x;
  return make(OpKind::Reshape, check(reshapeType(x->type, to)), {x});
}

Node *Builder::broadcast(Node *x, Shape to) {
  if (x->shape() == to)
    return x;
  TensorType t{x->type.dtype, to};
  assert(broadcastTypes(x->type, t, "broadcast").type == t);
  return make(OpKind::Broadcast, t, {x});
}

Node *Builder::reduceSum(Node *x, std::vector<int64_t> axes, bool keepdims) {
  TensorType t = check(reduceType(x->type, axes, keepdims));
  Node *n = make(OpKind::ReduceSum, t, {x});
  n->axes = std::move(axes);
  n->keepdims = keepdims;
  return n;
}

Node *Builder::reduceMax(Node *x, std::vector<int64_t> axes, bool keepdims) {
  TensorType t = check(reduceType(x->type, axes, keepdims));
  Node *n = make(OpKind::ReduceMax, t, {x});
  n->axes = std::move(axes);
  n->keepdims = keepdims;
  return n;
}

Node *Builder::sumTo(Node *g, const Shape &shape) {
  if (g->shape() == shape)
    return g;
  const auto &gd = g->shape().dims;
  size_t lead = gd.size() - shape.rank();
  std::vector<int64_t> axes;
  for (size_t i = 0; i < gd.size(); ++i)
    if (i < lead || (shape.dims[i - lead] == 1 && gd[i] != 1))
      axes.push_back((int64_t)i);
  Node *r = axes.empty() ? g : reduceSum(g, axes, /*keepdims=*/true);
  return reshape(r, shape);
}

Node *Builder::meanAll(Node *x) {
  std::vector<int64_t> axes;
  for (size_t i = 0; i < x->shape().rank(); ++i)
    axes.push_back((int64_t)i);
  Node *sum = axes.empty() ? x : reduceSum(x, axes, false);
  int64_t fixed = 1;
  for (int64_t d : x->shape().dims)
    if (d != kBatch)
      fixed *= d;
  Node *count;
  if (!x->shape().hasBatch())
    count = constant((double)fixed, x->type.dtype);
  else if (fixed == 1)
    count = batchSize(x->type.dtype);
  else
    count = mul(batchSize(x->type.dtype), constant((double)fixed, x->type.dtype));
  return div(sum, count);
}

Node *Builder::softmax(Node *x) { return make(OpKind::Softmax, x->type, {x}); }

Node *Builder::softmaxCrossEntropy(Node *logits, Node *labels) {
  return make(OpKind::SoftmaxCrossEntropy, check(crossEntropyType(logits->type, labels->type)),
              {logits, labels});
}

Node *Builder::softmaxCrossEntropyGrad(Node *logits, Node *labels, Node *dloss) {
  return make(OpKind::SoftmaxCrossEntropyGrad, logits->type, {logits, labels, dloss});
}

Node *Builder::output(const std::string &name, Node *v) {
  Node *n = make(OpKind::Output, TensorType::voidType(), {v});
  n->name = name;
  return n;
}

Node *Builder::assign(Node *target, Node *v) {
  assert(target->kind == OpKind::Param || target->kind == OpKind::State);
  assert(target->type == v->type);
  return make(OpKind::Assign, TensorType::voidType(), {target, v});
}

} // namespace nnc::ir

#include "ir/node_type.h"

#include <cmath>
#include <fmt/format.h>

namespace nnc::ir {

namespace {

TypeOrError fail(std::string msg) { return {{}, std::move(msg)}; }
TypeOrError ok(TensorType t) { return {std::move(t), ""}; }

std::string axesStr(const std::vector<int64_t> &axes) {
  return fmt::format("[{}]", fmt::join(axes, ","));
}

TypeOrError leafType(const Node &n) {
  if (n.type.isVoid)
    return fail(fmt::format("'{}' needs a tensor type", opName(n.kind)));
  if (n.kind == OpKind::Input && n.classes < 0)
    return fail(fmt::format("classes={} must not be negative", n.classes));
  if (n.kind == OpKind::Input && n.classes > 0 && n.type.dtype != DType::I32)
    return fail(fmt::format("an input with classes= holds class ids: its type must be i32, "
                            "got {}",
                            n.type.str()));
  // Class ids are whole numbers: an i32 constant holds one in i32's range
  // (codegen stores it as an integer).
  if (n.kind == OpKind::Constant && n.type.dtype == DType::I32 &&
      !(n.scalar == std::trunc(n.scalar) && n.scalar >= -2147483648.0 && n.scalar <= 2147483647.0))
    return fail(
        fmt::format("an i32 constant must be a whole number in [-2^31, 2^31), got {}", n.scalar));
  if (n.kind == OpKind::BatchSize && !n.type.shape.isScalar())
    return ok({n.type.dtype, {}}); // a scalar; a shaped annotation disagrees
  return ok(n.type);
}

TypeOrError unaryType(const Node &n, const TensorType &x) {
  if (x.dtype == DType::I32)
    return fail(
        fmt::format("cannot apply {} to {}: class ids are not numbers", opName(n.kind), x.str()));
  return ok(x);
}

TypeOrError transposeType(const TensorType &x) {
  if (x.shape.rank() != 2)
    return fail(fmt::format("transpose needs a 2-D tensor, got {}", x.str()));
  return ok({x.dtype, Shape({x.shape.dims[1], x.shape.dims[0]})});
}

TypeOrError broadcastToType(const TensorType &x, const Shape &to) {
  TensorType target{x.dtype, to};
  TypeOrError r = broadcastTypes(x, target, "broadcast");
  if (r.ok() && r.type != target)
    return fail(fmt::format("cannot broadcast {} to {}", x.str(), target.str()));
  return r;
}

TypeOrError reduceNodeType(const Node &n, const TensorType &x) {
  std::vector<int64_t> axes = n.axes;
  TypeOrError r = reduceType(x, axes, n.keepdims);
  if (r.ok() && axes != n.axes)
    return fail(fmt::format("axes={} must be sorted, distinct and in [0, {})", axesStr(n.axes),
                            x.shape.rank()));
  return r;
}

TypeOrError concatNodeType(const Node &n) {
  if (n.axes.size() != 1)
    return fail("concat needs one axis");
  std::vector<TensorType> parts;
  for (const Node *p : n.operands)
    parts.push_back(p->type);
  int64_t axis = n.axes[0];
  TypeOrError r = concatType(parts, axis);
  if (r.ok() && axis != n.axes[0])
    return fail(fmt::format("axis={} must be in [0, {})", n.axes[0], parts[0].shape.rank()));
  return r;
}

TypeOrError sliceNodeType(const Node &n, const TensorType &x) {
  if (n.axes.size() != 1)
    return fail("slice needs one axis");
  int64_t axis = n.axes[0], rank = (int64_t)x.shape.rank();
  if (axis < 0 || axis >= rank)
    return fail(fmt::format("axis={} must be in [0, {})", axis, rank));
  if (n.type.shape.rank() != x.shape.rank())
    return fail(
        fmt::format("a slice of {} must have rank {}, got {}", x.str(), rank, n.type.str()));
  return sliceType(x, axis, n.start, n.type.shape.dims[axis]);
}

TypeOrError dropoutMaskType(const Node &n, const TensorType &step) {
  if (step.dtype == DType::I32 || !step.shape.isScalar())
    return fail(fmt::format("dropout_mask needs a float scalar step counter, got {}", step.str()));
  if (!(n.scalar >= 0 && n.scalar < 1))
    return fail(fmt::format("rate={} must be in [0, 1)", n.scalar));
  return ok({step.dtype, n.type.shape});
}

TypeOrError softmaxType(const TensorType &x) {
  if (x.dtype == DType::I32 || x.shape.rank() < 1)
    return fail(fmt::format("softmax needs a float tensor of rank 1 or more, got {}", x.str()));
  return ok(x);
}

TypeOrError crossEntropyGradType(const Node &n) {
  const TensorType &logits = n.operand(0)->type, &dloss = n.operand(2)->type;
  TypeOrError r = crossEntropyType(logits, n.operand(1)->type);
  if (r.ok() && dloss != r.type)
    return fail(fmt::format("softmax_cross_entropy_grad needs dloss of type {} for logits {}, "
                            "got {}",
                            r.type.str(), logits.str(), dloss.str()));
  return r.ok() ? ok(logits) : r;
}

TypeOrError assignType(const Node &n) {
  const Node *target = n.operand(0), *value = n.operand(1);
  if (target->kind != OpKind::Param && target->kind != OpKind::State)
    return fail(fmt::format("assign writes a param or state, not the result of '{}'",
                            opName(target->kind)));
  if (target->type != value->type)
    return fail(fmt::format("cannot assign {} to {} \"{}\" of type {}", value->type.str(),
                            opName(target->kind), target->name, target->type.str()));
  return ok(TensorType::voidType());
}

} // namespace

TypeOrError inferNodeType(const Node &n) {
  auto x = [&]() -> const TensorType & { return n.operand(0)->type; };
  if (isElementwiseUnary(n.kind))
    return unaryType(n, x());
  if (isElementwiseBinary(n.kind))
    return binaryType(n.kind, x(), n.operand(1)->type);
  switch (n.kind) {
  case OpKind::Input:
  case OpKind::Param:
  case OpKind::State:
  case OpKind::Constant:
  case OpKind::BatchSize:
    return leafType(n);
  case OpKind::Select:
    return selectType(x(), n.operand(1)->type, n.operand(2)->type);
  case OpKind::MatMul:
    return matmulType(x(), n.operand(1)->type);
  case OpKind::Transpose:
    return transposeType(x());
  case OpKind::Reshape:
    return reshapeType(x(), n.type.shape);
  case OpKind::Broadcast:
    return broadcastToType(x(), n.type.shape);
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
    return reduceNodeType(n, x());
  case OpKind::Concat:
    return concatNodeType(n);
  case OpKind::Slice:
    return sliceNodeType(n, x());
  case OpKind::DropoutMask:
    return dropoutMaskType(n, x());
  case OpKind::Conv2D: {
    Window2D win = n.win;
    TypeOrError t = conv2dType(x(), n.operand(1)->type, win);
    if (t.ok() && !(win == n.win))
      return fail(fmt::format("conv2d's window {}x{} must be the filter's {}x{}", n.win.kh, n.win.kw,
                              win.kh, win.kw));
    return t;
  }
  case OpKind::Conv2DGradInput:
    return conv2dGradInputType(x(), n.operand(1)->type, n.win, n.type);
  case OpKind::Conv2DGradFilter:
    return conv2dGradFilterType(x(), n.operand(1)->type, n.win, n.type);
  case OpKind::MaxPool2D:
    return pool2dType(x(), n.win, "max_pool2d");
  case OpKind::AvgPool2D:
    return pool2dType(x(), n.win, "avg_pool2d");
  case OpKind::MaxPool2DGrad: {
    TypeOrError t = pool2dGradType(n.operand(1)->type, n.win, x(), "max_pool2d_grad");
    return t;
  }
  case OpKind::AvgPool2DGrad:
    return pool2dGradType(x(), n.win, n.type, "avg_pool2d_grad");
  case OpKind::Softmax:
    return softmaxType(x());
  case OpKind::SoftmaxCrossEntropy:
    return crossEntropyType(x(), n.operand(1)->type);
  case OpKind::SoftmaxCrossEntropyGrad:
    return crossEntropyGradType(n);
  case OpKind::Assign:
    return assignType(n);
  case OpKind::Output:
    return ok(TensorType::voidType());
  default:
    return fail(fmt::format("no type rule for '{}'", opName(n.kind)));
  }
}

} // namespace nnc::ir

// Reductions, and max/min of two tensors:
//   sum(x, axis, keepdims: false)   over `axis`: an integer or a list; negative
//                                   counts from the end; axis 0 is the batch
//                                   when x has one. No axis: all elements.
//   mean(x, axis, keepdims: false)  sum / number of elements summed (B counted
//                                   at run time when the batch axis is reduced)
//   max(x, axis: a, keepdims), min(x, axis: a, keepdims)   min = -max(-x)
//   max(a, b), min(a, b)            elementwise, NumPy broadcasting (torch.maximum)
// Errors: an axis out of range for x (naming its shape), an axis listed twice,
// max/min given both a second tensor and an axis.
#include "frontend/builtin.h"
#include "frontend/constants.h"
#include "ir/shape_rules.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// The axes of `x` named by `arg` (all axes if absent), normalized and sorted.
std::optional<std::vector<int64_t>> readAxes(LoweringContext &cx, const ast::Expr &call,
                                             const ast::Expr *arg, const ir::Node *x) {
  int64_t rank = (int64_t)x->shape().rank();
  std::vector<int64_t> axes;
  if (!arg) {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  auto list = constantIntList(cx, *arg, fmt::format("the axis of {}", call.text));
  if (!list)
    return std::nullopt;
  if (list->empty()) {
    cx.error(arg->span, fmt::format("{} needs at least one axis", call.text));
    return std::nullopt;
  }
  for (int64_t a : *list) {
    if (a < -rank || a >= rank) {
      cx.error(arg->span,
               rank == 0 ? fmt::format("axis {} is out of range: {} is a scalar", a, x->type.str())
                         : fmt::format("axis {} is out of range for {}, whose axes are 0 to {} "
                                       "(or -{} to -1)",
                                       a, x->type.str(), rank - 1, rank));
      return std::nullopt;
    }
    int64_t axis = a < 0 ? a + rank : a;
    if (std::find(axes.begin(), axes.end(), axis) != axes.end()) {
      cx.error(arg->span, fmt::format("axis {} of {} is listed twice", axis, x->type.str()));
      return std::nullopt;
    }
    axes.push_back(axis);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

std::optional<bool> keepdimsArg(LoweringContext &cx, const ast::Expr *arg) {
  if (!arg)
    return false;
  return constantBool(cx, *arg, "keepdims");
}

/// sum, mean, max or min (`kind`) of `x` over `axes`.
ir::Node *reduce(LoweringContext &cx, const std::string &kind, ir::Node *x,
                 const std::vector<int64_t> &axes, bool keepdims) {
  ir::Builder &b = cx.builder;
  if (axes.empty())
    return x; // a scalar: nothing to reduce
  if (kind == "max")
    return b.reduceMax(x, axes, keepdims);
  if (kind == "min")
    return b.neg(b.reduceMax(b.neg(x), axes, keepdims));
  if (kind == "mean" && !keepdims && axes.size() == x->shape().rank())
    return b.meanAll(x);
  ir::Node *sum = b.reduceSum(x, axes, keepdims);
  if (kind == "sum")
    return sum;
  int64_t count = 1;
  bool batch = false;
  for (int64_t a : axes) {
    int64_t d = x->shape().dims[a];
    batch |= d == ir::kBatch;
    count = ir::checkedMul(count, d == ir::kBatch ? 1 : d).value_or(count);
  }
  if (!batch)
    return count == 1 ? sum : b.div(sum, b.constant((double)count));
  ir::Node *n = count == 1 ? b.batchSize() : b.mul(b.batchSize(), b.constant((double)count));
  return b.div(sum, n);
}

/// sum(x, axis, keepdims) and mean(...).
ir::Node *lowerReduction(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  if (!x || !requireFloat(cx, x, call.opSpan, call.text))
    return nullptr;
  auto axes = readAxes(cx, call, args[1], x);
  auto keepdims = keepdimsArg(cx, args[2]);
  if (!axes || !keepdims)
    return nullptr;
  cx.setLoc(call.opSpan);
  return reduce(cx, call.text, x, *axes, *keepdims);
}

/// max(x, y) / min(x, y) elementwise, or max(x, axis, keepdims) / min(...).
ir::Node *lowerMaxMin(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  if (!x || !requireFloat(cx, x, call.opSpan, call.text))
    return nullptr;
  if (!args[1]) {
    auto axes = readAxes(cx, call, args[2], x);
    auto keepdims = keepdimsArg(cx, args[3]);
    if (!axes || !keepdims)
      return nullptr;
    cx.setLoc(call.opSpan);
    return reduce(cx, call.text, x, *axes, *keepdims);
  }
  if (args[2] || args[3]) {
    const ast::Expr *extra = args[2] ? args[2] : args[3];
    cx.error(extra->span, fmt::format("{0} takes a second tensor ({0}(a, b), elementwise) or an "
                                      "axis ({0}(x, axis: 1), a reduction), not both",
                                      call.text));
    return nullptr;
  }
  ir::Node *y = tensorArg(cx, args[1]);
  if (!y || !requireFloat(cx, y, call.opSpan, call.text))
    return nullptr;
  ir::OpKind kind = call.text == "max" ? ir::OpKind::Maximum : ir::OpKind::Minimum;
  ir::TypeOrError t = ir::binaryType(kind, x->type, y->type);
  if (!t.ok()) {
    cx.error(call.opSpan, t.error);
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.binary(kind, x, y);
}

} // namespace

std::vector<Builtin> reductionBuiltins() {
  const std::vector<ParamSpec> reduction = {{"x"}, {"axis", false}, {"keepdims", false}};
  const std::vector<ParamSpec> maxMin = {{"x"}, {"y", false}, {"axis", false}, {"keepdims", false}};
  return {
      {"sum", reduction, lowerReduction},
      {"mean", reduction, lowerReduction},
      {"max", maxMin, lowerMaxMin},
      {"min", maxMin, lowerMaxMin},
  };
}

} // namespace nnc::frontend

// -constfold: an op whose operands are all constants becomes a constant of
// its own type (in place), when the value the runtime would compute is
// known exactly:
//   - neg, abs, relu, add, sub, mul, div, sqrt: IEEE operations, computed in
//     double and rounded to float32 (for these, correctly rounded: double has
//     more than twice float32's precision); overflow gives inf, as float32
//     arithmetic does; maximum, minimum (NaN-propagating, -0 < +0, as
//     llvm.maximum/minimum), greater (0 when unordered), select (a NaN mask
//     selects, as the runtime's `mask != 0`);
//   - broadcast, reshape, transpose, slice of a splat, and concat of equal
//     splats: the same splat over the result's shape;
//   - reduce_max of a splat over a static, non-empty extent: the value;
//   - reduce_sum of a splat of zero: +0 (the runtime's sum starts at +0);
//     of any other splat only with PassContext::allowReassociation over a
//     static extent (n*c is not what a sequential float sum gives).
// Not folded: exp, log, tanh, sigmoid, erf, pow, softmax, ... (libm and
// vector math may round differently from the host), matmul; ops with a
// batch_size operand (B is known at run time only); dropout masks; and
// results that are NaN (the runtime's NaN bits are the hardware's). A value
// an i32 node cannot hold exactly is never folded.
//
// Params and states are never folded, not even with
// PassContext::paramsAreConstant: their values are not in the graph, so an
// op on them cannot become a splat. An inference build with baked weights
// precomputes ops on params with their values instead
// (tools/nnc/fold_baked_weights.h).
#include "ir/pass_registry.h"
#include "ir/passes/rewrite.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>

namespace nnc::ir::passes {

namespace {

double ieeeMaximum(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return NAN;
  if (a == b) // +0 and -0: +0
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double ieeeMinimum(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return NAN;
  if (a == b) // +0 and -0: -0
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

/// Elements along the reduced axes of `n`'s operand, or nullopt when one of
/// them is the batch dimension.
std::optional<double> reducedCount(const Node &n) {
  double count = 1;
  for (int64_t axis : n.axes) {
    int64_t d = n.operand(0)->shape().dims[axis];
    if (d == kBatch)
      return std::nullopt;
    count *= (double)d;
  }
  return count;
}

/// The value of `n` (whose operands are constants) as a double of n's
/// element type, or nullopt when it is not to be folded.
std::optional<double> evaluate(const Node &n, const PassContext &ctx) {
  auto v = [&](size_t i) { return constantValue(*n.operand(i)); };
  switch (n.kind) {
  // Copies of a splat keep its value.
  case OpKind::Broadcast:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::Slice:
    return n.operand(0)->scalar;
  case OpKind::Concat:
    for (const Node *p : n.operands)
      if (std::bit_cast<uint64_t>(constantValue(*p)) != std::bit_cast<uint64_t>(v(0)))
        return std::nullopt;
    return n.operand(0)->scalar;
  default:
    break;
  }
  // Arithmetic: float operands and results only.
  if (n.type.dtype == DType::I32)
    return std::nullopt;
  for (const Node *op : n.operands)
    if (op->type.dtype == DType::I32)
      return std::nullopt;
  switch (n.kind) {
  case OpKind::Neg: return -v(0);
  case OpKind::Abs: return std::fabs(v(0));
  case OpKind::Relu: return v(0) <= 0 ? 0.0 : v(0); // x <= 0 ? +0 : x; NaN stays
  case OpKind::Sqrt: return std::sqrt(v(0));
  case OpKind::Add: return v(0) + v(1);
  case OpKind::Sub: return v(0) - v(1);
  case OpKind::Mul: return v(0) * v(1);
  case OpKind::Div: return v(0) / v(1);
  case OpKind::Maximum: return ieeeMaximum(v(0), v(1));
  case OpKind::Minimum: return ieeeMinimum(v(0), v(1));
  case OpKind::Greater: return v(0) > v(1) ? 1.0 : 0.0;
  case OpKind::Select: return v(0) != 0 ? v(1) : v(2); // unordered != : NaN selects a
  case OpKind::ReduceMax: {
    std::optional<double> count = reducedCount(n);
    if (!count || *count < 1 || std::isnan(v(0)))
      return std::nullopt; // the runtime's max starts at -inf and skips NaN
    return v(0);
  }
  case OpKind::ReduceSum: {
    if (v(0) == 0)
      return 0.0; // +0 + (+-0) + ... = +0, whatever the batch size
    std::optional<double> count = reducedCount(n);
    if (!ctx.allowReassociation || !count)
      return std::nullopt;
    return *count * v(0);
  }
  default:
    return std::nullopt; // exp, log, tanh, sigmoid, erf, pow, matmul, softmax, ...
  }
}

} // namespace

void constantFold(std::unique_ptr<Graph> &g, PassContext &ctx) {
  std::vector<Node *> freed; // operands of folded nodes
  int64_t folded = 0;
  for (auto &up : g->nodes()) {
    Node &n = *up;
    if (n.kind == OpKind::Constant || !isPure(n.kind) || n.operands.empty() || !rewritable(n))
      continue;
    bool allConstant = true;
    for (const Node *op : n.operands)
      allConstant = allConstant && op->kind == OpKind::Constant;
    if (!allConstant)
      continue;
    std::optional<double> value = evaluate(n, ctx);
    if (!value)
      continue;
    double r = roundTo(n.type.dtype, *value);
    if (std::isnan(r))
      continue;
    if (n.type.dtype == DType::I32 &&
        !(r == std::trunc(r) && r >= -2147483648.0 && r <= 2147483647.0))
      continue;
    freed.insert(freed.end(), n.operands.begin(), n.operands.end());
    makeConstant(n, r);
    ++folded;
  }
  eraseIfUnused(*g, freed);
  if (folded)
    ctx.stats.add("constfold", "ops folded", folded);
}

} // namespace nnc::ir::passes

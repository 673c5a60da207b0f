// Gradient rules, one per primitive op. Each rule receives the node, the
// gradient flowing into its result, and returns the gradient for each operand
// (null where none flows: class ids, non-differentiable masks).
// At a kink the rules follow PyTorch and JAX (docs/language.md, "Gradients at
// kinks"): relu'(0) = 0, abs'(0) = 0; maximum/minimum split g evenly between
// tied operands (torch derivatives.yaml `maximum`, jax.lax.max's JVP) and
// reduce_max among tied maxima (torch.amax); select and greater route by the
// mask. Losses whose composite form has kinks are fused ops instead (softplus,
// softmax_cross_entropy) with their analytic gradient.
#include "ir/autodiff.h"

#include "ir/builder.h"

#include <cassert>
#include <fmt/format.h>
#include <unordered_map>
#include <unordered_set>

namespace nnc::ir {

namespace {

using Grads = std::vector<Node *>;

/// Gradient of a reduction: reinsert reduced axes as 1s, then broadcast.
Node *expandReduced(Builder &b, Node *g, const Node *reduce) {
  const Node *x = reduce->operand(0);
  if (!reduce->keepdims) {
    std::vector<int64_t> kept = x->shape().dims;
    for (int64_t ax : reduce->axes)
      kept[ax] = 1;
    g = b.reshape(g, Shape(kept));
  }
  return b.broadcast(g, x->shape());
}

Grads gradientRule(Builder &b, Node *n, Node *g) {
  Node *x = n->operands.empty() ? nullptr : n->operand(0);
  Node *y = n->operands.size() > 1 ? n->operand(1) : nullptr;
  auto one = [&] { return b.constant(1.0, n->type.dtype); };
  auto zero = [&] { return b.constant(0.0, n->type.dtype); };
  switch (n->kind) {
  case OpKind::Add:
    return {b.sumTo(g, x->shape()), b.sumTo(g, y->shape())};
  case OpKind::Sub:
    return {b.sumTo(g, x->shape()), b.sumTo(b.neg(g), y->shape())};
  case OpKind::Mul:
    return {b.sumTo(b.mul(g, y), x->shape()), b.sumTo(b.mul(g, x), y->shape())};
  case OpKind::Div: // d(x/y)/dy = -(x/y)/y
    return {b.sumTo(b.div(g, y), x->shape()), b.sumTo(b.neg(b.div(b.mul(g, n), y)), y->shape())};
  case OpKind::Pow: { // d/dx = y*x^(y-1), d/dy = x^y * log(x)
    Node *dx = b.mul(g, b.mul(y, b.binary(OpKind::Pow, x, b.sub(y, one()))));
    Node *dy = b.mul(g, b.mul(n, b.unary(OpKind::Log, x)));
    return {b.sumTo(dx, x->shape()), b.sumTo(dy, y->shape())};
  }
  case OpKind::Greater:
    return {nullptr, nullptr}; // zero almost everywhere
  case OpKind::DropoutMask:
    return {nullptr}; // random, not a function of the step counter
  case OpKind::Maximum:
  case OpKind::Minimum: { // to the winner; a tie splits g evenly (wx = 1/2), as torch.maximum
                          // and jax.lax.max do (docs/language.md, "Gradients at kinks")
    bool isMax = n->kind == OpKind::Maximum;
    Node *xWins = isMax ? b.binary(OpKind::Greater, x, y) : b.binary(OpKind::Greater, y, x);
    Node *yWins = isMax ? b.binary(OpKind::Greater, y, x) : b.binary(OpKind::Greater, x, y);
    Node *wx = b.mul(b.constant(0.5, n->type.dtype), b.add(one(), b.sub(xWins, yWins)));
    return {b.sumTo(b.mul(g, wx), x->shape()), b.sumTo(b.mul(g, b.sub(one(), wx)), y->shape())};
  }
  case OpKind::Select: { // no gradient to the mask
    Node *a = n->operand(1), *c = n->operand(2);
    return {nullptr, b.sumTo(b.select(x, g, zero()), a->shape()),
            b.sumTo(b.select(x, zero(), g), c->shape())};
  }
  case OpKind::Neg:
    return {b.neg(g)};
  case OpKind::Exp:
    return {b.mul(g, n)};
  case OpKind::Log:
    return {b.div(g, x)};
  case OpKind::Sqrt: // 1/(2 sqrt x)
    return {b.div(b.mul(g, b.constant(0.5, n->type.dtype)), n)};
  case OpKind::Relu: // mask from the output (relu(x) > 0 iff x > 0, NaN too): the
                     // forward pass stores no mask, the backward reads what it keeps anyway
    return {b.mul(g, b.binary(OpKind::Greater, n, b.constant(0.0, n->type.dtype)))};
  case OpKind::Sigmoid: // s(1-s)
    return {b.mul(g, b.mul(n, b.sub(one(), n)))};
  case OpKind::Softplus: // sigmoid(x) everywhere, x = 0 included
    return {b.mul(g, b.unary(OpKind::Sigmoid, x))};
  case OpKind::Tanh: // 1 - t^2
    return {b.mul(g, b.sub(one(), b.mul(n, n)))};
  case OpKind::Abs: // sign(x); 0 at 0
    return {b.mul(
        g, b.sub(b.binary(OpKind::Greater, x, zero()), b.binary(OpKind::Greater, zero(), x)))};
  case OpKind::Erf: // 2/sqrt(pi) * exp(-x^2)
    return {b.mul(g, b.mul(b.constant(1.1283791670955126, n->type.dtype),
                           b.unary(OpKind::Exp, b.neg(b.mul(x, x)))))};
  case OpKind::MatMul: {
    if (x->shape().rank() == 1) { // [K] @ [K,N]: treat x as [1,K]
      Node *x2 = b.reshape(x, Shape({1, x->shape().dims[0]}));
      Node *g2 = b.reshape(g, Shape({1, g->shape().dims[0]}));
      return {b.reshape(b.matmul(g2, b.transpose(y)), x->shape()), b.matmul(b.transpose(x2), g2)};
    }
    return {b.matmul(g, b.transpose(y)), b.matmul(b.transpose(x), g)};
  }
  case OpKind::Transpose:
    return {b.transpose(g)};
  case OpKind::Concat: { // each part gets its slice of g
    Grads parts;
    int64_t axis = n->axes[0], offset = 0;
    for (Node *p : n->operands) {
      int64_t extent = p->shape().dims[axis];
      parts.push_back(b.slice(g, axis, offset, extent));
      offset += extent;
    }
    return parts;
  }
  case OpKind::Slice: { // g padded with zeros back to x's extent
    int64_t axis = n->axes[0], extent = n->shape().dims[axis], total = x->shape().dims[axis];
    std::vector<Node *> parts;
    auto zeros = [&](int64_t len) {
      std::vector<int64_t> dims = x->shape().dims;
      dims[axis] = len;
      return b.full(0.0, Shape(dims), n->type.dtype);
    };
    if (n->start > 0)
      parts.push_back(zeros(n->start));
    parts.push_back(g);
    if (n->start + extent < total)
      parts.push_back(zeros(total - n->start - extent));
    return {b.concat(parts, axis)};
  }
  case OpKind::Reshape:
    return {b.reshape(g, x->shape())};
  case OpKind::Broadcast:
    return {b.sumTo(g, x->shape())};
  case OpKind::ReduceSum:
    return {expandReduced(b, g, n)};
  case OpKind::ReduceMax: { // g split evenly among the maxima: mask/count, mask = 1 - (max > x)
                            // (torch.amax, jax.numpy.max; docs/language.md)
    Node *m = expandReduced(b, n, n);
    Node *mask = b.sub(one(), b.binary(OpKind::Greater, m, x));
    Node *count = b.broadcast(b.reduceSum(mask, n->axes, /*keepdims=*/true), x->shape());
    return {b.mul(expandReduced(b, g, n), b.div(mask, count))};
  }
  case OpKind::Conv2D: // the input's gradient is the transposed convolution
    return {b.conv2dGradInput(g, y, n->win, x->type), b.conv2dGradFilter(x, g, n->win, y->type)};
  case OpKind::MaxPool2D: // to each window's first maximum (PyTorch's max_pool2d backward)
    return {b.maxPool2dGrad(x, g, n->win)};
  case OpKind::AvgPool2D:
    return {b.avgPool2dGrad(g, n->win, x->type)};
  case OpKind::Softmax: { // y * (g - sum(g*y, last axis))
    Node *s = b.reduceSum(b.mul(g, n), {-1}, /*keepdims=*/true);
    return {b.mul(n, b.sub(g, s))};
  }
  case OpKind::SoftmaxCrossEntropy:
    return {b.softmaxCrossEntropyGrad(x, y, g), nullptr};
  default: {
    throw NoGradientError(fmt::format("op '{}' has no gradient rule", opName(n->kind)), n->loc);
  }
  }
}

bool isLeaf(OpKind k) {
  return k == OpKind::Input || k == OpKind::Param || k == OpKind::State || k == OpKind::Constant ||
         k == OpKind::BatchSize;
}

} // namespace

std::map<Node *, Node *> buildGradients(Graph &g, Node *loss, const std::vector<Node *> &extraWrt) {
  assert(loss && loss->shape().isScalar());
  std::vector<Node *> wrt = g.nodesOfKind(OpKind::Param);
  wrt.insert(wrt.end(), extraWrt.begin(), extraWrt.end());

  // Forward: which nodes depend on something we differentiate with respect to.
  std::unordered_set<Node *> needsGrad(wrt.begin(), wrt.end());
  std::vector<Node *> order;
  for (auto &up : g.nodes()) {
    Node *n = up.get();
    order.push_back(n);
    for (Node *op : n->operands)
      if (needsGrad.count(op) && n->kind != OpKind::Assign && n->kind != OpKind::Output)
        needsGrad.insert(n);
    if (n == loss)
      break;
  }

  Builder b(g);
  std::unordered_map<Node *, Node *> grad;
  grad[loss] = b.constant(1.0, loss->type.dtype);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node *n = *it;
    auto gi = grad.find(n);
    if (gi == grad.end() || isLeaf(n->kind) || !needsGrad.count(n))
      continue;
    b.setLoc(n->loc);
    Grads opGrads = gradientRule(b, n, gi->second);
    for (size_t i = 0; i < n->operands.size(); ++i) {
      Node *op = n->operand(i);
      if (!opGrads[i] || !needsGrad.count(op))
        continue;
      auto [slot, fresh] = grad.try_emplace(op, opGrads[i]);
      if (!fresh) // fan-out: gradients of every use are summed
        slot->second = b.add(slot->second, opGrads[i]);
    }
  }

  std::map<Node *, Node *> result;
  b.setLoc({});
  for (Node *p : wrt) {
    auto gi = grad.find(p);
    result[p] = gi != grad.end() ? gi->second : b.full(0.0, p->shape(), p->type.dtype);
  }
  return result;
}

} // namespace nnc::ir

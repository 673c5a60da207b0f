// -sink-pool-mask: a 0/1 mask on a max-pool gradient moves to the pooled side,
// where there are window-area times fewer elements:
//   mul(max_pool2d_grad(a, g), greater(a, c))
//     -> max_pool2d_grad(a, mul(g, greater(max_pool2d(a), c)))     c a scalar constant
// It is relu's gradient behind a pooled relu (a = relu(x), mask a > 0), in
// every convnet block conv -> relu -> max_pool. Why it holds:
// max_pool2d_grad routes each window's g to the window's first maximum p,
// and max_pool2d(a) of that window is a[p] itself (NaN included), so the
// window's mask is a[p] > c: every routed g is masked as the position it
// lands on. Positions no window routes to are 0 either way. The values are
// equal but for the sign of a zero (a masked sum of two routed gradients vs
// a sum of masked ones). On the mnist convnet (batch 128) the full-size mask
// and product of conv1's [B,32,26,26] gradient go (a pass over 33 MB).
// Only when the pool gradient has no other reader (else both would be
// computed). The new max_pool2d repeats the forward pass's: -cse merges
// them, so this pass runs before it.
#include "ir/pass_registry.h"
#include "ir/passes/rewrite.h"

namespace nnc::ir::passes {

namespace {

/// greater(a, c) with c a scalar Constant; null if `m` is not that.
const Node *scalarThreshold(const Node &m, const Node *a) {
  if (m.kind != OpKind::Greater || m.operand(0) != a || !rewritable(m))
    return nullptr;
  const Node *c = m.operand(1);
  return c->kind == OpKind::Constant && c->type.shape.rank() == 0 ? c : nullptr;
}

} // namespace

void sinkPoolMask(std::unique_ptr<Graph> &g, PassContext &ctx) {
  std::vector<Node *> muls;
  for (auto &up : g->nodes())
    if (up->kind == OpKind::Mul && rewritable(*up))
      muls.push_back(up.get());
  std::vector<Node *> replaced;
  for (Node *n : muls)
    for (int side = 0; side < 2; ++side) {
      Node *grad = n->operand(side), *mask = n->operand(1 - side);
      if (grad->kind != OpKind::MaxPool2DGrad || !rewritable(*grad) || grad->type != n->type ||
          mask->type != n->type || g->useCount(grad) != 1)
        continue;
      Node *a = grad->operand(0), *routed = grad->operand(1);
      const Node *c = scalarThreshold(*mask, a);
      if (!c)
        continue;
      Node *pooled = g->insertBefore(grad, OpKind::MaxPool2D, routed->type, {a});
      Node *threshold = g->insertBefore(grad, OpKind::Constant, c->type, {});
      Node *pooledMask = g->insertBefore(grad, OpKind::Greater, routed->type, {pooled, threshold});
      Node *masked = g->insertBefore(grad, OpKind::Mul, routed->type, {routed, pooledMask});
      pooled->win = grad->win;
      threshold->scalar = c->scalar;
      for (Node *x : {pooled, threshold, pooledMask, masked})
        x->loc = grad->loc;
      grad->operands[1] = masked;
      g->replaceAllUsesWith(n, grad);
      replaced.push_back(n);
      ctx.stats.add("sink-pool-mask", "masks moved before a max-pool gradient");
      break;
    }
  eraseIfUnused(*g, replaced); // and the full-size masks nothing reads now
}

} // namespace nnc::ir::passes

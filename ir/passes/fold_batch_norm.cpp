// -fold-batch-norm: in an inference build with baked weights
// (PassContext::paramsAreConstant), a batch norm that follows a convolution
// becomes part of the convolution's weights and bias (Ioffe & Szegedy 2015,
// sec. 3.1: at inference the normalization is a fixed linear transform; the
// folding is the usual one of TensorRT, ONNX Runtime, PyTorch's
// fuse_conv_bn_eval):
//   z = (conv(x, W) + b - mean) * s + beta,   s = gamma / sqrt(var + eps)
//     = conv(x, W * s) + ((b - mean) * s + beta)     (s per output channel)
// The pattern is what frontend/builtin_norm.cpp lowers batch_norm to in the
// inference graph: add(mul(sub(y, mean), s), beta) with y = add(conv2d(x, W),
// b) or y = conv2d(x, W) (either order of the commutative add and mul).
// mean, s, beta and b must be baked (made of params, constants and states no
// assign writes, without the batch size) and per output channel (varying
// only along F when broadcast against [B,F,H,W]: [1,F,1,1], [F,1,1], or one
// value), W baked; every intermediate must have no other reader. The new
// W * s and bias are expressions of baked values only, which the
// baked-weights folding of `nnc --emit=obj` (tools/nnc/fold_baked_weights.h)
// then computes once, so the kernel is conv + bias (+ its epilogue) with no
// batch-norm arithmetic.
//
// Rounding: conv(x, W * s) rounds differently from conv(x, W) * s (by a few
// float32 ulps of each pre-activation); it is not an IEEE identity, which is
// why it only runs on request (--emit=obj at -O1 and up, and nnc --predict
// with --weights, so the two agree: tools/nnc/fold_baked_weights.h).
//
// Without paramsAreConstant (a training step: W and the statistics change)
// the pass does nothing.
#include "ir/builder.h"
#include "ir/pass_registry.h"
#include "ir/passes/rewrite.h"

#include <unordered_map>
#include <unordered_set>

namespace nnc::ir::passes {

namespace {

/// Nodes whose value is fixed in an inference build with baked weights:
/// params, constants, states that no assign writes, and pure ops on these
/// without the batch dimension.
std::unordered_set<const Node *> bakedNodes(const Graph &g) {
  std::unordered_set<const Node *> written, baked;
  for (const Node *a : g.nodesOfKind(OpKind::Assign))
    written.insert(a->operand(0));
  for (auto &up : g.nodes()) {
    const Node *n = up.get();
    if (n->kind == OpKind::Param || n->kind == OpKind::Constant ||
        (n->kind == OpKind::State && !written.count(n))) {
      baked.insert(n);
      continue;
    }
    if (!isPure(n->kind) || n->operands.empty() || n->shape().hasBatch())
      continue;
    bool all = true;
    for (const Node *op : n->operands)
      all = all && baked.count(op);
    if (all)
      baked.insert(n);
  }
  return baked;
}

class BatchNormFolder {
public:
  BatchNormFolder(Graph &g) : g_(g), b_(g), baked_(bakedNodes(g)) {
    for (auto &n : g.nodes())
      for (const Node *op : n->operands)
        ++uses_[op];
  }

  /// Folds the batch norm ending in `z`, if it is one after a convolution.
  bool tryFold(Node *z) {
    if (z->kind != OpKind::Add || !rewritable(*z) || z->type.dtype == DType::I32 ||
        z->shape().rank() != 4)
      return false;
    for (int i = 0; i < 2; ++i) { // z = add(mul, beta) or add(beta, mul)
      Node *mul = z->operand(i), *beta = z->operand(1 - i);
      if (mul->kind != OpKind::Mul || !only(mul))
        continue;
      for (int j = 0; j < 2; ++j) { // mul(sub, s) or mul(s, sub)
        Node *sub = mul->operand(j), *scale = mul->operand(1 - j);
        if (sub->kind != OpKind::Sub || !only(sub))
          continue;
        Node *y = sub->operand(0), *mean = sub->operand(1);
        if (y->type != z->type)
          continue;
        Node *conv = y, *bias = nullptr;
        if (y->kind == OpKind::Add) {
          if (!only(y))
            continue;
          int k = y->operand(0)->kind == OpKind::Conv2D ? 0 : 1;
          conv = y->operand(k);
          bias = y->operand(1 - k);
        }
        if (conv->kind != OpKind::Conv2D || conv->type != z->type || !only(conv) ||
            !baked_.count(conv->operand(1)))
          continue;
        int64_t f = z->shape().dims[1];
        if (!perChannel(mean, f) || !perChannel(scale, f) || !perChannel(beta, f) ||
            (bias && !perChannel(bias, f)))
          continue;
        rewrite(z, conv, bias, mean, scale, beta);
        return true;
      }
    }
    return false;
  }

  std::vector<Node *> &replaced() { return replaced_; }

private:
  /// `n` has exactly one reader and may be rewritten.
  bool only(const Node *n) const {
    auto it = uses_.find(n);
    return rewritable(*n) && it != uses_.end() && it->second == 1;
  }

  /// Baked, and one value per output channel of an [B,F,H,W] result (or one
  /// value in all): broadcasting it against [B,F,H,W] varies along F only.
  bool perChannel(const Node *v, int64_t f) const {
    if (!baked_.count(v) || v->type.dtype == DType::I32)
      return false;
    const auto &d = v->shape().dims;
    if (d.size() > 4)
      return false;
    for (size_t k = 0; k < d.size(); ++k) {
      size_t axis = 4 - d.size() + k; // NumPy broadcasting aligns on the right
      if (d[k] != 1 && !(axis == 1 && d[k] == f))
        return false;
    }
    return true;
  }

  /// `v` (per channel) as an [F,1,1] tensor.
  Node *channels(Node *v, int64_t f) {
    if (v->shape().numElements(1) == f)
      return b_.reshape(v, Shape({f, 1, 1}));
    return b_.broadcast(b_.reshape(v, Shape({1, 1, 1})), Shape({f, 1, 1}));
  }

  void rewrite(Node *z, Node *conv, Node *bias, Node *mean, Node *scale, Node *beta) {
    int64_t f = z->shape().dims[1];
    b_.setLoc(z->loc);
    Node *s = channels(scale, f);
    Node *w = conv->operand(1);
    Node *scaledW = b_.mul(w, b_.reshape(s, Shape({f, 1, 1, 1})));
    Node *m = channels(mean, f);
    Node *shifted = bias ? b_.sub(channels(bias, f), m) : b_.neg(m);
    Node *newBias = b_.add(b_.mul(shifted, s), channels(beta, f));
    b_.setLoc(conv->loc);
    Node *newConv = b_.conv2d(conv->operand(0), scaledW, conv->win);
    b_.setLoc(z->loc);
    Node *result = b_.add(newConv, newBias);
    g_.replaceAllUsesWith(z, result);
    replaced_.push_back(z);
    // A batch norm right after this one may fold into the new convolution.
    baked_.insert(scaledW);
    baked_.insert(newBias);
    uses_[newConv] = 1;
    uses_[result] = uses_[z];
  }

  Graph &g_;
  Builder b_;
  std::unordered_set<const Node *> baked_;
  std::unordered_map<const Node *, int> uses_;
  std::vector<Node *> replaced_;
};

/// The graph's nodes with every node after its operands, otherwise in their
/// present order (the rewrite appended the new nodes at the end).
std::vector<Node *> operandsFirst(const Graph &g) {
  std::vector<Node *> order;
  std::unordered_set<const Node *> placed;
  std::vector<std::pair<Node *, size_t>> stack;
  for (auto &up : g.nodes()) {
    if (placed.count(up.get()))
      continue;
    stack.push_back({up.get(), 0});
    while (!stack.empty()) {
      auto &[n, next] = stack.back();
      if (next < n->operands.size()) {
        Node *op = n->operands[next++];
        if (!placed.count(op))
          stack.push_back({op, 0});
        continue;
      }
      if (placed.insert(n).second)
        order.push_back(n);
      stack.pop_back();
    }
  }
  return order;
}

} // namespace

void foldBatchNorm(std::unique_ptr<Graph> &g, PassContext &ctx) {
  if (!ctx.paramsAreConstant)
    return; // a training step: the weights and statistics change every step
  BatchNormFolder folder(*g);
  std::vector<Node *> candidates;
  for (auto &up : g->nodes())
    candidates.push_back(up.get());
  int64_t folded = 0;
  for (Node *z : candidates)
    folded += folder.tryFold(z);
  if (!folded)
    return;
  g->reorder(operandsFirst(*g));
  eraseIfUnused(*g, folder.replaced());
  ctx.stats.add("fold-batch-norm", "batch norms folded into the preceding convolution", folded);
}

} // namespace nnc::ir::passes

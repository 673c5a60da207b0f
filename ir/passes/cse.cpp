// -cse: common subexpression elimination. Two pure nodes with the same op,
// type, operands (the same nodes, in order; either order for the
// commutative add, mul, maximum, minimum) and attributes (axes, keepdims,
// start, seed, classes, name, window; a Constant's value as the runtime holds it,
// compared bitwise, so +0 and -0 stay apart) are one value: the later one's
// uses go to the earlier one, and the later one is erased (with whatever it
// alone used, e.g. a duplicate constant).
// Never merged: inputs, params, states (the interface, each its own
// storage), assign and output (effects), dropout_mask (a fresh random draw
// per node), and fusion-group members (ir/passes/rewrite.h).
#include "ir/pass_registry.h"
#include "ir/passes/rewrite.h"

#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace nnc::ir::passes {

namespace {

bool isCommutative(OpKind k) {
  return k == OpKind::Add || k == OpKind::Mul || k == OpKind::Maximum || k == OpKind::Minimum;
}

/// Everything that makes a node's value what it is.
struct Key {
  OpKind kind;
  TensorType type;
  std::vector<const Node *> operands;
  std::vector<int64_t> axes;
  bool keepdims;
  int64_t start;
  uint64_t scalarBits;
  uint64_t seed;
  int64_t classes;
  std::string name;
  std::vector<int64_t> window; // Node::win

  bool operator<(const Key &o) const {
    auto tie = [](const Key &k) {
      return std::tie(k.kind, k.type.dtype, k.type.shape.dims, k.type.isVoid, k.operands, k.axes,
                      k.keepdims, k.start, k.scalarBits, k.seed, k.classes, k.name, k.window);
    };
    return tie(*this) < tie(o);
  }
};

Key keyOf(const Node &n, const std::unordered_map<const Node *, size_t> &position) {
  Key k{n.kind, n.type, {n.operands.begin(), n.operands.end()}, n.axes, n.keepdims, n.start,
        0, n.seed, n.classes, n.name,
        {n.win.kh, n.win.kw, n.win.sh, n.win.sw, n.win.top, n.win.left, n.win.bottom, n.win.right}};
  k.scalarBits = std::bit_cast<uint64_t>(n.kind == OpKind::Constant ? constantValue(n) : n.scalar);
  if (isCommutative(n.kind) && position.at(k.operands[1]) < position.at(k.operands[0]))
    std::swap(k.operands[0], k.operands[1]);
  return k;
}

} // namespace

void commonSubexpressionElimination(std::unique_ptr<Graph> &g, PassContext &ctx) {
  std::unordered_map<const Node *, size_t> position;
  for (size_t i = 0; i < g->nodes().size(); ++i)
    position[g->nodes()[i].get()] = i;
  Replacements repl;
  std::map<Key, Node *> seen;
  for (auto &up : g->nodes()) {
    Node &n = *up;
    repl.remapOperands(n);
    if (!isPure(n.kind) || !rewritable(n))
      continue;
    auto [it, fresh] = seen.emplace(keyOf(n, position), &n);
    if (!fresh)
      repl.replace(&n, it->second);
  }
  eraseIfUnused(*g, repl.replaced());
  if (!repl.replaced().empty())
    ctx.stats.add("cse", "ops replaced by an equal earlier one", (int64_t)repl.replaced().size());
}

} // namespace nnc::ir::passes

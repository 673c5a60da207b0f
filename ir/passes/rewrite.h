// Helpers shared by the rewriting passes (simplify, constfold, cse): the
// value a Constant holds at run time, turning a node into a constant in
// place, forwarding uses of replaced nodes, and erasing what a rewrite left
// unused (and only that: -dce removes dead code that was there before).
//
// Nodes in fusion groups (Node::group != 0) are never rewritten or erased:
// the pipelines fuse last, and editing a group member after -fuse could
// break the group's rules (ir/fusion_group.h).
#pragma once
#include "ir/graph.h"

#include <cmath>
#include <unordered_map>
#include <vector>

namespace nnc::ir::passes {

/// `v` as the runtime stores a value of type `t`: codegen turns a Constant's
/// double into the element type (float32 rounds to nearest; inf beyond
/// FLT_MAX, as float32 arithmetic overflows).
inline double roundTo(DType t, double v) { return t == DType::F32 ? (double)(float)v : v; }

/// The value a Constant `c` holds at run time.
inline double constantValue(const Node &c) { return roundTo(c.type.dtype, c.scalar); }

/// Whether `c` is a Constant holding exactly `v`, sign of zero included.
inline bool isConstantEqual(const Node &c, double v) {
  if (c.kind != OpKind::Constant)
    return false;
  double x = constantValue(c);
  return x == v && std::signbit(x) == std::signbit(v);
}

/// A param or state: persistent storage that assigns write.
inline bool isStorage(const Node &n) { return n.kind == OpKind::Param || n.kind == OpKind::State; }

/// A node a pass may rewrite (not a fusion-group member).
inline bool rewritable(const Node &n) { return n.group == 0; }

/// Nodes that compute a value from their operands alone (and may be erased
/// when unused, merged with an equal one): not the interface (inputs,
/// params, states), not effects, not dropout masks (random per step).
inline bool isPure(OpKind k) {
  switch (k) {
  case OpKind::Input: case OpKind::Param: case OpKind::State: case OpKind::DropoutMask:
  case OpKind::Assign: case OpKind::Output:
    return false;
  default:
    return true;
  }
}

/// Turns `n` into a Constant splat of `v` over its own type (it keeps its
/// place, id and location; its operands lose a use).
inline void makeConstant(Node &n, double v) {
  n.kind = OpKind::Constant;
  n.operands.clear();
  n.scalar = v;
  n.axes.clear();
  n.keepdims = false;
  n.start = 0;
  n.seed = 0;
  n.classes = 0;
  n.name.clear();
  n.init = {};
}

/// Uses of replaced nodes, forwarded as a forward pass visits the graph: a
/// node's operands are remapped when it is visited, so every later reader
/// sees the replacement (operands precede their readers).
///
/// An assign's value is never forwarded to a param or state: assigns run
/// after all compute, in graph order, so `assign %m, %v` could read a %v an
/// earlier assign already overwrote, where the replaced node held %v's value
/// from before the step's updates. Such an assign keeps the last node of the
/// chain that is not a param or state (which is then not erased).
class Replacements {
public:
  void replace(Node *from, Node *to) {
    map_[from] = to;
    replaced_.push_back(from);
  }
  Node *resolve(Node *n) const {
    for (auto it = map_.find(n); it != map_.end(); it = map_.find(n))
      n = it->second;
    return n;
  }
  void remapOperands(Node &n) const {
    if (map_.empty())
      return;
    for (size_t i = 0; i < n.operands.size(); ++i) {
      Node *&op = n.operands[i];
      if (n.kind == OpKind::Assign && i == 1) {
        for (auto it = map_.find(op); it != map_.end() && !isStorage(*it->second);
             it = map_.find(op))
          op = it->second;
      } else {
        op = resolve(op);
      }
    }
  }
  /// The replaced nodes, in replacement order.
  const std::vector<Node *> &replaced() const { return replaced_; }

private:
  std::unordered_map<const Node *, Node *> map_;
  std::vector<Node *> replaced_;
};

/// Erases the nodes of `candidates` that nothing reads, then the operands
/// that become unused that way, transitively. Only pure nodes outside
/// fusion groups go; other dead code is left to -dce. Returns how many.
inline int eraseIfUnused(Graph &g, const std::vector<Node *> &candidates) {
  std::unordered_map<const Node *, int> uses;
  for (auto &n : g.nodes())
    for (const Node *op : n->operands)
      ++uses[op];
  std::vector<Node *> work(candidates.begin(), candidates.end());
  std::unordered_map<const Node *, bool> gone;
  std::vector<const Node *> dead;
  while (!work.empty()) {
    Node *n = work.back();
    work.pop_back();
    if (gone[n] || uses[n] > 0 || !isPure(n->kind) || !rewritable(*n))
      continue;
    gone[n] = true;
    dead.push_back(n);
    for (Node *op : n->operands) {
      --uses[op];
      work.push_back(op);
    }
  }
  g.erase(dead);
  return (int)dead.size();
}

} // namespace nnc::ir::passes

// Fusion groups: runs of consecutive nodes with the same Node::group that
// codegen emits as one kernel (one loop nest). A group is
//   [matmul head]  elementwise ops...  [reduction tail]
// where every elementwise op has the group's loop shape, reads group members
// only at its own index (same shape, no broadcasting), and reads anything
// else (with broadcasting) from memory. The optional head is a matmul of the
// loop shape [M,N] whose rows the elementwise ops consume as they finish
// (an epilogue); the optional tail is a reduce_sum/reduce_max of a member,
// accumulated in the same loop; with a head, only a reduce_sum over axis 0
// (the rows: a bias gradient), accumulated as the rows finish, in row order.
// Members read by nodes outside the group stay in memory (and so does the
// member a headed group's tail reduces); the others live in registers.
// Formed by ir/passes/fuse.cpp, checked by the verifier, lowered by
// codegen/lower_fusion_group.cpp.
#pragma once
#include "ir/graph.h"

#include <string>
#include <vector>

namespace nnc::ir {

/// Ops that may be a group's elementwise member (broadcast is an identity
/// whose operand is read with broadcasting).
bool isFusibleElementwise(OpKind k);

/// Ops that may head a group (their epilogue is the group's elementwise
/// members): matmul, conv2d.
bool isGroupHead(OpKind k);

/// A reduce_sum over the leading axis and a trailing block of axes of a
/// rank >= 3 value, keeping the axes between (the bias gradient of an image
/// layer: [B,C,H,W] over axes 0, 2, 3). codegen sums each contiguous block
/// in vector lanes (lower_reduce.cpp), so such a reduction is never a fused
/// tail (a tail sums in the loop's element order).
bool isBlockReduction(const Node &r);

/// Whether reduction `r` may close a group headed by a matmul: a reduce_sum
/// of a rank-2 value over axis 0 only.
bool isRowReduction(const Node &r);

struct FusionGroup {
  int id = 0;
  Node *head = nullptr;           // matmul or conv2d, or null
  std::vector<Node *> elementwise; // in graph order, at least one
  Node *reduction = nullptr;      // reduce_sum / reduce_max, or null
  Shape loopShape;                // the elementwise members' shape

  /// All members in graph order.
  std::vector<Node *> members() const;
  bool contains(const Node *n) const;
};

/// The groups of `g` in graph order, or "" / an error in `error` when a group
/// breaks the rules above (then the result is empty).
std::vector<FusionGroup> collectFusionGroups(const Graph &g, std::string &error,
                                             const Node **culprit = nullptr);

} // namespace nnc::ir

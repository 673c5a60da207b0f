// Symbolic reverse-mode autodiff, graph -> graph: appends to `g` the nodes that
// compute d(loss)/d(param) for every Param. Gradients of a value used several
// times are summed; gradients of broadcast operands are summed back to the
// operand's shape. Rules are per primitive op (autodiff.cpp). At kinks they
// follow PyTorch and JAX: relu'(0) = abs'(0) = 0, a tie of maximum/minimum or
// of reduce_max splits the gradient evenly (docs/language.md, "Gradients at kinks").
#pragma once
#include "ir/graph.h"

#include <map>
#include <stdexcept>

namespace nnc::ir {

/// Thrown when an op on a path to the loss has no gradient rule. Carries
/// the op's source location (the graph may be gone when it is caught).
struct NoGradientError : std::runtime_error {
  NoGradientError(const std::string &what, SourceLoc where)
      : std::runtime_error(what), loc(std::move(where)) {}
  SourceLoc loc;
};

/// Returns, for each Param (and each node in `extraWrt`), its gradient node.
/// Params that do not reach the loss get a zero gradient (a broadcast constant).
std::map<Node *, Node *> buildGradients(Graph &g, Node *loss,
                                        const std::vector<Node *> &extraWrt = {});

} // namespace nnc::ir

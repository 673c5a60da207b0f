// The graph IR verifier: checks the invariants every pass may rely on and
// reports the first one broken, with the node printed (as in the text form).
//   - operands are nodes of the graph defined before their user, and have a value;
//   - the operand count matches ops.def (concat: at least one);
//   - the type re-inferred from the operands and attributes (shape_rules.h)
//     equals the stored type; attributes are in range (axes normalized);
//   - input, param and state names are non-empty and unique per kind;
//   - assign targets are a param or state, of the assigned value's type;
//   - at most one output per name; the "loss" output, if any, is a scalar;
//   - fusion groups are contiguous and well formed (ir/fusion_group.h).
#pragma once
#include "ir/graph.h"

#include <string>

namespace nnc::ir {

struct VerifierFailure {
  const Node *node = nullptr; // null if the graph is well formed
  std::string what;           // the invariant broken, one line
};

/// "" if `g` is well formed, else the first broken invariant, a newline and
/// the offending node as printed: "duplicate output \"loss\"\n  output \"loss\" %7".
std::string verifyGraph(const Graph &g);
/// The same as a node (whose `loc` the IR parser sets) and a one-line message.
VerifierFailure findFirstBrokenInvariant(const Graph &g);

} // namespace nnc::ir

// The type a node must have, re-inferred from its op, operands and attributes
// with the shape rules (shape_rules.h). The verifier and the IR parser
// compare it with the node's stored or annotated type.
#pragma once
#include "ir/graph.h"
#include "ir/shape_rules.h"

namespace nnc::ir {

/// For ops whose result shape is itself the attribute (input, param, state,
/// constant, reshape, broadcast, slice, dropout_mask) the shape is read from n.type and
/// checked against the operand. Also checks attribute ranges: axes normalized
/// (sorted, distinct, in [0, rank)), 0 <= rate < 1, classes >= 0.
/// Expects the operand count of ops.def and operands that have a value.
TypeOrError inferNodeType(const Node &n);

} // namespace nnc::ir

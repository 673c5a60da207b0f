// Textual form of the graph IR (what --emit=ir prints and lit tests check).
//   %h = relu %3 : f32[B,16]
#pragma once
#include "ir/graph.h"

#include <string>

namespace nnc::ir {

std::string printGraph(const Graph &g);
/// "%name" for named leaves, "%id" otherwise.
std::string valueName(const Node *n);

} // namespace nnc::ir

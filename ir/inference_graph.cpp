#include "ir/inference_graph.h"

namespace nnc::ir {

std::unique_ptr<Graph> buildInferenceGraph(const Graph &forward) {
  std::unique_ptr<Graph> g = forward.clone();
  for (Node *mask : g->nodesOfKind(OpKind::DropoutMask)) { // becomes a splat of ones
    mask->kind = OpKind::Constant;
    mask->scalar = 1.0;
    mask->operands.clear();
  }
  g->eraseDeadNodes();
  return g;
}

} // namespace nnc::ir

#include "ir/inference_graph.h"

#include "ir/builder.h"
#include "ir/training_graph.h"

namespace nnc::ir {

namespace {
void removeDropout(Graph &g) {
  for (Node *mask : g.nodesOfKind(OpKind::DropoutMask)) { // becomes a splat of ones
    mask->kind = OpKind::Constant;
    mask->scalar = 1.0;
    mask->operands.clear();
  }
  // Batch norm: the running statistics, which only training updates (the
  // forward graph's assigns are batch norm's; frontend/builtin_norm.cpp).
  resolveBatchNormFlag(g, false);
  std::vector<const Node *> assigns;
  for (Node *a : g.nodesOfKind(OpKind::Assign))
    assigns.push_back(a);
  g.erase(assigns);
}
} // namespace

std::unique_ptr<Graph> buildInferenceGraph(const Graph &forward) {
  std::unique_ptr<Graph> g = forward.clone();
  removeDropout(*g);
  g->eraseDeadNodes();
  return g;
}

std::unique_ptr<Graph> buildPredictionGraph(const Graph &forward, ProbabilityHead head) {
  std::unique_ptr<Graph> g = forward.clone();
  g->setName(forward.name() + ".predict");
  removeDropout(*g);
  Node *prediction = g->findNamed(OpKind::Output, "prediction");
  if (head != ProbabilityHead::None && prediction) {
    Builder b(*g);
    Node *logits = prediction->operand(0);
    b.output("probabilities", head == ProbabilityHead::Softmax ? b.softmax(logits)
                                                               : b.unary(OpKind::Sigmoid, logits));
  }
  g->dropOutput("loss");
  g->eraseDeadNodes(/*keepInterface=*/false);
  return g;
}

} // namespace nnc::ir

#include "ir/training_graph.h"

#include "ir/autodiff.h"
#include "ir/builder.h"


namespace nnc::ir {

void resolveBatchNormFlag(Graph &g, bool training) {
  Node *flag = g.findNamed(OpKind::State, kBatchNormTraining);
  if (!flag)
    return;
  for (Node *s : g.nodesOfKind(OpKind::Select))
    if (s->operand(0) == flag && s->operand(training ? 1 : 2)->type == s->type)
      g.replaceAllUsesWith(s, s->operand(training ? 1 : 2));
  flag->kind = OpKind::Constant;
  flag->scalar = training ? 1.0 : 0.0;
  flag->name.clear();
  flag->init = {};
}

std::unique_ptr<Graph> buildTrainingGraph(const Graph &forward, const OptimizerConfig &opt) {
  std::unique_ptr<Graph> g = forward.clone();
  g->setName(forward.name() + ".train");
  resolveBatchNormFlag(*g, true); // batch statistics
  // The step reports only the loss: other outputs are inference's business.
  g->dropOutputsExcept("loss");
  g->eraseDeadNodes();
  Node *loss = g->loss();
  auto grads = buildGradients(*g, loss);
  bool trainable = false;
  for (auto &[p, grad] : grads)
    trainable = trainable || grad->kind != OpKind::Constant;
  if (!trainable) {
    throw NoGradientError("the loss does not depend on any parameter: there is nothing to train",
                          loss->loc);
  }
  appendOptimizerUpdate(*g, grads, opt);
  // Dropout draws a new mask each step from its step counter.
  if (Node *step = g->findNamed(OpKind::State, kDropoutStep)) {
    Builder b(*g);
    b.assign(step, b.add(step, b.constant(1.0, step->type.dtype)));
  }
  g->eraseDeadNodes();
  return g;
}

} // namespace nnc::ir

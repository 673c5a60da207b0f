// -train-step-{sgd,adam,adamw,rmsprop}: the graph becomes its training step
// (ir/training_graph.h) with the optimizer's default hyper-parameters, those
// of OptimizerConfig (ir/optimizer_update.h; the learning rate is 0.001).
// A graph that already assigns (a training step) is refused with a PassError.
#include "ir/passes/loss_check.h"
#include "ir/training_graph.h"

namespace nnc::ir::passes {

namespace {
void trainStep(std::unique_ptr<Graph> &g, const char *optimizer, const char *pass) {
  requireLoss(*g, pass);
  // A second training step would update each parameter twice and create its
  // optimizer states again: refused, as is any graph that already assigns.
  std::vector<Node *> assigns = g->nodesOfKind(OpKind::Assign);
  if (!assigns.empty())
    throw PassError(fmt::format("it needs a forward graph, but this one is already a training "
                                "step: it assigns %{}; apply one train-step pass",
                                assigns[0]->operand(0)->name));
  OptimizerConfig cfg;
  cfg.kind = optimizer;
  g = buildTrainingGraph(*g, cfg);
}
} // namespace

void trainStepSgd(std::unique_ptr<Graph> &g, PassContext &) { trainStep(g, "sgd", "train-step-sgd"); }
void trainStepAdam(std::unique_ptr<Graph> &g, PassContext &) { trainStep(g, "adam", "train-step-adam"); }
void trainStepAdamW(std::unique_ptr<Graph> &g, PassContext &) { trainStep(g, "adamw", "train-step-adamw"); }
void trainStepRmsProp(std::unique_ptr<Graph> &g, PassContext &) { trainStep(g, "rmsprop", "train-step-rmsprop"); }

} // namespace nnc::ir::passes

// -train-step-{sgd,adam,adamw,rmsprop}: the graph becomes its training step
// (ir/training_graph.h) with the optimizer's default hyper-parameters, those
// of OptimizerConfig (ir/optimizer_update.h; the learning rate is 0.001).
#include "ir/passes/loss_check.h"
#include "ir/training_graph.h"

namespace nnc::ir::passes {

namespace {
void trainStep(std::unique_ptr<Graph> &g, const char *optimizer, const char *pass) {
  requireLoss(*g, pass);
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

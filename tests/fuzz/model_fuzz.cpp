// libFuzzer target: a .nn model file through what `nnc --train` does before
// it compiles machine code (tools/nnc/main.cpp): the front end, the training
// graph (autodiff + optimizer update), the inference and prediction graphs,
// the -O2 graph passes, and the lowering of each graph to LLVM IR.
// Handled: diagnostics (no model, at least one error), NoGradientError.
#include "fuzz_support.h"
#include "graph_checks.h"

#include "frontend/model.h"
#include "ir/autodiff.h"
#include "ir/inference_graph.h"
#include "ir/training_graph.h"

#include <algorithm>
#include <sstream>

using namespace nnc;

namespace {

/// -O2 on `g`, then the lowering main.cpp would do for batches of maxBatch.
void optimizeAndLower(std::unique_ptr<ir::Graph> g, const std::string &stage, int64_t maxBatch) {
  ir::PassContext ctx;
  if (!fuzz::runPipelineChecked(2, g, ctx))
    fuzz::finding("a pass of -O2 refused the " + stage + " graph the front end built");
  fuzz::checkLowering(*g, maxBatch);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  frontend::DiagnosticEngine diags;
  std::unique_ptr<frontend::Model> model;
  try {
    model = frontend::compileModelSource("fuzz.nn", text, diags);
  } catch (...) {
    fuzz::unexpectedException();
  }
  std::ostringstream printed;
  diags.print(printed);
  if (!model) {
    if (!diags.hasErrors())
      fuzz::finding("no model and no diagnostic");
    return 0;
  }
  if (diags.hasErrors())
    fuzz::finding("a model despite diagnostics", printed.str());
  fuzz::checkVerified(*model->forward, "the front end");

  std::unique_ptr<ir::Graph> train;
  try {
    train = ir::buildTrainingGraph(*model->forward, model->train.optimizer);
  } catch (const ir::NoGradientError &) {
    return 0; // "cannot train this model: ..." with a location
  } catch (...) {
    fuzz::unexpectedException();
  }
  fuzz::checkVerified(*train, "autodiff and the optimizer update");
  int64_t batch = model->train.batchSize, chunk = std::max<int64_t>(batch, 256);
  optimizeAndLower(std::move(train), "training", batch);
  try {
    optimizeAndLower(ir::buildInferenceGraph(*model->forward), "inference", chunk);
    if (model->forward->findNamed(ir::OpKind::Output, "prediction")) {
      ir::ProbabilityHead head = model->classification       ? ir::ProbabilityHead::Softmax
                                 : model->predictionIsLogits ? ir::ProbabilityHead::Sigmoid
                                                             : ir::ProbabilityHead::None;
      optimizeAndLower(ir::buildPredictionGraph(*model->forward, head), "prediction", chunk);
    }
  } catch (...) {
    fuzz::unexpectedException();
  }
  return 0;
}

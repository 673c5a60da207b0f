// libFuzzer target: a weights file (.nnw, docs/weights-format.md) through
// loadCheckpoint and restoreTensors into the parameter store of a small
// model (weights_model.nn, with Adam's state), as --weights (all tensors)
// and --init-weights (parameters only) use them (tools/nnc/session.cpp).
// Handled: DataError ("w.nnw: error: ...").
#include "fuzz_support.h"

#include "frontend/model.h"
#include "ir/training_graph.h"
#include "runtime/checkpoint.h"

#include <sstream>

using namespace nnc;

namespace {

runtime::ParamStore *initialStore = nullptr;

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  frontend::DiagnosticEngine diags;
  std::unique_ptr<frontend::Model> m = frontend::compileModelFile(NNC_FUZZ_WEIGHTS_MODEL, diags);
  if (!m) {
    std::ostringstream os;
    diags.print(os);
    fuzz::finding("the weights fuzz model does not compile", os.str());
  }
  std::unique_ptr<ir::Graph> train = ir::buildTrainingGraph(*m->forward, m->train.optimizer);
  initialStore = new runtime::ParamStore;
  initialStore->initialize(*m->forward, m->train.seed);
  initialStore->initialize(*train, m->train.seed);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = fuzz::writeInputFile(data, size, ".nnw");
  try {
    runtime::Checkpoint c = runtime::loadCheckpoint(path);
    for (bool paramsOnly : {false, true}) {
      runtime::ParamStore store = *initialStore;
      runtime::restoreTensors(c, store, path, paramsOnly);
    }
  } catch (const runtime::DataError &) {
    return 0;
  } catch (...) {
    fuzz::unexpectedException();
  }
  return 0;
}

// The inference graph: the forward graph with training-only behaviour
// removed (dropout masks become ones), for evaluation and prediction.
#pragma once
#include "ir/graph.h"

#include <memory>

namespace nnc::ir {

std::unique_ptr<Graph> buildInferenceGraph(const Graph &forward);

} // namespace nnc::ir

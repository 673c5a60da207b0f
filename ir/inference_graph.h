// Graphs for using a trained model: the forward graph with training-only
// behaviour removed (dropout masks become ones; batch norm uses its running
// statistics, kBatchNormTraining = 0, and does not update them: the forward
// graph's assigns are dropped).
#pragma once
#include "ir/graph.h"

#include <memory>
#include <string>

namespace nnc::ir {

/// Evaluation: outputs "loss", "prediction" and the model's own outputs;
/// needs the target input.
std::unique_ptr<Graph> buildInferenceGraph(const Graph &forward);

/// How "prediction" turns into class probabilities.
enum class ProbabilityHead { None, Softmax, Sigmoid };

/// Prediction: no loss and no target input; outputs "prediction", the model's
/// own outputs and, with a head, "probabilities" = head(prediction).
std::unique_ptr<Graph> buildPredictionGraph(const Graph &forward, ProbabilityHead head);

} // namespace nnc::ir

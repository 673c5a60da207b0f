// The training step as one graph: the forward graph (loss only), its
// backward graph from autodiff, and the optimizer update, dead code removed.
#pragma once
#include "ir/graph.h"
#include "ir/optimizer_update.h"

#include <memory>

namespace nnc::ir {

/// Name of the scalar State that dropout masks draw from; the training
/// step increments it.
inline constexpr const char *kDropoutStep = "dropout.step";

/// Throws NoGradientError (autodiff.h) if an op on the path to the loss
/// has no gradient rule, or if no parameter reaches the loss.
std::unique_ptr<Graph> buildTrainingGraph(const Graph &forward, const OptimizerConfig &opt);

} // namespace nnc::ir

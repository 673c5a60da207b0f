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
/// Name of the scalar State (ones) that batch norm's statistics select on
/// (frontend/builtin_norm.cpp): select(flag, batch statistic, running one).
inline constexpr const char *kBatchNormTraining = "batch_norm.training";

/// Resolves those selects in `g`: each becomes its batch statistic
/// (`training`) or its running one, and the flag a constant (1 or 0), so it
/// is no State of the graph's kernels and the unused side is dead code.
void resolveBatchNormFlag(Graph &g, bool training);

/// Throws NoGradientError (autodiff.h) if an op on the path to the loss
/// has no gradient rule, or if no parameter reaches the loss.
std::unique_ptr<Graph> buildTrainingGraph(const Graph &forward, const OptimizerConfig &opt);

} // namespace nnc::ir

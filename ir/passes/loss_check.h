// What the gradient passes need of a graph: an output "loss" holding a float scalar.
#pragma once
#include "ir/graph.h"
#include "ir/pass_registry.h"

#include <fmt/format.h>

namespace nnc::ir::passes {

/// The loss value, or throws PassError naming `pass`.
inline Node *requireLoss(const Graph &g, const char *pass) {
  Node *loss = g.loss();
  if (!loss)
    throw PassError(fmt::format("{} needs an output \"loss\"", pass));
  if (!loss->shape().isScalar() || loss->type.dtype == DType::I32)
    throw PassError(fmt::format("{} needs a float scalar loss, got {}", pass, loss->type.str()));
  return loss;
}

} // namespace nnc::ir::passes

// Constant folding of an inference build whose weights are baked in (the
// --emit=obj|asm path, and --predict / --eval with --weights and no --train):
// every maximal subexpression computed from params, constants and states no
// assign writes (batch norm's running statistics) alone (no input, no batch
// size, no randomness) — exp(log_scale), transpose(W), W * 2, ... — is
// evaluated once, with the JIT, and replaced by a new param holding its
// value. Never used for training, where params change every step
// (ir/pass_registry.h: PassContext::paramsAreConstant).
#pragma once
#include "ir/graph.h"
#include "ir/pass_manager.h"
#include "ir/pass_registry.h"
#include "runtime/param_store.h"

#include <memory>

#include <map>
#include <string>

namespace nnc::cli {

/// Folds `g` in place using the values in `store`; the new params
/// ("folded.0", ...) are added to `store`. Counts in `stats` under
/// "fold-baked-weights". Returns how many subexpressions were folded.
int foldBakedWeights(ir::Graph &g, runtime::ParamStore &store, ir::PassStatistics &stats);

/// The whole folding of an inference graph with baked weights: -fold-batch-norm
/// (batch norm into the preceding convolution, ir/passes/fold_batch_norm.cpp)
/// with PassContext::paramsAreConstant, through `pm` (its --print-after and
/// --stats), then foldBakedWeights, which computes the folded weights. Both
/// the object file and the JIT's --predict with fixed weights use it, so they
/// run the same graph.
void bakeWeights(std::unique_ptr<ir::Graph> &g, runtime::ParamStore &store, ir::PassManager &pm);

} // namespace nnc::cli

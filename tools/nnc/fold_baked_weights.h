// Constant folding of an inference build whose weights are baked in (the
// --emit=obj|asm path): every maximal subexpression computed from params and
// constants alone (no input, no batch size, no randomness) — exp(log_scale),
// transpose(W), W * 2, ... — is evaluated once, with the JIT, and replaced by
// a new param holding its value. Never used for training, where params
// change every step (ir/pass_registry.h: PassContext::paramsAreConstant).
#pragma once
#include "ir/graph.h"
#include "ir/pass_registry.h"
#include "runtime/param_store.h"

#include <map>
#include <string>

namespace nnc::cli {

/// Folds `g` in place using the values in `store`; the new params
/// ("folded.0", ...) are added to `store`. Counts in `stats` under
/// "fold-baked-weights". Returns how many subexpressions were folded.
int foldBakedWeights(ir::Graph &g, runtime::ParamStore &store, ir::PassStatistics &stats);

} // namespace nnc::cli

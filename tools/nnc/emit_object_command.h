// --emit=obj | --emit=asm: the prediction graph with the trained weights of
// --weights becomes a standalone object file (or assembly) plus its C header
// (model.o + model.h), for the host or --target=TRIPLE --cpu=NAME.
#pragma once
#include "frontend/model.h"
#include "ir/graph.h"
#include "options.h"

namespace nnc::cli {

/// Writes opts.output (default <model>.o / <model>.s) and the header next to
/// it (same path, extension .h), both atomically and only if both succeed.
/// `graphs` initialize the parameter store as for training (see Session).
/// Throws runtime::DataError / std::runtime_error for user errors.
void runEmitObject(const frontend::Model &m, const std::vector<const ir::Graph *> &graphs,
                   const ir::Graph &prediction, const Options &opts);

} // namespace nnc::cli

// --emit=obj | --emit=asm: the prediction graph with the trained weights of
// --weights becomes a standalone object file (or assembly) plus its C header
// (model.o + model.h), for the host or --target=TRIPLE --cpu=NAME.
#pragma once
#include "frontend/model.h"
#include "ir/graph.h"
#include "ir/pass_manager.h"
#include "options.h"

namespace nnc::cli {

struct AotOutputs {
  std::string object, header;
};
/// The files --emit=obj|asm writes: -o (default <model>.o / <model>.s) and
/// the header beside it (its extension replaced by .h). DataError if they
/// are the same file.
AotOutputs aotOutputs(const frontend::Model &m, const Options &opts);

/// Writes opts.output (default <model>.o / <model>.s) and the header next to
/// it (same path, extension .h), both atomically and only if both succeed.
/// `graphs` initialize the parameter store as for training (see Session).
/// `prediction` is the graph as built: with -O1 and up, batch norms are folded
/// into their convolutions and its param-only parts computed with the loaded
/// weights (fold_baked_weights.h: bakeWeights), then `pm` runs
/// the -O pipeline on it. Throws runtime::DataError / std::runtime_error for
/// user errors.
void runEmitObject(const frontend::Model &m, const std::vector<const ir::Graph *> &graphs,
                   std::unique_ptr<ir::Graph> prediction, ir::PassManager &pm,
                   const Options &opts);

} // namespace nnc::cli

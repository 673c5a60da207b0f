// -dce: dead code elimination, Graph::eraseDeadNodes.
#include "ir/pass_registry.h"

namespace nnc::ir::passes {

void deadCodeElimination(std::unique_ptr<Graph> &g, PassContext &ctx) {
  size_t before = g->nodes().size();
  g->eraseDeadNodes();
  ctx.stats.add("dce", "ops removed", (int64_t)(before - g->nodes().size()));
}

} // namespace nnc::ir::passes

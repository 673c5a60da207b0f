// -dce: dead code elimination, Graph::eraseDeadNodes.
#include "ir/pass_registry.h"

namespace nnc::ir::passes {

void deadCodeElimination(std::unique_ptr<Graph> &g) { g->eraseDeadNodes(); }

} // namespace nnc::ir::passes

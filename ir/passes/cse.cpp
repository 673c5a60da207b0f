// -cse: (stub, being written)
#include "ir/pass_registry.h"

namespace nnc::ir::passes {

void commonSubexpressionElimination(std::unique_ptr<Graph> &g, PassContext &ctx) {}

} // namespace nnc::ir::passes

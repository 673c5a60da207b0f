// -verify: fails with the verifier's message if an invariant is broken.
#include "ir/pass_registry.h"
#include "ir/verifier.h"

namespace nnc::ir::passes {

void verify(std::unique_ptr<Graph> &g, PassContext &) {
  std::string broken = verifyGraph(*g);
  if (!broken.empty())
    throw PassError(broken);
}

} // namespace nnc::ir::passes

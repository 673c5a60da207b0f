// -autodiff: the backward graph of ir/autodiff.h appended to the graph, each
// parameter's gradient exposed as output "grad.<param name>" (in param order).
// A graph that has such an output already (autodiff applied twice) is refused.
#include "ir/autodiff.h"
#include "ir/builder.h"
#include "ir/passes/loss_check.h"

namespace nnc::ir::passes {

void autodiff(std::unique_ptr<Graph> &g, PassContext &) {
  Node *loss = requireLoss(*g, "autodiff");
  std::vector<Node *> params = g->nodesOfKind(OpKind::Param);
  for (Node *p : params)
    if (g->findNamed(OpKind::Output, "grad." + p->name))
      throw PassError(fmt::format("the graph already has an output \"grad.{}\"; "
                                  "apply autodiff once",
                                  p->name));
  std::map<Node *, Node *> grads = buildGradients(*g, loss);
  Builder b(*g);
  for (Node *p : params)
    b.output("grad." + p->name, grads.at(p));
}

} // namespace nnc::ir::passes

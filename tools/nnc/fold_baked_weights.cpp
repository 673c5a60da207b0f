#include "fold_baked_weights.h"

#include "codegen/jit_compiler.h"
#include "runtime/kernel_runner.h"

#include <stdexcept>
#include <unordered_set>

namespace nnc::cli {

namespace {

bool isEffect(ir::OpKind k) { return k == ir::OpKind::Assign || k == ir::OpKind::Output; }

/// Params, constants and states (such as batch norm's running statistics,
/// fixed in an inference graph unless an assign writes them).
bool isFixedLeaf(const ir::Node &n) {
  return n.kind == ir::OpKind::Param || n.kind == ir::OpKind::Constant ||
         n.kind == ir::OpKind::State;
}

/// Nodes whose value depends on params, constants and unwritten states only.
std::unordered_set<const ir::Node *> paramOnlyNodes(const ir::Graph &g) {
  std::unordered_set<const ir::Node *> fixed, written;
  for (const ir::Node *a : g.nodesOfKind(ir::OpKind::Assign))
    written.insert(a->operand(0));
  for (auto &up : g.nodes()) {
    const ir::Node *n = up.get();
    if (isFixedLeaf(*n) && !written.count(n)) {
      fixed.insert(n);
      continue;
    }
    if (ir::opArity(n->kind) == 0 || isEffect(n->kind) || n->kind == ir::OpKind::DropoutMask ||
        n->shape().hasBatch())
      continue;
    bool all = true;
    for (const ir::Node *op : n->operands)
      all = all && fixed.count(op);
    if (all)
      fixed.insert(n);
  }
  return fixed;
}

} // namespace

int foldBakedWeights(ir::Graph &g, runtime::ParamStore &store, ir::PassStatistics &stats) {
  std::unordered_set<const ir::Node *> fixed = paramOnlyNodes(g);
  // Roots: computed param-only values read by something that is not.
  std::vector<size_t> rootPositions;
  std::unordered_set<const ir::Node *> roots;
  for (auto &up : g.nodes())
    if (!fixed.count(up.get()))
      for (const ir::Node *op : up->operands)
        if (fixed.count(op) && !isFixedLeaf(*op))
          roots.insert(op);
  for (size_t i = 0; i < g.nodes().size(); ++i)
    if (roots.count(g.nodes()[i].get()))
      rootPositions.push_back(i);
  if (rootPositions.empty())
    return 0;

  // Evaluate them: the graph with one output per root, JIT-compiled, run once.
  std::unique_ptr<ir::Graph> eval = g.clone();
  eval->setName(g.name() + ".fold");
  std::vector<ir::Node *> evalRoots;
  for (size_t pos : rootPositions)
    evalRoots.push_back(eval->nodes()[pos].get());
  eval->dropOutputsExcept("");
  std::vector<std::string> names;
  for (size_t k = 0; k < evalRoots.size(); ++k) {
    std::string name = "folded." + std::to_string(k);
    while (store.contains(name) || g.findNamed(ir::OpKind::Param, name))
      name += "_";
    names.push_back(name);
    ir::Node *out = eval->append(ir::OpKind::Output, ir::TensorType::voidType(), {evalRoots[k]});
    out->name = name;
  }
  eval->eraseDeadNodes(/*keepInterface=*/false);
  codegen::JitCompiler jit;
  codegen::KernelSignature sig = jit.add(*eval, "nnc_fold_baked_weights", 1);
  jit.compile(2);
  runtime::KernelRunner runner(sig, jit.lookup(sig.symbol), store);
  std::vector<runtime::TensorBuffer> values(evalRoots.size());
  for (size_t k = 0; k < evalRoots.size(); ++k) {
    values[k].type = evalRoots[k]->type;
    values[k].allocate();
    runner.bind(codegen::Binding::Output, names[k], values[k].data());
  }
  runner.run(1);

  // Replace each root by a param holding its value.
  for (size_t k = 0; k < rootPositions.size(); ++k) {
    ir::Node *root = g.nodes()[rootPositions[k]].get();
    ir::Node *param = g.insertBefore(g.nodes().front().get(), ir::OpKind::Param, root->type, {});
    param->name = names[k];
    param->loc = root->loc;
    store.add(names[k], std::move(values[k]));
    g.replaceAllUsesWith(root, param);
    for (size_t j = k + 1; j < rootPositions.size(); ++j)
      ++rootPositions[j]; // the new param sits before them
  }
  size_t before = g.nodes().size();
  g.eraseDeadNodes(/*keepInterface=*/false);
  stats.add("fold-baked-weights", "param-only subexpressions precomputed",
            (int64_t)rootPositions.size());
  stats.add("fold-baked-weights", "ops removed", (int64_t)(before - g.nodes().size()));
  return (int)rootPositions.size();
}

void bakeWeights(std::unique_ptr<ir::Graph> &g, runtime::ParamStore &store, ir::PassManager &pm) {
  bool before = pm.context().paramsAreConstant;
  pm.context().paramsAreConstant = true;
  std::string failure = pm.run({"fold-batch-norm"}, g);
  pm.context().paramsAreConstant = before;
  if (!failure.empty())
    throw std::logic_error(failure);
  foldBakedWeights(*g, store, pm.context().stats);
}

} // namespace nnc::cli

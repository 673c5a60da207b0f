#include "ir/verifier.h"

#include "ir/fusion_group.h"
#include "ir/node_type.h"
#include "ir/printer.h"

#include <fmt/format.h>
#include <set>
#include <unordered_map>

namespace nnc::ir {

namespace {

bool isEffect(OpKind k) { return k == OpKind::Assign || k == OpKind::Output; }
bool isNamedLeaf(OpKind k) {
  return k == OpKind::Input || k == OpKind::Param || k == OpKind::State;
}

class Verifier {
public:
  explicit Verifier(const Graph &g) : g_(g), names_(g) {
    for (size_t i = 0; i < g.nodes().size(); ++i)
      position_[g.nodes()[i].get()] = i;
  }

  VerifierFailure run() {
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      const Node &n = *g_.nodes()[i];
      std::string what = checkOperands(n, i);
      if (what.empty())
        what = checkType(n);
      if (what.empty())
        what = checkNames(n);
      if (!what.empty())
        return {&n, what};
    }
    std::string what;
    const Node *culprit = nullptr;
    collectFusionGroups(g_, what, &culprit);
    if (!what.empty())
      return {culprit, what};
    return {};
  }

  std::string printed(const Node &n) const { return printNode(n, names_); }

private:
  std::string checkOperands(const Node &n, size_t index) const {
    int arity = opArity(n.kind);
    if (arity >= 0 && n.operands.size() != (size_t)arity)
      return fmt::format("'{}' takes {} operand{}, has {}", opName(n.kind), arity,
                         arity == 1 ? "" : "s", n.operands.size());
    if (arity < 0 && n.operands.empty())
      return fmt::format("'{}' needs at least one operand", opName(n.kind));
    for (size_t j = 0; j < n.operands.size(); ++j) {
      const Node *op = n.operands[j];
      if (!op)
        return fmt::format("operand {} is null", j);
      auto it = position_.find(op);
      if (it == position_.end())
        return fmt::format("operand {} is not a node of this graph", j);
      if (it->second == index)
        return fmt::format("operand {} is the node itself", j);
      if (it->second > index)
        return fmt::format("operand {} ({}) is defined after its use", j, names_(op));
      if (op->type.isVoid)
        return fmt::format("operand {} is the effect '{}', which has no value", j,
                           opName(op->kind));
    }
    return "";
  }

  std::string checkType(const Node &n) const {
    if (isEffect(n.kind) != n.type.isVoid)
      return isEffect(n.kind)
                 ? fmt::format("the effect '{}' must have no result type", opName(n.kind))
                 : fmt::format("'{}' must have a tensor type", opName(n.kind));
    if (std::string tooLarge = tensorSizeError(n.type); !tooLarge.empty())
      return tooLarge;
    TypeOrError r = inferNodeType(n);
    if (!r.ok())
      return r.error;
    if (r.type != n.type)
      return fmt::format("type {} disagrees with the type {} inferred for '{}'", n.type.str(),
                         r.type.str(), opName(n.kind));
    return "";
  }

  std::string checkNames(const Node &n) {
    if (isNamedLeaf(n.kind)) {
      if (n.name.empty())
        return fmt::format("'{}' has an empty name", opName(n.kind));
      if (!leafNames_.insert({n.kind, n.name}).second)
        return fmt::format("duplicate {} name {}", opName(n.kind), quoteString(n.name));
    }
    if (n.kind == OpKind::Output) {
      if (!outputNames_.insert(n.name).second)
        return fmt::format("duplicate output {}", quoteString(n.name));
      const TensorType &t = n.operand(0)->type;
      if (n.name == "loss" && !t.shape.isScalar())
        return fmt::format("the loss output must be a scalar, got {}", t.str());
    }
    return "";
  }

  const Graph &g_;
  ValueNames names_;
  std::unordered_map<const Node *, size_t> position_;
  std::set<std::pair<OpKind, std::string>> leafNames_;
  std::set<std::string> outputNames_;
};

} // namespace

VerifierFailure findFirstBrokenInvariant(const Graph &g) { return Verifier(g).run(); }

std::string verifyGraph(const Graph &g) {
  Verifier v(g);
  VerifierFailure f = v.run();
  return f.node ? f.what + "\n  " + v.printed(*f.node) : "";
}

} // namespace nnc::ir

#include "ir/printer.h"

#include <fmt/format.h>

namespace nnc::ir {

std::string valueName(const Node *n) {
  bool named = n->kind == OpKind::Input || n->kind == OpKind::Param || n->kind == OpKind::State;
  return named ? "%" + n->name : "%" + std::to_string(n->id);
}

static std::string printNode(const Node &n) {
  std::string s = "  ";
  if (!n.type.isVoid)
    s += valueName(&n) + " = ";
  s += opName(n.kind);
  switch (n.kind) {
  case OpKind::Input:
    s += fmt::format(" \"{}\"", n.name);
    if (n.classes)
      s += fmt::format(" classes={}", n.classes);
    break;
  case OpKind::Param:
  case OpKind::State:
    s += fmt::format(" \"{}\" {}", n.name, n.init.str());
    break;
  case OpKind::Constant:
    s += fmt::format(" {}", n.scalar);
    break;
  case OpKind::Output:
    s += fmt::format(" \"{}\"", n.name);
    break;
  default:
    break;
  }
  for (size_t i = 0; i < n.operands.size(); ++i)
    s += (i ? ", " : " ") + valueName(n.operands[i]);
  if (n.kind == OpKind::ReduceSum || n.kind == OpKind::ReduceMax) {
    s += " axes=[";
    for (size_t i = 0; i < n.axes.size(); ++i)
      s += (i ? "," : "") + std::to_string(n.axes[i]);
    s += "]";
    if (n.keepdims)
      s += " keepdims";
  }
  if (n.kind == OpKind::Concat)
    s += fmt::format(" axis={}", n.axes[0]);
  if (n.kind == OpKind::Slice)
    s += fmt::format(" axis={} start={}", n.axes[0], n.start);
  if (n.kind == OpKind::DropoutMask)
    s += fmt::format(" rate={} seed={}", n.scalar, n.seed);
  if (!n.type.isVoid)
    s += " : " + n.type.str();
  return s + "\n";
}

std::string printGraph(const Graph &g) {
  std::string s = fmt::format("graph @{} {{\n", g.name());
  for (auto &n : g.nodes())
    s += printNode(*n);
  return s + "}\n";
}

} // namespace nnc::ir

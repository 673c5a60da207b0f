#include "ir/printer.h"

#include <cctype>
#include <fmt/format.h>
#include <unordered_set>

namespace nnc::ir {

namespace {

bool isLeafWithName(OpKind k) {
  return k == OpKind::Input || k == OpKind::Param || k == OpKind::State;
}

std::string label(std::string_view name) {
  return "%" + (isBareName(name) ? std::string(name) : quoteString(name));
}

std::string intList(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

/// The attributes printed after the operands, each with a leading space.
std::string attributes(const Node &n) {
  switch (n.kind) {
  case OpKind::Input:
    return n.classes ? fmt::format(" classes={}", n.classes) : "";
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
    return " axes=" + intList(n.axes) + (n.keepdims ? " keepdims" : "");
  case OpKind::Concat:
    return fmt::format(" axis={}", n.axes.empty() ? 0 : n.axes[0]);
  case OpKind::Slice:
    return fmt::format(" axis={} start={}", n.axes.empty() ? 0 : n.axes[0], n.start);
  case OpKind::DropoutMask:
    return fmt::format(" rate={} seed={}", n.scalar, n.seed);
  case OpKind::Conv2D:
  case OpKind::Conv2DGradInput:
  case OpKind::Conv2DGradFilter:
    return " stride=" + intList({n.win.sh, n.win.sw}) +
           " pad=" + intList({n.win.top, n.win.left, n.win.bottom, n.win.right});
  case OpKind::MaxPool2D:
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2D:
  case OpKind::AvgPool2DGrad:
    return " window=" + intList({n.win.kh, n.win.kw}) + " stride=" + intList({n.win.sh, n.win.sw}) +
           " pad=" + intList({n.win.top, n.win.left, n.win.bottom, n.win.right});
  default:
    return "";
  }
}

} // namespace

bool isBareName(std::string_view s) {
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum((unsigned char)c) || c == '_' || c == '.'))
      return false;
  return true;
}

std::string quoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = (unsigned char)c;
    if (c == '"' || c == '\\' || u < 0x20 || u > 0x7e)
      out += fmt::format("\\{:02X}", u);
    else
      out += c;
  }
  return out + "\"";
}

ValueNames::ValueNames(const Graph &g) {
  std::unordered_set<std::string> taken;
  int position = 0;
  for (auto &n : g.nodes()) {
    if (n->type.isVoid)
      continue;
    std::string numbered = "%" + std::to_string(position++);
    std::string named = label(n->name);
    if (isLeafWithName(n->kind) && !n->name.empty() && taken.insert(named).second)
      labels_[n.get()] = named;
    else
      labels_[n.get()] = numbered;
  }
}

std::string ValueNames::operator()(const Node *n) const {
  auto it = labels_.find(n);
  return it == labels_.end() ? "%?" : it->second;
}

std::string valueName(const Node *n) {
  return isLeafWithName(n->kind) ? label(n->name) : "%" + std::to_string(n->id);
}

std::string printNode(const Node &n, const ValueNames &names) {
  std::string s;
  if (!n.type.isVoid)
    s += names(&n) + " = ";
  s += opName(n.kind);
  switch (n.kind) {
  case OpKind::Input:
  case OpKind::Output:
    s += " " + quoteString(n.name);
    break;
  case OpKind::Param:
  case OpKind::State:
    s += " " + quoteString(n.name) + " " + n.init.str();
    break;
  case OpKind::Constant:
    s += fmt::format(" {}", n.scalar);
    break;
  default:
    break;
  }
  for (size_t i = 0; i < n.operands.size(); ++i)
    s += (i ? ", " : " ") + names(n.operands[i]);
  s += attributes(n);
  if (n.group)
    s += fmt::format(" group={}", n.group);
  if (!n.type.isVoid)
    s += " : " + n.type.str();
  return s;
}

std::string printGraph(const Graph &g) {
  ValueNames names(g);
  std::string s = "graph @" + (isBareName(g.name()) ? g.name() : quoteString(g.name())) + " {\n";
  for (auto &n : g.nodes())
    s += "  " + printNode(*n, names) + "\n";
  return s + "}\n";
}

} // namespace nnc::ir

#include "ir/graph.h"

#include <algorithm>
#include <cassert>
#include <fmt/format.h>
#include <unordered_map>
#include <unordered_set>

namespace nnc::ir {

const char *opName(OpKind k) {
  switch (k) {
#define NNC_OP(E, name, arity)                                                                     \
  case OpKind::E:                                                                                  \
    return name;
#include "ir/ops.def"
  }
  return "?";
}

int opArity(OpKind k) {
  switch (k) {
#define NNC_OP(E, name, arity)                                                                     \
  case OpKind::E:                                                                                  \
    return arity;
#include "ir/ops.def"
  }
  return -1;
}

bool isElementwiseUnary(OpKind k) {
  switch (k) {
  case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt:
  case OpKind::Relu: case OpKind::Sigmoid: case OpKind::Tanh: case OpKind::Abs:
  case OpKind::Erf: case OpKind::Softplus:
    return true;
  default:
    return false;
  }
}

bool isElementwiseBinary(OpKind k) {
  switch (k) {
  case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div:
  case OpKind::Pow: case OpKind::Greater: case OpKind::Maximum: case OpKind::Minimum:
    return true;
  default:
    return false;
  }
}

bool hasKernel(OpKind k) {
  return opArity(k) != 0 && k != OpKind::Assign && k != OpKind::Output;
}

std::string Initializer::str() const {
  switch (kind) {
  case Zeros: return "zeros()";
  case Ones: return "ones()";
  case Constant: return fmt::format("constant({})", a);
  case Uniform: return fmt::format("uniform({}, {})", a, b);
  case Normal: return fmt::format("normal({}, {})", a, b);
  case GlorotUniform: return "glorot_uniform()";
  case GlorotNormal: return "glorot_normal()";
  case HeUniform: return "he_uniform()";
  case HeNormal: return "he_normal()";
  }
  return "?";
}

Node *Graph::append(OpKind kind, TensorType type, std::vector<Node *> operands) {
  assert(opArity(kind) < 0 || opArity(kind) == (int)operands.size());
  auto n = std::make_unique<Node>();
  n->id = nextId_++;
  n->kind = kind;
  n->type = std::move(type);
  n->operands = std::move(operands);
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

std::vector<Node *> Graph::nodesOfKind(OpKind k) const {
  std::vector<Node *> out;
  for (auto &n : nodes_)
    if (n->kind == k)
      out.push_back(n.get());
  return out;
}

Node *Graph::findNamed(OpKind k, const std::string &name) const {
  for (auto &n : nodes_)
    if (n->kind == k && n->name == name)
      return n.get();
  return nullptr;
}

Node *Graph::loss() const {
  Node *out = findNamed(OpKind::Output, "loss");
  return out ? out->operand(0) : nullptr;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>(name_);
  std::unordered_map<const Node *, Node *> map;
  for (auto &n : nodes_) {
    auto c = std::make_unique<Node>(*n);
    for (auto &op : c->operands)
      op = map.at(op);
    map[n.get()] = c.get();
    g->nodes_.push_back(std::move(c));
  }
  g->nextId_ = nextId_;
  return g;
}

void Graph::dropOutputsExcept(const std::string &keep) {
  std::erase_if(nodes_, [&](const std::unique_ptr<Node> &n) {
    return n->kind == OpKind::Output && n->name != keep;
  });
}

void Graph::dropOutput(const std::string &name) {
  std::erase_if(nodes_, [&](const std::unique_ptr<Node> &n) {
    return n->kind == OpKind::Output && n->name == name;
  });
}

void Graph::eraseDeadNodes(bool keepInterface) {
  std::unordered_set<const Node *> live;
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    Node *n = it->get();
    bool effect = n->kind == OpKind::Assign || n->kind == OpKind::Output;
    // Inputs, params and states are the step's interface: always kept.
    bool iface = keepInterface && (n->kind == OpKind::Input || n->kind == OpKind::Param ||
                                   n->kind == OpKind::State);
    if (effect || iface || live.count(n))
      for (Node *op : n->operands)
        live.insert(op);
    if (effect || iface)
      live.insert(n);
  }
  std::vector<std::unique_ptr<Node>> kept;
  for (auto &n : nodes_)
    if (live.count(n.get()))
      kept.push_back(std::move(n));
  nodes_ = std::move(kept);
  nextId_ = 0;
  for (auto &n : nodes_)
    n->id = nextId_++;
}

void Graph::replaceAllUsesWith(Node *from, Node *to) {
  for (auto &n : nodes_)
    for (Node *&op : n->operands)
      if (op == from)
        op = to;
}

Node *Graph::insertBefore(const Node *pos, OpKind kind, TensorType type,
                          std::vector<Node *> operands) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(),
                         [&](const std::unique_ptr<Node> &n) { return n.get() == pos; });
  assert(it != nodes_.end());
  auto n = std::make_unique<Node>();
  n->id = nextId_++;
  n->kind = kind;
  n->type = std::move(type);
  n->operands = std::move(operands);
  return nodes_.insert(it, std::move(n))->get();
}

void Graph::reorder(const std::vector<Node *> &order) {
  assert(order.size() == nodes_.size());
  std::unordered_map<const Node *, std::unique_ptr<Node>> owned;
  for (auto &n : nodes_)
    owned[n.get()] = std::move(n);
  for (size_t i = 0; i < order.size(); ++i)
    nodes_[i] = std::move(owned.at(order[i]));
}

void Graph::erase(const std::vector<const Node *> &dead) {
  std::unordered_set<const Node *> gone(dead.begin(), dead.end());
  std::erase_if(nodes_, [&](const std::unique_ptr<Node> &n) { return gone.count(n.get()) > 0; });
}

int Graph::useCount(const Node *n) const {
  int uses = 0;
  for (auto &m : nodes_)
    for (const Node *op : m->operands)
      uses += op == n;
  return uses;
}

} // namespace nnc::ir

#include "ir/fusion_group.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace nnc::ir {

bool isFusibleElementwise(OpKind k) {
  return isElementwiseUnary(k) || isElementwiseBinary(k) || k == OpKind::Select ||
         k == OpKind::Broadcast;
}

bool isGroupHead(OpKind k) { return k == OpKind::MatMul || k == OpKind::Conv2D; }

bool isBlockReduction(const Node &r) {
  int64_t rank = (int64_t)r.operand(0)->shape().rank();
  if (r.kind != OpKind::ReduceSum || rank < 3 || r.axes.empty() || r.axes[0] != 0)
    return false;
  // axes = {0, m, m+1, ..., rank-1} with 2 <= m <= rank-1 (sorted, normalized).
  int64_t m = r.axes.size() > 1 ? r.axes[1] : rank;
  if (m < 2 || m >= rank || (int64_t)r.axes.size() != 1 + rank - m)
    return false;
  for (size_t i = 1; i < r.axes.size(); ++i)
    if (r.axes[i] != m + (int64_t)i - 1)
      return false;
  return true;
}

bool isRowReduction(const Node &r) {
  return r.kind == OpKind::ReduceSum && r.operand(0)->shape().rank() == 2 && r.axes.size() == 1 &&
         r.axes[0] == 0;
}

std::vector<Node *> FusionGroup::members() const {
  std::vector<Node *> all;
  if (head)
    all.push_back(head);
  all.insert(all.end(), elementwise.begin(), elementwise.end());
  if (reduction)
    all.push_back(reduction);
  return all;
}

bool FusionGroup::contains(const Node *n) const {
  return n == head || n == reduction ||
         std::find(elementwise.begin(), elementwise.end(), n) != elementwise.end();
}

namespace {

std::string checkGroup(const FusionGroup &gr, const Node *&culprit) {
  if (gr.elementwise.empty()) {
    culprit = gr.head ? gr.head : gr.reduction;
    return fmt::format("fusion group {} has no elementwise op", gr.id);
  }
  if (gr.head && gr.reduction && !isRowReduction(*gr.reduction)) {
    culprit = gr.reduction;
    return fmt::format("fusion group {} has a matmul head and a reduction other than a sum over axis 0",
                       gr.id);
  }
  if (gr.head && ((gr.head->kind == OpKind::MatMul && gr.head->shape().rank() != 2) ||
                  !(gr.head->shape() == gr.loopShape))) {
    culprit = gr.head;
    return fmt::format("the {} heading fusion group {} does not have the group's shape", opName(gr.head->kind),
                       gr.id);
  }
  for (const Node *m : gr.elementwise) {
    if (!(m->shape() == gr.loopShape)) {
      culprit = m;
      return fmt::format("member of fusion group {} has shape {}, the group's is {}", gr.id,
                         m->shape().str(), gr.loopShape.str());
    }
    for (const Node *op : m->operands)
      if (gr.contains(op) && (op == gr.reduction || !(op->shape() == gr.loopShape))) {
        culprit = m;
        return fmt::format("member of fusion group {} reads another member at a different index",
                           gr.id);
      }
  }
  if (gr.reduction && !gr.contains(gr.reduction->operand(0))) {
    culprit = gr.reduction;
    return fmt::format("the reduction of fusion group {} does not reduce a member", gr.id);
  }
  return "";
}

} // namespace

std::vector<FusionGroup> collectFusionGroups(const Graph &g, std::string &error,
                                             const Node **culprit) {
  std::vector<FusionGroup> groups;
  std::map<int, size_t> seen;
  const Node *bad = nullptr;
  error.clear();
  int current = 0;
  for (auto &up : g.nodes()) {
    Node *n = up.get();
    if (n->group == 0) {
      current = 0;
      continue;
    }
    if (n->group != current) {
      if (seen.count(n->group)) {
        error = fmt::format("fusion group {} is not contiguous", n->group);
        bad = n;
        break;
      }
      seen[n->group] = groups.size();
      groups.push_back({});
      groups.back().id = n->group;
      current = n->group;
    }
    FusionGroup &gr = groups.back();
    if (isGroupHead(n->kind) && gr.elementwise.empty() && !gr.head) {
      gr.head = n;
    } else if (isFusibleElementwise(n->kind) && !gr.reduction) {
      if (gr.elementwise.empty())
        gr.loopShape = n->shape();
      gr.elementwise.push_back(n);
    } else if ((n->kind == OpKind::ReduceSum || n->kind == OpKind::ReduceMax) && !gr.reduction &&
               !gr.elementwise.empty()) {
      gr.reduction = n;
    } else {
      error = fmt::format("'{}' cannot be at this place in fusion group {}", opName(n->kind),
                          n->group);
      bad = n;
      break;
    }
  }
  if (error.empty())
    for (const FusionGroup &gr : groups)
      if (std::string e = checkGroup(gr, bad); !e.empty()) {
        error = e;
        break;
      }
  if (!error.empty()) {
    groups.clear();
    if (culprit)
      *culprit = bad;
  }
  return groups;
}

} // namespace nnc::ir

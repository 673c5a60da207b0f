#include "codegen/buffer_plan.h"

#include <algorithm>
#include <map>

namespace nnc::codegen {

namespace {

bool isEffect(ir::OpKind k) { return k == ir::OpKind::Assign || k == ir::OpKind::Output; }

} // namespace

BufferPlan planWorkspace(const ir::Graph &g, int64_t maxBatch,
                         const std::function<bool(const ir::Node &)> &inMemory,
                         const std::function<const ir::Node *(const ir::Node *)> &readsFrom,
                         int64_t align) {
  // Kernel index of every node: a new kernel per node, or per fusion group.
  std::unordered_map<const ir::Node *, int> kernel;
  int kernels = 0, lastGroup = 0;
  for (auto &up : g.nodes()) {
    const ir::Node *n = up.get();
    if (!ir::hasKernel(n->kind))
      continue;
    if (!(n->group && n->group == lastGroup))
      ++kernels;
    lastGroup = n->group;
    kernel[n] = kernels - 1;
  }
  // Live range [first kernel, last kernel] of each planned value.
  struct Range {
    const ir::Node *node;
    int first, last;
    int64_t bytes;
  };
  std::vector<Range> ranges;
  std::unordered_map<const ir::Node *, size_t> index;
  for (auto &up : g.nodes()) {
    const ir::Node *n = up.get();
    if (!kernel.count(n) || !inMemory(*n))
      continue;
    // Capped at 2^50 (1 PB) so that the sums below cannot wrap; a plan that
    // large is refused by the driver's memory check (tools/nnc/memory_budget.h).
    int64_t bytes = std::min<int64_t>(n->type.bytes(maxBatch), int64_t(1) << 50);
    bytes = (bytes + align - 1) / align * align;
    index[n] = ranges.size();
    ranges.push_back({n, kernel[n], kernel[n], bytes});
  }
  for (auto &up : g.nodes())
    for (const ir::Node *op : up->operands) {
      auto it = index.find(readsFrom(op));
      if (it == index.end())
        continue;
      int use = isEffect(up->kind) ? kernels : kernel.at(up.get());
      ranges[it->second].last = std::max(ranges[it->second].last, use);
    }

  // First fit, in order of definition: a value takes the lowest offset whose
  // bytes no overlapping live range holds.
  BufferPlan plan;
  std::vector<const Range *> placed;
  for (const Range &r : ranges) {
    plan.unplannedBytes += r.bytes;
    std::vector<std::pair<int64_t, int64_t>> busy; // [begin, end) of overlapping values
    for (const Range *p : placed)
      if (p->first <= r.last && r.first <= p->last)
        busy.push_back({plan.offset[p->node], plan.offset[p->node] + p->bytes});
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (auto [b, e] : busy) {
      if (at + r.bytes <= b)
        break;
      at = std::max(at, e);
    }
    plan.offset[r.node] = at;
    plan.bytes = std::max(plan.bytes, at + r.bytes);
    placed.push_back(&r);
  }
  return plan;
}

} // namespace nnc::codegen

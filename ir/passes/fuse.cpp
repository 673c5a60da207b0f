// -fuse: forms fusion groups (ir/fusion_group.h), visiting nodes in graph
// order and growing groups greedily:
//   - an elementwise op joins the group of an operand of its own shape;
//   - else, an elementwise op of a matmul's (or conv2d's) shape starts a
//     group with that op as head (its epilogue: bias add, activation, an
//     optimizer update of the weight gradient, ...) when only elementwise
//     ops of its shape read it;
//   - a reduction of a group member closes that group as its tail (in a
//     matmul-headed group: only a sum over the rows of a member that is in
//     memory anyway, i.e. has another reader; e.g. a layer's bias gradient
//     next to its weight gradient's operand), unless codegen sums it in
//     vector blocks (isBlockReduction: an image layer's bias gradient);
//   - once an elementwise op has its group, the groups of its other operands
//     of its shape (elementwise members, not heads) merge into it: the
//     groups become one (an optimizer update that reads several chains, e.g.
//     Adam's two moments, becomes one loop).
//   - an elementwise op with one user, an elementwise op of its shape, whose
//     operands are all in memory anyway (read by a matmul, transpose,
//     reduction, ...) or scalars, waits for that user and joins its group:
//     it is recomputed where it is used instead of being stored by its
//     operands' group and loaded again (relu's mask `greater(h, 0)` is
//     computed by the backward epilogue from h, which the weight gradient
//     reads anyway). If it cannot join there, it is placed as above.
// Joining is legal only if no other operand of the newcomer depends on the
// group through nodes outside it (counting a group's members as one node):
// the group runs as one kernel, so such a dependency would be a cycle.
// Merging two groups is legal only if both have the loop shape, neither is
// closed (has its tail), at most one has a matmul head and that head reads
// no member of the other, and no path leads from either group to the other
// through nodes outside both (again counting other groups as one node each).
// Groups of one node are dissolved, then the graph is re-sorted so each
// group is contiguous (a topological order of the graph with each group
// condensed to one node; a head first in its group). Members that something
// outside the group reads stay in memory (codegen stores them), so a value
// the backward pass needs is never lost.
#include "ir/fusion_group.h"
#include "ir/pass_registry.h"

#include <algorithm>
#include <map>
#include <queue>
#include <set>
#include <unordered_map>

namespace nnc::ir::passes {

namespace {

struct GroupState {
  Shape shape;
  bool hasHead = false;
  bool closed = false; // has its reduction tail
  int size = 0;
  std::vector<Node *> members;
};

class Fuser {
public:
  explicit Fuser(Graph &g) : g_(g) {}

  void formGroups() {
    for (auto &up : g_.nodes()) {
      Node *n = up.get();
      n->group = 0;
      uses_[n] = 0;
    }
    for (auto &up : g_.nodes())
      for (Node *op : up->operands) {
        ++uses_[op];
        users_[op].push_back(up.get());
      }
    for (auto &up : g_.nodes())
      visit(up.get());
  }

  /// Dissolves one-node groups, numbers the rest 1, 2, ... in graph order.
  int renumber() {
    std::map<int, int> fresh;
    for (auto &up : g_.nodes()) {
      Node *n = up.get();
      if (n->group && groups_[n->group].size < 2)
        n->group = 0;
      if (n->group && !fresh.count(n->group))
        fresh.emplace(n->group, (int)fresh.size() + 1);
      if (n->group)
        n->group = fresh[n->group];
    }
    return (int)fresh.size();
  }

  /// Numbers the groups 1, 2, ... in their final order, so that fusing a
  /// fused graph again gives the same text (the pass is idempotent).
  void numberInGraphOrder() {
    std::map<int, int> fresh;
    for (auto &up : g_.nodes()) {
      Node *n = up.get();
      if (!n->group)
        continue;
      fresh.emplace(n->group, (int)fresh.size() + 1);
      n->group = fresh[n->group];
    }
  }

  /// Topological order with each group condensed: a group is placed when
  /// every operand of every member outside it is placed; ties go to the
  /// earliest original position, so an unfused graph keeps its order.
  void makeGroupsContiguous() {
    const auto &nodes = g_.nodes();
    std::unordered_map<const Node *, size_t> pos;
    for (size_t i = 0; i < nodes.size(); ++i)
      pos[nodes[i].get()] = i;
    // Units: a group (key -id) or a single node (key its position).
    auto unitOf = [&](const Node *n) { return n->group ? -(int64_t)n->group : (int64_t)pos[n]; };
    std::map<int64_t, std::vector<Node *>> members;
    std::map<int64_t, size_t> first;
    for (auto &up : nodes) {
      int64_t u = unitOf(up.get());
      members[u].push_back(up.get());
      first.emplace(u, pos[up.get()]);
    }
    // A merged group's head may come after members that do not depend on
    // it; the head goes first (it reads no member of its group).
    for (auto &[u, ms] : members)
      if (u < 0)
        std::stable_partition(ms.begin(), ms.end(),
                              [](const Node *m) { return isGroupHead(m->kind); });
    std::map<int64_t, std::set<int64_t>> users;
    std::map<int64_t, int> pending;
    for (auto &[u, ms] : members) {
      std::set<int64_t> deps;
      for (Node *m : ms)
        for (Node *op : m->operands)
          if (unitOf(op) != u)
            deps.insert(unitOf(op));
      pending[u] = (int)deps.size();
      for (int64_t d : deps)
        users[d].insert(u);
    }
    using Item = std::pair<size_t, int64_t>; // (first position, unit)
    std::priority_queue<Item, std::vector<Item>, std::greater<>> ready;
    for (auto &[u, n] : pending)
      if (n == 0)
        ready.push({first[u], u});
    std::vector<Node *> order;
    while (!ready.empty()) {
      int64_t u = ready.top().second;
      ready.pop();
      for (Node *m : members[u])
        order.push_back(m);
      for (int64_t v : users[u])
        if (--pending[v] == 0)
          ready.push({first[v], v});
    }
    if (order.size() != nodes.size())
      throw std::logic_error("fuse: the condensed graph has a cycle");
    g_.reorder(order);
  }

private:
  void visit(Node *n, bool maySink = true) {
    int joined = 0;
    if (isFusibleElementwise(n->kind)) {
      if (maySink && sinksIntoUser(n)) {
        deferred_.insert(n);
        return;
      }
      for (Node *op : n->operands)
        if (canJoin(n, op->group, op)) {
          joined = op->group;
          break;
        }
      if (!joined)
        for (Node *op : n->operands)
          if (isGroupHead(op->kind) && op->group == 0 && onlyEpilogueReaders(op) &&
              op->shape() == n->shape() && (op->kind != OpKind::MatMul || op->shape().rank() == 2)) {
            joined = newGroup(n->shape());
            groups_[joined].hasHead = true;
            add(op, joined);
            break;
          }
      if (!joined)
        joined = newGroup(n->shape());
      add(n, joined);
      std::vector<Node *> reads = n->operands; // of n and of the ops that sink into its group
      for (Node *op : n->operands)
        if (deferred_.erase(op)) {
          if (canJoin(op, joined, n)) {
            add(op, joined);
            reads.insert(reads.end(), op->operands.begin(), op->operands.end());
          } else {
            visit(op, false); // placed by the other rules after all
          }
        }
      for (Node *op : reads)
        if (op->group && op->group != joined && !isGroupHead(op->kind) &&
            op->shape() == n->shape() && canMerge(joined, op->group))
          merge(op->group, joined);
    } else if ((n->kind == OpKind::ReduceSum || n->kind == OpKind::ReduceMax) && !isBlockReduction(*n) &&
               canJoin(n, n->operand(0)->group, n->operand(0)) &&
               (!groups_[n->operand(0)->group].hasHead ||
                (isRowReduction(*n) && uses_[n->operand(0)] > 1))) {
      joined = n->operand(0)->group;
      add(n, joined);
      groups_[joined].closed = true;
    }
  }

  /// Whether every reader of matmul `mm` is an elementwise op of its shape,
  /// so that all of them may join its group (an optimizer update reading a
  /// weight gradient several times); one that does not is read from memory.
  bool onlyEpilogueReaders(const Node *mm) {
    for (const Node *u : users_[mm])
      if (!isFusibleElementwise(u->kind) || !(u->shape() == mm->shape()))
        return false;
    return true;
  }

  /// Whether elementwise `n` waits for its one user's group (see the header).
  bool sinksIntoUser(const Node *n) {
    if (uses_[n] != 1)
      return false;
    const Node *user = users_[n].front();
    if (!isFusibleElementwise(user->kind) || !(user->shape() == n->shape()))
      return false;
    for (const Node *op : n->operands) {
      const auto &d = op->shape().dims;
      if (!(op->shape() == n->shape()) &&
          std::all_of(d.begin(), d.end(), [](int64_t x) { return x == 1; }))
        continue;            // one element broadcast: cheap to read
      bool inMemory = false; // some reader of op keeps it out of registers
      for (const Node *u : users_[op])
        inMemory = inMemory || !isFusibleElementwise(u->kind);
      if (!inMemory)
        return false;
    }
    return true;
  }

  /// Whether `n` may join group `gid` through its operand `via` (a member).
  bool canJoin(const Node *n, int gid, const Node *via) {
    if (gid == 0)
      return false;
    const GroupState &gs = groups_[gid];
    if (gs.closed || !(via->shape() == gs.shape) ||
        (isGroupHead(via->kind) && via->group != gid))
      return false; // (through a matmul: only its own group's head)
    if (isFusibleElementwise(n->kind) && !(n->shape() == gs.shape))
      return false;
    for (const Node *op : n->operands)
      if (op->group == gid ? !(op->shape() == gs.shape) : dependsOnGroup(op, gid))
        return false; // reaches the group from outside: the group would be a cycle
    return true;
  }

  /// Whether groups `a` and `b` may become one group (see the header).
  bool canMerge(int a, int b) {
    const GroupState &ga = groups_[a], &gb = groups_[b];
    if (ga.closed || gb.closed || !(ga.shape == gb.shape) || (ga.hasHead && gb.hasHead))
      return false;
    for (int h : {a, b}) // a head reads no member of the other group
      for (const Node *m : groups_[h].members)
        if (isGroupHead(m->kind))
          for (const Node *op : m->operands)
            if (op->group == (h == a ? b : a))
              return false;
    return !reachesThroughOutside(a, b) && !reachesThroughOutside(b, a);
  }

  /// Whether a node outside groups `from` and `to` that a member of `from`
  /// reads depends on group `to` (a path from `to` to `from` that merging
  /// them would turn into a cycle).
  bool reachesThroughOutside(int from, int to) {
    std::vector<const Node *> outside;
    for (const Node *m : groups_[from].members)
      for (const Node *op : m->operands)
        if (op->group != from && op->group != to)
          outside.push_back(op);
    return dependsOnGroup(outside, to, from);
  }

  /// Whether `n` (outside group `gid`) depends on a member of `gid`, where a
  /// node in a group depends on whatever any member of its group reads.
  bool dependsOnGroup(const Node *n, int gid) { return dependsOnGroup({n}, gid, 0); }

  /// Whether any of `starts` depends on group `gid`, not looking through the
  /// members of group `skip` (a start that depends on `skip` while `skip`
  /// reads it would already be a cycle).
  bool dependsOnGroup(std::vector<const Node *> work, int gid, int skip) {
    std::set<const Node *> seen;
    std::set<int> groupsSeen;
    while (!work.empty()) {
      const Node *x = work.back();
      work.pop_back();
      if (!seen.insert(x).second)
        continue;
      if (x->group == gid)
        return true;
      if (skip && x->group == skip)
        continue;
      if (x->group && groupsSeen.insert(x->group).second)
        for (const Node *m : groups_[x->group].members)
          work.push_back(m);
      for (const Node *op : x->operands)
        work.push_back(op);
    }
    return false;
  }

  /// Moves every member of group `from` into group `into`.
  void merge(int from, int into) {
    GroupState &src = groups_[from], &dst = groups_[into];
    for (Node *m : src.members) {
      m->group = into;
      dst.members.push_back(m);
    }
    dst.size += src.size;
    dst.hasHead = dst.hasHead || src.hasHead;
    groups_.erase(from);
  }

  int newGroup(const Shape &s) {
    int id = ++lastId_;
    groups_[id].shape = s;
    return id;
  }

  void add(Node *n, int gid) {
    n->group = gid;
    ++groups_[gid].size;
    groups_[gid].members.push_back(n);
  }

  Graph &g_;
  std::unordered_map<const Node *, int> uses_;
  std::unordered_map<const Node *, std::vector<Node *>> users_;
  std::set<Node *> deferred_;        // waiting for their user (sinksIntoUser)
  std::map<int, GroupState> groups_; // merged groups are erased
  int lastId_ = 0;
};

} // namespace

void fuse(std::unique_ptr<Graph> &g, PassContext &ctx) {
  int64_t before = 0;
  for (auto &up : g->nodes())
    before += hasKernel(up->kind);
  Fuser f(*g);
  f.formGroups();
  int groups = f.renumber();
  f.makeGroupsContiguous();
  f.numberInGraphOrder();
  int64_t after = 0, fused = 0, epilogues = 0, reductions = 0;
  for (auto &up : g->nodes()) {
    const Node *n = up.get();
    fused += n->group != 0;
    after += hasKernel(n->kind) && n->group == 0;
    epilogues += n->group && isGroupHead(n->kind);
    reductions += n->group && (n->kind == OpKind::ReduceSum || n->kind == OpKind::ReduceMax);
  }
  after += groups;
  ctx.stats.add("fuse", "kernels before fusion", before);
  ctx.stats.add("fuse", "kernels after fusion", after);
  ctx.stats.add("fuse", "fusion groups formed", groups);
  ctx.stats.add("fuse", "ops fused into groups", fused);
  ctx.stats.add("fuse", "matmul epilogues fused", epilogues);
  ctx.stats.add("fuse", "reductions fused with their producers", reductions);
}

} // namespace nnc::ir::passes

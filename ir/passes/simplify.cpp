// -simplify: algebraic identities that hold bit for bit in IEEE arithmetic
// (NaN, inf and the sign of zero included), one statistic per rule:
//   x*1, 1*x, x/1 -> x           x-(+0), x+(-0), (-0)+x -> x
//   neg(neg x) -> x              transpose(transpose x) -> x
//   relu(relu x) -> relu x       abs(abs x), abs(neg x) -> abs x
//   reshape(reshape x) -> reshape x      reshape or broadcast to x's own shape -> x
//   broadcast(broadcast x) -> broadcast x
//   broadcast(reshape x) -> broadcast x, when the reshape only adds or drops leading 1s
//   reshape(reduce x keepdims) -> reduce x, when the reshape drops the kept 1s
//     and is the reduce's only reader (autodiff's sum of a bias gradient)
//   broadcast or reshape of a constant -> a constant splat of the result's shape
//   select(constant mask, a, b) -> a or b (a NaN mask selects a, as at run time)
//   slice of a whole axis, concat of one part -> x
// Not rewritten: x+(+0) (-0 + +0 is +0: it would change the sign of zero;
// LLVM needs nsz for it too), x-(-0), x*0 (inf and NaN), x-x, x/x.
// When the identity's operand has a smaller shape than the result
// (x[10] * ones[B,10]), the node becomes broadcast(x) to keep its type.
// A constant's value is the one the runtime holds (float32 for f32).
// Replaced nodes, and what only they used, are erased. An assign's value is
// not replaced by a param or state (assigns run after the step, in order:
// see ir/passes/rewrite.h).
#include "ir/pass_registry.h"
#include "ir/passes/rewrite.h"
#include "ir/shape_rules.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace nnc::ir::passes {

namespace {

enum class Outcome { None, Replaced, Changed };

class Simplifier {
public:
  Simplifier(Graph &g, PassContext &ctx) : g_(g), ctx_(ctx) {}

  void run() {
    for (auto &up : g_.nodes()) {
      if (up->kind == OpKind::Assign)
        assigned_.insert(up->operand(1));
      for (const Node *op : up->operands)
        ++uses_[op];
    }
    for (auto &up : g_.nodes()) {
      Node &n = *up;
      repl_.remapOperands(n);
      if (!isPure(n.kind) || n.kind == OpKind::Constant || !rewritable(n))
        continue;
      for (int round = 0; round < 8 && step(n) == Outcome::Changed; ++round) {
      }
    }
    std::vector<Node *> candidates = repl_.replaced();
    candidates.insert(candidates.end(), freed_.begin(), freed_.end());
    eraseIfUnused(g_, candidates);
  }

private:
  void count(const std::string &rule) { ctx_.stats.add("simplify", rule); }

  /// n stops reading its operands (it is replaced or rewritten).
  void release(const Node &n) {
    for (Node *op : n.operands) {
      --uses_[op];
      freed_.push_back(op);
    }
  }

  /// reshape(reduce(x, keepdims)) that only drops the kept 1s: the reduce
  /// without keepdims (the same sums in the same order; only the reshape's
  /// copy goes). Only when the reshape is the reduce's one reader.
  Outcome reduceWithoutKeepdims(Node &n, Node &r) {
    if (!r.keepdims || uses_[&r] != 1 || !rewritable(r))
      return Outcome::None;
    std::vector<int64_t> axes = r.axes;
    TypeOrError t = reduceType(r.operand(0)->type, axes, false);
    if (!t.ok() || t.type != n.type)
      return Outcome::None;
    setOperand(n, 0, r.operand(0), "reshape(reduce keepdims) -> reduce");
    n.kind = r.kind;
    n.axes = r.axes;
    n.keepdims = false;
    return Outcome::Changed;
  }

  /// Whether broadcast(x) to `t` is valid (it never lowers the rank).
  static bool broadcastsTo(const Node &x, const TensorType &t) {
    TypeOrError r = broadcastTypes(x.type, t, "broadcast");
    return r.ok() && r.type == t;
  }

  /// broadcast(reshape x) where the reshape only adds or drops leading 1s:
  /// broadcasting aligns trailing dimensions, so x broadcasts the same way.
  static bool onlyLeadingOnes(const Shape &a, const Shape &b) {
    auto strip = [](const Shape &s) {
      auto it = s.dims.begin();
      while (it != s.dims.end() && *it == 1)
        ++it;
      return std::vector<int64_t>(it, s.dims.end());
    };
    return strip(a) == strip(b);
  }

  /// n's value is x's: n's uses go to x; if x's shape is smaller than n's
  /// (x[10] * ones[B,10]), n becomes broadcast(x) instead.
  Outcome becomes(Node &n, Node *x, const char *rule) {
    if (x->type == n.type) {
      if (assigned_.count(&n)) {
        if (isStorage(*x)) // see Replacements: the assign would read x after updates
          return Outcome::None;
        assigned_.insert(x);
      }
      repl_.replace(&n, x);
      uses_[x] += uses_[&n];
      uses_[&n] = 0;
      release(n);
      count(rule);
      return Outcome::Replaced;
    }
    if (!broadcastsTo(*x, n.type))
      return Outcome::None;
    release(n);
    ++uses_[x];
    n.kind = OpKind::Broadcast;
    n.operands = {x};
    n.axes.clear();
    n.keepdims = false;
    n.start = 0;
    count(std::string(rule) + " (as broadcast x)");
    return Outcome::Changed;
  }

  /// n reads `x` instead of its operand `i`.
  Outcome setOperand(Node &n, size_t i, Node *x, const char *rule) {
    freed_.push_back(n.operands[i]);
    --uses_[n.operands[i]];
    ++uses_[x];
    n.operands[i] = x;
    count(rule);
    return Outcome::Changed;
  }

  Outcome toConstant(Node &n, const Node &c, const char *rule) {
    release(n);
    makeConstant(n, c.scalar);
    count(rule);
    return Outcome::Replaced; // nothing more to simplify
  }

  Outcome step(Node &n) {
    Node *a = n.operands.empty() ? nullptr : n.operand(0);
    Node *b = n.operands.size() > 1 ? n.operand(1) : nullptr;
    switch (n.kind) {
    case OpKind::Mul:
      if (isConstantEqual(*b, 1))
        return becomes(n, a, "x*1 -> x");
      if (isConstantEqual(*a, 1))
        return becomes(n, b, "x*1 -> x");
      break;
    case OpKind::Div:
      if (isConstantEqual(*b, 1))
        return becomes(n, a, "x/1 -> x");
      break;
    case OpKind::Sub:
      if (isConstantEqual(*b, 0.0))
        return becomes(n, a, "x-0 -> x");
      break;
    case OpKind::Add:
      if (isConstantEqual(*b, -0.0))
        return becomes(n, a, "x+(-0) -> x");
      if (isConstantEqual(*a, -0.0))
        return becomes(n, b, "x+(-0) -> x");
      break;
    case OpKind::Neg:
      if (a->kind == OpKind::Neg)
        return becomes(n, a->operand(0), "neg(neg x) -> x");
      break;
    case OpKind::Relu:
      if (a->kind == OpKind::Relu)
        return becomes(n, a, "relu(relu x) -> relu x");
      break;
    case OpKind::Abs:
      if (a->kind == OpKind::Abs)
        return becomes(n, a, "abs(abs x) -> abs x");
      if (a->kind == OpKind::Neg)
        return setOperand(n, 0, a->operand(0), "abs(neg x) -> abs x");
      break;
    case OpKind::Transpose:
      if (a->kind == OpKind::Transpose)
        return becomes(n, a->operand(0), "transpose(transpose x) -> x");
      break;
    case OpKind::Reshape:
      if (a->type == n.type)
        return becomes(n, a, "reshape to the operand's shape -> x");
      if (a->kind == OpKind::Constant)
        return toConstant(n, *a, "reshape of a constant -> constant");
      if (a->kind == OpKind::Reshape)
        return setOperand(n, 0, a->operand(0), "reshape(reshape x) -> reshape x");
      if (a->kind == OpKind::ReduceSum || a->kind == OpKind::ReduceMax)
        return reduceWithoutKeepdims(n, *a);
      break;
    case OpKind::Broadcast:
      if (a->type == n.type)
        return becomes(n, a, "broadcast to the operand's shape -> x");
      if (a->kind == OpKind::Constant)
        return toConstant(n, *a, "broadcast of a constant -> constant");
      if (a->kind == OpKind::Broadcast)
        return setOperand(n, 0, a->operand(0), "broadcast(broadcast x) -> broadcast x");
      if (a->kind == OpKind::Reshape && onlyLeadingOnes(a->shape(), a->operand(0)->shape()) &&
          broadcastsTo(*a->operand(0), n.type))
        return setOperand(n, 0, a->operand(0), "broadcast(reshape x) -> broadcast x");
      break;
    case OpKind::Select:
      if (a->kind == OpKind::Constant) // the runtime selects where mask != 0 (unordered)
        return becomes(n, constantValue(*a) != 0 ? b : n.operand(2),
                       "select with a constant mask -> a or b");
      break;
    case OpKind::Slice:
      if (a->type == n.type)
        return becomes(n, a, "slice of a whole axis -> x");
      break;
    case OpKind::Concat:
      if (n.operands.size() == 1)
        return becomes(n, a, "concat of one part -> x");
      break;
    default:
      break;
    }
    return Outcome::None;
  }

  Graph &g_;
  PassContext &ctx_;
  Replacements repl_;
  std::vector<Node *> freed_; // operands a rewrite stopped reading
  std::unordered_set<const Node *> assigned_; // values of assigns
  std::unordered_map<const Node *, int> uses_; // readers, kept up to date
};

} // namespace

void simplify(std::unique_ptr<Graph> &g, PassContext &ctx) { Simplifier(*g, ctx).run(); }

} // namespace nnc::ir::passes

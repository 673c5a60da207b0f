// A fusion group (ir/fusion_group.h) as one loop nest over the group's loop
// shape. Per element, the elementwise members are computed in registers in
// graph order; operands outside the group are loaded (with broadcasting
// strides); members read outside the group are stored. A reduction tail
// accumulates into its result in the same loop, in the same row-major order
// as a separate reduce_sum would (so results are bit-identical to -O0). A
// matmul head computes a row of its result, then the epilogue runs over that
// row while it is still in cache.
#include "codegen/lowering.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

namespace {

/// Elementwise groups of at least this many elements (B = maxBatch) are
/// split across threads, in chunks of kParallelChunk elements.
constexpr int64_t kParallelMinElements = int64_t(1) << 16;
constexpr int64_t kParallelChunk = 4096;

class GroupEmitter {
public:
  GroupEmitter(Lowering &L, const ir::FusionGroup &g,
               const std::unordered_set<const ir::Node *> &stored)
      : L_(L), g_(g), stored_(stored) {}

  void emit() {
    const ir::Shape &s = g_.loopShape;
    if (g_.reduction)
      initReduction();
    if (g_.head) {
      // Rows of the head's [M,N] result; the epilogue walks row i (and only
      // row i: the fuse pass gives no reduction tail to a matmul-headed
      // group, so rows may be split across threads).
      if (g_.reduction)
        throw std::logic_error("codegen: a fusion group with a matmul head and a reduction tail");
      lowerMatMul(L_, *g_.head, [&](Value *i) {
        L_.loop(L_.dim(s.dims[1]), [&](Value *j) { element({i, j}); });
      });
      return;
    }
    if (flatOk()) {
      // Large loops without a reduction are split across threads in chunks.
      if (!g_.reduction && s.numElements(L_.options().maxBatch) >= kParallelMinElements) {
        auto &b = L_.b();
        Value *chunk = L_.i64(kParallelChunk);
        Value *n = L_.numElements(s);
        Value *chunks = b.CreateSDiv(b.CreateAdd(n, L_.i64(kParallelChunk - 1)), chunk);
        L_.parallelFor(chunks, [&](Value *first, Value *end) {
          Value *count = L_.numElements(s);
          Value *stop = b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateMul(end, chunk), count);
          L_.loop(b.CreateMul(first, chunk), stop, [&](Value *i) { element({}, i); });
        });
        return;
      }
      L_.loop(L_.numElements(s), [&](Value *i) { element({}, i); });
      return;
    }
    std::vector<Value *> dims;
    for (int64_t d : s.dims)
      dims.push_back(L_.dim(d));
    L_.loopNest(dims, [&](const std::vector<Value *> &idx) { element(idx); });
  }

private:
  /// One flat index serves every operand when each is of the loop shape or a
  /// scalar, and a reduction tail (if any) reduces everything to one value.
  bool flatOk() const {
    const ir::Shape &s = g_.loopShape;
    for (const ir::Node *m : g_.elementwise)
      for (const ir::Node *op : m->operands)
        if (!g_.contains(op) && !(op->shape() == s) && !isScalarLike(op->shape()))
          return false;
    return !g_.reduction || isScalarLike(g_.reduction->shape());
  }

  void initReduction() {
    const ir::Node &r = *g_.reduction;
    bool isMax = r.kind == OpKind::ReduceMax;
    Value *init = L_.fconst(r.type.dtype, isMax ? -std::numeric_limits<double>::infinity() : 0.0);
    L_.loop(L_.numElements(r.shape()), [&](Value *i) { L_.store(&r, i, init); });
  }

  /// Flat offset of an operand of shape `shape` at loop index `idx`.
  Value *offset(const ir::Shape &shape, const std::vector<Value *> &idx) {
    if (isScalarLike(shape))
      return L_.i64(0);
    std::vector<Value *> strides = L_.broadcastStrides(shape, g_.loopShape);
    auto &b = L_.b();
    Value *off = L_.i64(0);
    for (size_t d = 0; d < idx.size(); ++d)
      off = b.CreateAdd(off, b.CreateMul(idx[d], strides[d]));
    return off;
  }

  /// The body for one element: `idx` per dimension, or only `flat` when flatOk().
  void element(const std::vector<Value *> &idx, Value *flat = nullptr) {
    if (!flat)
      flat = offset(g_.loopShape, idx);
    std::unordered_map<const ir::Node *, Value *> value;
    if (g_.head)
      value[g_.head] = L_.load(g_.head, flat);
    for (const ir::Node *m : g_.elementwise) {
      std::vector<Value *> args;
      for (const ir::Node *op : m->operands) {
        auto it = value.find(op);
        if (it != value.end())
          args.push_back(it->second);
        else if (op->shape() == g_.loopShape)
          args.push_back(L_.load(op, flat));
        else
          args.push_back(L_.load(op, idx.empty() ? L_.i64(0) : offset(op->shape(), idx)));
      }
      Value *v = elementwiseValue(L_, *m, args);
      value[m] = v;
      if (stored_.count(m))
        L_.store(m, flat, v);
    }
    if (g_.reduction)
      accumulate(value.at(g_.reduction->operand(0)), idx);
  }

  void accumulate(Value *v, const std::vector<Value *> &idx) {
    const ir::Node &r = *g_.reduction;
    Value *out = L_.i64(0);
    if (!idx.empty()) {
      const auto &xd = g_.loopShape.dims;
      std::vector<int64_t> kept;
      for (size_t d = 0; d < xd.size(); ++d)
        kept.push_back(std::count(r.axes.begin(), r.axes.end(), (int64_t)d) ? 1 : xd[d]);
      out = offset(ir::Shape(kept), idx);
    }
    Value *acc = L_.load(&r, out);
    L_.store(&r, out, r.kind == OpKind::ReduceMax ? L_.maxnum(acc, v) : L_.b().CreateFAdd(acc, v));
  }

  Lowering &L_;
  const ir::FusionGroup &g_;
  const std::unordered_set<const ir::Node *> &stored_;
};

} // namespace

void lowerFusionGroup(Lowering &L, const ir::FusionGroup &group,
                      const std::unordered_set<const ir::Node *> &stored) {
  GroupEmitter(L, group, stored).emit();
}

} // namespace nnc::codegen

// A fusion group (ir/fusion_group.h) as one loop nest over the group's loop
// shape. Per element, the elementwise members are computed in registers in
// graph order; operands outside the group are loaded (with broadcasting
// strides); members read outside the group are stored. A reduction tail
// accumulates into its result in the same loop, in the same row-major order
// as a separate reduce_sum would (so results are bit-identical to -O0). A
// matmul head hands each finished tile of its result, still in vector
// registers, to the epilogue inside the GEMM's micro-kernel (the result is
// never stored); where the GEMM cannot (C^T computed and copied, reference
// loops) or an operand is not a row, a broadcast row or column, or a scalar,
// the epilogue runs over each finished row instead. Either way each element
// gets the same operations in the same order.
#include "codegen/lowering.h"

#include <algorithm>
#include <fmt/format.h>
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
    if (g_.head)
      return headed(s);
    loops(s);
  }

private:
  /// A matmul-headed group: the GEMM with the epilogue on its tiles where it
  /// can, else on its rows, or after it (a swapped plan).
  void headed(const ir::Shape &s) {
    static const std::unordered_set<const ir::Node *> none;
    const auto *readThrough = L_.options().readThrough;
    if (g_.head->kind == OpKind::Conv2D)
      return convHeaded(s);
    GemmPlan p = planGemm(*g_.head, L_.options().maxBatch, L_.options().gemm,
                          readThrough ? *readThrough : none, L_.options().threads);
    if (p.swapped) {
      // C^T is computed and copied to C whole: the epilogue follows as a
      // loop over the result like a group without a head (vectorized).
      lowerMatMul(L_, *g_.head);
      return loops(s);
    }
    // Rows of the head's [M,N] result; the epilogue walks row i (and only
    // row i: rows may be split across threads). A tail (a sum over the
    // rows) accumulates as the rows finish when they finish in order, on
    // one thread; else it is summed after the matmul from memory.
    reduceAfter_ = g_.reduction && p.parallel;
    std::vector<const ir::Node *> buffers;
    TileEpilogue tile;
    bool tiles = tileable() && makeTileEpilogue(tile, buffers);
    lowerMatMul(
        L_, *g_.head,
        [&](Value *i) { L_.loop(L_.dim(s.dims[1]), [&](Value *j) { element({i, j}); }); },
        tiles ? &tile : nullptr);
    if (reduceAfter_) { // row by row, as reduce_sum would
      const ir::Node &r = *g_.reduction, *x = r.operand(0);
      Value *N = L_.dim(s.dims[1]);
      auto &b = L_.b();
      L_.loop(L_.dim(s.dims[0]), [&](Value *i) {
        L_.loop(N, [&](Value *j) {
          L_.store(&r, j, b.CreateFAdd(L_.load(&r, j), L_.load(x, b.CreateAdd(b.CreateMul(i, N), j))));
        });
      });
    }
  }

  /// The tile epilogue (TileEpilogue): the group's members on a finished
  /// tile of the head's result. The epilogue reaches its buffers through a
  /// table, and its name says what it computes: groups with the same
  /// epilogue share micro-kernels (the hidden layers of a deep net, their
  /// Adam updates). `buffers` must outlive the head's lowering.
  bool makeTileEpilogue(TileEpilogue &tile, std::vector<const ir::Node *> &buffers) {
    tile.name = fmt::format("epi{:016x}", fnv1a(epilogueSignature(buffers)));
    tile.table = [&] {
      auto &b = L_.b();
      Type *ptr = PointerType::getUnqual(L_.ctx());
      AllocaInst *table = L_.entryAlloca(ArrayType::get(ptr, std::max<size_t>(1, buffers.size())));
      for (size_t k = 0; k < buffers.size(); ++k)
        b.CreateStore(L_.storage(buffers[k]),
                      b.CreateConstInBoundsGEP2_64(table->getAllocatedType(), table, 0, k));
      return (Value *)table;
    };
    tile.emit = [&](Value *i0, Value *j0, int mr, int nv, const std::vector<Value *> &values,
                    const std::vector<Value *> &masks) {
      for (size_t k = 0; k < buffers.size(); ++k)
        L_.seedStorage(buffers[k], L_.tableEntry((int64_t)k));
      tileEpilogue(i0, j0, mr, nv, values, masks);
    };
    return true;
  }

  /// A conv2d-headed group (no tail: isRowReduction needs rank 2): the
  /// convolution with the epilogue on its tiles, viewed as [B*F, OH*OW]
  /// (rows: image and channel, columns: pixels), where the GEMM path and the
  /// operands allow; else the convolution, then the epilogue as a loop.
  void convHeaded(const ir::Shape &s) {
    std::vector<const ir::Node *> buffers;
    TileEpilogue tile;
    if (tileable() && makeTileEpilogue(tile, buffers) && lowerConv2DFast(L_, *g_.head, &tile))
      return;
    if (!lowerConv2DFast(L_, *g_.head))
      lowerConv2D(L_, *g_.head);
    loops(s);
  }

  /// The epilogue on a finished tile (see TileEpilogue), inside the
  /// micro-kernel: each vector's members, then the tail's column sums.
  void tileEpilogue(Value *i0, Value *j0, int mr, int nv, const std::vector<Value *> &values,
                    const std::vector<Value *> &masks) {
    auto &b = L_.b();
    int lanes = L_.options().gemm.lanes;
    std::vector<Value *> reduced(mr * nv);
    for (int r = 0; r < mr; ++r)
      for (int v = 0; v < nv; ++v)
        reduced[r * nv + v] = vectorElement(b.CreateAdd(i0, L_.i64(r)), b.CreateAdd(j0, L_.i64((int64_t)v * lanes)),
                                            values[r * nv + v], masks[r * nv + v]);
    if (!g_.reduction || reduceAfter_)
      return;
    // The column sums: the tile's rows added in order, in registers (a row
    // that does not exist adds nothing); row 0 always exists.
    auto *vecTy = cast<FixedVectorType>(values[0]->getType());
    for (int v = 0; v < nv; ++v) {
      Value *p = b.CreateInBoundsGEP(b.getFloatTy(), L_.storage(g_.reduction),
                                     b.CreateAdd(j0, L_.i64((int64_t)v * lanes)));
      Value *mask = masks[v];
      Value *sum = mask ? (Value *)b.CreateMaskedLoad(vecTy, p, Align(4), mask, Constant::getNullValue(vecTy))
                        : (Value *)b.CreateAlignedLoad(vecTy, p, Align(4));
      for (int r = 0; r < mr; ++r) {
        Value *added = b.CreateFAdd(sum, reduced[r * nv + v]);
        sum = masks[r * nv + v] ? b.CreateSelect(masks[r * nv + v], added, sum) : added;
      }
      storeVector(sum, p, mask);
    }
  }

  /// The group as loops over its shape (flat when it can be), split across
  /// threads when large.
  void loops(const ir::Shape &s) {
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

  /// How the tile epilogue reads an operand from outside the group.
  enum class Access {
    Immediate, // a constant or the batch size: no memory
    Scalar,    // one element, splat
    Full,      // of the loop shape: the tile's own elements
    Column,    // [M,1]: one value per row, splat
    Row,       // [N] or [1,N]: the tile's columns, the same for every row
    Channel,   // conv2d head, [F,1,1] or [1,F,1,1]: one value per channel (row i: i % F), splat
    Other,     // anything else: no tile epilogue
  };
  Access accessOf(const ir::Node *op) const {
    if (op->kind == ir::OpKind::Constant || op->kind == ir::OpKind::BatchSize)
      return Access::Immediate;
    if (isScalarLike(op->shape()))
      return Access::Scalar;
    if (op->shape() == g_.loopShape)
      return Access::Full;
    const auto &d = op->shape().dims;
    const auto &l = g_.loopShape.dims;
    if (l.size() == 4) { // a conv2d head's [B,F,OH,OW], viewed as [B*F, OH*OW]
      std::vector<int64_t> t(d.begin(), d.end());
      while (t.size() > 3 && t.front() == 1)
        t.erase(t.begin());
      return t == std::vector<int64_t>{l[1], 1, 1} ? Access::Channel : Access::Other;
    }
    if (d.size() == 2 && d[1] == 1 && d[0] == l[0])
      return Access::Column;
    if ((d.size() == 1 && d[0] == l[1]) || (d.size() == 2 && d[0] == 1 && d[1] == l[1]))
      return Access::Row;
    return Access::Other;
  }

  /// What the tile epilogue computes, as text (two groups with the same text
  /// can share its code), and in `buffers` the nodes whose memory it reads or
  /// writes, in the order of its pointer table.
  std::string epilogueSignature(std::vector<const ir::Node *> &buffers) const {
    auto index = [&](const ir::Node *n) {
      auto it = std::find(buffers.begin(), buffers.end(), n);
      if (it != buffers.end())
        return it - buffers.begin();
      buffers.push_back(n);
      return (std::ptrdiff_t)buffers.size() - 1;
    };
    std::string sig = "shape";
    for (int64_t d : g_.loopShape.dims)
      sig += d == ir::kBatch ? std::string(",B") : fmt::format(",{}", d);
    std::unordered_map<const ir::Node *, size_t> member{{g_.head, 0}};
    for (const ir::Node *m : g_.elementwise)
      member.emplace(m, member.size());
    for (const ir::Node *m : g_.elementwise) {
      sig += fmt::format(";{}(", ir::opName(m->kind));
      for (const ir::Node *op : m->operands) {
        if (g_.contains(op)) {
          sig += fmt::format("m{} ", member.at(op));
          continue;
        }
        switch (accessOf(op)) {
        case Access::Immediate: // {} prints a double exactly (shortest round trip)
          sig += op->kind == ir::OpKind::Constant ? fmt::format("c{} ", op->scalar) : "batch ";
          break;
        case Access::Scalar: sig += fmt::format("s{} ", index(op)); break;
        case Access::Full: sig += fmt::format("x{} ", index(op)); break;
        case Access::Column: sig += fmt::format("col{} ", index(op)); break;
        case Access::Row: sig += fmt::format("row{} ", index(op)); break;
        case Access::Channel: sig += fmt::format("chan{} ", index(op)); break;
        case Access::Other: throw std::logic_error("codegen: a tile epilogue operand it cannot read");
        }
      }
      sig += ")";
      if (stored_.count(m))
        sig += fmt::format("->{}", index(m));
    }
    if (stored_.count(g_.head))
      sig += fmt::format(";head->{}", index(g_.head));
    if (g_.reduction)
      sig += fmt::format(";rowsum(m{})->{}{}", member.at(g_.reduction->operand(0)), index(g_.reduction),
                         reduceAfter_ ? " after" : "");
    return sig;
  }

  static uint64_t fnv1a(const std::string &s) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s)
      h = (h ^ c) * 1099511628211ull;
    return h;
  }

  /// Whether the epilogue can run on tiles of vectors: every value f32 and
  /// every operand from outside a row of the loop shape, a broadcast row
  /// ([N], [1,N]), a broadcast column ([M,1]) or one element.
  bool tileable() const {
    bool convView = g_.head && g_.head->kind == OpKind::Conv2D && g_.loopShape.rank() == 4;
    if (L_.options().gemm.lanes < 2 || (g_.loopShape.rank() != 2 && !convView))
      return false;
    for (const ir::Node *m : g_.elementwise) {
      if (m->type.dtype != ir::DType::F32)
        return false;
      for (const ir::Node *op : m->operands)
        if (op->type.dtype != ir::DType::F32 || (!g_.contains(op) && accessOf(op) == Access::Other))
          return false;
    }
    return true;
  }

  /// The epilogue for one vector of the head's result: row i, columns j..
  /// (lanes wide), `mask` the lanes that exist (null: all). Returns the value
  /// the group's tail sums (null without one).
  Value *vectorElement(Value *i, Value *j, Value *head, Value *mask) {
    auto &b = L_.b();
    auto *vecTy = cast<FixedVectorType>(head->getType());
    const auto &l = g_.loopShape.dims;
    // Columns of the [M,N] view (a conv2d head's [B,F,OH,OW]: N = OH*OW).
    Value *N = l.size() == 4 ? L_.i64(l[2] * l[3]) : L_.dim(l[1]);
    Value *zero = Constant::getNullValue(vecTy);
    auto vectorAt = [&](const ir::Node *n, Value *index) {
      Value *p = b.CreateInBoundsGEP(b.getFloatTy(), L_.storage(n), index);
      return mask ? (Value *)b.CreateMaskedLoad(vecTy, p, Align(4), mask, zero)
                  : (Value *)b.CreateAlignedLoad(vecTy, p, Align(4));
    };
    auto operand = [&](const ir::Node *op) -> Value * {
      switch (accessOf(op)) {
      case Access::Immediate:
      case Access::Scalar:
        return b.CreateVectorSplat(vecTy->getNumElements(), L_.load(op, L_.i64(0)));
      case Access::Full:
        return vectorAt(op, b.CreateAdd(b.CreateMul(i, N), j));
      case Access::Column: { // rows past the end (masked-off lanes of an edge tile) read the last
        Value *last = b.CreateSub(L_.dim(l[0]), L_.i64(1));
        Value *row = b.CreateBinaryIntrinsic(Intrinsic::smin, i, last);
        return b.CreateVectorSplat(vecTy->getNumElements(), L_.load(op, row));
      }
      case Access::Row:
        return vectorAt(op, j);
      case Access::Channel: // view row i is image i / F, channel i % F
        return b.CreateVectorSplat(vecTy->getNumElements(), L_.load(op, b.CreateSRem(i, L_.i64(l[1]))));
      case Access::Other:
        break;
      }
      throw std::logic_error("codegen: a tile epilogue operand it cannot read");
    };
    std::unordered_map<const ir::Node *, Value *> value;
    value[g_.head] = head;
    if (stored_.count(g_.head)) // read outside the group too
      storeVector(head, b.CreateInBoundsGEP(b.getFloatTy(), L_.storage(g_.head), b.CreateAdd(b.CreateMul(i, N), j)), mask);
    for (const ir::Node *m : g_.elementwise) {
      std::vector<Value *> args;
      for (const ir::Node *op : m->operands) {
        auto it = value.find(op);
        args.push_back(it != value.end() ? it->second : operand(op));
      }
      Value *v = elementwiseValue(L_, *m, args);
      value[m] = v;
      if (stored_.count(m))
        storeVector(v, b.CreateInBoundsGEP(b.getFloatTy(), L_.storage(m), b.CreateAdd(b.CreateMul(i, N), j)), mask);
    }
    return g_.reduction ? value.at(g_.reduction->operand(0)) : nullptr;
  }

  void storeVector(Value *v, Value *p, Value *mask) {
    if (mask)
      L_.b().CreateMaskedStore(v, p, Align(4), mask);
    else
      L_.b().CreateAlignedStore(v, p, Align(4));
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
    if (g_.reduction && !reduceAfter_)
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
  bool reduceAfter_ = false; // a headed group's row sum, done after the (split) matmul
};

} // namespace

void lowerFusionGroup(Lowering &L, const ir::FusionGroup &group,
                      const std::unordered_set<const ir::Node *> &stored) {
  GroupEmitter(L, group, stored).emit();
}

} // namespace nnc::codegen

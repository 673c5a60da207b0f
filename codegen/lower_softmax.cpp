// softmax and the fused softmax + cross-entropy pair, row by row over the
// last axis, shifted by the row maximum so that logits of +-1e4 stay finite:
//   lse = max + log(sum exp(x - max));  loss = lse - x[label]
//   dloss/dx_j = (exp(x_j - lse) - [j == label]) * g
// For f32 on a target with vectors, a block of rows (one per lane) is done
// at once: column j of the block is one gather, and each lane runs the
// per-row arithmetic in the same order as the scalar loop (bit-identical);
// rows are short (classes), so vectorizing along a row would not pay.
// Outputs of the rows' shape are written in memory order when the width w
// is static and small: the block's rows are w contiguous vectors, and lane l
// of vector v is row (v*lanes + l) / w, column (v*lanes + l) % w, so each
// per-row value is permuted into place (a shuffle) instead of scattered.
#include "codegen/lowering.h"

#include <functional>
#include <map>
#include <limits>

namespace nnc::codegen {

using namespace llvm;

namespace {

struct Rows {
  Value *count, *width;
};

Rows rowsOf(Lowering &L, const ir::Node *x) {
  const auto &d = x->shape().dims;
  Value *width = L.dim(d.back());
  Value *count = L.numElements(x->shape());
  // An empty row (a width bound to 0) has no elements: count is 0 too.
  Value *divisor = L.b().CreateBinaryIntrinsic(Intrinsic::umax, width, L.i64(1));
  return {L.b().CreateUDiv(count, divisor), width};
}

/// log(sum(exp(x - max))) + max over row starting at `base`.
Value *logSumExp(Lowering &L, const ir::Node *x, Value *base, Value *width) {
  auto &b = L.b();
  ir::DType t = x->type.dtype;
  Type *ty = L.elemType(t);
  AllocaInst *acc = L.entryAlloca(ty);
  b.CreateStore(L.fconst(t, -std::numeric_limits<double>::infinity()), acc);
  L.loop(width, [&](Value *j) {
    b.CreateStore(L.maxnum(b.CreateLoad(ty, acc), L.load(x, b.CreateAdd(base, j))), acc);
  });
  Value *mx = b.CreateLoad(ty, acc);
  b.CreateStore(L.fconst(t, 0.0), acc);
  L.loop(width, [&](Value *j) {
    Value *e = L.exp(b.CreateFSub(L.load(x, b.CreateAdd(base, j)), mx));
    b.CreateStore(b.CreateFAdd(b.CreateLoad(ty, acc), e), acc);
  });
  return b.CreateFAdd(mx, L.log(b.CreateLoad(ty, acc)));
}

/// Rows of at most this many (static) columns keep them in registers.
constexpr int64_t kUnrolledColumns = 16;

/// A block of up to `lanes` rows of x (one per lane): rows r0 + lane < count.
class RowBlock {
public:
  RowBlock(Lowering &L, const ir::Node *x, Rows r, Value *r0, int lanes)
      : L_(L), b_(L.b()), x_(x), r_(r), lanes_(lanes) {
    std::vector<Constant *> steps;
    for (int i = 0; i < lanes; ++i)
      steps.push_back(b_.getInt32(i));
    Value *lane = ConstantVector::get(steps);
    // Lane l is row r0 + l; rows past the count are masked off (compared in
    // 64 bits: the count may not fit 32).
    Value *left = b_.CreateSub(r.count, r0);
    mask_ = b_.CreateICmpSLT(b_.CreateSExt(lane, FixedVectorType::get(b_.getInt64Ty(), lanes)),
                             b_.CreateVectorSplat(lanes, left));
    // Gathers index from the block's first row with 32-bit offsets (one
    // vgatherdps on AVX-512): lane l's row starts l * width further.
    int64_t w = staticWidth();
    wide_ = w == 0; // a dynamic width may not fit 32-bit offsets
    if (wide_) {
      Type *i64v = FixedVectorType::get(b_.getInt64Ty(), lanes);
      laneBase_ = b_.CreateMul(b_.CreateSExt(lane, i64v), b_.CreateVectorSplat(lanes, r.width));
    } else {
      laneBase_ = b_.CreateMul(lane, b_.CreateVectorSplat(lanes, b_.getInt32((int32_t)w)));
    }
    r0_ = r0;
  }
  Value *mask() const { return mask_; }
  VectorType *vecTy() { return FixedVectorType::get(b_.getFloatTy(), lanes_); }
  Value *splat(double v) { return ConstantVector::getSplat(ElementCount::getFixed(lanes_), ConstantFP::get(b_.getFloatTy(), v)); }
  /// The rows' static width if it is small enough for the unrolled,
  /// permuted forms (kUnrolledColumns), else 0.
  int64_t staticWidth() const {
    int64_t w = x_->shape().dims.back();
    return w != ir::kBatch && w <= kUnrolledColumns ? w : 0;
  }
  /// Element (row, index[lane]) of `n` (row-major, r.width columns) per
  /// lane; `index` is a vector of i64.
  Value *gather(const ir::Node *n, Value *index) {
    Value *first = b_.CreateInBoundsGEP(b_.getFloatTy(), L_.storage(n), b_.CreateMul(r0_, r_.width));
    Value *off = b_.CreateAdd(laneBase_, wide_ ? index : b_.CreateTrunc(index, laneBase_->getType()));
    Value *ptrs = b_.CreateGEP(b_.getFloatTy(), first, off);
    return b_.CreateMaskedGather(vecTy(), ptrs, Align(4), mask_, splat(0.0));
  }
  /// Column j of n; columns of x at a constant j are gathered once per block.
  Value *column(const ir::Node *n, Value *j) {
    auto *cj = dyn_cast<ConstantInt>(j);
    if (n == x_ && cj) {
      Value *&cached = columns_[cj->getSExtValue()];
      if (!cached)
        cached = gather(n, b_.CreateVectorSplat(lanes_, j));
      return cached;
    }
    return gather(n, b_.CreateVectorSplat(lanes_, j));
  }
  /// body(j) for each column: unrolled (constant j, cached columns) when the
  /// row is short and of a static width, else a loop.
  void forColumns(const std::function<void(Value *)> &body) {
    if (int64_t w = staticWidth()) {
      for (int64_t j = 0; j < w; ++j)
        body(L_.i64(j));
      return;
    }
    L_.loop(r_.width, body);
  }
  void scatter(const ir::Node *n, Value *j, Value *v) {
    Value *first = b_.CreateInBoundsGEP(b_.getFloatTy(), L_.storage(n), b_.CreateMul(r0_, r_.width));
    Value *off = b_.CreateAdd(laneBase_, wide_ ? b_.CreateVectorSplat(lanes_, j)
                                               : b_.CreateVectorSplat(lanes_, b_.CreateTrunc(j, b_.getInt32Ty())));
    b_.CreateMaskedScatter(v, b_.CreateGEP(b_.getFloatTy(), first, off), Align(4), mask_);
  }

  /// The block's elements in memory order (static width only, see the file
  /// comment): for each of its `width` vectors, `body` gets the element-wise
  /// view and returns the values to store into `out`.
  struct Flat {
    RowBlock &k;
    std::vector<int> row; // per lane: the row within the block
    std::vector<int> col; // per lane: the column
    Value *at;            // the vector's first element in a [rows, width] buffer
    Value *mask;          // lanes whose row exists
    /// A per-row vector (lane = row) moved to each lane's row.
    Value *perLane(Value *rowValues) { return k.b_.CreateShuffleVector(rowValues, row); }
    /// The columns as constants of `elem` (integer) type.
    Value *columns(Type *elem) {
      std::vector<Constant *> c;
      for (int j : col)
        c.push_back(ConstantInt::get(elem, j));
      return ConstantVector::get(c);
    }
    Value *load(const ir::Node *n) {
      Value *p = k.b_.CreateInBoundsGEP(k.b_.getFloatTy(), k.L_.storage(n), at);
      return k.b_.CreateMaskedLoad(k.vecTy(), p, Align(4), mask, k.splat(0.0));
    }
    void store(const ir::Node *n, Value *v) {
      Value *p = k.b_.CreateInBoundsGEP(k.b_.getFloatTy(), k.L_.storage(n), at);
      k.b_.CreateMaskedStore(v, p, Align(4), mask);
    }
  };
  void forFlat(const std::function<void(Flat &)> &body) {
    int64_t w = staticWidth();
    Value *first = b_.CreateMul(r0_, r_.width);
    for (int64_t v = 0; v < w; ++v) {
      Flat f{*this, {}, {}, b_.CreateAdd(first, L_.i64(v * lanes_)), nullptr};
      for (int l = 0; l < lanes_; ++l) {
        f.row.push_back((int)((v * lanes_ + l) / w));
        f.col.push_back((int)((v * lanes_ + l) % w));
      }
      f.mask = f.perLane(mask_);
      body(f);
    }
  }
  /// Per-row values of a [rows] buffer (contiguous).
  Value *perRow(const ir::Node *n, Type *elem) { return perRow(L_.storage(n), elem); }
  Value *perRow(Value *buffer, Type *elem) {
    Value *p = b_.CreateInBoundsGEP(elem, buffer, r0_);
    return b_.CreateMaskedLoad(FixedVectorType::get(elem, lanes_), p, Align(4), mask_,
                               Constant::getNullValue(FixedVectorType::get(elem, lanes_)));
  }
  void storePerRow(const ir::Node *n, Value *v) { storePerRow(L_.storage(n), v); }
  void storePerRow(Value *buffer, Value *v) {
    b_.CreateMaskedStore(v, b_.CreateInBoundsGEP(b_.getFloatTy(), buffer, r0_), Align(4), mask_);
  }
  /// The row's log-sum-exp, as logSumExp computes it, per lane.
  Value *logSumExp() {
    Value *mx = splat(-std::numeric_limits<double>::infinity());
    AllocaInst *acc = L_.entryAlloca(vecTy());
    b_.CreateStore(mx, acc);
    forColumns([&](Value *j) { b_.CreateStore(L_.maxnum(b_.CreateLoad(vecTy(), acc), column(x_, j)), acc); });
    mx = b_.CreateLoad(vecTy(), acc);
    b_.CreateStore(splat(0.0), acc);
    forColumns([&](Value *j) {
      Value *e = L_.exp(b_.CreateFSub(column(x_, j), mx));
      b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(vecTy(), acc), e), acc);
    });
    return b_.CreateFAdd(mx, L_.log(b_.CreateLoad(vecTy(), acc)));
  }

private:
  Lowering &L_;
  IRBuilder<> &b_;
  const ir::Node *x_;
  Rows r_;
  int lanes_;
  Value *mask_, *laneBase_, *r0_;
  bool wide_ = true; // 64-bit gather offsets
  std::map<int64_t, Value *> columns_;
};

/// body(block) for each block of `lanes` rows, when x is f32 and the target
/// has vectors; false (nothing emitted) otherwise.
bool forRowBlocks(Lowering &L, const ir::Node *x, const std::function<void(RowBlock &)> &body) {
  int lanes = L.options().gemm.lanes;
  if (lanes < 2 || x->type.dtype != ir::DType::F32)
    return false;
  auto &b = L.b();
  Rows r = rowsOf(L, x);
  Value *blocks = b.CreateUDiv(b.CreateAdd(r.count, L.i64(lanes - 1)), L.i64(lanes));
  L.loop(blocks, [&](Value *k) {
    RowBlock block(L, x, r, b.CreateMul(k, L.i64(lanes)), lanes);
    body(block);
  });
  return true;
}

/// Where a softmax cross-entropy pair keeps its rows' log-sum-exp (the
/// loss kernel writes, the gradient kernel reads), or null.
Value *logSumExpSlot(Lowering &L, const ir::Node &n) {
  const auto *slots = L.options().logSumExpSlots;
  if (!slots)
    return nullptr;
  auto it = slots->find(&n);
  return it == slots->end() ? nullptr : L.workspace(it->second);
}

} // namespace

void lowerSoftmax(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0);
  auto &b = L.b();
  Rows r = rowsOf(L, x);
  if (forRowBlocks(L, x, [&](RowBlock &k) {
        Value *lse = k.logSumExp();
        if (k.staticWidth())
          k.forFlat([&](RowBlock::Flat &f) { f.store(&n, L.exp(b.CreateFSub(f.load(x), f.perLane(lse)))); });
        else
          k.forColumns([&](Value *j) { k.scatter(&n, j, L.exp(b.CreateFSub(k.column(x, j), lse))); });
      }))
    return;
  L.loop(r.count, [&](Value *row) {
    Value *base = b.CreateMul(row, r.width);
    Value *lse = logSumExp(L, x, base, r.width);
    L.loop(r.width, [&](Value *j) {
      Value *at = b.CreateAdd(base, j);
      L.store(&n, at, L.exp(b.CreateFSub(L.load(x, at), lse)));
    });
  });
}

void lowerSoftmaxCrossEntropy(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0), *labels = n.operand(1);
  auto &b = L.b();
  Rows r = rowsOf(L, x);
  Value *kept = logSumExpSlot(L, n); // for the gradient
  if (forRowBlocks(L, x, [&](RowBlock &k) {
        Value *lse = k.logSumExp();
        if (kept)
          k.storePerRow(kept, lse);
        Value *label = b.CreateSExt(k.perRow(labels, b.getInt32Ty()), k.mask()->getType()->getWithNewType(b.getInt64Ty()));
        k.storePerRow(&n, b.CreateFSub(lse, k.gather(x, label)));
      }))
    return;
  L.loop(r.count, [&](Value *row) {
    Value *base = b.CreateMul(row, r.width);
    Value *lse = logSumExp(L, x, base, r.width);
    if (kept)
      L.storeAt(kept, n.type.dtype, row, lse);
    Value *label = b.CreateSExt(L.load(labels, row), b.getInt64Ty());
    L.store(&n, row, b.CreateFSub(lse, L.load(x, b.CreateAdd(base, label))));
  });
}

void lowerSoftmaxCrossEntropyGrad(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0), *labels = n.operand(1), *g = n.operand(2);
  auto &b = L.b();
  ir::DType t = n.type.dtype;
  Rows r = rowsOf(L, x);
  bool scalarG = g->shape().isScalar() || g->kind == ir::OpKind::Constant ||
                 g->kind == ir::OpKind::BatchSize;
  Value *kept = logSumExpSlot(L, n); // left by the loss kernel
  if (forRowBlocks(L, x, [&](RowBlock &k) {
        Value *lse = kept ? k.perRow(kept, b.getFloatTy()) : k.logSumExp();
        Type *i64v = k.mask()->getType()->getWithNewType(b.getInt64Ty());
        Value *label32 = k.perRow(labels, b.getInt32Ty());
        Value *label = b.CreateSExt(label32, i64v);
        Value *grow = scalarG ? b.CreateVectorSplat(cast<FixedVectorType>(i64v)->getNumElements(), L.load(g, L.i64(0)))
                              : k.perRow(g, b.getFloatTy());
        if (k.staticWidth()) {
          k.forFlat([&](RowBlock::Flat &f) {
            Value *p = L.exp(b.CreateFSub(f.load(x), f.perLane(lse)));
            Value *hot = b.CreateSelect(b.CreateICmpEQ(f.columns(b.getInt32Ty()), f.perLane(label32)),
                                        k.splat(1.0), k.splat(0.0));
            f.store(&n, b.CreateFMul(b.CreateFSub(p, hot), f.perLane(grow)));
          });
          return;
        }
        k.forColumns([&](Value *j) {
          Value *p = L.exp(b.CreateFSub(k.column(x, j), lse));
          Value *hot = b.CreateSelect(b.CreateICmpEQ(b.CreateVectorSplat(cast<FixedVectorType>(i64v)->getNumElements(), j), label),
                                      k.splat(1.0), k.splat(0.0));
          k.scatter(&n, j, b.CreateFMul(b.CreateFSub(p, hot), grow));
        });
      }))
    return;
  L.loop(r.count, [&](Value *row) {
    Value *base = b.CreateMul(row, r.width);
    Value *lse = kept ? L.loadAt(kept, t, row) : logSumExp(L, x, base, r.width);
    Value *label = b.CreateSExt(L.load(labels, row), b.getInt64Ty());
    Value *grow = L.load(g, scalarG ? L.i64(0) : row);
    L.loop(r.width, [&](Value *j) {
      Value *at = b.CreateAdd(base, j);
      Value *p = L.exp(b.CreateFSub(L.load(x, at), lse));
      Value *hot = b.CreateSelect(b.CreateICmpEQ(j, label), L.fconst(t, 1.0), L.fconst(t, 0.0));
      L.store(&n, at, b.CreateFMul(b.CreateFSub(p, hot), grow));
    });
  });
}

} // namespace nnc::codegen

// reduce_sum / reduce_max: initialize the result, then one pass over the
// operand accumulating into the result element its index maps to; except a
// block reduction (ir::isBlockReduction, f32, vector lanes: [B,C,H,W] over
// axes 0, 2, 3), summed as out[c] = sum over b, in order, of a block sum of
// x[b,c,:,:]: lane l of a vector accumulator takes elements l, l+V, ... of
// the contiguous block (V the lanes; past its end 0), then the lanes are
// added in halves (V/2 pairs, V/4, ..., 1). The fuse pass never makes it a
// tail, so -O0 and -O3 sum in this same order. Large ones are split across
// threads by channel (each channel still summed over the images in order).
#include "codegen/loop_builder.h"
#include "codegen/lowering.h"
#include "ir/fusion_group.h"

#include <algorithm>
#include <limits>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

namespace {

/// Block sums of at least this many elements are split across threads.
constexpr int64_t kParallelMinElements = int64_t(1) << 18;

bool lowerBlockSum(Lowering &L, const ir::Node &n) {
  const int w = L.options().gemm.lanes;
  if (!ir::isBlockReduction(n) || n.type.dtype != ir::DType::F32 || w < 2)
    return false;
  const auto &xd = n.operand(0)->shape().dims;
  int64_t kept = 1, block = 1;
  for (size_t d = 1; d < xd.size(); ++d)
    (d < (size_t)n.axes[1] ? kept : block) *= xd[d];
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  auto *vec = FixedVectorType::get(f32, w);
  auto I = [&](int64_t v) { return b.getInt64(v); };
  Value *zero = Constant::getNullValue(vec);
  // Channels [k0, k1), each summed over the images in order: threads take
  // channels, and every sum is the same on any thread count.
  auto channels = [&](Value *k0, Value *k1) {
    Value *X = L.storage(n.operand(0)), *Out = L.storage(&n);
    emitLoop(b, k0, k1, I(1), [&](Value *k) {
      Value *p = b.CreateInBoundsGEP(f32, Out, k);
      b.CreateStore(ConstantFP::get(f32, 0.0), p);
      emitLoop(b, I(0), L.dim(xd[0]), I(1), [&](Value *img) {
        Value *row = b.CreateInBoundsGEP(
            f32, X, b.CreateMul(b.CreateAdd(b.CreateMul(img, I(kept)), k), I(block)));
        AllocaInst *acc = L.entryAlloca(vec);
        b.CreateStore(zero, acc);
        emitLoop(b, I(0), I(block), I(w), [&](Value *s) {
          Value *m = lanesBelow(b, w, s, I(block));
          Value *v = b.CreateMaskedLoad(vec, b.CreateInBoundsGEP(f32, row, s), Align(4), m, zero);
          b.CreateStore(b.CreateFAdd(b.CreateLoad(vec, acc), v), acc);
        });
        Value *v = b.CreateLoad(vec, acc);
        for (int half = w / 2; half >= 1; half /= 2) {
          std::vector<int> lo, hi;
          for (int l = 0; l < half; ++l)
            lo.push_back(l), hi.push_back(half + l);
          v = b.CreateFAdd(b.CreateShuffleVector(v, lo), b.CreateShuffleVector(v, hi));
        }
        Value *sum = b.CreateExtractElement(v, (uint64_t)0);
        b.CreateStore(b.CreateFAdd(b.CreateLoad(f32, p), sum), p);
      });
    });
  };
  // Large ones (conv1's bias gradient: [128,32,26,26]) on every thread.
  const int64_t elements = L.options().maxBatch * kept * block;
  if (L.options().threads > 1 && kept > 1 && elements >= kParallelMinElements)
    L.parallelFor(I(kept), [&](Value *first, Value *end) { channels(first, end); });
  else
    channels(I(0), I(kept));
  return true;
}

} // namespace

void lowerReduce(Lowering &L, const ir::Node &n) {
  if (lowerBlockSum(L, n))
    return;
  const ir::Node *x = n.operand(0);
  ir::DType t = n.type.dtype;
  bool isMax = n.kind == OpKind::ReduceMax;
  Value *init = L.fconst(t, isMax ? -std::numeric_limits<double>::infinity() : 0.0);
  L.loop(L.numElements(n.shape()), [&](Value *i) { L.store(&n, i, init); });

  // Result strides per operand dimension (0 along reduced axes).
  const auto &xd = x->shape().dims;
  std::vector<int64_t> keptShape;
  for (size_t d = 0; d < xd.size(); ++d)
    keptShape.push_back(std::count(n.axes.begin(), n.axes.end(), (int64_t)d) ? 1 : xd[d]);
  std::vector<Value *> outStrides = L.broadcastStrides(ir::Shape(keptShape), x->shape());
  std::vector<Value *> inStrides = L.broadcastStrides(x->shape(), x->shape());
  std::vector<Value *> dims;
  for (int64_t d : xd)
    dims.push_back(L.dim(d));
  auto &b = L.b();
  L.loopNest(dims, [&](const std::vector<Value *> &idx) {
    Value *in = L.i64(0), *out = L.i64(0);
    for (size_t d = 0; d < idx.size(); ++d) {
      in = b.CreateAdd(in, b.CreateMul(idx[d], inStrides[d]));
      out = b.CreateAdd(out, b.CreateMul(idx[d], outStrides[d]));
    }
    Value *acc = L.load(&n, out), *v = L.load(x, in);
    L.store(&n, out, isMax ? L.maxnum(acc, v) : b.CreateFAdd(acc, v));
  });
}

} // namespace nnc::codegen

#include "codegen/conv_im2col.h"
#include "codegen/loop_builder.h"

#include <algorithm>
#include <llvm/IR/Intrinsics.h>

namespace nnc::codegen {

using namespace llvm;

void emitIm2col(IRBuilder<> &b, int w, const Im2col &g, Value *x, Value *k0, Value *kc, Value *p0, Value *pEnd,
                Value *dst, int64_t width, Value *panelStride) {
  Type *f32 = b.getFloatTy();
  auto *vec = FixedVectorType::get(f32, w);
  auto I = [&](int64_t v) { return b.getInt64(v); };
  auto lanesBelow = [&](Value *first, Value *len) { return codegen::lanesBelow(b, w, first, len); };
  // ... and lo <= col0 + first + l < hi (the lane's input column inside the image).
  auto lanesInside = [&](Value *first, Value *col0, Value *hi) {
    std::vector<Constant *> lanes;
    for (int l = 0; l < w; ++l)
      lanes.push_back(b.getInt32(l));
    Value *col = b.CreateAdd(b.CreateVectorSplat(w, b.CreateTrunc(b.CreateAdd(col0, first), b.getInt32Ty())),
                             ConstantVector::get(lanes));
    return b.CreateAnd(b.CreateICmpSGE(col, Constant::getNullValue(col->getType())),
                       b.CreateICmpSLT(col, b.CreateVectorSplat(w, b.CreateTrunc(hi, b.getInt32Ty()))));
  };
  const bool padded = g.top || g.left || g.bottom || g.right;
  const int64_t window = g.KH * g.KW;
  // A run (one output row's pixels within a panel) is at most min(OW, width)
  // long: up to kStraightRunVectors vectors (always, for the forward
  // convolution's B panels of nr vectors) are written as straight-line code. LLVM could not see that bound in a loop over the run:
  // it unrolled it to the panel's width in each of the KH*KW copies, and Loop
  // Strength Reduction then took 85 % of the backend's time on the result
  // (mnist convnet's conv2 forward: 0.14 of 0.16 s in llc).
  constexpr int64_t kStraightRunVectors = 8;
  const int64_t runVectors = (std::min(g.OW, width) + w - 1) / w;

  Value *panels = b.CreateSDiv(b.CreateAdd(b.CreateSub(pEnd, p0), I(width - 1)), I(width));
    emitLoop(b, I(0), panels, I(1), [&](Value *q) {
      Value *ps = b.CreateAdd(p0, b.CreateMul(q, I(width)));
      Value *pe = b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateAdd(ps, I(width)), pEnd);
      Value *panel = b.CreateInBoundsGEP(f32, dst, b.CreateMul(q, panelStride));
      // The last panel's lanes past P: zeros.
      emitIf(b, b.CreateICmpSLT(b.CreateSub(pe, ps), I(width)), [&] {
        Value *filled = b.CreateSub(pe, ps);
        emitLoop(b, I(0), kc, I(1), [&](Value *k) {
          Value *row = b.CreateInBoundsGEP(f32, panel, b.CreateMul(k, I(width)));
          emitLoop(b, I(0), I(width), I(w), [&](Value *t) {
            Value *tail = b.CreateNot(lanesBelow(t, filled));
            b.CreateMaskedStore(Constant::getNullValue(vec), b.CreateInBoundsGEP(f32, row, t), Align(4), tail);
          });
        });
      });
      Value *oyEnd = b.CreateAdd(b.CreateSDiv(b.CreateSub(pe, I(1)), I(g.OW)), I(1));
      emitLoop(b, b.CreateSDiv(ps, I(g.OW)), oyEnd, I(1), [&](Value *oy) {
        Value *rowStart = b.CreateMul(oy, I(g.OW));
        Value *pa = b.CreateBinaryIntrinsic(Intrinsic::smax, ps, rowStart);
        Value *pb = b.CreateBinaryIntrinsic(Intrinsic::smin, pe, b.CreateAdd(rowStart, I(g.OW)));
        Value *len = b.CreateSub(pb, pa), *ox0 = b.CreateSub(pa, rowStart);
        Value *dstRow = b.CreateInBoundsGEP(f32, panel, b.CreateSub(pa, ps));
        // The run's first vector's mask (most runs are one vector); then per
        // input channel and filter row, the KW shifted copies of one input row.
        Value *first = lanesBelow(I(0), len);
        Value *c0 = b.CreateSDiv(k0, I(window));
        emitLoop(b, c0, b.CreateAdd(c0, b.CreateSDiv(kc, I(window))), I(1), [&](Value *c) {
          for (int64_t ky = 0; ky < g.KH; ++ky) {
            Value *y = b.CreateAdd(oy, I(ky - g.top));
            Value *hi = I(g.W);
            if (padded) { // rows outside read as 0 (no lane inside)
              Value *rowOk = b.CreateAnd(b.CreateICmpSGE(y, I(0)), b.CreateICmpSLT(y, I(g.H)));
              hi = b.CreateSelect(rowOk, I(g.W), I(0));
              y = b.CreateSelect(rowOk, y, I(0));
            }
            Value *row = b.CreateGEP(f32, x, b.CreateMul(b.CreateAdd(b.CreateMul(c, I(g.H)), y), I(g.W)));
            Value *kRow = b.CreateAdd(b.CreateMul(b.CreateSub(c, c0), I(window)), I(ky * g.KW));
            for (int64_t kx = 0; kx < g.KW; ++kx) {
              Value *col0 = b.CreateAdd(ox0, I(kx - g.left));
              Value *src = b.CreateGEP(f32, row, col0);
              Value *out = b.CreateInBoundsGEP(f32, dstRow, b.CreateMul(b.CreateAdd(kRow, I(kx)), I(width)));
              auto copy = [&](Value *t, Value *store) {
                Value *load = padded ? b.CreateAnd(store, lanesInside(t, col0, hi)) : store;
                Value *v = b.CreateMaskedLoad(vec, b.CreateGEP(f32, src, t), Align(4), load, Constant::getNullValue(vec));
                b.CreateMaskedStore(v, b.CreateInBoundsGEP(f32, out, t), Align(4), store);
              };
              if (runVectors <= kStraightRunVectors)
                for (int64_t j = 0; j < runVectors; ++j)
                  copy(I(j * w), j ? lanesBelow(I(j * w), len) : first);
              else // wide rows into a wide operand (the filter gradient's)
                emitLoop(b, I(0), len, I(w), [&](Value *t) {
                  copy(t, b.CreateSelect(b.CreateICmpEQ(t, I(0)), first, lanesBelow(t, len)));
                });
            }
          }
        });
      });
    });
}

} // namespace nnc::codegen

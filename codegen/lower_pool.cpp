// max_pool2d and max_pool2d_grad (ops.def) vectorized for the common window:
// 2x2, stride 2, no padding, f32 (the reference nets' pooling). A vector of
// `lanes` outputs of a row reads 2*lanes inputs from each of the window's
// two input rows and splits them into even and odd columns (two shuffles).
// Each element gets exactly the operations of lower_window.cpp's loop nest,
// in the same order, so the results are the same bits:
//   forward: maxnum(maxnum(maxnum(maxnum(-inf, x00), x01), x10), x11);
//   gradient: the window's first position strictly greater than all before
//   it (starting from -inf; none: the first position) gets +0 + g, the
//   others +0; input rows and columns no window covers (odd H or W) +0.
// Threads take whole planes (image, channel), as the loop nest does.
#include "codegen/loop_builder.h"
#include "codegen/lowering.h"

#include <limits>

namespace nnc::codegen {

using namespace llvm;

namespace {

bool poolOk(const ir::Node &n, const GemmConfig &cfg) {
  const ir::Window2D &w = n.win;
  return (n.kind == ir::OpKind::MaxPool2D || n.kind == ir::OpKind::MaxPool2DGrad) &&
         n.type.dtype == ir::DType::F32 && cfg.lanes > 1 && w.kh == 2 && w.kw == 2 && w.sh == 2 &&
         w.sw == 2 && !w.top && !w.left && !w.bottom && !w.right;
}

} // namespace

bool lowerMaxPool2x2Fast(Lowering &L, const ir::Node &n) {
  if (!poolOk(n, L.options().gemm))
    return false;
  const bool grad = n.kind == ir::OpKind::MaxPool2DGrad;
  const ir::Node *x = n.operand(0);
  const auto &xd = x->shape().dims;
  const int64_t C = xd[1], H = xd[2], W = xd[3], OH = H / 2, OW = W / 2;
  const int w = L.options().gemm.lanes;
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  auto *vec = FixedVectorType::get(f32, w);
  auto I = [&](int64_t v) { return b.getInt64(v); };
  Constant *zero = Constant::getNullValue(vec);
  Value *negInf = ConstantFP::getInfinity(vec, true);
  std::vector<int> even, odd, lo, hi;
  for (int l = 0; l < w; ++l) {
    even.push_back(2 * l), odd.push_back(2 * l + 1);
    lo.push_back(l % 2 ? w + l / 2 : l / 2), hi.push_back(l % 2 ? w + w / 2 + l / 2 : w / 2 + l / 2);
  }
  auto below = [&](Value *first, Value *count) { return lanesBelow(b, w, first, count); };

  auto planes = [&](Value *first, Value *end) {
    Value *X = L.storage(x), *Out = L.storage(&n), *G = grad ? L.storage(n.operand(1)) : nullptr;
    emitLoop(b, first, end, I(1), [&](Value *plane) {
      Value *xp = b.CreateInBoundsGEP(f32, X, b.CreateMul(plane, I(H * W)));
      Value *op = b.CreateInBoundsGEP(f32, Out, b.CreateMul(plane, I(grad ? H * W : OH * OW)));
      Value *gp = grad ? b.CreateInBoundsGEP(f32, G, b.CreateMul(plane, I(OH * OW))) : nullptr;
      emitLoop(b, I(0), I(OH), I(1), [&](Value *oy) {
        Value *row0 = b.CreateInBoundsGEP(f32, xp, b.CreateMul(oy, I(2 * W)));
        Value *row1 = b.CreateInBoundsGEP(f32, row0, I(W));
        emitLoop(b, I(0), I(OW), I(w), [&](Value *ox) {
          // Inputs 2*ox .. 2*ox + 2w of both rows, as two vectors each.
          Value *in = b.CreateMul(ox, I(2));
          Value *m0 = below(in, I(2 * OW)), *m1 = below(b.CreateAdd(in, I(w)), I(2 * OW));
          auto pair = [&](Value *row) {
            Value *p = b.CreateInBoundsGEP(f32, row, in);
            Value *a = b.CreateMaskedLoad(vec, p, Align(4), m0, zero);
            Value *c = b.CreateMaskedLoad(vec, b.CreateInBoundsGEP(f32, p, I(w)), Align(4), m1, zero);
            return std::make_pair(b.CreateShuffleVector(a, c, even), b.CreateShuffleVector(a, c, odd));
          };
          auto [x00, x01] = pair(row0);
          auto [x10, x11] = pair(row1);
          Value *outMask = below(ox, I(OW));
          Value *at = b.CreateAdd(b.CreateMul(oy, I(OW)), ox);
          if (!grad) {
            Value *m = negInf;
            for (Value *v : {x00, x01, x10, x11})
              m = L.maxnum(m, v);
            b.CreateMaskedStore(m, b.CreateInBoundsGEP(f32, op, at), Align(4), outMask);
            return;
          }
          Value *g = b.CreateMaskedLoad(vec, b.CreateInBoundsGEP(f32, gp, at), Align(4), outMask, zero);
          // best: -inf, then each position in order; p_i: position i took it.
          Value *best = negInf;
          std::vector<Value *> took;
          for (Value *v : {x00, x01, x10, x11}) {
            Value *gt = b.CreateFCmpOGT(v, best);
            best = b.CreateSelect(gt, v, best);
            took.push_back(gt);
          }
          // The winner: the last position that took the maximum (none: the first).
          Value *w3 = took[3], *w2 = b.CreateAnd(took[2], b.CreateNot(w3));
          Value *later = b.CreateOr(took[3], took[2]);
          Value *w1 = b.CreateAnd(took[1], b.CreateNot(later));
          Value *w0 = b.CreateNot(b.CreateOr(later, took[1]));
          auto share = [&](Value *win) { return b.CreateFAdd(zero, b.CreateSelect(win, g, zero)); };
          Value *d00 = share(w0), *d01 = share(w1), *d10 = share(w2), *d11 = share(w3);
          auto put = [&](Value *row, Value *e, Value *o) {
            Value *p = b.CreateInBoundsGEP(f32, op, b.CreateAdd(b.CreatePtrDiff(f32, row, xp), in));
            b.CreateMaskedStore(b.CreateShuffleVector(e, o, lo), p, Align(4), m0);
            b.CreateMaskedStore(b.CreateShuffleVector(e, o, hi), b.CreateInBoundsGEP(f32, p, I(w)), Align(4), m1);
          };
          put(row0, d00, d01);
          put(row1, d10, d11);
        });
        if (grad && W % 2) // the column no window covers
          for (Value *r : {row0, row1}) {
            Value *p = b.CreateInBoundsGEP(f32, op, b.CreateAdd(b.CreatePtrDiff(f32, r, xp), I(W - 1)));
            b.CreateStore(ConstantFP::get(f32, 0.0), p);
          }
      });
      if (grad && H % 2) // the row no window covers
        emitLoop(b, I(0), I(W), I(1), [&](Value *c) {
          b.CreateStore(ConstantFP::get(f32, 0.0), b.CreateInBoundsGEP(f32, op, b.CreateAdd(I((H - 1) * W), c)));
        });
    });
  };
  Value *count = b.CreateMul(L.dim(xd[0]), I(C));
  if (L.options().threads <= 1 || L.options().maxBatch * C * H * W < (int64_t(1) << 16)) {
    planes(I(0), count);
    return true;
  }
  L.parallelFor(count, [&](Value *first, Value *end) { planes(first, end); });
  return true;
}

} // namespace nnc::codegen

// conv2d_grad_filter (ops.def) for a small K = C*KH*KW (a first layer: an
// image's 1-3 channels): dW[f, k] = sum over images and output pixels p of
// g[f, p] * col[k, p], summed along the pixels in vector lanes. The GEMM form
// (lower_conv_grad.cpp: dW^T = col * g^T) must transpose g, which costs more
// than its few FMAs when K is 9; here g's rows are read as they are.
// Per image: the patches col[K, Ppad] (im2col, zeros past P), then for each
// tile of ft filters ft x K lane-wise sums from zero along the pixels (ft g
// vectors, one col vector at a time: ft*K FMAs per ft+K loads), added to the
// running sums (an L1-resident [F, K, lanes] buffer) after the image: per
// lane ~P/lanes products per image, then one add per image, chains as short
// as the GEMM form's (one sum over every image's pixels put the BN parity
// case's conv weights 1.3e-5 off the float64 reference, against 5e-6 in the
// GEMM's order and 9e-6 in this one). At the end each running-sum vector is
// added up in lane order. Every dW entry is the same sum in the same order
// whatever tile or thread computes it: threads (which take filters) give
// the same bits as one.
#include "codegen/conv_im2col.h"
#include "codegen/loop_builder.h"
#include "codegen/lowering.h"

#include <algorithm>

namespace nnc::codegen {

using namespace llvm;

namespace {

struct DotGeometry {
  int64_t C, H, W, F, KH, KW, OW, P, K, Ppad;
  ir::Window2D win;
  int ft; // filters per register tile
};

/// Vector registers: AVX-512's 32, else 16 (AVX2, SSE; NEON's 32 left unused).
int vectorRegisters(int lanes) { return lanes >= 16 ? 32 : 16; }

bool dotOk(const ir::Node &n, const GemmConfig &cfg) {
  if (n.kind != ir::OpKind::Conv2DGradFilter || n.type.dtype != ir::DType::F32 || !cfg.enabled ||
      cfg.lanes < 4 || n.win.sh != 1 || n.win.sw != 1)
    return false;
  const auto &w = n.shape().dims;
  int64_t K = w[1] * w[2] * w[3];
  // One filter's K sums, its g vector and a col vector fit the registers
  // (K <= 30 with AVX-512: an RGB image's 3x3 filters; K <= 14 else).
  return K + 2 <= vectorRegisters(cfg.lanes);
}

DotGeometry dotGeometry(const ir::Node &n, const GemmConfig &cfg) {
  const auto &x = n.operand(0)->shape().dims, &g = n.operand(1)->shape().dims, &w = n.shape().dims;
  DotGeometry d{x[1], x[2],  x[3], w[0], w[2], w[3], g[3], g[2] * g[3], x[1] * w[2] * w[3],
                0,    n.win, 1};
  d.Ppad = (d.P + cfg.lanes - 1) / cfg.lanes * cfg.lanes;
  // ft*K sums + ft g vectors + one col vector in the registers
  d.ft = (int)std::clamp<int64_t>((vectorRegisters(cfg.lanes) - 1) / (d.K + 1), 1, d.F);
  return d;
}

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }
int64_t colBytes(const DotGeometry &d) { return round64(d.K * d.Ppad * 4); }
int64_t sumBytes(const DotGeometry &d, int lanes) { return round64(d.F * d.K * lanes * 4); }

} // namespace

int64_t convFilterDotScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads) {
  if (!dotOk(n, cfg))
    return 0;
  DotGeometry d = dotGeometry(n, cfg);
  return 64 + sumBytes(d, cfg.lanes) + colBytes(d) * std::max(1, threads);
}

bool lowerConv2DGradFilterDot(Lowering &L, const ir::Node &n) {
  const GemmConfig &cfg = L.options().gemm;
  if (!dotOk(n, cfg) || L.options().gemmScratch < 0)
    return false;
  const DotGeometry d = dotGeometry(n, cfg);
  const int w = cfg.lanes, ft = d.ft;
  const int64_t K = d.K;
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  auto *vec = FixedVectorType::get(f32, w);
  auto I = [&](int64_t v) { return b.getInt64(v); };
  Constant *zero = Constant::getNullValue(vec);
  const Im2col shape{d.C,       d.H,        d.W,          d.KH,        d.KW, d.OW,
                     d.win.top, d.win.left, d.win.bottom, d.win.right, 0};
  const int64_t fullVectors = d.P / w, tailLanes = d.P % w;

  // Filters [f0, f1), with the patches in `col`.
  auto filters = [&](Value *f0, Value *f1, Value *col) {
    std::vector<Value *> acc(ft * K);
    {
      Function *fn = b.GetInsertBlock()->getParent();
      IRBuilder<> entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
      for (Value *&a : acc)
        a = entry.CreateAlloca(vec);
    }
    Value *X = L.storage(n.operand(0)), *G = L.storage(n.operand(1)), *DW = L.storage(&n);
    Value *sums = L.gemmScratch(); // [F, K, w], the parts write disjoint filters
    auto sumAt = [&](Value *f, int64_t k) {
      return b.CreateInBoundsGEP(f32, sums, b.CreateAdd(b.CreateMul(f, I(K * w)), I(k * w)));
    };
    emitLoop(b, f0, f1, I(1), [&](Value *f) {
      for (int64_t k = 0; k < K; ++k)
        b.CreateAlignedStore(zero, sumAt(f, k), Align(4));
    });
    emitLoop(b, I(0), L.dim(n.operand(0)->shape().dims[0]), I(1), [&](Value *img) {
      Value *x = b.CreateInBoundsGEP(f32, X, b.CreateMul(img, I(d.C * d.H * d.W)));
      emitIm2col(b, w, shape, x, I(0), I(K), I(0), I(d.P), col, d.Ppad, I(0));
      emitLoop(b, f0, f1, I(ft), [&](Value *fa) {
        // Rows past f1 repeat row f1-1 (computed, never stored).
        std::vector<Value *> row(ft), live(ft), gRow(ft);
        for (int i = 0; i < ft; ++i) {
          Value *fi = b.CreateAdd(fa, I(i));
          live[i] = b.CreateICmpSLT(fi, f1);
          row[i] = b.CreateSelect(live[i], fi, b.CreateSub(f1, I(1)));
          gRow[i] = b.CreateInBoundsGEP(
              f32, G, b.CreateAdd(b.CreateMul(img, I(d.F * d.P)), b.CreateMul(row[i], I(d.P))));
        }
        // This image's sums, from zero, in allocas (registers after SROA:
        // constant indices); added to the running sums after the image.
        for (Value *a : acc)
          b.CreateStore(zero, a);
        // One pixel vector: ft g vectors (masked: the last, partial one).
        auto step = [&](Value *p, Value *mask) {
          std::vector<Value *> gv(ft), a(ft * K);
          for (int i = 0; i < ft; ++i) {
            Value *at = b.CreateInBoundsGEP(f32, gRow[i], p);
            gv[i] = mask ? (Value *)b.CreateMaskedLoad(vec, at, Align(4), mask, zero)
                         : (Value *)b.CreateAlignedLoad(vec, at, Align(4));
          }
          for (size_t j = 0; j < a.size(); ++j)
            a[j] = b.CreateLoad(vec, acc[j]);
          for (int64_t k = 0; k < K; ++k) {
            Value *cv = b.CreateAlignedLoad(
                vec, b.CreateInBoundsGEP(f32, col, b.CreateAdd(I(k * d.Ppad), p)), Align(4));
            for (int i = 0; i < ft; ++i)
              a[i * K + k] =
                  b.CreateIntrinsic(Intrinsic::fmuladd, {vec}, {gv[i], cv, a[i * K + k]});
          }
          for (size_t j = 0; j < a.size(); ++j)
            b.CreateStore(a[j], acc[j]);
        };
        emitLoop(b, I(0), I(fullVectors * w), I(w), [&](Value *p) { step(p, nullptr); });
        if (tailLanes)
          step(I(fullVectors * w), lanesBelow(b, w, I(0), I(tailLanes)));
        for (int i = 0; i < ft; ++i)
          emitIf(b, live[i], [&] {
            for (int64_t k = 0; k < K; ++k) {
              Value *at = sumAt(row[i], k);
              b.CreateAlignedStore(b.CreateFAdd(b.CreateAlignedLoad(vec, at, Align(4)),
                                                b.CreateLoad(vec, acc[i * K + k])),
                                   at, Align(4));
            }
          });
      });
    });
    // dW[f, k]: each sum vector added up lane by lane (an ordered reduction).
    emitLoop(b, f0, f1, I(1), [&](Value *f) {
      for (int64_t k = 0; k < K; ++k) {
        Value *v = b.CreateAlignedLoad(vec, sumAt(f, k), Align(4));
        Value *s = b.CreateFAddReduce(ConstantFP::getNegativeZero(f32), v);
        b.CreateStore(s, b.CreateInBoundsGEP(f32, DW, b.CreateAdd(b.CreateMul(f, I(K)), I(k))));
      }
    });
  };
  auto colOf = [&](Value *part) {
    Value *base = b.CreateInBoundsGEP(b.getInt8Ty(), L.gemmScratch(), I(sumBytes(d, w)));
    return b.CreateInBoundsGEP(b.getInt8Ty(), base, b.CreateMul(part, I(colBytes(d))));
  };
  int64_t macs = L.options().maxBatch * d.F * d.P * K;
  if (L.options().threads <= 1 || macs < cfg.parallelMinMacs || d.F < 2) {
    filters(I(0), I(d.F), colOf(I(0)));
    return true;
  }
  L.parallelFor(I(d.F), [&](Value *first, Value *end) {
    filters(first, end, colOf(L.parallelPart(first, I(d.F))));
  });
  return true;
}

} // namespace nnc::codegen

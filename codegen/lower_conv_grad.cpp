// conv2d_grad_input (ops.def) on the GEMM's micro-kernels, stride 1: per
// image the patch gradients dcol[K, P] = W^T[K, F] g[F, P] (K = C*KH*KW, P
// = OH*OW), then each patch row added back where it was read ("col2im",
// the transpose of lower_conv.cpp's packing; as Caffe's backward pass):
// dx[c, y, x] = sum over (ky, kx) of dcol[(c,ky,kx), (y+top-ky, x+left-kx)]
// where that pixel exists, in (ky, kx) order for every element, so the sums
// do not depend on the thread count.
// W^T is packed once per call (k-major panels of mr rows of K), g is read in
// place; threads take whole images, each with its own dcol.
//
// conv2d_grad_filter the same way round: dW^T[K, F] = sum over images of
// col[K, P] g^T[P, F], col packed per image (conv_im2col.h) as the A operand,
// g^T as packed B panels, the sum over images accumulated in the C tiles in
// image order; threads take input channels (rows of dW^T), so every element
// is the same sum on any thread count; dW = (dW^T)^T at the end.
#include "codegen/conv_im2col.h"
#include "codegen/gemm_kernels.h"
#include "codegen/loop_builder.h"
#include "codegen/lowering.h"

#include <algorithm>

namespace nnc::codegen {

using namespace llvm;

namespace {

struct GradGeometry {
  int64_t C, H, W, F, KH, KW, OH, OW, P, K;
  int64_t top, left;
};

bool gradOk(const ir::Node &n, const GemmConfig &cfg) {
  return n.kind == ir::OpKind::Conv2DGradInput && n.type.dtype == ir::DType::F32 && cfg.enabled &&
         cfg.lanes > 1 && n.win.sh == 1 && n.win.sw == 1;
}

GradGeometry gradGeometry(const ir::Node &n) {
  const auto &g = n.operand(0)->shape().dims, &w = n.operand(1)->shape().dims, &x = n.shape().dims;
  return {x[1], x[2], x[3], w[0], w[2], w[3], g[2], g[3], g[2] * g[3], x[1] * w[2] * w[3], n.win.top, n.win.left};
}

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }
int64_t packedWBytes(const GradGeometry &g, int mr) { return round64((g.K + mr - 1) / mr * mr * g.F * 4); }
int64_t dcolBytes(const GradGeometry &g) { return round64(g.K * g.P * 4); }

} // namespace

int64_t convGradScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads) {
  if (!gradOk(n, cfg))
    return 0;
  GradGeometry g = gradGeometry(n);
  return 64 + packedWBytes(g, cfg.mr) + dcolBytes(g) * std::max(1, threads);
}

bool lowerConv2DGradInputFast(Lowering &L, const ir::Node &n) {
  const GemmConfig &cfg = L.options().gemm;
  if (!gradOk(n, cfg) || L.options().gemmScratch < 0)
    return false;
  const GradGeometry g = gradGeometry(n);
  const int w = cfg.lanes, mr = cfg.mr, nv = cfg.nv;
  const int64_t nr = (int64_t)nv * w;
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  auto *vec = FixedVectorType::get(f32, w);
  auto I = [&](int64_t v) { return b.getInt64(v); };
  GemmKernels kernels(L.module(), cfg);
  Function *ukr = kernels.microKernel({APanel::KMajor, false, mr, nv, 0, 0, false, cfg.kUnroll});
  Function *packA = kernels.packA(true, mr);

  auto dcolOf = [&](Value *part) {
    Value *p = b.CreateInBoundsGEP(b.getInt8Ty(), L.gemmScratch(), I(packedWBytes(g, mr)));
    return part ? b.CreateInBoundsGEP(b.getInt8Ty(), p, b.CreateMul(part, I(dcolBytes(g)))) : p;
  };
  // W^T: A(k, f) = W[f, k], k-major panels of mr rows, one K block of F.
  b.CreateCall(packA, {L.storage(n.operand(1)), I(g.K), I(g.K), I(g.F), L.gemmScratch()});

  auto images = [&](Value *first, Value *end, Value *dcol) {
    Value *G = L.storage(n.operand(0)), *DX = L.storage(&n), *A = L.gemmScratch();
    emitLoop(b, first, end, I(1), [&](Value *img) {
      Value *gi = b.CreateInBoundsGEP(f32, G, b.CreateMul(img, I(g.F * g.P)));
      Value *dx = b.CreateInBoundsGEP(f32, DX, b.CreateMul(img, I(g.C * g.H * g.W)));
      // dcol = W^T g
      emitLoop(b, I(0), I(g.P), I(nr), [&](Value *j0) {
        Value *bp = b.CreateInBoundsGEP(f32, gi, j0);
        emitLoop(b, I(0), I(g.K), I(mr), [&](Value *i0) {
          Value *a = b.CreateInBoundsGEP(f32, A, b.CreateMul(i0, I(g.F)));
          Value *c = b.CreateInBoundsGEP(f32, dcol, b.CreateAdd(b.CreateMul(i0, I(g.P)), j0));
          b.CreateCall(ukr, {a, I(1), I(mr), bp, I(g.P), c, I(g.P), I(g.F), b.CreateSub(I(g.K), i0),
                             b.CreateSub(I(g.P), j0), b.getFalse()});
        });
      });
      // dx = col2im(dcol), a vector of a dx row at a time, summed in
      // registers over (ky, kx) from the shifted dcol rows that cover it
      // (no read-modify-write of dx: consecutive shifted stores would each
      // wait for the last).
      Value *zero = Constant::getNullValue(vec);
      std::vector<Constant *> lanes;
      for (int l = 0; l < w; ++l)
        lanes.push_back(b.getInt32(l));
      Value *lane = ConstantVector::get(lanes);
      emitLoop(b, I(0), I(g.W), I(w), [&](Value *t) {
        // Lanes x = t + l inside the row, and for each kx those whose output
        // column ox = x + left - kx exists.
        Value *xs = b.CreateAdd(b.CreateVectorSplat(w, b.CreateTrunc(t, b.getInt32Ty())), lane);
        auto splat32 = [&](int64_t v) { return b.CreateVectorSplat(w, b.getInt32((uint32_t)v)); };
        Value *inRow = b.CreateICmpSLT(xs, splat32(g.W));
        std::vector<Value *> colOk(g.KW);
        for (int64_t kx = 0; kx < g.KW; ++kx) {
          Value *ox = b.CreateAdd(xs, splat32(g.left - kx));
          colOk[kx] = b.CreateAnd(inRow, b.CreateAnd(b.CreateICmpSGE(ox, splat32(0)), b.CreateICmpSLT(ox, splat32(g.OW))));
        }
        emitLoop(b, I(0), I(g.C), I(1), [&](Value *c) {
          emitLoop(b, I(0), I(g.H), I(1), [&](Value *y) {
            Value *acc = zero;
            for (int64_t ky = 0; ky < g.KH; ++ky) {
              Value *oy = b.CreateAdd(y, I(g.top - ky));
              Value *rowOk = b.CreateAnd(b.CreateICmpSGE(oy, I(0)), b.CreateICmpSLT(oy, I(g.OH)));
              Value *oyc = b.CreateSelect(rowOk, oy, I(0));
              for (int64_t kx = 0; kx < g.KW; ++kx) {
                Value *k = b.CreateAdd(b.CreateMul(c, I(g.KH * g.KW)), I(ky * g.KW + kx));
                // dcol[k, oy*OW + x + left - kx] for lane x = t + l.
                Value *at = b.CreateAdd(b.CreateAdd(b.CreateMul(k, I(g.P)), b.CreateMul(oyc, I(g.OW))),
                                        b.CreateAdd(t, I(g.left - kx)));
                Value *m = b.CreateAnd(colOk[kx], b.CreateVectorSplat(w, rowOk));
                acc = b.CreateFAdd(acc, b.CreateMaskedLoad(vec, b.CreateGEP(f32, dcol, at), Align(4), m, zero));
              }
            }
            Value *to = b.CreateInBoundsGEP(f32, dx, b.CreateAdd(b.CreateMul(b.CreateAdd(b.CreateMul(c, I(g.H)), y), I(g.W)), t));
            b.CreateMaskedStore(acc, to, Align(4), inRow);
          });
        });
      });
    });
  };
  int64_t macs = L.options().maxBatch * g.F * g.P * g.K;
  Value *batch = L.dim(n.shape().dims[0]);
  if (L.options().threads <= 1 || macs < cfg.parallelMinMacs) {
    images(I(0), batch, dcolOf(nullptr));
    return true;
  }
  L.parallelFor(batch, [&](Value *first, Value *end) {
    images(first, end, dcolOf(L.parallelPart(first, L.dim(n.shape().dims[0]))));
  });
  return true;
}

namespace {

struct FilterGeometry {
  int64_t C, H, W, F, KH, KW, OH, OW, P, K, Ppad;
  ir::Window2D win;
};

bool filterOk(const ir::Node &n, const GemmConfig &cfg) {
  return n.kind == ir::OpKind::Conv2DGradFilter && n.type.dtype == ir::DType::F32 && cfg.enabled &&
         cfg.lanes > 1 && n.win.sh == 1 && n.win.sw == 1;
}

FilterGeometry filterGeometry(const ir::Node &n, int lanes) {
  const auto &x = n.operand(0)->shape().dims, &g = n.operand(1)->shape().dims, &w = n.shape().dims;
  int64_t P = g[2] * g[3];
  return {x[1], x[2], x[3], w[0], w[2], w[3], g[2], g[3], P, x[1] * w[2] * w[3], (P + lanes - 1) / lanes * lanes, n.win};
}

int64_t dwtBytes(const FilterGeometry &g) { return round64(g.K * g.F * 4); }
int64_t partBytes(const FilterGeometry &g, int64_t nr) {
  return round64(g.K * g.Ppad * 4) + round64(g.P * (g.F + nr - 1) / nr * nr * 4);
}

} // namespace

int64_t convFilterScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads) {
  if (!filterOk(n, cfg))
    return 0;
  FilterGeometry g = filterGeometry(n, cfg.lanes);
  return 64 + dwtBytes(g) + partBytes(g, (int64_t)std::min<int64_t>(cfg.nv, (g.F + cfg.lanes - 1) / cfg.lanes) * cfg.lanes) *
                                std::max(1, threads);
}

bool lowerConv2DGradFilterFast(Lowering &L, const ir::Node &n) {
  const GemmConfig &cfg = L.options().gemm;
  if (!filterOk(n, cfg) || L.options().gemmScratch < 0)
    return false;
  const FilterGeometry g = filterGeometry(n, cfg.lanes);
  const int w = cfg.lanes, nv = (int)std::min<int64_t>(cfg.nv, (g.F + w - 1) / w);
  const int64_t nr = (int64_t)nv * w; // the widest tile (scratch per part)
  const int64_t window = g.KH * g.KW;
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  auto I = [&](int64_t v) { return b.getInt64(v); };
  GemmKernels kernels(L.module(), cfg);
  // The register tile (mr x nv vectors) and its kernels, as planGemm picks
  // them for a narrow N: fewer vectors per row, more rows, at most 12.
  struct Tiles {
    int mr, nv;
    int64_t nr;
    Function *ukr, *packB;
  };
  auto tiles = [&](int nv) {
    int mr = nv < cfg.nv ? std::max(cfg.mr, std::min(cfg.mr * cfg.nv / nv, 12)) : cfg.mr;
    return Tiles{mr, nv, (int64_t)nv * w, kernels.microKernel({APanel::Strided, true, mr, nv, 0, 0, false, cfg.kUnroll}),
                 kernels.packB(true, nv)};
  };
  const Im2col shape{g.C, g.H, g.W, g.KH, g.KW, g.OW, g.win.top,
                     g.win.left, g.win.bottom, g.win.right, im2colChunk(window, g.Ppad, cfg.l1Bytes)};

  // Input channels [c0, c1) and filters [f0, f1) (f0 a multiple of the
  // lanes): dW^T's rows [c0*window, c1*window) and columns [f0, f1), then
  // dW's entries from them. Each entry is the same sum in the same order
  // whatever the ranges, so any split gives the same bits.
  auto part = [&](const Tiles &t, Value *c0, Value *c1, Value *f0, Value *f1, Value *partIndex) {
    Value *X = L.storage(n.operand(0)), *G = L.storage(n.operand(1)), *DW = L.storage(&n);
    Value *dwt = L.gemmScratch();
    Value *col = b.CreateInBoundsGEP(b.getInt8Ty(), dwt,
                                     b.CreateAdd(I(dwtBytes(g)), b.CreateMul(partIndex, I(partBytes(g, nr)))));
    Value *gt = b.CreateInBoundsGEP(b.getInt8Ty(), col, I(round64(g.K * g.Ppad * 4)));
    Value *k0 = b.CreateMul(c0, I(window)), *k1 = b.CreateMul(c1, I(window));
    emitLoop(b, I(0), L.dim(n.operand(0)->shape().dims[0]), I(1), [&](Value *img) {
      Value *x = b.CreateInBoundsGEP(f32, X, b.CreateMul(img, I(g.C * g.H * g.W)));
      Value *gi = b.CreateInBoundsGEP(f32, G, b.CreateAdd(b.CreateMul(img, I(g.F * g.P)), b.CreateMul(f0, I(g.P))));
      emitIm2col(b, w, shape, x, k0, b.CreateSub(k1, k0), I(0), I(g.P), col, g.Ppad, I(0));
      // g^T of filters [f0, f1): k-rows p, panels of nr filters
      b.CreateCall(t.packB, {gi, I(g.P), I(g.P), b.CreateSub(f1, f0), gt});
      Value *accumulate = b.CreateICmpSGT(img, I(0));
      emitLoop(b, f0, f1, I(t.nr), [&](Value *j0) {
        Value *bp = b.CreateInBoundsGEP(f32, gt, b.CreateMul(b.CreateSub(j0, f0), I(g.P)));
        emitLoop(b, k0, k1, I(t.mr), [&](Value *i0) {
          Value *a = b.CreateInBoundsGEP(f32, col, b.CreateMul(b.CreateSub(i0, k0), I(g.Ppad)));
          Value *c = b.CreateInBoundsGEP(f32, dwt, b.CreateAdd(b.CreateMul(i0, I(g.F)), j0));
          b.CreateCall(t.ukr, {a, I(g.Ppad), I(1), bp, I(t.nr), c, I(g.F), I(g.P), b.CreateSub(k1, i0),
                             b.CreateSub(f1, j0), accumulate});
        });
      });
    });
    // dW[f, k] = dW^T[k, f]
    emitLoop(b, k0, k1, I(1), [&](Value *k) {
      emitLoop(b, f0, f1, I(1), [&](Value *f) {
        Value *v = b.CreateLoad(f32, b.CreateInBoundsGEP(f32, dwt, b.CreateAdd(b.CreateMul(k, I(g.F)), f)));
        b.CreateStore(v, b.CreateInBoundsGEP(f32, DW, b.CreateAdd(b.CreateMul(f, I(g.K)), k)));
      });
    });
  };
  int64_t macs = L.options().maxBatch * g.F * g.P * g.K;
  const int64_t filterVectors = (g.F + w - 1) / w;
  if (L.options().threads <= 1 || macs < cfg.parallelMinMacs || (g.C < 2 && filterVectors < 2)) {
    part(tiles(nv), I(0), I(g.C), I(0), I(g.F), I(0));
    return true;
  }
  if (g.C >= 2) { // threads take input channels
    Tiles t = tiles(nv);
    L.parallelFor(I(g.C), [&](Value *first, Value *end) {
      part(t, first, end, I(0), I(g.F), L.parallelPart(first, I(g.C)));
    });
    return true;
  }
  // One input channel (a first layer): threads take vectors of filters, one
  // vector wide tiles (a wider one would compute the other part's too).
  Tiles t = tiles(1);
  L.parallelFor(I(filterVectors), [&](Value *first, Value *end) {
    part(t, I(0), I(1), b.CreateMul(first, I(w)), b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateMul(end, I(w)), I(g.F)),
         L.parallelPart(first, I(filterVectors)));
  });
  return true;
}

} // namespace nnc::codegen

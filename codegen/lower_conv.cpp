// conv2d (ops.def) on the GEMM's micro-kernels: per image, the convolution is
// the product out[F, P] = W[F, K] * col[K, P] (P = OH*OW output pixels, K =
// C*KH*KW, col the image's patches, "im2col"; Chellapilla et al. 2006, as
// Caffe and oneDNN's gemm convolution). W is read in place (its [F,C,KH,KW]
// layout is [F, K] row-major), the output is NCHW as the IR has it, and col
// is never stored whole: each K block x pixel block of it is packed straight
// into the micro-kernel's B panels (nr pixels per k-row, zeros past P),
// from contiguous runs of input rows (stride 1), zeros for the
// padding. Blocking: kc from the GEMM config, pixel blocks of nc = the
// config's L2 share / (kc * 4 bytes), row panels of mr filters. Threads take
// whole images (each with its own packing buffer), so every output element
// is the same sum in the same order on any thread count.
//
// The fast path covers f32 with vector lanes and stride 1 (the reference
// nets'); lower_window.cpp's loop nest takes the rest.
#include "codegen/gemm_kernels.h"
#include "codegen/loop_builder.h"
#include "codegen/lowering.h"

#include <algorithm>

namespace nnc::codegen {

using namespace llvm;

namespace {

struct ConvGeometry {
  int64_t C, H, W, F, KH, KW, OH, OW, P, K;
  int64_t kc, nc; // K block, pixel block (a multiple of nr)
};

bool fastOk(const ir::Node &n, const GemmConfig &cfg) {
  return n.kind == ir::OpKind::Conv2D && n.type.dtype == ir::DType::F32 && cfg.enabled &&
         cfg.lanes > 1 && n.win.sh == 1 && n.win.sw == 1;
}

ConvGeometry geometry(const ir::Node &n, const GemmConfig &cfg) {
  const auto &x = n.operand(0)->shape().dims, &w = n.operand(1)->shape().dims, &o = n.shape().dims;
  ConvGeometry g{x[1], x[2], x[3], w[0], w[2], w[3], o[2], o[3], o[2] * o[3], x[1] * w[2] * w[3], 0, 0};
  int64_t nr = (int64_t)cfg.nv * cfg.lanes;
  // K blocks of whole input channels (KH*KW k each): one block up to 1.5x
  // the GEMM's kc (a short second block would load and store the C tile
  // again for a few k), else balanced blocks.
  int64_t window = g.KH * g.KW;
  int64_t blocks = g.K * 2 <= cfg.kc * 3 ? 1 : (g.K + cfg.kc - 1) / cfg.kc;
  g.kc = (g.C + blocks - 1) / blocks * window;
  // The packed block in a quarter of L2 (256 KiB when unknown).
  int64_t budget = (cfg.l2Bytes > 0 ? cfg.l2Bytes : int64_t(1) << 20) / 4;
  int64_t panels = std::max<int64_t>(1, budget / (g.kc * nr * 4));
  g.nc = std::min(panels, (g.P + nr - 1) / nr) * nr;
  return g;
}

int64_t packBytes(const ConvGeometry &g) { return (g.kc * g.nc * 4 + 63) / 64 * 64; }

} // namespace

int64_t convScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads) {
  if (!fastOk(n, cfg))
    return 0;
  return 64 + packBytes(geometry(n, cfg)) * std::max(1, threads);
}

bool lowerConv2DFast(Lowering &L, const ir::Node &n) {
  const GemmConfig &cfg = L.options().gemm;
  if (!fastOk(n, cfg) || L.options().gemmScratch < 0)
    return false;
  const ConvGeometry g = geometry(n, cfg);
  const int w = cfg.lanes, mr = cfg.mr, nv = cfg.nv;
  const int64_t nr = (int64_t)nv * w;
  const ir::Window2D &win = n.win;
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  auto *vec = FixedVectorType::get(f32, w);
  GemmKernels kernels(L.module(), cfg);
  // Panels are zero-padded past P, so every tile loads B with plain loads.
  Function *ukr = kernels.microKernel({APanel::Strided, true, mr, nv, 0, 0, false, cfg.kUnroll});
  auto I = [&](int64_t v) { return b.getInt64(v); };

  // Lanes l of a vector at `first` of a run with first + l < len (i32 lane
  // arithmetic: one register of compares for 16 lanes).
  auto lanesBelow = [&](Value *first, Value *len) {
    std::vector<Constant *> lanes;
    for (int l = 0; l < w; ++l)
      lanes.push_back(b.getInt32(l));
    Value *rest = b.CreateTrunc(b.CreateSub(len, first), b.getInt32Ty());
    return b.CreateICmpSLT(ConstantVector::get(lanes), b.CreateVectorSplat(w, rest));
  };
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
  const bool padded = win.top || win.left || win.bottom || win.right;
  const int64_t window = g.KH * g.KW;

  // Packs col[k0 .. k0+kc) x pixels [p0 .. p0+nc) of image `x` (ptr to its
  // [C,H,W]) into panels of nr pixels at dst: panel q at q*kc*nr, k-row at
  // (k-k0)*nr. Each output row's run of pixels is copied a vector at a
  // time for every k; without padding every lane of a run is inside the
  // image (stride 1, 'valid'), so only the run's length masks.
  auto pack = [&](Value *x, Value *k0, Value *kc, Value *p0, Value *dst) {
    Value *pEnd = b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateAdd(p0, I(g.nc)), I(g.P));
    Value *panels = b.CreateSDiv(b.CreateAdd(b.CreateSub(pEnd, p0), I(nr - 1)), I(nr));
    emitLoop(b, I(0), panels, I(1), [&](Value *q) {
      Value *ps = b.CreateAdd(p0, b.CreateMul(q, I(nr)));
      Value *pe = b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateAdd(ps, I(nr)), pEnd);
      Value *panel = b.CreateInBoundsGEP(f32, dst, b.CreateMul(q, b.CreateMul(kc, I(nr))));
      // The last panel's lanes past P: zeros.
      emitIf(b, b.CreateICmpSLT(b.CreateSub(pe, ps), I(nr)), [&] {
        Value *filled = b.CreateSub(pe, ps);
        emitLoop(b, I(0), kc, I(1), [&](Value *k) {
          Value *row = b.CreateInBoundsGEP(f32, panel, b.CreateMul(k, I(nr)));
          emitLoop(b, I(0), I(nr), I(w), [&](Value *t) {
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
            Value *y = b.CreateAdd(oy, I(ky - win.top));
            Value *hi = I(g.W);
            if (padded) { // rows outside read as 0 (no lane inside)
              Value *rowOk = b.CreateAnd(b.CreateICmpSGE(y, I(0)), b.CreateICmpSLT(y, I(g.H)));
              hi = b.CreateSelect(rowOk, I(g.W), I(0));
              y = b.CreateSelect(rowOk, y, I(0));
            }
            Value *row = b.CreateGEP(f32, x, b.CreateMul(b.CreateAdd(b.CreateMul(c, I(g.H)), y), I(g.W)));
            Value *kRow = b.CreateAdd(b.CreateMul(b.CreateSub(c, c0), I(window)), I(ky * g.KW));
            for (int64_t kx = 0; kx < g.KW; ++kx) {
              Value *col0 = b.CreateAdd(ox0, I(kx - win.left));
              Value *src = b.CreateGEP(f32, row, col0);
              Value *out = b.CreateInBoundsGEP(f32, dstRow, b.CreateMul(b.CreateAdd(kRow, I(kx)), I(nr)));
              emitLoop(b, I(0), len, I(w), [&](Value *t) {
                Value *store = b.CreateSelect(b.CreateICmpEQ(t, I(0)), first, lanesBelow(t, len));
                Value *load = padded ? b.CreateAnd(store, lanesInside(t, col0, hi)) : store;
                Value *v = b.CreateMaskedLoad(vec, b.CreateGEP(f32, src, t), Align(4), load, Constant::getNullValue(vec));
                b.CreateMaskedStore(v, b.CreateInBoundsGEP(f32, out, t), Align(4), store);
              });
            }
          }
        });
      });
    });
  };

  // Images [first, end), packing into `buf`.
  auto images = [&](Value *first, Value *end, Value *buf) {
    Value *X = L.storage(n.operand(0)), *Wt = L.storage(n.operand(1)), *Out = L.storage(&n);
    emitLoop(b, first, end, I(1), [&](Value *img) {
      Value *x = b.CreateInBoundsGEP(f32, X, b.CreateMul(img, I(g.C * g.H * g.W)));
      Value *out = b.CreateInBoundsGEP(f32, Out, b.CreateMul(img, I(g.F * g.P)));
      emitLoop(b, I(0), I(g.P), I(g.nc), [&](Value *p0) {
        emitLoop(b, I(0), I(g.K), I(g.kc), [&](Value *pc) {
          Value *kc = b.CreateBinaryIntrinsic(Intrinsic::smin, I(g.kc), b.CreateSub(I(g.K), pc));
          pack(x, pc, kc, p0, buf);
          Value *pEnd = b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateAdd(p0, I(g.nc)), I(g.P));
          emitLoop(b, p0, pEnd, I(nr), [&](Value *j0) {
            Value *bp = b.CreateInBoundsGEP(f32, buf, b.CreateMul(b.CreateSub(j0, p0), kc));
            emitLoop(b, I(0), I(g.F), I(mr), [&](Value *i0) {
              Value *a = b.CreateInBoundsGEP(f32, Wt, b.CreateAdd(b.CreateMul(i0, I(g.K)), pc));
              Value *c = b.CreateInBoundsGEP(f32, out, b.CreateAdd(b.CreateMul(i0, I(g.P)), j0));
              b.CreateCall(ukr, {a, I(g.K), I(1), bp, I(nr), c, I(g.P), kc, b.CreateSub(I(g.F), i0),
                                 b.CreateSub(I(g.P), j0), b.CreateICmpSGT(pc, I(0))});
            });
          });
        });
      });
    });
  };
  // The scratch area, 64-byte aligned; one packing buffer per part.
  auto buffer = [&](Value *part) {
    Value *base = L.workspace(L.options().gemmScratch);
    Value *pad = b.CreateAnd(b.CreateNeg(b.CreatePtrToInt(base, b.getInt64Ty())), I(63));
    Value *p = b.CreateInBoundsGEP(b.getInt8Ty(), base, pad);
    return part ? b.CreateInBoundsGEP(b.getInt8Ty(), p, b.CreateMul(part, I(packBytes(g)))) : p;
  };
  int64_t macs = L.options().maxBatch * g.F * g.P * g.K;
  Value *batch = L.dim(n.shape().dims[0]);
  if (L.options().threads <= 1 || macs < cfg.parallelMinMacs) {
    images(I(0), batch, buffer(nullptr));
    return true;
  }
  L.parallelFor(batch, [&](Value *first, Value *end) {
    // Part q of nnc_parallel_for's P = min(threads, count) parts starts at
    // count * q / P (runtime/parallel_for.h): q = ceil(first * P / count).
    Value *count = L.dim(n.shape().dims[0]);
    Value *parts = b.CreateBinaryIntrinsic(Intrinsic::smin, count, I(L.options().threads));
    Value *part = b.CreateSDiv(b.CreateAdd(b.CreateMul(first, parts), b.CreateSub(count, I(1))), count);
    images(first, end, buffer(part));
  });
  return true;
}

} // namespace nnc::codegen

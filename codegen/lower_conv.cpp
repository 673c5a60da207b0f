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
#include "codegen/conv_im2col.h"
#include "codegen/gemm_kernels.h"
#include "codegen/loop_builder.h"
#include "codegen/lowering.h"

#include <algorithm>

namespace nnc::codegen {

using namespace llvm;

namespace {

/// Images [C,H,W] -> [F,OH,OW], filter KH x KW, zero padding top/left/
/// bottom/right, stride 1.
struct ConvGeometry {
  int64_t C, H, W, F, KH, KW, OH, OW, P, K;
  int64_t top, left, bottom, right;
  int64_t kc, nc; // K block, pixel block (a multiple of nr)
};

bool fastOk(const ir::Node &n, const GemmConfig &cfg) {
  return n.kind == ir::OpKind::Conv2D && n.type.dtype == ir::DType::F32 && cfg.enabled && cfg.lanes > 1 && n.win.sh == 1 && n.win.sw == 1;
}

ConvGeometry geometry(const ir::Node &n, const GemmConfig &cfg) {
  const auto &x = n.operand(0)->shape().dims, &w = n.operand(1)->shape().dims, &o = n.shape().dims;
  const ir::Window2D &win = n.win;
  ConvGeometry g{x[1], x[2], x[3], o[1], w[2], w[3], o[2], o[3], o[2] * o[3], x[1] * w[2] * w[3],
                 win.top, win.left, win.bottom, win.right, 0, 0};
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
  ConvGeometry g = geometry(n, cfg);
  return 64 + packBytes(g) * std::max(1, threads);
}

bool lowerConv2DFast(Lowering &L, const ir::Node &n, const TileEpilogue *tile) {
  const GemmConfig &cfg = L.options().gemm;
  if (!fastOk(n, cfg) || L.options().gemmScratch < 0)
    return false;
  const ConvGeometry g = geometry(n, cfg);
  const int w = cfg.lanes, mr = cfg.mr, nv = cfg.nv;
  const int64_t nr = (int64_t)nv * w;
  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  GemmKernels kernels(L.module(), cfg);
  // The epilogue on tiles in registers (a fused bias, activation ...; see
  // lowerMatMul): the micro-kernel takes the kernel ABI's arguments first
  // and the tile's place in the [B*F, P] view and "last K block" after.
  GemmKernels::Epilogue epi;
  if (tile) {
    epi.name = tile->name;
    epi.emit = [&L, tile](Function *f, BasicBlock *block, Value *i0, Value *j0, int mr, int nv,
                          const std::vector<Value *> &values, const std::vector<Value *> &masks) {
      return L.emitInto(f, block, [&] { tile->emit(i0, j0, mr, nv, values, masks); });
    };
  }
  // Panels are zero-padded past P, so every tile loads B with plain loads.
  Function *ukr = kernels.microKernel({APanel::Strided, true, mr, nv, 0, 0, false, cfg.kUnroll, tile ? &epi : nullptr});
  auto I = [&](int64_t v) { return b.getInt64(v); };

  const Im2col shape{g.C, g.H, g.W, g.KH, g.KW, g.OW, g.top, g.left, g.bottom, g.right,
                     im2colChunk(g.KH * g.KW, nr, cfg.l1Bytes)};
  // col[k0 .. k0+kc) x pixels [p0 .. p0+nc) into panels of nr pixels at dst
  // (panel q at q*kc*nr, k-row at (k-k0)*nr).
  auto pack = [&](Value *x, Value *k0, Value *kc, Value *p0, Value *dst) {
    Value *pEnd = b.CreateBinaryIntrinsic(Intrinsic::smin, b.CreateAdd(p0, I(g.nc)), I(g.P));
    emitIm2col(b, w, shape, x, k0, kc, p0, pEnd, dst, nr, b.CreateMul(kc, I(nr)));
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
              std::vector<Value *> args = {a, I(g.K), I(1), bp, I(nr), c, I(g.P), kc, b.CreateSub(I(g.F), i0),
                                           b.CreateSub(I(g.P), j0), b.CreateICmpSGT(pc, I(0))};
              if (tile) {
                std::vector<Value *> abi = L.abiArgs();
                if (tile->table)
                  abi[0] = tile->table();
                args.insert(args.begin(), abi.begin(), abi.end());
                args.insert(args.end(), {b.CreateAdd(b.CreateMul(img, I(g.F)), i0), j0,
                                         b.CreateICmpSGE(b.CreateAdd(pc, kc), I(g.K))});
              }
              b.CreateCall(ukr, args);
            });
          });
        });
      });
    });
  };
  // One packing buffer per part.
  auto buffer = [&](Value *part) {
    Value *p = L.gemmScratch();
    return part ? b.CreateInBoundsGEP(b.getInt8Ty(), p, b.CreateMul(part, I(packBytes(g)))) : p;
  };
  int64_t macs = L.options().maxBatch * g.F * g.P * g.K;
  Value *batch = L.dim(n.shape().dims[0]);
  if (L.options().threads <= 1 || macs < cfg.parallelMinMacs) {
    images(I(0), batch, buffer(nullptr));
    return true;
  }
  L.parallelFor(batch, [&](Value *first, Value *end) {
    images(first, end, buffer(L.parallelPart(first, L.dim(n.shape().dims[0]))));
  });
  return true;
}

} // namespace nnc::codegen

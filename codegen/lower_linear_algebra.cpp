// matmul through the generated GEMM (gemm.h, gemm_kernels.h): the driver
// loops over blocks and calls the module's packing routines and micro-kernels;
// transpose as a plain loop nest.
#include "codegen/gemm_kernels.h"
#include "codegen/lowering.h"

namespace nnc::codegen {

using namespace llvm;

namespace {

/// Logical A(i, k) and B(k, j) of a matmul in the buffers that are read.
struct Operands {
  Value *M, *K, *N;
  Value *rsA, *csA; // A(i, k) at a[i * rsA + k * csA]
  Value *ksB, *jsB; // B(k, j) at b[k * ksB + j * jsB]
};

Operands operands(Lowering &L, const ir::Node &n, const GemmPlan &p) {
  const ir::Node *a = n.operand(0), *w = n.operand(1);
  Operands o;
  o.M = a->shape().rank() == 2 ? L.dim(a->shape().dims[0]) : L.i64(1);
  o.K = L.dim(w->shape().dims[0]);
  o.N = L.dim(w->shape().dims[1]);
  if (p.swapped) // C^T = B^T A^T: [N,K] x [K,M]
    std::swap(o.M, o.N);
  // Transposed: A is stored as [K,M], B as [N,K].
  o.rsA = p.transA ? L.i64(1) : o.K;
  o.csA = p.transA ? o.M : L.i64(1);
  o.ksB = p.transB ? L.i64(1) : o.N;
  o.jsB = p.transB ? o.K : L.i64(1);
  return o;
}

/// The reference loop nest (f64, splat-constant operands): i-k-j with a
/// unit-stride inner loop.
void naive(Lowering &L, const ir::Node &n, const GemmPlan &p, const Operands &o,
           const std::function<void(Value *row)> &afterRow) {
  auto &b = L.b();
  Value *zero = L.fconst(n.type.dtype, 0.0);
  L.loop(b.CreateMul(o.M, o.N), [&](Value *i) { L.store(&n, i, zero); });
  L.loop(o.M, [&](Value *i) {
    Value *rowOut = b.CreateMul(i, o.N);
    L.loop(o.K, [&](Value *k) {
      Value *aik = L.load(p.a, b.CreateAdd(b.CreateMul(i, o.rsA), b.CreateMul(k, o.csA)));
      Value *rowB = b.CreateMul(k, o.ksB);
      L.loop(o.N, [&](Value *j) {
        Value *at = b.CreateAdd(rowOut, j);
        Value *bkj = L.load(p.b, b.CreateAdd(rowB, b.CreateMul(j, o.jsB)));
        L.store(&n, at, b.CreateFAdd(L.load(&n, at), b.CreateFMul(aik, bkj)));
      });
    });
    if (afterRow)
      afterRow(i);
  });
}

Value *ceilDiv(IRBuilder<> &b, Value *x, int64_t d) {
  return b.CreateSDiv(b.CreateAdd(x, b.getInt64(d - 1)), b.getInt64(d));
}

Value *smin(IRBuilder<> &b, Value *x, Value *y) {
  return b.CreateBinaryIntrinsic(Intrinsic::smin, x, y);
}

/// The micro-kernel for a tile, chosen at run time: edge kernels with fewer
/// rows (mr = M % mr of the static M) or fewer vectors (for N % nr) when the
/// tile is small enough for them, else the full kernel (masked).
class KernelPicker {
public:
  /// Edge kernels only where they save more than 2% of the work, and none
  /// for compact (tiny-shape) kernels: each costs 20-40 ms of LLVM's time.
  /// Rows: not for GEMMs under kEdgeMinMacs either, whose 2-5% are ~1 us
  /// per step (the mnist convnet's 128x1600x10 dense gradients). Vectors:
  /// when every tile is that narrow (N = 10 with 4-vector tiles), the
  /// narrow kernel is the only one.
  static constexpr int64_t kEdgeMinMacs = int64_t(1) << 22;
  KernelPicker(GemmKernels &k, const GemmConfig &cfg, APanel a, bool packedB, int mr, int nv,
               int64_t maxM, int64_t maxN, bool compact, int64_t macs,
               const GemmKernels::Epilogue *epilogue = nullptr)
      : lanes_(cfg.lanes) {
    int64_t nr = (int64_t)nv * cfg.lanes;
    if (!compact) {
      int rem = (int)(maxM % mr);
      if (rem && (mr - rem) * 50 > maxM && macs >= kEdgeMinMacs)
        mrEdge_ = rem;
      int nvRem = (int)(((maxN % nr) + cfg.lanes - 1) / cfg.lanes);
      if (nvRem && (nv - nvRem) * cfg.lanes * 50 > maxN)
        nvEdge_ = nvRem;
    }
    auto spec = [&](int m, int v) { // edge kernels run on few tiles: not unrolled
      int unroll = m == mr && v == nv && !compact ? cfg.kUnroll : 1;
      return k.microKernel({a, packedB, m, v, mr, nv, compact, unroll, epilogue});
    };
    int mainNv = nv;
    if (nvEdge_ && maxN <= (int64_t)nvEdge_ * cfg.lanes) // every tile takes the narrow kernel
      mainNv = nvEdge_, nvEdge_ = 0;
    fn_[0] = spec(mr, mainNv);
    fn_[1] = mrEdge_ ? spec(mrEdge_, mainNv) : nullptr;
    fn_[2] = nvEdge_ ? spec(mr, nvEdge_) : nullptr;
    fn_[3] = mrEdge_ && nvEdge_ ? spec(mrEdge_, nvEdge_) : nullptr;
  }

  void call(IRBuilder<> &b, std::vector<Value *> args, Value *mValid, Value *nValid) {
    Value *callee = fn_[0];
    Value *fewRows = mrEdge_ ? b.CreateICmpSLE(mValid, b.getInt64(mrEdge_)) : nullptr;
    Value *fewCols = nvEdge_ ? b.CreateICmpSLE(nValid, b.getInt64((int64_t)nvEdge_ * lanes_)) : nullptr;
    if (fewRows && fewCols)
      callee = b.CreateSelect(fewRows, b.CreateSelect(fewCols, fn_[3], fn_[1]),
                              b.CreateSelect(fewCols, fn_[2], fn_[0]));
    else if (fewRows)
      callee = b.CreateSelect(fewRows, fn_[1], fn_[0]);
    else if (fewCols)
      callee = b.CreateSelect(fewCols, fn_[2], fn_[0]);
    b.CreateCall(fn_[0]->getFunctionType(), callee, args);
  }

private:
  int lanes_, mrEdge_ = 0, nvEdge_ = 0;
  Function *fn_[4];
};

} // namespace

void lowerMatMul(Lowering &L, const ir::Node &n, const std::function<void(Value *row)> &afterRow,
                 const TileEpilogue *tile) {
  const GemmConfig &cfg = L.options().gemm;
  static const std::unordered_set<const ir::Node *> none;
  const auto *readThrough = L.options().readThrough;
  GemmPlan p = planGemm(n, L.options().maxBatch, cfg, readThrough ? *readThrough : none,
                        L.options().threads);
  if (p.path == GemmPlan::Naive)
    return naive(L, n, p, operands(L, n, p), afterRow);

  auto &b = L.b();
  Type *f32 = b.getFloatTy();
  GemmKernels kernels(L.module(), cfg);
  // The epilogue on tiles in registers (not when C^T is computed and copied).
  GemmKernels::Epilogue epi;
  const GemmKernels::Epilogue *epilogue = nullptr;
  if (tile && !p.swapped) {
    epi.name = tile->name;
    epi.emit = [&L, tile](Function *f, BasicBlock *block, Value *i0, Value *j0, int mr, int nv,
                          const std::vector<Value *> &values, const std::vector<Value *> &masks) {
      return L.emitInto(f, block, [&] { tile->emit(i0, j0, mr, nv, values, masks); });
    };
    epilogue = &epi;
  }
  // A micro-kernel call's arguments: the tile's, and with an epilogue the
  // kernel ABI's before them and the tile's place and "last K block" after.
  auto args = [&](std::vector<Value *> tileArgs, Value *i0, Value *j0, Value *lastK) {
    if (!epilogue)
      return tileArgs;
    std::vector<Value *> all = L.abiArgs();
    if (tile->table)
      all[0] = tile->table();
    all.insert(all.end(), tileArgs.begin(), tileArgs.end());
    all.insert(all.end(), {i0, j0, lastK});
    return all;
  };
  const int64_t nr = (int64_t)p.nv * cfg.lanes;
  // The values every part below starts from, made in the function being
  // emitted (a parallel part runs in a task function of its own).
  struct Frame {
    Operands o;
    Value *A, *B, *C, *ldA = nullptr, *ldB = nullptr, *Bp = nullptr, *Ap = nullptr, *Npad = nullptr;
  };
  auto frame = [&]() {
    Frame f{operands(L, n, p), L.storage(p.a), L.storage(p.b), L.storage(&n)};
    f.ldA = p.transA ? f.o.M : f.o.K; // row stride of A's buffer
    f.ldB = p.transB ? f.o.K : f.o.N; // row stride of B's buffer
    if (p.scratchBytes > 0) {
      f.Bp = L.gemmScratch();
      f.Ap = b.CreateInBoundsGEP(b.getInt8Ty(), f.Bp, b.getInt64(p.bPackedBytes));
      if (p.swapped) // C^T, copied to C at the end
        f.C = b.CreateInBoundsGEP(b.getInt8Ty(), f.Bp, b.getInt64(p.cOffset));
    }
    f.Npad = b.CreateMul(ceilDiv(b, f.o.N, nr), b.getInt64(nr));
    return f;
  };
  auto rowsDone = [&](Value *first, Value *end) {
    if (afterRow && !epilogue)
      emitLoop(b, first, end, b.getInt64(1), [&](Value *i) { afterRow(i); });
  };

  if (p.path == GemmPlan::Direct) {
    // No packing of A; B in place, or (transposed) packed as one K block.
    Frame f = frame();
    const Operands &o = f.o;
    Value *panelStride = b.getInt64(nr), *ldb = o.N;
    Value *Bsrc = f.B;
    if (p.packB) {
      b.CreateCall(kernels.packB(p.transB, p.nv), {f.B, f.ldB, o.K, o.N, f.Bp});
      Bsrc = f.Bp, panelStride = b.CreateMul(o.K, b.getInt64(nr)), ldb = b.getInt64(nr);
    }
    KernelPicker ukr(kernels, cfg, APanel::Strided, false, p.mr, p.nv, p.maxM, p.maxN, true, p.macs, epilogue);
    emitLoop(b, b.getInt64(0), o.M, b.getInt64(p.mr), [&](Value *i0) {
      Value *a = b.CreateInBoundsGEP(f32, f.A, b.CreateMul(i0, o.rsA));
      Value *mValid = b.CreateSub(o.M, i0);
      emitLoop(b, b.getInt64(0), o.N, b.getInt64(nr), [&](Value *j0) {
        Value *bp = b.CreateInBoundsGEP(f32, Bsrc, b.CreateMul(b.CreateSDiv(j0, b.getInt64(nr)), panelStride));
        Value *c = b.CreateInBoundsGEP(f32, f.C, b.CreateAdd(b.CreateMul(i0, o.N), j0));
        Value *nValid = b.CreateSub(o.N, j0);
        ukr.call(b, args({a, o.rsA, o.csA, bp, ldb, c, o.N, o.K, mValid, nValid, b.getFalse()}, i0, j0, b.getTrue()),
                 mValid, nValid);
      });
      rowsDone(i0, smin(b, b.CreateAdd(i0, b.getInt64(p.mr)), o.M));
    });
    return;
  }

  // Blocked. Threads split the rows (units of mr rows) or, for a wide C
  // whose epilogue does not need whole rows, the columns (units of nr: each
  // thread then reads only its part of B, and packs it itself); either way
  // each C element is computed by one thread in the same order, so results
  // do not depend on the thread count. A packed A has a buffer per thread.
  const bool parallel = p.parallel;
  const bool colSplit = parallel && p.splitColumns && !(afterRow && !epilogue) && !p.swapped;
  Value *KC = b.getInt64(cfg.kc);
  // Packs B's K blocks [kFirst, kEnd), columns [colFirst, colEnd) (colFirst
  // a multiple of nr): K block pc at Bp + pc * Npad, panel j0 within it at
  // + j0 * kc (k-rows of nr, zero-padded).
  auto packB = [&](Frame &t, Value *kFirst, Value *kEnd, Value *colFirst, Value *colEnd) {
    emitLoop(b, kFirst, kEnd, b.getInt64(1), [&](Value *kb) {
      Value *pc = b.CreateMul(kb, KC);
      Value *kc = smin(b, KC, b.CreateSub(t.o.K, pc));
      Value *src = b.CreateInBoundsGEP(
          f32, t.B, b.CreateAdd(b.CreateMul(pc, t.o.ksB), b.CreateMul(colFirst, t.o.jsB)));
      Value *dst = b.CreateInBoundsGEP(f32, t.Bp, b.CreateAdd(b.CreateMul(pc, t.Npad), b.CreateMul(colFirst, kc)));
      b.CreateCall(kernels.packB(p.transB, p.nv), {src, t.ldB, kc, b.CreateSub(colEnd, colFirst), dst});
    });
  };
  // B packed once if the plan says so, its K blocks in parallel (split by
  // columns, each thread packs its own), else read in place.
  if (p.packB && !colSplit) {
    Frame f = frame();
    auto pack = [&](Value *first, Value *end) {
      Frame t = frame();
      packB(t, first, end, b.getInt64(0), t.o.N);
    };
    Value *kBlocks = ceilDiv(b, f.o.K, cfg.kc);
    if (parallel)
      L.parallelFor(kBlocks, pack);
    else
      pack(b.getInt64(0), kBlocks);
  }
  APanel layout = !p.packA ? APanel::Strided : p.transA ? APanel::KMajor : APanel::RowPanels;
  Function *packA = p.packA ? kernels.packA(p.transA, p.mr) : nullptr;
  // With AVX-512, packed and in-place B share the in-place kernels (fewer
  // kernels to compile): their full tiles load B with plain loads either
  // way, and packed panels are zero-padded at the edges.
  KernelPicker ukr(kernels, cfg, layout, p.packB && cfg.lanes < 16, p.mr, p.nv, p.maxM, p.maxN, false,
                   p.macs, epilogue);
  // Rows [first, end) of C, in blocks of mc, columns [colFirst, colEnd)
  // (null: all); the epilogue after each block. `part`: which of the
  // parallel loop's parts this is (its packed-A buffer), null: the first.
  auto rows = [&](Value *first, Value *end, Value *colFirst, Value *colEnd, Value *part) {
    Frame f = frame();
    const Operands &o = f.o;
    if (part && packA)
      f.Ap = b.CreateInBoundsGEP(b.getInt8Ty(), f.Ap, b.CreateMul(part, b.getInt64(p.aPackedBytes)));
    if (!colFirst)
      colFirst = b.getInt64(0), colEnd = o.N;
    else if (p.packB)
      packB(f, b.getInt64(0), ceilDiv(b, o.K, cfg.kc), colFirst, colEnd);
    Value *MC = b.getInt64(p.mc);
    // At least one K block, so that K = 0 (an empty batch) still writes zeros.
    Value *kBlocks = b.CreateBinaryIntrinsic(Intrinsic::smax, ceilDiv(b, o.K, cfg.kc), b.getInt64(1));
    emitLoop(b, first, end, MC, [&](Value *ic) {
      Value *mc = smin(b, MC, b.CreateSub(end, ic));
      emitLoop(b, b.getInt64(0), kBlocks, b.getInt64(1), [&](Value *kb) {
        Value *pc = b.CreateMul(kb, KC);
        Value *kc = smin(b, KC, b.CreateSub(o.K, pc));
        Value *a = b.CreateInBoundsGEP(f32, f.A, b.CreateAdd(b.CreateMul(ic, o.rsA), b.CreateMul(pc, o.csA)));
        Value *aBlock = a, *aPanel = b.CreateMul(b.getInt64(p.mr), o.rsA); // A panel i0 at aBlock + i0/mr * aPanel
        if (packA) {
          b.CreateCall(packA, {a, f.ldA, mc, kc, f.Ap});
          aBlock = f.Ap;
          aPanel = p.transA ? b.CreateMul(kc, b.getInt64(p.mr)) : b.getInt64(cfg.kcStride() * p.mr);
        }
        // B panel j0: packed at bBlock + j0 * kc (k-rows of nr), else in place.
        Value *bBlock = p.packB ? b.CreateInBoundsGEP(f32, f.Bp, b.CreateMul(pc, f.Npad))
                                : b.CreateInBoundsGEP(f32, f.B, b.CreateMul(pc, o.N));
        Value *ldb = p.packB ? L.i64(nr) : o.N;
        Value *accumulate = b.CreateICmpSGT(kb, b.getInt64(0));
        Value *lastK = b.CreateICmpEQ(kb, b.CreateSub(kBlocks, b.getInt64(1)));
        emitLoop(b, colFirst, colEnd, b.getInt64(nr), [&](Value *j0) {
          Value *bp = b.CreateInBoundsGEP(f32, bBlock, p.packB ? b.CreateMul(j0, kc) : j0);
          Value *nValid = b.CreateSub(o.N, j0);
          emitLoop(b, b.getInt64(0), mc, b.getInt64(p.mr), [&](Value *i0) {
            Value *ap = b.CreateInBoundsGEP(f32, aBlock, b.CreateMul(b.CreateSDiv(i0, b.getInt64(p.mr)), aPanel));
            Value *c = b.CreateInBoundsGEP(f32, f.C, b.CreateAdd(b.CreateMul(b.CreateAdd(ic, i0), o.N), j0));
            Value *mValid = b.CreateSub(mc, i0);
            ukr.call(b, args({ap, o.rsA, o.csA, bp, ldb, c, o.N, kc, mValid, nValid, accumulate},
                             b.CreateAdd(ic, i0), j0, lastK),
                     mValid, nValid);
          });
        });
      });
      if (!p.swapped)
        rowsDone(ic, b.CreateAdd(ic, mc));
    });
  };
  // Swapped: C = (C^T)^T, then the epilogue row by row.
  auto unswap = [&] {
    if (!p.swapped)
      return;
    Frame f = frame();
    Value *M = f.o.N, *N = f.o.M, *C = L.storage(&n); // of C
    L.loop(M, [&](Value *i) {
      L.loop(N, [&](Value *j) {
        Value *t = L.loadAt(f.C, n.type.dtype, b.CreateAdd(b.CreateMul(j, M), i));
        L.storeAt(C, n.type.dtype, b.CreateAdd(b.CreateMul(i, N), j), t);
      });
    });
    rowsDone(b.getInt64(0), M);
  };
  Value *M = operands(L, n, p).M;
  if (!parallel) {
    rows(b.getInt64(0), M, nullptr, nullptr, nullptr);
    return unswap();
  }
  if (colSplit) {
    L.parallelFor(ceilDiv(b, operands(L, n, p).N, nr), [&](Value *first, Value *end) {
      Operands o = operands(L, n, p);
      Value *NR = b.getInt64(nr);
      rows(b.getInt64(0), o.M, b.CreateMul(first, NR), smin(b, b.CreateMul(end, NR), o.N),
           L.parallelPart(first, ceilDiv(b, o.N, nr)));
    });
    return;
  }
  L.parallelFor(ceilDiv(b, M, p.mr), [&](Value *first, Value *end) {
    Value *m = operands(L, n, p).M, *mr = b.getInt64(p.mr);
    rows(b.CreateMul(first, mr), smin(b, b.CreateMul(end, mr), m), nullptr, nullptr,
         L.parallelPart(first, ceilDiv(b, m, p.mr)));
  });
  unswap();
}

void lowerTranspose(Lowering &L, const ir::Node &n) {
  const ir::Node *a = n.operand(0);
  Value *R = L.dim(a->shape().dims[0]), *C = L.dim(a->shape().dims[1]);
  auto &b = L.b();
  L.loop(R, [&](Value *r) {
    L.loop(C, [&](Value *c) {
      L.store(&n, b.CreateAdd(b.CreateMul(c, R), r), L.load(a, b.CreateAdd(b.CreateMul(r, C), c)));
    });
  });
}

} // namespace nnc::codegen

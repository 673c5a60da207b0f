#include "codegen/gemm_kernels.h"

#include <llvm/IR/Intrinsics.h>

#include <string>

namespace nnc::codegen {

using namespace llvm;

GemmKernels::GemmKernels(Module &m, const GemmConfig &cfg) : m_(m), cfg_(cfg) {
  LLVMContext &c = m.getContext();
  f32_ = Type::getFloatTy(c);
  i64_ = Type::getInt64Ty(c);
  ptr_ = PointerType::getUnqual(c);
  vec_ = FixedVectorType::get(f32_, cfg.lanes);
  mask_ = FixedVectorType::get(Type::getInt1Ty(c), cfg.lanes);
}

Function *GemmKernels::declare(const std::string &name, std::vector<Type *> args) {
  auto *fty = FunctionType::get(Type::getVoidTy(m_.getContext()), args, false);
  Function *f = Function::Create(fty, Function::InternalLinkage, name, m_);
  f->setDoesNotThrow();
  f->addFnAttr(Attribute::NoInline);
  // Keep wide vectors whole even where the target prefers narrower ones.
  f->addFnAttr("min-legal-vector-width", std::to_string(cfg_.lanes * 32));
  BasicBlock::Create(m_.getContext(), "entry", f);
  return f;
}

/// Lanes l with first + l < valid.
Value *GemmKernels::laneMask(IRBuilder<> &b, Value *valid, int64_t first) {
  int w = cfg_.lanes;
  Value *n = b.CreateSub(valid, b.getInt64(first));
  n = b.CreateBinaryIntrinsic(Intrinsic::smax, n, b.getInt64(0));
  n = b.CreateBinaryIntrinsic(Intrinsic::smin, n, b.getInt64(w));
  n = b.CreateTrunc(n, b.getInt32Ty());
  std::vector<Constant *> lanes;
  for (int l = 0; l < w; ++l)
    lanes.push_back(b.getInt32(l));
  return b.CreateICmpSLT(ConstantVector::get(lanes), b.CreateVectorSplat(w, n));
}

/// dst[0..n) = src[0..n): whole vectors, then one masked vector.
void GemmKernels::copyRun(IRBuilder<> &b, Value *src, Value *dst, Value *n) {
  int64_t w = cfg_.lanes;
  Value *whole = b.CreateMul(b.CreateSDiv(n, b.getInt64(w)), b.getInt64(w));
  emitLoop(b, b.getInt64(0), whole, b.getInt64(w), [&](Value *i) {
    Value *v = b.CreateAlignedLoad(vec_, b.CreateInBoundsGEP(f32_, src, i), Align(4));
    b.CreateAlignedStore(v, b.CreateInBoundsGEP(f32_, dst, i), Align(4));
  });
  emitIf(b, b.CreateICmpSLT(whole, n), [&] {
    Value *mask = laneMask(b, b.CreateSub(n, whole), 0);
    Value *v = b.CreateMaskedLoad(vec_, b.CreateInBoundsGEP(f32_, src, whole), Align(4), mask,
                                  Constant::getNullValue(vec_));
    b.CreateMaskedStore(v, b.CreateInBoundsGEP(f32_, dst, whole), Align(4), mask);
  });
}

Function *GemmKernels::microKernel(const KernelSpec &spec) {
  const APanel a = spec.a;
  const bool packedB = spec.packedB;
  const int w = cfg_.lanes, mr = spec.mr, nv = spec.nv;
  const int panelMr = spec.panelMr ? spec.panelMr : mr, panelNv = spec.panelNv ? spec.panelNv : nv;
  const int unroll = std::max(1, spec.unroll);
  const int64_t nr = (int64_t)nv * w;
  std::string name = "nnc.gemm.kernel." + std::to_string(mr) + "x" + std::to_string(nv) + "x" +
                     std::to_string(w) + (spec.compact ? "c" : "") + "u" + std::to_string(unroll) +
                     (a == APanel::RowPanels ? ".rows"
                      : a == APanel::KMajor  ? ".kmajor" + std::to_string(panelMr)
                                             : ".strided") +
                     (packedB ? ".packed" + std::to_string(panelNv) : ".direct") +
                     (spec.epilogue ? "." + spec.epilogue->name : "");
  if (Function *f = m_.getFunction(name))
    return f;
  LLVMContext &c = m_.getContext();
  Type *i1 = Type::getInt1Ty(c);
  const Epilogue *epi = spec.epilogue;
  std::vector<Type *> args = {ptr_, i64_, i64_, ptr_, i64_, ptr_, i64_, i64_, i64_, i64_, i1};
  if (epi) { // the kernel ABI's arguments first, the tile's place and "last K block" after
    args.insert(args.begin(), {ptr_, i64_, ptr_});
    args.insert(args.end(), {i64_, i64_, i1});
  }
  Function *f = declare(name, args);
  const unsigned o = epi ? 3 : 0;
  // C is not noalias with an epilogue: the epilogue reaches memory through
  // the bindings too (the buffer plan keeps a group's values apart anyway).
  for (unsigned i : {0u, 3u})
    f->addParamAttr(o + i, Attribute::NoAlias);
  if (!epi)
    f->addParamAttr(5, Attribute::NoAlias);
  Value *A = f->getArg(o + 0), *rsA = f->getArg(o + 1), *csA = f->getArg(o + 2), *B = f->getArg(o + 3),
        *ldb = f->getArg(o + 4), *C = f->getArg(o + 5), *ldc = f->getArg(o + 6), *kc = f->getArg(o + 7),
        *mValid = f->getArg(o + 8), *nValid = f->getArg(o + 9), *accumulate = f->getArg(o + 10);
  Value *i0 = epi ? f->getArg(o + 11) : nullptr, *j0 = epi ? f->getArg(o + 12) : nullptr,
        *last = epi ? f->getArg(o + 13) : nullptr;
  if (a == APanel::RowPanels)
    rsA = ConstantInt::get(i64_, cfg_.kcStride()), csA = ConstantInt::get(i64_, 1);
  else if (a == APanel::KMajor)
    rsA = ConstantInt::get(i64_, 1), csA = ConstantInt::get(i64_, panelMr);
  if (packedB)
    ldb = ConstantInt::get(i64_, (int64_t)panelNv * w);

  IRBuilder<> b(&f->getEntryBlock());
  Constant *zero = Constant::getNullValue(vec_), *none = Constant::getNullValue(mask_);
  std::vector<Value *> colMask(nv), rowA(mr), cRow(mr);
  if (!packedB) // B is read in place: mask its loads past nValid
    for (int v = 0; v < nv; ++v)
      colMask[v] = laneMask(b, nValid, (int64_t)v * w);
  // A read in place: rows past mValid repeat the last valid row (never read
  // past the matrix); packed panels are zero-padded.
  for (int r = 0; r < mr; ++r) {
    Value *row = b.getInt64(r);
    if (a == APanel::Strided && r > 0)
      row = b.CreateSelect(b.CreateICmpSLT(row, mValid), row,
                           b.CreateBinaryIntrinsic(Intrinsic::smax, b.CreateSub(mValid, b.getInt64(1)),
                                                   b.getInt64(0)));
    rowA[r] = b.CreateInBoundsGEP(f32_, A, b.CreateMul(row, rsA));
  }
  for (int r = 0; r < mr; ++r)
    cRow[r] = b.CreateInBoundsGEP(f32_, C, b.CreateMul(b.getInt64(r), ldc));
  // Prefetch the C tile for writing (it is read and written after the K
  // loop), unless the loop is too short to hide the misses.
  if (!spec.compact) {
    Function *prefetch = Intrinsic::getDeclaration(&m_, Intrinsic::prefetch, {ptr_});
    emitIf(b, b.CreateICmpSGE(kc, b.getInt64(32)), [&] {
      for (int r = 0; r < mr; ++r) {
        for (int64_t off = 0; off < nr; off += 16)
          b.CreateCall(prefetch, {b.CreateConstGEP1_64(f32_, cRow[r], off), b.getInt32(1),
                                  b.getInt32(3), b.getInt32(1)});
        b.CreateCall(prefetch, {b.CreateConstGEP1_64(f32_, cRow[r], nr - 1), b.getInt32(1),
                                b.getInt32(3), b.getInt32(1)});
      }
    });
  }

  // The K loop, unrolled by `unroll`, then one k at a time: the tile's
  // accumulators start at zero and live in registers (loop phis).
  std::vector<Value *> acc(mr * nv, zero);
  // B read in place: loads past nValid are masked, but only in tiles that
  // reach past it; a full tile's loads are plain (a zero-masked load is a
  // second uop on the FMA ports of Intel cores: 10 % of the kernel's speed
  // on a Sapphire Rapids, measured; free on Zen).
  bool maskB = !packedB;
  auto step = [&](Value *k) {
    Value *bRow = b.CreateInBoundsGEP(f32_, B, b.CreateMul(k, ldb));
    std::vector<Value *> bv(nv);
    for (int v = 0; v < nv; ++v) {
      Value *p = b.CreateConstInBoundsGEP1_64(f32_, bRow, (uint64_t)v * w);
      bv[v] = packedB ? (Value *)b.CreateAlignedLoad(vec_, p, Align(std::min<int64_t>(64, 4 * w)))
              : maskB ? b.CreateMaskedLoad(vec_, p, Align(4), colMask[v], zero)
                      : (Value *)b.CreateAlignedLoad(vec_, p, Align(4));
    }
    Value *kOff = b.CreateMul(k, csA);
    for (int r = 0; r < mr; ++r) {
      Value *ar = b.CreateLoad(f32_, b.CreateInBoundsGEP(f32_, rowA[r], kOff));
      Value *splat = b.CreateVectorSplat(w, ar);
      for (int v = 0; v < nv; ++v)
        acc[r * nv + v] = b.CreateIntrinsic(Intrinsic::fmuladd, {vec_}, {splat, bv[v], acc[r * nv + v]});
    }
  };
  auto kLoop = [&](Value *begin, Value *end, int unroll) {
    // for (k = begin; k + unroll <= end; k += unroll); returns the k it stopped at.
    BasicBlock *pre = b.GetInsertBlock();
    auto *body = BasicBlock::Create(c, "k", f), *done = BasicBlock::Create(c, "k.done", f);
    Value *last = b.CreateSub(end, b.getInt64(unroll - 1));
    b.CreateCondBr(b.CreateICmpSLT(begin, last), body, done);
    b.SetInsertPoint(body);
    PHINode *k = b.CreatePHI(i64_, 2, "k");
    k->addIncoming(begin, pre);
    std::vector<PHINode *> phis(mr * nv);
    std::vector<Value *> before = acc;
    for (int t = 0; t < mr * nv; ++t) {
      phis[t] = b.CreatePHI(vec_, 2, "acc");
      phis[t]->addIncoming(acc[t], pre);
      acc[t] = phis[t];
    }
    for (int u = 0; u < unroll; ++u)
      step(u ? b.CreateAdd(k, b.getInt64(u), "", true, true) : (Value *)k);
    Value *next = b.CreateAdd(k, b.getInt64(unroll), "", true, true);
    BasicBlock *latch = b.GetInsertBlock();
    k->addIncoming(next, latch);
    for (int t = 0; t < mr * nv; ++t)
      phis[t]->addIncoming(acc[t], latch);
    b.CreateCondBr(b.CreateICmpSLT(next, last), body, done);
    b.SetInsertPoint(done);
    PHINode *kEnd = b.CreatePHI(i64_, 2);
    kEnd->addIncoming(begin, pre);
    kEnd->addIncoming(next, latch);
    for (int t = 0; t < mr * nv; ++t) {
      PHINode *out = b.CreatePHI(vec_, 2);
      out->addIncoming(before[t], pre);
      out->addIncoming(acc[t], latch);
      acc[t] = out;
    }
    return (Value *)kEnd;
  };
  auto kLoops = [&] {
    Value *k = kLoop(b.getInt64(0), kc, unroll);
    if (unroll > 1)
      kLoop(k, kc, 1);
  };
  if (packedB || spec.compact) {
    kLoops(); // packed panels are zero-padded; a compact kernel masks every tile (less code)
  } else {
    // Two copies of the K loops: plain loads when the tile's columns all
    // exist, masked ones otherwise; the accumulators meet in phis.
    auto *plainBB = BasicBlock::Create(c, "k.plain", f), *maskedBB = BasicBlock::Create(c, "k.masked", f),
         *joinBB = BasicBlock::Create(c, "k.join", f);
    b.CreateCondBr(b.CreateICmpSGE(nValid, b.getInt64(nr)), plainBB, maskedBB);
    std::vector<Value *> start = acc, ends[2];
    BasicBlock *from[2];
    for (int masked = 0; masked < 2; ++masked) {
      b.SetInsertPoint(masked ? maskedBB : plainBB);
      maskB = masked, acc = start;
      kLoops();
      ends[masked] = acc, from[masked] = b.GetInsertBlock();
      b.CreateBr(joinBB);
    }
    b.SetInsertPoint(joinBB);
    for (int t = 0; t < mr * nv; ++t) {
      PHINode *phi = b.CreatePHI(vec_, 2, "acc");
      phi->addIncoming(ends[0][t], from[0]);
      phi->addIncoming(ends[1][t], from[1]);
      acc[t] = phi;
    }
  }

  // C (+)= the tile: whole tiles with plain vector loads and stores, edge
  // tiles (and every tile of a compact kernel) masked: rows < mValid,
  // columns < nValid.
  auto *fullBB = BasicBlock::Create(c, "full", f), *fullAdd = BasicBlock::Create(c, "full.add", f),
       *fullStore = BasicBlock::Create(c, "full.store", f), *edgeBB = BasicBlock::Create(c, "edge", f);
  Value *full = b.CreateAnd(b.CreateICmpSGE(mValid, b.getInt64(mr)), b.CreateICmpSGE(nValid, b.getInt64(nr)));
  b.CreateCondBr(spec.compact ? b.getFalse() : full, fullBB, edgeBB);

  b.SetInsertPoint(fullBB);
  b.CreateCondBr(accumulate, fullAdd, fullStore);
  b.SetInsertPoint(fullAdd);
  std::vector<Value *> summed(mr * nv);
  for (int r = 0; r < mr; ++r)
    for (int v = 0; v < nv; ++v) {
      Value *p = b.CreateConstInBoundsGEP1_64(f32_, cRow[r], (uint64_t)v * w);
      summed[r * nv + v] = b.CreateFAdd(b.CreateAlignedLoad(vec_, p, Align(4)), acc[r * nv + v]);
    }
  b.CreateBr(fullStore);
  b.SetInsertPoint(fullStore);
  std::vector<Value *> res(mr * nv);
  for (int t = 0; t < mr * nv; ++t) {
    PHINode *phi = b.CreatePHI(vec_, 2);
    phi->addIncoming(acc[t], fullBB);
    phi->addIncoming(summed[t], fullAdd);
    res[t] = phi;
  }
  // The finished tile goes to C, or on the last K block to the epilogue.
  auto storeOrEpilogue = [&](const std::vector<Value *> &tile, const std::vector<Value *> &masks) {
    auto store = [&] {
      for (int r = 0; r < mr; ++r)
        for (int v = 0; v < nv; ++v) {
          Value *p = b.CreateConstInBoundsGEP1_64(f32_, cRow[r], (uint64_t)v * w);
          if (masks[r * nv + v])
            b.CreateMaskedStore(tile[r * nv + v], p, Align(4), masks[r * nv + v]);
          else
            b.CreateAlignedStore(tile[r * nv + v], p, Align(4));
        }
      b.CreateRetVoid();
    };
    if (!epi)
      return store();
    auto *toC = BasicBlock::Create(c, "to.c", f), *toEpi = BasicBlock::Create(c, "epilogue", f);
    b.CreateCondBr(last, toEpi, toC);
    b.SetInsertPoint(toC);
    store();
    BasicBlock *end = epi->emit(f, toEpi, i0, j0, mr, nv, tile, masks);
    b.SetInsertPoint(end);
    b.CreateRetVoid();
  };
  storeOrEpilogue(res, std::vector<Value *>(mr * nv, nullptr));

  b.SetInsertPoint(edgeBB);
  for (int v = 0; v < nv; ++v)
    if (!colMask[v])
      colMask[v] = laneMask(b, nValid, (int64_t)v * w);
  std::vector<Value *> edge(mr * nv), edgeMask(mr * nv);
  for (int r = 0; r < mr; ++r) {
    Value *rowOk = b.CreateICmpSLT(b.getInt64(r), mValid);
    for (int v = 0; v < nv; ++v) {
      Value *m = b.CreateSelect(rowOk, colMask[v], none);
      Value *p = b.CreateConstInBoundsGEP1_64(f32_, cRow[r], (uint64_t)v * w);
      Value *old = b.CreateMaskedLoad(vec_, p, Align(4), b.CreateSelect(accumulate, m, none), zero);
      edge[r * nv + v] = b.CreateFAdd(old, acc[r * nv + v]);
      edgeMask[r * nv + v] = m;
    }
  }
  storeOrEpilogue(edge, edgeMask);
  return f;
}

Function *GemmKernels::packA(bool transposed, int mr) {
  const int w = cfg_.lanes;
  std::string name = "nnc.gemm.pack_a." + std::string(transposed ? "kmajor." : "rows.") +
                     std::to_string(mr) + "x" + std::to_string(w);
  if (Function *f = m_.getFunction(name))
    return f;
  Function *f = declare(name, {ptr_, i64_, i64_, i64_, ptr_});
  f->addParamAttr(0, Attribute::NoAlias);
  f->addParamAttr(4, Attribute::NoAlias);
  Value *src = f->getArg(0), *ld = f->getArg(1), *mc = f->getArg(2), *kc = f->getArg(3),
        *dst = f->getArg(4);
  IRBuilder<> b(&f->getEntryBlock());
  Value *MR = b.getInt64(mr);
  Value *rows = b.CreateMul(b.CreateSDiv(b.CreateAdd(mc, b.getInt64(mr - 1)), MR), MR);
  if (!transposed) {
    // Row i of the block to dst + i * kcStride; rows past mc are zeros.
    Value *stride = b.getInt64(cfg_.kcStride());
    emitLoop(b, b.getInt64(0), rows, b.getInt64(1), [&](Value *i) {
      Value *d = b.CreateInBoundsGEP(f32_, dst, b.CreateMul(i, stride));
      Value *s = b.CreateInBoundsGEP(f32_, src, b.CreateMul(i, ld));
      Value *n = b.CreateSelect(b.CreateICmpSLT(i, mc), kc, b.getInt64(0));
      copyRun(b, s, d, n);
      emitIf(b, b.CreateICmpSGE(i, mc), [&] {
        emitLoop(b, b.getInt64(0), kc, b.getInt64(1), [&](Value *k) {
          b.CreateStore(ConstantFP::get(f32_, 0.0), b.CreateInBoundsGEP(f32_, d, k));
        });
      });
    });
  } else {
    // Panel p: for each k, the mr values src[k * ld + p*mr ..] to dst + p*mr*kc + k*mr.
    int chunks = (mr + w - 1) / w;
    emitLoop(b, b.getInt64(0), rows, MR, [&](Value *p0) {
      Value *valid = b.CreateSub(mc, p0);
      std::vector<Value *> loadMask(chunks);
      std::vector<Constant *> storeMask(chunks);
      for (int q = 0; q < chunks; ++q) {
        loadMask[q] = b.CreateAnd(laneMask(b, valid, (int64_t)q * w),
                                  laneMask(b, b.getInt64(mr), (int64_t)q * w));
        std::vector<Constant *> bits;
        for (int l = 0; l < w; ++l)
          bits.push_back(b.getInt1(q * w + l < mr));
        storeMask[q] = ConstantVector::get(bits);
      }
      Value *panel = b.CreateInBoundsGEP(f32_, dst, b.CreateMul(p0, kc));
      Value *col = b.CreateInBoundsGEP(f32_, src, p0);
      emitLoop(b, b.getInt64(0), kc, b.getInt64(1), [&](Value *k) {
        Value *s = b.CreateInBoundsGEP(f32_, col, b.CreateMul(k, ld));
        Value *d = b.CreateInBoundsGEP(f32_, panel, b.CreateMul(k, MR));
        for (int q = 0; q < chunks; ++q) {
          Value *v = b.CreateMaskedLoad(vec_, b.CreateConstInBoundsGEP1_64(f32_, s, (uint64_t)q * w),
                                        Align(4), loadMask[q], Constant::getNullValue(vec_));
          Value *at = b.CreateConstInBoundsGEP1_64(f32_, d, (uint64_t)q * w);
          if ((q + 1) * w <= mr)
            b.CreateAlignedStore(v, at, Align(4));
          else
            b.CreateMaskedStore(v, at, Align(4), storeMask[q]);
        }
      });
    });
  }
  b.CreateRetVoid();
  return f;
}

Function *GemmKernels::packB(bool transposed, int nv) {
  const int w = cfg_.lanes;
  const int64_t nr = (int64_t)nv * w;
  std::string name = "nnc.gemm.pack_b." + std::string(transposed ? "trans." : "rows.") +
                     std::to_string(nv) + "x" + std::to_string(w);
  if (Function *f = m_.getFunction(name))
    return f;
  Function *f = declare(name, {ptr_, i64_, i64_, i64_, ptr_});
  f->addParamAttr(0, Attribute::NoAlias);
  f->addParamAttr(4, Attribute::NoAlias);
  Value *src = f->getArg(0), *ld = f->getArg(1), *kc = f->getArg(2), *n = f->getArg(3),
        *dst = f->getArg(4);
  IRBuilder<> b(&f->getEntryBlock());
  Value *NR = b.getInt64(nr);
  Value *cols = b.CreateMul(b.CreateSDiv(b.CreateAdd(n, b.getInt64(nr - 1)), NR), NR);
  Align packedAlign(std::min<int64_t>(64, 4 * w));
  Constant *zero = Constant::getNullValue(vec_);
  emitLoop(b, b.getInt64(0), cols, NR, [&](Value *j0) {
    Value *panel = b.CreateInBoundsGEP(f32_, dst, b.CreateMul(j0, kc));
    Value *valid = b.CreateSub(n, j0);
    if (!transposed) {
      std::vector<Value *> mask(nv);
      for (int v = 0; v < nv; ++v)
        mask[v] = laneMask(b, valid, (int64_t)v * w);
      Value *base = b.CreateInBoundsGEP(f32_, src, j0);
      emitLoop(b, b.getInt64(0), kc, b.getInt64(1), [&](Value *k) {
        Value *s = b.CreateInBoundsGEP(f32_, base, b.CreateMul(k, ld));
        Value *d = b.CreateInBoundsGEP(f32_, panel, b.CreateMul(k, NR));
        for (int v = 0; v < nv; ++v) {
          Value *x = b.CreateMaskedLoad(vec_, b.CreateConstInBoundsGEP1_64(f32_, s, (uint64_t)v * w),
                                        Align(4), mask[v], zero);
          b.CreateAlignedStore(x, b.CreateConstInBoundsGEP1_64(f32_, d, (uint64_t)v * w), packedAlign);
        }
      });
      return;
    }
    // Transposed: w columns of the panel are w rows of src; load w x w
    // blocks, transpose them in registers, store w k-rows of the panel.
    Value *kWhole = b.CreateMul(b.CreateSDiv(kc, b.getInt64(w)), b.getInt64(w));
    // One w-column slice c0 of the panel at a time (a loop, not unrolled: less code).
    emitLoop(b, b.getInt64(0), NR, b.getInt64(w), [&](Value *c0) {
      std::vector<Value *> rowPtr(w), rowMask(w);
      Constant *all = Constant::getAllOnesValue(mask_), *none = Constant::getNullValue(mask_);
      for (int l = 0; l < w; ++l) {
        Value *col = b.CreateAdd(b.CreateAdd(j0, c0), b.getInt64(l));
        Value *ok = b.CreateICmpSLT(col, n);
        // Columns past n read row 0 with an all-false mask (zeros).
        rowPtr[l] = b.CreateInBoundsGEP(f32_, src, b.CreateMul(b.CreateSelect(ok, col, b.getInt64(0)), ld));
        rowMask[l] = b.CreateSelect(ok, all, none);
      }
      // One w x w block at k0: all w k-rows, or (tail) the first `rows` of them.
      auto block = [&](Value *k0, Value *rows) {
        Value *kMask = rows ? laneMask(b, rows, 0) : nullptr;
        std::vector<Value *> x(w);
        for (int l = 0; l < w; ++l)
          x[l] = b.CreateMaskedLoad(vec_, b.CreateInBoundsGEP(f32_, rowPtr[l], k0), Align(4),
                                    kMask ? b.CreateAnd(rowMask[l], kMask) : rowMask[l], zero);
        // Butterfly transpose: at distance d, rows i and i+d swap their
        // off-diagonal d x d blocks.
        for (int d = w / 2; d >= 1; d /= 2) {
          std::vector<int> lo(w), hi(w);
          for (int j = 0; j < w; ++j) {
            lo[j] = (j & d) ? w + j - d : j;
            hi[j] = (j & d) ? w + j : j + d;
          }
          for (int i = 0; i < w; ++i)
            if (!(i & d)) {
              Value *p = x[i], *q = x[i + d];
              x[i] = b.CreateShuffleVector(p, q, lo);
              x[i + d] = b.CreateShuffleVector(p, q, hi);
            }
        }
        for (int l = 0; l < w; ++l) {
          auto store = [&] {
            Value *at = b.CreateInBoundsGEP(
                f32_, panel,
                b.CreateAdd(b.CreateMul(b.CreateAdd(k0, b.getInt64(l)), NR), c0));
            b.CreateAlignedStore(x[l], at, packedAlign);
          };
          if (rows) // k-rows past kc belong to the next panel
            emitIf(b, b.CreateICmpSLT(b.getInt64(l), rows), store);
          else
            store();
        }
      };
      emitLoop(b, b.getInt64(0), kWhole, b.getInt64(w), [&](Value *k0) { block(k0, nullptr); });
      emitIf(b, b.CreateICmpSLT(kWhole, kc), [&] { block(kWhole, b.CreateSub(kc, kWhole)); });
    });
  });
  b.CreateRetVoid();
  return f;
}

} // namespace nnc::codegen

// softmax and the fused softmax + cross-entropy pair, row by row over the
// last axis, shifted by the row maximum so that logits of +-1e4 stay finite:
//   lse = max + log(sum exp(x - max));  loss = lse - x[label]
//   dloss/dx_j = (exp(x_j - lse) - [j == label]) * g
#include "codegen/lowering.h"

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
  return {L.b().CreateUDiv(count, width), width};
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

} // namespace

void lowerSoftmax(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0);
  auto &b = L.b();
  Rows r = rowsOf(L, x);
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
  L.loop(r.count, [&](Value *row) {
    Value *base = b.CreateMul(row, r.width);
    Value *lse = logSumExp(L, x, base, r.width);
    Value *label = b.CreateSExt(L.load(labels, row), b.getInt64Ty());
    L.store(&n, row, b.CreateFSub(lse, L.load(x, b.CreateAdd(base, label))));
  });
}

void lowerSoftmaxCrossEntropyGrad(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0), *labels = n.operand(1), *g = n.operand(2);
  auto &b = L.b();
  ir::DType t = n.type.dtype;
  Rows r = rowsOf(L, x);
  bool scalarG = g->shape().isScalar();
  L.loop(r.count, [&](Value *row) {
    Value *base = b.CreateMul(row, r.width);
    Value *lse = logSumExp(L, x, base, r.width);
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

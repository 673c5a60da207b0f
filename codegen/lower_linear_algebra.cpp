// matmul and transpose as plain loop nests. The i-k-j order keeps the inner
// loop unit-stride so LLVM's loop vectorizer can widen it. (Blocked GEMM
// micro-kernels are a later step.)
#include "codegen/lowering.h"

namespace nnc::codegen {

using namespace llvm;

void lowerMatMul(Lowering &L, const ir::Node &n, const std::function<void(Value *row)> &afterRow) {
  const ir::Node *a = n.operand(0), *w = n.operand(1);
  ir::DType t = n.type.dtype;
  Value *M = a->shape().rank() == 2 ? L.dim(a->shape().dims[0]) : L.i64(1);
  Value *K = L.dim(w->shape().dims[0]);
  Value *N = L.dim(w->shape().dims[1]);
  auto &b = L.b();
  Value *zero = L.fconst(t, 0.0);
  L.loop(b.CreateMul(M, N), [&](Value *i) { L.store(&n, i, zero); });
  L.loop(M, [&](Value *i) {
    Value *rowOut = b.CreateMul(i, N);
    Value *rowA = b.CreateMul(i, K);
    L.loop(K, [&](Value *k) {
      Value *aik = L.load(a, b.CreateAdd(rowA, k));
      Value *rowW = b.CreateMul(k, N);
      L.loop(N, [&](Value *j) {
        Value *o = b.CreateAdd(rowOut, j);
        Value *acc = b.CreateFAdd(L.load(&n, o), b.CreateFMul(aik, L.load(w, b.CreateAdd(rowW, j))));
        L.store(&n, o, acc);
      });
    });
    if (afterRow)
      afterRow(i);
  });
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

// dropout_mask: element i of step t is 1/(1-rate) when a uniform draw
// u = hash(seed, t, i) in [0,1) is >= rate, else 0 (inverted dropout, as
// torch.nn.Dropout). The hash is SplitMix64's finalizer (Steele et al. 2014),
// so masks are reproducible, differ per step, and vectorize.
#include "codegen/lowering.h"

namespace nnc::codegen {

using namespace llvm;

void lowerDropoutMask(Lowering &L, const ir::Node &n) {
  auto &b = L.b();
  ir::DType t = n.type.dtype;
  Value *step = b.CreateFPToUI(L.load(n.operand(0), L.i64(0)), b.getInt64Ty());
  Value *base = b.CreateAdd(b.CreateMul(step, L.i64((int64_t)0x9E3779B97F4A7C15ull)),
                            L.i64((int64_t)(n.seed * 0xD1B54A32D192ED03ull)));
  double rate = n.scalar;
  Value *keep = L.fconst(t, 1.0 / (1.0 - rate)), *drop = L.fconst(t, 0.0);
  Type *fty = L.elemType(t);
  L.loop(L.numElements(n.shape()), [&](Value *i) {
    Value *x = b.CreateAdd(base, b.CreateMul(i, L.i64((int64_t)0xBF58476D1CE4E5B9ull)));
    x = b.CreateXor(x, b.CreateLShr(x, 30));
    x = b.CreateMul(x, L.i64((int64_t)0xBF58476D1CE4E5B9ull));
    x = b.CreateXor(x, b.CreateLShr(x, 27));
    x = b.CreateMul(x, L.i64((int64_t)0x94D049BB133111EBull));
    x = b.CreateXor(x, b.CreateLShr(x, 31));
    // Top 24 bits -> u in [0, 1), exact in float.
    Value *u = b.CreateFMul(b.CreateUIToFP(b.CreateLShr(x, 40), fty), ConstantFP::get(fty, 0x1p-24));
    L.store(&n, i, b.CreateSelect(b.CreateFCmpOGE(u, ConstantFP::get(fty, rate)), keep, drop));
  });
}

} // namespace nnc::codegen

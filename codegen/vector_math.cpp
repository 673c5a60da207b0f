// Branch-free float32 exp, log, tanh, sigmoid and erf in LLVM IR (see the header
// for the formulas, their sources and the measured errors). Everything works
// lane-wise on a float or a vector of floats: constants are splats of the
// operand's type, integer work happens on the same-shaped i32 type.
#include "codegen/vector_math.h"

#include <cassert>
#include <cstdint>
#include <limits>
#include <llvm/IR/Intrinsics.h>

namespace nnc::codegen {

using namespace llvm;

bool isVectorMathType(Type *t) { return t->getScalarType()->isFloatTy(); }

namespace {

/// Emission helpers for one operand type: a float or a vector of floats.
struct Math {
  IRBuilderBase &b;
  Type *ft; // float or <N x float>
  Type *it; // i32 or <N x i32>

  Math(IRBuilderBase &b, Value *x)
      : b(b), ft(x->getType()), it(ft->getWithNewType(b.getInt32Ty())) {
    assert(isVectorMathType(ft) && "vector math takes float or vectors of float");
  }

  Value *f(double v) { return ConstantFP::get(ft, v); }
  Value *i(int32_t v) { return ConstantInt::get(it, (uint64_t)(uint32_t)v); }
  Value *fma(Value *x, Value *y, Value *z) { // x*y + z, fused where the target has FMA
    return b.CreateIntrinsic(Intrinsic::fmuladd, {ft}, {x, y, z});
  }
  Value *mul(Value *x, Value *y) { return b.CreateFMul(x, y); }
  Value *add(Value *x, Value *y) { return b.CreateFAdd(x, y); }
  Value *sub(Value *x, Value *y) { return b.CreateFSub(x, y); }
  Value *bitsOf(Value *x) { return b.CreateBitCast(x, it); }
  Value *floatOf(Value *bits) { return b.CreateBitCast(bits, ft); }
  Value *fabs(Value *x) { return b.CreateUnaryIntrinsic(Intrinsic::fabs, x); }
  /// Horner's rule: ((c[0]·x + c[1])·x + ...)·x + c[n-1].
  template <size_t N> Value *horner(Value *x, const double (&c)[N]) {
    Value *p = f(c[0]);
    for (size_t k = 1; k < N; ++k)
      p = fma(p, x, f(c[k]));
    return p;
  }
  /// 2^n for integer n in [-126, 127]: n + 127 in the exponent field.
  Value *pow2(Value *n) { return floatOf(b.CreateShl(b.CreateAdd(n, i(127)), 23)); }
};

/// e^x = 2^n·(1 + s) for a non-NaN x with |x·log2(e)| < 2^22: n as an i32,
/// s = e^r - 1 with r = x - n·ln2 in [-ln2/2, ln2/2], so s in [-0.30, 0.42].
struct ExpParts {
  Value *n, *s;
};

ExpParts expParts(Math &m, Value *x) {
  // n = round(x·log2(e)): adding 1.5·2^23 rounds to an integer and leaves it
  // in the low mantissa bits.
  const double magic = 12582912.0; // 0x1.8p23
  Value *t = m.fma(x, m.f(1.44269504088896341), m.f(magic));
  Value *n = m.sub(t, m.f(magic));
  Value *ni = m.b.CreateSub(m.bitsOf(t), m.bitsOf(m.f(magic)));
  // r = x - n·ln2 in two steps (Cody & Waite): ln2_hi has 15 significant bits,
  // so n·ln2_hi is exact even without FMA, and x - n·ln2_hi is exact.
  Value *r = m.fma(n, m.f(-0.693145751953125), x); // ln2_hi = 0x1.62e4p-1
  r = m.fma(n, m.f(-1.428606765330187045e-6), r);  // ln2_lo = ln2 - ln2_hi
  // e^r - 1 = r + r²·P(r) (Cephes expf).
  static const double P[] = {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                             4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1};
  return {ni, m.fma(m.horner(r, P), m.mul(r, r), r)};
}

} // namespace

Value *emitExp(IRBuilderBase &b, Value *x) {
  Math m(b, x);
  // Clamp so that n stays in [-150, 128]: e^89 overflows to +inf and e^-104
  // rounds to 0 anyway. Ordered compares send NaN to the lower bound; it is
  // restored at the end.
  Value *xc = b.CreateSelect(b.CreateFCmpOGT(x, m.f(-104.0)), x, m.f(-104.0));
  xc = b.CreateSelect(b.CreateFCmpOLT(xc, m.f(89.0)), xc, m.f(89.0));
  auto [n, s] = expParts(m, xc);
  Value *er = m.add(s, m.f(1.0));
  // e^r·2^n = (e^r·2^h)·2^(n-h), h = n>>1: both factors are normal numbers
  // for n in [-150, 128], the first product is exact, the second rounds once
  // (correct gradual underflow; +inf beyond the float range).
  Value *h = b.CreateAShr(n, 1);
  Value *res = m.mul(m.mul(er, m.pow2(h)), m.pow2(b.CreateSub(n, h)));
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, res);
}

Value *emitLog(IRBuilderBase &b, Value *x) {
  Math m(b, x);
  // Denormals (and 0, negatives: replaced below) are scaled into the normal
  // range first.
  Value *tiny = b.CreateFCmpOLT(x, m.f(0x1p-126));
  Value *xs = b.CreateSelect(tiny, m.mul(x, m.f(0x1p23)), x);
  Value *k0 = b.CreateSelect(tiny, m.i(-23), m.i(0));
  // x = 2^k·(1 + f) with 1 + f in [sqrt(1/2), sqrt(2)): offsetting the bits
  // by those of sqrt(1/2) moves the exponent boundary there (musl's logf).
  const int32_t sqrtHalf = 0x3f3504f3;
  Value *ix = b.CreateAdd(m.bitsOf(xs), m.i(0x3f800000 - sqrtHalf));
  Value *k = b.CreateAdd(b.CreateSub(b.CreateAShr(ix, 23), m.i(0x7f)), k0);
  Value *mant = m.floatOf(b.CreateAdd(b.CreateAnd(ix, m.i(0x007fffff)), m.i(sqrtHalf)));
  Value *fr = m.sub(mant, m.f(1.0)); // exact (Sterbenz), in [-0.2929, 0.4142)
  Value *kf = b.CreateSIToFP(k, m.ft);
  // ln(1 + f) = f - f²/2 + f³·P(f) (Cephes logf), k·ln2 added in two parts.
  static const double P[] = {7.0376836292E-2,  -1.1514610310E-1, 1.1676998740E-1,
                             -1.2420140846E-1, 1.4249322787E-1,  -1.6668057665E-1,
                             2.0000714765E-1,  -2.4999993993E-1, 3.3333331174E-1};
  Value *z = m.mul(fr, fr);
  Value *y = m.mul(m.mul(m.horner(fr, P), fr), z);
  y = m.fma(kf, m.f(-2.12194440e-4), y); // ln2 = 0.693359375 - 2.12194440e-4
  y = m.fma(z, m.f(-0.5), y);
  Value *res = m.add(fr, y);
  res = m.fma(kf, m.f(0.693359375), res); // 9 significant bits: k·ln2_hi is exact
  // Special values: +inf, ±0, negatives and NaN.
  const double kInf = std::numeric_limits<double>::infinity();
  Value *inf = m.f(kInf);
  res = b.CreateSelect(b.CreateFCmpOEQ(x, inf), inf, res);
  res = b.CreateSelect(b.CreateFCmpOEQ(x, m.f(0.0)), m.f(-kInf), res);
  return b.CreateSelect(b.CreateFCmpULT(x, m.f(0.0)), ConstantFP::getNaN(m.ft), res);
}

Value *emitTanh(IRBuilderBase &b, Value *x) {
  Math m(b, x);
  Value *ax = m.fabs(x);
  // |x| < 0.625: x + x·z·P(z), z = x² (Cephes tanhf).
  static const double P[] = {-5.70498872745E-3, 2.06390887954E-2, -5.37397155531E-2,
                             1.33314422036E-1, -3.33332819422E-1};
  Value *z = m.mul(x, x);
  Value *small = m.fma(m.mul(m.horner(z, P), z), x, x);
  // Otherwise 1 - q, q = 2/(d + 1), d = e^2|x| = 2^n·(1 + s) (expParts). q is
  // up to 0.45, so its rounding errors would cost up to ~1 ulp of the result:
  // d + 1 is kept as dh + dl (dl its rounding error, by FMA), 2/(dh + dl) as
  // q0 + ql (the division's residual is exact with FMA), and 1 - q0 as t + e
  // (Fast2Sum), which leaves one rounding at the end. |x| beyond 9.5 gives the
  // same result, 1; NaN stays NaN (ordered compare, then NaN arithmetic).
  Value *y = m.add(ax, ax);
  y = b.CreateSelect(b.CreateFCmpOGT(y, m.f(19.0)), m.f(19.0), y);
  auto [n, s] = expParts(m, y); // n in [0, 27]
  Value *p2 = m.pow2(n);
  Value *p1 = m.add(p2, m.f(1.0));         // exact for n <= 23 (beyond, q < 2^-23)
  Value *dh = m.fma(p2, s, p1);            // d + 1 rounded
  Value *dl = m.fma(p2, s, m.sub(p1, dh)); // its rounding error (p1 - dh is exact)
  Value *q0 = b.CreateFDiv(m.f(2.0), dh);
  Value *rho = m.fma(b.CreateFNeg(q0), dh, m.f(2.0)); // 2 - q0·dh, exact with FMA
  Value *ql = m.mul(m.fma(b.CreateFNeg(q0), dl, rho), m.mul(q0, m.f(0.5))); // (rho - q0·dl)/dh
  Value *t = m.sub(m.f(1.0), q0);
  Value *e = m.sub(m.sub(m.f(1.0), t), q0); // 1 - q0 = t + e exactly
  Value *large = m.add(t, m.sub(e, ql));
  // Both have the sign of x but for small(-0) = +0: copysign restores it.
  Value *res = b.CreateSelect(b.CreateFCmpOLT(ax, m.f(0.625)), small, large);
  return b.CreateBinaryIntrinsic(Intrinsic::copysign, res, x);
}

Value *emitSigmoid(IRBuilderBase &b, Value *x) {
  Math m(b, x);
  // t = e^-|x| = 2^n·(1 + s) (expParts) is in [0, 1]: sigmoid(x) = 1/(1 + t)
  // for x >= 0 and t/(1 + t) for x < 0, so e^-|x| never overflows. As in
  // tanh, 1 + t is kept as dh + dl and t as th + tl, and the quotient is
  // corrected by the division's exact residual, which leaves one rounding at
  // the end: t's error is the one that remains (half of it for x >= 0).
  Value *y = b.CreateFNeg(m.fabs(x));
  y = b.CreateSelect(b.CreateFCmpOGT(y, m.f(-104.0)), y, m.f(-104.0)); // NaN: -104, restored below
  auto [n, s] = expParts(m, y);                                        // n in [-150, 0]
  // Below -80 (n < -115), t/(1 + t) rounds to t: e^y as emitExp scales it,
  // into the denormals (and 1/(1 + t) = 1 for x >= 0, which the other path gives).
  Value *h = b.CreateAShr(n, 1);
  Value *tiny = m.mul(m.mul(m.add(s, m.f(1.0)), m.pow2(h)), m.pow2(b.CreateSub(n, h)));
  Value *p2 = m.pow2(b.CreateSelect(b.CreateICmpSGT(n, m.i(-126)), n, m.i(-126)));
  Value *ps = m.mul(p2, s);                              // exact: 2^n·s
  Value *th = m.add(p2, ps);                             // t rounded
  Value *tl = m.sub(ps, m.sub(th, p2));                  // its rounding error, exactly
  Value *dh = m.add(m.f(1.0), th);                       // 1 + t rounded
  Value *dl = m.add(m.sub(th, m.sub(dh, m.f(1.0))), tl); // the rest (Fast2Sum, th <= 1)
  Value *neg = b.CreateFCmpOLT(x, m.f(0.0));
  Value *nh = b.CreateSelect(neg, th, m.f(1.0)); // numerator nh + nl
  Value *nl = b.CreateSelect(neg, tl, m.f(0.0));
  Value *rcp = b.CreateFDiv(m.f(1.0), dh);
  Value *q0 = m.mul(nh, rcp);
  Value *rho = m.fma(b.CreateFNeg(q0), dh, nh); // nh - q0·dh, exact with FMA
  Value *corr = m.mul(m.fma(b.CreateFNeg(q0), dl, m.add(rho, nl)), rcp);
  Value *res = m.add(q0, corr);
  res = b.CreateSelect(b.CreateAnd(neg, b.CreateFCmpOLT(y, m.f(-80.0))), tiny, res);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, res);
}

Value *emitErf(IRBuilderBase &b, Value *x) {
  Math m(b, x);
  Value *ax = m.fabs(x);
  // |x| < 1: x + x·Q(x²), Q(0) = 2/sqrt(pi) - 1 (so the leading term is
  // exact and Q's rounding errors are scaled down).
  static const double Q[] = {7.806903159e-05, -7.997853099e-04, 5.187162198e-03, -2.685334720e-02,
                             1.128357872e-01, -3.761262596e-01, 1.283791661e-01};
  Value *small = m.fma(x, m.horner(m.mul(x, x), Q), x);
  // Otherwise 1 - e^(-x²)·G(1/|x|), G(t) ≈ erfc(x)·e^(x²) (≈ t/sqrt(pi) for
  // large x); erf is 1 in float beyond 3.92. x² = hi + lo exactly (FMA) and
  // e^-(hi + lo) = e^-hi·(1 - lo); e^-hi = 2^n·(1 + s) from expParts, scaled
  // with one rounding. NaN stays NaN (ordered compare, then NaN arithmetic).
  static const double G[] = {7.089345716e-03,  -6.019444019e-02, 2.286415845e-01,
                             -5.075364113e-01, 7.083267570e-01,  -5.772874951e-01,
                             7.438272983e-02,  5.534808636e-01,  6.806422025e-04};
  Value *a = b.CreateSelect(b.CreateFCmpOGT(ax, m.f(4.0)), m.f(4.0), ax);
  Value *g = m.horner(b.CreateFDiv(m.f(1.0), a), G);
  Value *hi = m.mul(a, a);
  Value *lo = m.fma(a, a, b.CreateFNeg(hi));
  auto [n, s] = expParts(m, b.CreateFNeg(hi)); // n in [-24, -1]
  Value *p2 = m.pow2(n);
  Value *e = m.fma(p2, s, p2);
  e = m.fma(e, b.CreateFNeg(lo), e);
  Value *large = m.fma(b.CreateFNeg(e), g, m.f(1.0));
  Value *res = b.CreateSelect(b.CreateFCmpOLT(ax, m.f(1.0)), small, large);
  return b.CreateBinaryIntrinsic(Intrinsic::copysign, res, x);
}

} // namespace nnc::codegen

// Vectorizable float32 math: exp, log, tanh, sigmoid and erf emitted as plain LLVM
// IR arithmetic (llvm.fmuladd, integer bit operations on the float's bits,
// compares and selects; no calls, no branches), so the loop vectorizer widens
// an elementwise loop that uses them to the target's widest vectors (16 lanes
// on AVX-512). Calls to libm (tanhf, erff) or llvm.exp/llvm.log, which LLVM
// lowers to calls, keep such loops scalar.
//
// Each function takes a float or a vector of floats (isVectorMathType) and
// returns a value of the same type; callers keep llvm.exp/llvm.log/libm for
// f64. Rounding mode: round-to-nearest (the default floating-point
// environment). Without FMA (e.g. --cpu=x86-64) llvm.fmuladd is a multiply
// and an add; the errors below are given for both.
//
// Errors are in ulps of float against the correctly rounded result (glibc's
// double result rounded to float), measured over every float input (all 2^32 bit
// patterns: tests/unit/vector_math_test.cpp, VectorMath.DISABLED_Exhaustive*),
// with FMA (AVX-512 host) and without (x86-64); in parentheses the largest error
// against the unrounded result and the share of all floats whose result is not
// the correctly rounded one. Denormal inputs and results are handled (no
// flush to zero).
#pragma once
#include <llvm/IR/IRBuilder.h>

namespace nnc::codegen {

/// float or a fixed/scalable vector of float: the types the functions accept.
bool isVectorMathType(llvm::Type *t);

/// e^x. Cody & Waite (1980) range reduction x = n·ln2 + r with ln2 split in
/// two constants (fdlibm's e_expf.c values), |r| <= ln2/2; e^r - 1 by the
/// Cephes expf polynomial r + r²·P(r) (S. L. Moshier, Cephes Math Library 2.2,
/// degree 7); the result scaled by 2^n as two exact powers of two built in the
/// exponent bits, so gradual underflow rounds once. x > 88.7228 gives +inf (as
/// the correctly rounded result does), x < -103.98 gives +0, results in between
/// below 2^-126 are denormals. NaN -> NaN, +inf -> +inf, -inf -> +0.
/// Max error: 1 ulp (1.013 ulp unrounded, 0.987 without FMA; 0.40 % of all floats
/// not correctly rounded).
llvm::Value *emitExp(llvm::IRBuilderBase &b, llvm::Value *x);

/// ln x. x = 2^k·m with m in [sqrt(1/2), sqrt(2)) from the bits (the split
/// of musl's logf), ln(m) by the Cephes logf polynomial in f = m - 1 (f - f²/2
/// + f³·P(f), P of degree 8), k·ln2 added with the two-constant ln2 of Cephes
/// (Cody & Waite). Denormal inputs are scaled by 2^23 first. ln(±0) = -inf,
/// ln(x < 0) = NaN, ln(+inf) = +inf, NaN -> NaN.
/// Max error: 1 ulp (0.827 ulp unrounded, 0.829 without FMA; 0.32 % not correctly
/// rounded).
llvm::Value *emitLog(llvm::IRBuilderBase &b, llvm::Value *x);

/// tanh x. |x| < 0.625: the Cephes tanhf odd polynomial x + x·z·P(z), z = x²
/// (no cancellation near 0; exact for denormals, ±0 keeps its sign).
/// Otherwise 1 - 2/(e^(2|x|) + 1) with the sign of x, e^(2|x|) = 2^n·(1 + s)
/// from emitExp's reduction, and the sum, the quotient and the difference
/// carried with their rounding errors (FMA residuals, Fast2Sum: Dekker 1971)
/// so that one rounding remains; |x| >= 9.01 gives exactly ±1. NaN -> NaN.
/// Max error: 1 ulp (0.714 ulp unrounded, 0.898 without FMA; 0.07 % not correctly
/// rounded).
llvm::Value *emitTanh(llvm::IRBuilderBase &b, llvm::Value *x);

/// 1/(1 + e^-x), as 1/(1 + t) for x >= 0 and t/(1 + t) for x < 0 with
/// t = e^-|x| <= 1 (emitExp's reduction), so e^-|x| never overflows and large
/// negative x gives the correctly scaled tiny (then denormal, then 0) result
/// rather than 1/inf; t, 1 + t and the quotient are carried with their
/// rounding errors as in emitTanh. NaN -> NaN, -inf -> 0, +inf -> 1.
/// Max error: 1 ulp with FMA (1.009 ulp unrounded; 0.14 % not correctly rounded),
/// 2 ulp without (1.519 ulp unrounded; 1.74 %: the compensation needs FMA's exact
/// residuals).
llvm::Value *emitSigmoid(llvm::IRBuilderBase &b, llvm::Value *x);

/// erf x. |x| < 1: x + x·Q(x²); otherwise 1 - e^(-x²)·G(1/|x|) with the
/// sign of x, G ≈ erfc(x)·e^(x²) on [1, 4] (erf rounds to ±1 beyond 3.92).
/// Q (degree 6) and G (degree 8) are minimax fits made for nnc (Lawson's
/// algorithm on 2500 Chebyshev nodes against mpmath, coefficients rounded to
/// float one at a time with the rest refitted); e^(-x²) from emitExp's
/// reduction with x² split exactly by FMA. NaN -> NaN, ±inf -> ±1, ±0 -> ±0.
/// Max error: 1 ulp (1.020 ulp unrounded, 1.314 without FMA; 0.68 % not
/// correctly rounded, 2.9 % without FMA).
llvm::Value *emitErf(llvm::IRBuilderBase &b, llvm::Value *x);

} // namespace nnc::codegen

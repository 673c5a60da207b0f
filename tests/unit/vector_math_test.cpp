// codegen/vector_math: the branch-free float32 exp, log, tanh, sigmoid and erf
// against libm in double precision rounded to float (the correctly rounded
// result but for rare double-rounding ties). Each function is JIT-compiled in
// a small module of its own, in three forms: a scalar loop without
// optimization, an explicit <16 x float> loop, and the scalar loop after the
// host's O3 pipeline (vectorized by LLVM), and on x86-64 also for a CPU
// without FMA, where llvm.fmuladd is a multiply and an add. The inputs are
// every 256th float bit pattern (all signs and exponents: denormals, ±inf,
// NaNs), random values of the interesting range, and special values. Then the
// same ops run through nnc's own lowering (ir::Graph -> JitCompiler), which
// must give the same bits.
//
// The tests can fail: MutatedCoefficientExceedsBound changes one polynomial
// coefficient of each function in its 4th or 5th significant digit (a typo's
// size) in the emitted IR and checks that the measured error then exceeds the
// bound. The bounds are the maxima measured over all floats
// (DISABLED_Exhaustive*), reached by some inputs of every function.
// LoweringUsesThem was checked to fail against the lowering before this file
// (tanhf, llvm.exp/llvm.log: other bits, e.g. exp(2^-24)).
#include "codegen/host_target.h"
#include "codegen/jit_compiler.h"
#include "codegen/vector_math.h"
#include "ir/builder.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <limits>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>
#include <random>
#include <thread>

using namespace nnc;
using namespace llvm;

namespace {

// The bounds stated in codegen/vector_math.h (max ulps over all floats), with
// FMA and without (sigmoid's error compensation needs exact FMA residuals).
constexpr int64_t kExpUlp = 1, kLogUlp = 1, kTanhUlp = 1, kSigmoidUlp = 1, kSigmoidUlpNoFma = 2,
                  kErfUlp = 1;

using Emit = std::function<Value *(IRBuilderBase &, Value *)>;
using KernelFn = void (*)(const float *in, float *out, int64_t n);

struct MathCase {
  const char *name;
  ir::OpKind op;
  Emit emit;
  double (*reference)(double);
  int64_t bound, boundNoFma;
  float coefficient; // a polynomial coefficient in the emitted IR (mutation test)
  float typo;        // the coefficient with a digit wrong
};

double sigmoidRef(double x) {
  return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
}

const MathCase kCases[] = {
    {"exp", ir::OpKind::Exp, codegen::emitExp, [](double x) { return std::exp(x); }, kExpUlp,
     kExpUlp, 1.6666665459E-1f, 1.6666E-1f},
    {"log", ir::OpKind::Log, codegen::emitLog, [](double x) { return std::log(x); }, kLogUlp,
     kLogUlp, 3.3333331174E-1f, 3.3333E-1f},
    {"tanh", ir::OpKind::Tanh, codegen::emitTanh, [](double x) { return std::tanh(x); }, kTanhUlp,
     kTanhUlp, -3.33332819422E-1f, -3.3333E-1f},
    {"sigmoid", ir::OpKind::Sigmoid, codegen::emitSigmoid, sigmoidRef, kSigmoidUlp,
     kSigmoidUlpNoFma, 1.6666665459E-1f, 1.666E-1f},
    {"erf", ir::OpKind::Erf, codegen::emitErf, [](double x) { return std::erf(x); }, kErfUlp,
     kErfUlp, -3.761262596e-01f, -3.7612e-01f},
};

/// Position of a float on the number line in ulps: adjacent floats differ by
/// 1, -0 and +0 are both 0.
int64_t ordered(float f) {
  int32_t i = std::bit_cast<int32_t>(f);
  return i < 0 ? (int64_t)INT32_MIN - i : i;
}

constexpr int64_t kNaNMismatch = int64_t(1) << 40;

int64_t ulpDistance(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0 : kNaNMismatch;
  return std::abs(ordered(a) - ordered(b));
}

enum class Form { Scalar, Vector16, Vectorized };
const char *formName(Form f) {
  return f == Form::Scalar ? "scalar" : f == Form::Vector16 ? "<16 x float>" : "vectorized O3";
}

/// `void f(const float *in, float *out, i64 n)`: out[i] = emit(in[i]) in a
/// loop; Vector16 handles 16 elements per iteration (n a multiple of 16).
Function *buildKernel(Module &m, const Emit &emit, Form form) {
  LLVMContext &c = m.getContext();
  IRBuilder<> b(c);
  Type *ptr = PointerType::getUnqual(c);
  auto *fn = Function::Create(FunctionType::get(b.getVoidTy(), {ptr, ptr, b.getInt64Ty()}, false),
                              Function::ExternalLinkage, "kernel", m);
  BasicBlock *entry = BasicBlock::Create(c, "entry", fn);
  BasicBlock *loop = BasicBlock::Create(c, "loop", fn);
  BasicBlock *body = BasicBlock::Create(c, "body", fn);
  BasicBlock *done = BasicBlock::Create(c, "done", fn);
  b.SetInsertPoint(entry);
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  PHINode *i = b.CreatePHI(b.getInt64Ty(), 2);
  i->addIncoming(b.getInt64(0), entry);
  b.CreateCondBr(b.CreateICmpSLT(i, fn->getArg(2)), body, done);
  b.SetInsertPoint(body);
  int lanes = form == Form::Vector16 ? 16 : 1;
  Type *t = lanes == 1 ? b.getFloatTy() : (Type *)FixedVectorType::get(b.getFloatTy(), lanes);
  Value *x =
      b.CreateAlignedLoad(t, b.CreateInBoundsGEP(b.getFloatTy(), fn->getArg(0), i), Align(4));
  b.CreateAlignedStore(emit(b, x), b.CreateInBoundsGEP(b.getFloatTy(), fn->getArg(1), i), Align(4));
  i->addIncoming(b.CreateAdd(i, b.getInt64(lanes)), body);
  b.CreateBr(loop);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return fn;
}

/// Replaces every float constant operand equal to `from` by `to`; returns how many.
int replaceConstant(Function &f, float from, float to) {
  int count = 0;
  for (BasicBlock &bb : f)
    for (Instruction &inst : bb)
      for (unsigned k = 0; k < inst.getNumOperands(); ++k)
        if (auto *c = dyn_cast<ConstantFP>(inst.getOperand(k)))
          if (c->getType()->isFloatTy() && c->getValueAPF().convertToFloat() == from) {
            inst.setOperand(k, ConstantFP::get(c->getType(), to));
            ++count;
          }
  return count;
}

[[noreturn]] void fail(Error e) { throw std::runtime_error(toString(std::move(e))); }

/// One JIT'd kernel. `cpu` empty: the host (with its FMA); otherwise that CPU.
class MathKernel {
public:
  MathKernel(const Emit &emit, Form form, const std::string &cpu = "",
             const std::function<void(Function &)> &mutate = {}) {
    auto ctx = std::make_unique<LLVMContext>();
    auto m = std::make_unique<Module>("vector_math_test", *ctx);
    Function *fn = buildKernel(*m, emit, form);
    if (mutate)
      mutate(*fn);
    if (std::getenv("VM_DUMP"))
      m->print(errs(), nullptr);
    std::string err;
    raw_string_ostream os(err);
    if (verifyModule(*m, &os))
      throw std::runtime_error("invalid module: " + err);
    auto hostTm = codegen::createHostTargetMachine(); // also initializes the native target
    if (form == Form::Vectorized)
      codegen::optimizeModule(*m, *hostTm, 3);
    auto jtmb = orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb)
      fail(jtmb.takeError());
    if (cpu.empty()) {
      jtmb->setCPU(hostTm->getTargetCPU().str());
      jtmb->addFeatures({hostTm->getTargetFeatureString().str()});
    } else {
      jtmb->setCPU(cpu);
      jtmb->getFeatures() = SubtargetFeatures();
    }
    auto jit = orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
    if (!jit)
      fail(jit.takeError());
    jit_ = std::move(*jit);
    if (Error e = jit_->addIRModule(orc::ThreadSafeModule(std::move(m), std::move(ctx))))
      fail(std::move(e));
    auto sym = jit_->lookup("kernel");
    if (!sym)
      fail(sym.takeError());
    fn_ = sym->toPtr<KernelFn>();
  }
  std::vector<float> operator()(const std::vector<float> &in) const {
    std::vector<float> out(in.size());
    fn_(in.data(), out.data(), (int64_t)in.size());
    return out;
  }

private:
  std::unique_ptr<orc::LLJIT> jit_;
  KernelFn fn_;
};

float bits(uint32_t u) { return std::bit_cast<float>(u); }

/// Every 256th bit pattern, random values in [lo, hi], the special values;
/// padded to a multiple of 16 lanes.
std::vector<float> sweepInputs(double lo, double hi) {
  std::vector<float> in;
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 256)
    in.push_back(bits((uint32_t)u));
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> uni(lo, hi);
  for (int k = 0; k < 200000; ++k)
    in.push_back((float)uni(rng));
  using L = std::numeric_limits<float>;
  const float inf = L::infinity(), below = std::nextafter(0.625f, 0.0f);
  // clang-format off
  const float special[] = {
      0.0f, -0.0f, inf, -inf, L::quiet_NaN(), -L::quiet_NaN(), L::denorm_min(), -L::denorm_min(),
      L::min(), -L::min(), L::max(), -L::max(), 1.0f, -1.0f, 0.5f, -0.5f, 0.625f, -0.625f, below,
      -below, 88.72283f, 88.72284f, 88.7f, 89.0f, 89.5f, -87.33654f, -87.34f, -100.0f, -103.97f,
      -103.98f, -104.0f, -104.5f, -150.0f, 9.0f, 9.1f, -9.1f, 44.4f, 44.5f, -44.5f, 1e-20f,
      -1e-20f, 1.0000001f, 0.99999994f, 2.0f, 0.70710677f, 0.7071068f, 1.4142135f, 1.4142137f,
      -16.6362457f, 16.2889595f, -80.0f, -80.00001f, 80.0f, -1.94885457f, 0.995429933f, 1.01168537f,
      0.99999994f, 3.92f, 3.93f};
  // clang-format on
  for (float v : special)
    in.push_back(v);
  while (in.size() % 16)
    in.push_back(1.0f);
  return in;
}

std::vector<float> reference(const MathCase &c, const std::vector<float> &in) {
  std::vector<float> ref(in.size());
  for (size_t k = 0; k < in.size(); ++k)
    ref[k] = (float)c.reference((double)in[k]);
  return ref;
}

struct Worst {
  int64_t ulps = 0;
  float input = 0, got = 0, want = 0;
};

Worst worstError(const std::vector<float> &in, const std::vector<float> &got,
                 const std::vector<float> &want) {
  Worst w;
  for (size_t k = 0; k < in.size(); ++k) {
    int64_t d = ulpDistance(got[k], want[k]);
    if (d > w.ulps)
      w = {d, in[k], got[k], want[k]};
  }
  return w;
}

std::string describe(const Worst &w) {
  char s[160];
  std::snprintf(s, sizeof s, "%lld ulp at x = %.9g (%a): got %.9g, want %.9g", (long long)w.ulps,
                w.input, w.input, w.got, w.want);
  return s;
}

/// Checks one function in every form against libm and the bound.
void checkAccuracy(const MathCase &c, double lo, double hi) {
  std::vector<float> in = sweepInputs(lo, hi);
  std::vector<float> want = reference(c, in);
  std::vector<float> first;
  for (Form form : {Form::Scalar, Form::Vector16, Form::Vectorized}) {
    std::vector<float> got = MathKernel(c.emit, form)(in);
    Worst w = worstError(in, got, want);
    EXPECT_LE(w.ulps, c.bound) << c.name << ", " << formName(form) << ": " << describe(w);
    if (first.empty()) {
      first = got;
      continue;
    }
    // Every form computes the same operations: the same bits (NaNs aside).
    for (size_t k = 0; k < in.size(); ++k) {
      if (!(std::isnan(got[k]) && std::isnan(first[k]))) {
        ASSERT_EQ(std::bit_cast<uint32_t>(got[k]), std::bit_cast<uint32_t>(first[k]))
            << c.name << ", " << formName(form) << " differs from scalar at x = " << in[k];
      }
    }
  }
  if (Triple(sys::getProcessTriple()).getArch() == Triple::x86_64)
    for (Form form : {Form::Scalar, Form::Vector16}) {
      Worst w = worstError(in, MathKernel(c.emit, form, "x86-64")(in), want);
      EXPECT_LE(w.ulps, c.boundNoFma)
          << c.name << ", " << formName(form) << " without FMA: " << describe(w);
    }
}

/// The function on exact special values (as libm gives them).
void checkSpecial(const MathCase &c, const std::vector<std::pair<float, float>> &cases) {
  std::vector<float> in;
  for (auto &[x, y] : cases)
    in.push_back(x);
  for (Form form : {Form::Scalar, Form::Vector16}) {
    std::vector<float> padded = in;
    padded.resize((in.size() + 15) / 16 * 16, 0.0f);
    std::vector<float> got = MathKernel(c.emit, form)(padded);
    for (size_t k = 0; k < cases.size(); ++k) {
      auto [x, y] = cases[k];
      if (std::isnan(y))
        EXPECT_TRUE(std::isnan(got[k])) << c.name << "(" << x << ") = " << got[k];
      else
        EXPECT_EQ(std::bit_cast<uint32_t>(got[k]), std::bit_cast<uint32_t>(y))
            << c.name << "(" << x << ") = " << got[k] << ", want " << y << " (" << formName(form)
            << ")";
    }
  }
}

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kDenormMin = std::numeric_limits<float>::denorm_min();

} // namespace

TEST(VectorMath, ExpAccuracy) { checkAccuracy(kCases[0], -104, 89); }
TEST(VectorMath, LogAccuracy) { checkAccuracy(kCases[1], 0, 1e4); }
TEST(VectorMath, TanhAccuracy) { checkAccuracy(kCases[2], -10, 10); }
TEST(VectorMath, SigmoidAccuracy) { checkAccuracy(kCases[3], -110, 20); }
TEST(VectorMath, ErfAccuracy) { checkAccuracy(kCases[4], -5, 5); }

TEST(VectorMath, ExpSpecialValues) {
  checkSpecial(kCases[0], {{0.0f, 1.0f},
                           {-0.0f, 1.0f},
                           {kInf, kInf},
                           {-kInf, 0.0f},
                           {kNaN, kNaN},
                           {-kNaN, kNaN},
                           {89.0f, kInf},
                           {88.72284f, kInf},
                           {1000.0f, kInf},
                           {-1000.0f, 0.0f},
                           {-104.0f, 0.0f},
                           {-103.28f, kDenormMin}, // e^-103.28 = 1.4e-45
                           {kDenormMin, 1.0f},
                           {1.0f, (float)M_E}});
}

TEST(VectorMath, LogSpecialValues) {
  checkSpecial(kCases[1], {{1.0f, 0.0f},
                           {0.0f, -kInf},
                           {-0.0f, -kInf},
                           {kInf, kInf},
                           {-kInf, kNaN},
                           {-1.0f, kNaN},
                           {-kDenormMin, kNaN},
                           {kNaN, kNaN},
                           {kDenormMin, (float)std::log((double)kDenormMin)},
                           {std::numeric_limits<float>::max(), 88.72284f},
                           {2.0f, (float)M_LN2}});
}

TEST(VectorMath, TanhSpecialValues) {
  checkSpecial(kCases[2], {{0.0f, 0.0f},
                           {-0.0f, -0.0f},
                           {kInf, 1.0f},
                           {-kInf, -1.0f},
                           {kNaN, kNaN},
                           {20.0f, 1.0f},
                           {-20.0f, -1.0f},
                           {100.0f, 1.0f},
                           {kDenormMin, kDenormMin},
                           {-kDenormMin, -kDenormMin},
                           {1e-20f, 1e-20f}});
}

TEST(VectorMath, SigmoidSpecialValues) {
  checkSpecial(kCases[3], {{0.0f, 0.5f},
                           {-0.0f, 0.5f},
                           {kInf, 1.0f},
                           {-kInf, 0.0f},
                           {kNaN, kNaN},
                           {20.0f, 1.0f},
                           {100.0f, 1.0f},
                           {-200.0f, 0.0f},
                           {-90.0f, (float)sigmoidRef(-90.0)}, // a denormal, not 1/inf = 0
                           {-103.28f, kDenormMin}});
}

TEST(VectorMath, ErfSpecialValues) {
  checkSpecial(kCases[4], {{0.0f, 0.0f},
                           {-0.0f, -0.0f},
                           {kInf, 1.0f},
                           {-kInf, -1.0f},
                           {kNaN, kNaN},
                           {4.0f, 1.0f},
                           {-10.0f, -1.0f},
                           {1.0f, (float)std::erf(1.0)},
                           {kDenormMin, (float)std::erf((double)kDenormMin)}});
}

TEST(VectorMath, MutatedCoefficientExceedsBound) {
  for (const MathCase &c : kCases) {
    std::vector<float> in = sweepInputs(-10, 10);
    std::vector<float> want = reference(c, in);
    float changed = c.typo;
    int replaced = 0;
    MathKernel mutated(c.emit, Form::Scalar, "",
                       [&](Function &f) { replaced = replaceConstant(f, c.coefficient, changed); });
    ASSERT_GE(replaced, 1) << c.name << ": coefficient " << c.coefficient << " not in the IR";
    Worst w = worstError(in, mutated(in), want);
    EXPECT_GT(w.ulps, c.bound) << c.name << " with " << changed << " for " << c.coefficient
                               << " still passes: " << describe(w);
  }
}

// nnc's own lowering uses these functions for f32 (fused or not): an ir::Graph
// of one op gives the same bits as the kernel above.
TEST(VectorMath, LoweringUsesThem) {
  std::vector<float> in(1 << 20); // every 4096th bit pattern
  for (size_t j = 0; j < in.size(); ++j)
    in[j] = bits((uint32_t)(j << 12));
  for (const MathCase &c : kCases) {
    ir::Graph g(c.name);
    ir::Builder b(g);
    ir::Node *x = b.input("x", {ir::DType::F32, ir::Shape({(int64_t)in.size()})});
    b.output("y", b.unary(c.op, x));
    codegen::JitCompiler jit;
    codegen::KernelSignature sig = jit.add(g, "k", 1);
    jit.compile(2);
    std::vector<float> out(in.size());
    std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
    void *bindings[] = {in.data(), out.data()};
    jit.lookup("k")(bindings, 1, workspace.data());
    std::vector<float> direct = MathKernel(c.emit, Form::Scalar)(in);
    for (size_t k = 0; k < in.size(); ++k) {
      if (!(std::isnan(out[k]) && std::isnan(direct[k]))) {
        ASSERT_EQ(std::bit_cast<uint32_t>(out[k]), std::bit_cast<uint32_t>(direct[k]))
            << c.name << "(" << in[k] << ") through the lowering";
      }
    }
  }
}

namespace {

// Every float input (all 2^32 bit patterns), with and without FMA; prints
// the largest error against libm rounded to float, the largest against the
// unrounded double result (in fractional ulps) and how many results are not
// the correctly rounded float. Slow (minutes each); run by hand with
// --gtest_also_run_disabled_tests --gtest_filter='*Exhaustive*'.
void exhaustive(const MathCase &c) {
  for (std::string cpu : {"", "x86-64"}) {
    if (!cpu.empty() && Triple(sys::getProcessTriple()).getArch() != Triple::x86_64)
      continue;
    MathKernel k(c.emit, Form::Vector16, cpu);
    struct Result {
      Worst w;
      double frac = 0;
      float fracX = 0;
      uint64_t misrounded = 0;
    };
    const uint64_t chunk = uint64_t(1) << 22, chunks = (uint64_t(1) << 32) / chunk;
    auto work = [&](unsigned first, unsigned step, Result &res) {
      std::vector<float> in(chunk);
      for (uint64_t ci = first; ci < chunks; ci += step) {
        for (size_t j = 0; j < chunk; ++j)
          in[j] = bits((uint32_t)(ci * chunk + j));
        std::vector<float> got = k(in);
        for (size_t j = 0; j < chunk; ++j) {
          double exact = c.reference((double)in[j]);
          float want = (float)exact;
          int64_t d = ulpDistance(got[j], want);
          if (d == 0)
            continue;
          ++res.misrounded;
          if (d > res.w.ulps)
            res.w = {d, in[j], got[j], want};
          if (std::isfinite(want) && std::isfinite(got[j])) {
            // One ulp at `want`: the spacing of floats of its magnitude.
            float a = std::fabs(want);
            double ulp = a == std::numeric_limits<float>::max() ? a - std::nextafter(a, 0.0f)
                                                                : std::nextafter(a, kInf) - a;
            double frac = std::fabs((double)got[j] - exact) / ulp;
            if (frac > res.frac)
              res.frac = frac, res.fracX = in[j];
          }
        }
      }
    };
    Result r0, r1;
    std::thread t([&] { work(1, 2, r1); });
    work(0, 2, r0);
    t.join();
    Result &r = r1.w.ulps > r0.w.ulps ? r1 : r0;
    Result &f = r1.frac > r0.frac ? r1 : r0;
    std::printf("%-8s %-7s max %lld ulp vs libm rounded to float (%s); max %.3f ulp vs the double "
                "result (x = %.9g); %.4f%% of all floats not correctly rounded\n",
                c.name, cpu.empty() ? "host" : cpu.c_str(), (long long)r.w.ulps,
                describe(r.w).c_str(), f.frac, f.fracX,
                100.0 * (r0.misrounded + r1.misrounded) / 4294967296.0);
    std::fflush(stdout);
    EXPECT_LE(r.w.ulps, cpu.empty() ? c.bound : c.boundNoFma) << c.name << " " << cpu;
  }
}

} // namespace

TEST(VectorMath, DISABLED_ExhaustiveExp) { exhaustive(kCases[0]); }
TEST(VectorMath, DISABLED_ExhaustiveLog) { exhaustive(kCases[1]); }
TEST(VectorMath, DISABLED_ExhaustiveTanh) { exhaustive(kCases[2]); }
TEST(VectorMath, DISABLED_ExhaustiveSigmoid) { exhaustive(kCases[3]); }
TEST(VectorMath, DISABLED_ExhaustiveErf) { exhaustive(kCases[4]); }

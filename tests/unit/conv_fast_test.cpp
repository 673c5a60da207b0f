// conv2d on the GEMM's micro-kernels (codegen/lower_conv.cpp) against a
// double-precision loop nest: the reference nets' shapes (28x28 and 13x13
// maps, 1 and 32 channels), 'same' padding with odd and even kernels
// (symmetric and asymmetric pads), K across several K blocks, filter counts
// that are not a multiple of the register tile, maps whose pixel count is
// below and above a vector panel, every vector width (NNC_GEMM lanes=) and
// two threads, which must give the same bits as one; the same for
// conv2d_grad_input (codegen/lower_conv_grad.cpp: W^T g, then col2im) and
// conv2d_grad_filter (col g^T summed over images).
// Seen failing: with the padding's zero fill dropped (garbage lanes loaded),
// with the pack's k-row stride off by one panel, and with the K blocks not
// accumulated (accumulate = false on every block); the input gradient with
// col2im's column shift of the wrong sign; the filter gradient with the
// images not accumulated.
#include "codegen/jit_compiler.h"
#include "ir/builder.h"
#include "ir/pass_manager.h"
#include "ir/shape_rules.h"

#include <cmath>
#include <cstring>
#include <cstdlib>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <random>
#include <regex>

using namespace nnc;
using ir::DType;
using ir::Shape;

namespace {

struct ConvCase {
  int64_t C, H, W, F, KH, KW;
  ir::Window2D pad; // top/left/bottom/right only; stride 1
};

struct ConvRun {
  std::vector<float> x, w, out;
  int64_t OH = 0, OW = 0;
};

enum Op { Forward, GradInput, GradFilter };

/// Forward: conv2d of x [B,C,H,W] with w. GradInput: conv2d_grad_input of x
/// [B,F,OH,OW] (a gradient) with w, out [B,C,H,W]. GradFilter:
/// conv2d_grad_filter of x [B,C,H,W] and w [B,F,OH,OW] (the gradient), out
/// [F,C,KH,KW].
ConvRun runConv(const ConvCase &c, int64_t batch, int threads, const char *env, Op op = Forward) {
  bool gradInput = op == GradInput;
  if (env)
    setenv("NNC_GEMM", env, 1);
  ir::Graph g("conv");
  ir::Builder b(g);
  ir::Window2D win = c.pad;
  ir::TensorType xt{DType::F32, Shape{ir::kBatch, c.C, c.H, c.W}};
  ir::TensorType wt{DType::F32, Shape{c.F, c.C, c.KH, c.KW}};
  ir::TypeOrError fwd = ir::conv2dType(xt, wt, win);
  ir::Node *x = b.input("x", gradInput ? fwd.type : xt);
  ir::Node *w = b.input("w", op == GradFilter ? fwd.type : wt);
  ir::Node *y = op == GradInput    ? b.conv2dGradInput(x, w, c.pad, xt)
                : op == GradFilter ? b.conv2dGradFilter(x, w, c.pad, wt)
                                   : b.conv2d(x, w, c.pad);
  b.output("y", y);
  codegen::JitCompiler jit(threads);
  codegen::KernelSignature sig = jit.add(g, "conv", batch);
  jit.compile(2);
  codegen::KernelFn fn = jit.lookup("conv");
  unsetenv("NNC_GEMM");

  ConvRun r;
  r.OH = y->shape().dims[2], r.OW = y->shape().dims[3];
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  r.x.resize(x->type.shape.numElements(batch));
  r.w.resize(w->type.shape.numElements(batch));
  for (float &v : r.x)
    v = u(rng);
  for (float &v : r.w)
    v = u(rng);
  r.out.assign(y->type.shape.numElements(batch), std::numeric_limits<float>::quiet_NaN());
  std::vector<void *> ptrs(sig.bindings.size());
  for (size_t i = 0; i < sig.bindings.size(); ++i)
    ptrs[i] = sig.bindings[i].name == "x" ? r.x.data() : sig.bindings[i].name == "w" ? r.w.data() : r.out.data();
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16, std::numeric_limits<double>::quiet_NaN());
  fn(ptrs.data(), batch, workspace.data() + 1);
  return r;
}

void check(const ConvCase &c, int64_t batch, const ConvRun &r) {
  int bad = 0;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t f = 0; f < c.F; ++f)
      for (int64_t oy = 0; oy < r.OH; ++oy)
        for (int64_t ox = 0; ox < r.OW; ++ox) {
          double ref = 0, scale = 0;
          for (int64_t ch = 0; ch < c.C; ++ch)
            for (int64_t ky = 0; ky < c.KH; ++ky)
              for (int64_t kx = 0; kx < c.KW; ++kx) {
                int64_t y = oy + ky - c.pad.top, xx = ox + kx - c.pad.left;
                if (y < 0 || y >= c.H || xx < 0 || xx >= c.W)
                  continue;
                double p = (double)r.x[((n * c.C + ch) * c.H + y) * c.W + xx] *
                           r.w[((f * c.C + ch) * c.KH + ky) * c.KW + kx];
                ref += p, scale += std::fabs(p);
              }
          double got = r.out[((n * c.F + f) * r.OH + oy) * r.OW + ox];
          double bound = (double)(c.C * c.KH * c.KW) * std::ldexp(1.0, -24) * scale + 1e-30;
          if (!(std::fabs(got - ref) <= bound) && ++bad <= 3)
            ADD_FAILURE() << "out[" << n << "," << f << "," << oy << "," << ox << "] = " << got
                          << ", expected " << ref;
        }
  EXPECT_EQ(bad, 0);
}

/// dx of conv2d_grad_input: x holds g [B,F,OH,OW], out dx [B,C,H,W].
void checkGradInput(const ConvCase &c, int64_t batch, const ConvRun &r) {
  int64_t OH = c.H + c.pad.top + c.pad.bottom - c.KH + 1, OW = c.W + c.pad.left + c.pad.right - c.KW + 1;
  int bad = 0;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t ch = 0; ch < c.C; ++ch)
      for (int64_t y = 0; y < c.H; ++y)
        for (int64_t x = 0; x < c.W; ++x) {
          double ref = 0, scale = 0;
          for (int64_t f = 0; f < c.F; ++f)
            for (int64_t ky = 0; ky < c.KH; ++ky)
              for (int64_t kx = 0; kx < c.KW; ++kx) {
                int64_t oy = y + c.pad.top - ky, ox = x + c.pad.left - kx;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
                  continue;
                double p = (double)r.x[((n * c.F + f) * OH + oy) * OW + ox] *
                           r.w[((f * c.C + ch) * c.KH + ky) * c.KW + kx];
                ref += p, scale += std::fabs(p);
              }
          double got = r.out[((n * c.C + ch) * c.H + y) * c.W + x];
          double bound = (double)(c.F * c.KH * c.KW) * std::ldexp(1.0, -24) * scale + 1e-30;
          if (!(std::fabs(got - ref) <= bound) && ++bad <= 3)
            ADD_FAILURE() << "dx[" << n << "," << ch << "," << y << "," << x << "] = " << got << ", expected " << ref;
        }
  EXPECT_EQ(bad, 0);
}

/// dW of conv2d_grad_filter: x holds the images, w the gradient g.
void checkGradFilter(const ConvCase &c, int64_t batch, const ConvRun &r) {
  int64_t OH = c.H + c.pad.top + c.pad.bottom - c.KH + 1, OW = c.W + c.pad.left + c.pad.right - c.KW + 1;
  int bad = 0;
  for (int64_t f = 0; f < c.F; ++f)
    for (int64_t ch = 0; ch < c.C; ++ch)
      for (int64_t ky = 0; ky < c.KH; ++ky)
        for (int64_t kx = 0; kx < c.KW; ++kx) {
          double ref = 0, scale = 0;
          for (int64_t n = 0; n < batch; ++n)
            for (int64_t oy = 0; oy < OH; ++oy)
              for (int64_t ox = 0; ox < OW; ++ox) {
                int64_t y = oy + ky - c.pad.top, x = ox + kx - c.pad.left;
                if (y < 0 || y >= c.H || x < 0 || x >= c.W)
                  continue;
                double p = (double)r.x[((n * c.C + ch) * c.H + y) * c.W + x] * r.w[((n * c.F + f) * OH + oy) * OW + ox];
                ref += p, scale += std::fabs(p);
              }
          double got = r.out[((f * c.C + ch) * c.KH + ky) * c.KW + kx];
          double bound = (double)(batch * OH * OW) * std::ldexp(1.0, -24) * scale + 1e-30;
          if (!(std::fabs(got - ref) <= bound) && ++bad <= 3)
            ADD_FAILURE() << "dw[" << f << "," << ch << "," << ky << "," << kx << "] = " << got << ", expected " << ref;
        }
  EXPECT_EQ(bad, 0);
}

ir::Window2D pads(int64_t t, int64_t l, int64_t bo, int64_t r) {
  ir::Window2D w;
  w.top = t, w.left = l, w.bottom = bo, w.right = r;
  return w;
}

const std::vector<ConvCase> kCases = {
    {1, 28, 28, 32, 3, 3, {}},                 // mnist conv 1
    {32, 13, 13, 64, 3, 3, {}},                // mnist conv 2 (K = 288: two K blocks at kc 256)
    {1, 8, 8, 16, 3, 3, pads(1, 1, 1, 1)},     // digits conv 1, 'same'
    {16, 4, 4, 32, 3, 3, pads(1, 1, 1, 1)},    // digits conv 2: 16 pixels, less than a panel
    {3, 7, 9, 5, 2, 2, pads(0, 0, 1, 1)},      // even kernel 'same': pads after only
    {2, 9, 7, 7, 5, 5, pads(2, 2, 2, 2)},      // 5x5 'same'
    {64, 6, 5, 3, 3, 3, {}},                   // K = 576, three K blocks; F below mr
    {3, 40, 40, 8, 1, 1, {}},                  // 1x1, 1600 pixels: several pixel blocks at small L2
    {2, 4, 70, 3, 3, 3, {}},                   // rows of 68 pixels: im2col's run loop at 8 lanes
};

/// `check` on every case of kCases at batch 1 and 3, per NNC_GEMM setting.
void forEveryCase(std::initializer_list<const char *> envs, Op op,
                  void (*check)(const ConvCase &, int64_t, const ConvRun &)) {
  for (const char *env : envs)
    for (const ConvCase &c : kCases) {
      SCOPED_TRACE(std::string("NNC_GEMM=") + env + " C=" + std::to_string(c.C) + " " + std::to_string(c.H) + "x" +
                   std::to_string(c.W) + " F=" + std::to_string(c.F) + " " + std::to_string(c.KH) + "x" +
                   std::to_string(c.KW));
      for (int64_t batch : {1, 3})
        check(c, batch, runConv(c, batch, 1, *env ? env : nullptr, op));
    }
}

TEST(ConvFast, MatchesReferenceAtEveryWidth) { forEveryCase({"", "lanes=8", "lanes=4", "kc=64,mc=12"}, Forward, check); }

TEST(ConvFast, TwoThreadsGiveTheSameBits) {
  for (const ConvCase &c : kCases) {
    ConvRun one = runConv(c, 5, 1, "par=1"), two = runConv(c, 5, 2, "par=1");
    ConvRun gOne = runConv(c, 5, 1, "par=1", GradInput), gTwo = runConv(c, 5, 2, "par=1", GradInput);
    ConvRun fOne = runConv(c, 5, 1, "par=1", GradFilter), fTwo = runConv(c, 5, 2, "par=1", GradFilter);
    EXPECT_EQ(0, std::memcmp(fOne.out.data(), fTwo.out.data(), fOne.out.size() * 4));
    checkGradFilter(c, 5, fTwo);
    EXPECT_EQ(0, std::memcmp(gOne.out.data(), gTwo.out.data(), gOne.out.size() * 4));
    checkGradInput(c, 5, gTwo);
    ASSERT_EQ(one.out.size(), two.out.size());
    EXPECT_EQ(0, std::memcmp(one.out.data(), two.out.data(), one.out.size() * 4));
    check(c, 5, two);
  }
}

} // namespace

namespace {
TEST(ConvFast, GradInputMatchesReference) { forEveryCase({"", "lanes=8", "kc=64,mc=12"}, GradInput, checkGradInput); }

TEST(ConvFast, GradFilterMatchesReference) { forEveryCase({"", "lanes=8", "kc=64,mc=12"}, GradFilter, checkGradFilter); }
} // namespace

namespace {
// relu(conv2d(x, w) + bias[F,1,1]) + x2 with the fuse pass: conv2d heads the
// group and the epilogue runs on its register tiles (a bias per channel, a
// full-shape operand, the relu stored for a second output), and gives the
// same bits as the unfused graph, on one and two threads.
// Seen failing with the channel of view row i taken as i / F instead of i % F.
std::map<std::string, std::vector<float>> runFused(bool fuse, int threads, std::string *llvm = nullptr) {
  ir::Graph g("convepi");
  ir::Builder b(g);
  ir::Node *x = b.input("x", {DType::F32, Shape{ir::kBatch, 3, 9, 7}});
  ir::Node *w = b.input("w", {DType::F32, Shape{5, 3, 3, 3}});
  ir::Node *bias = b.input("bias", {DType::F32, Shape{5}});
  ir::Node *x2 = b.input("x2", {DType::F32, Shape{ir::kBatch, 5, 9, 7}});
  ir::Node *conv = b.conv2d(x, w, pads(1, 1, 1, 1));
  ir::Node *r = b.unary(ir::OpKind::Relu, b.add(conv, b.reshape(bias, Shape{5, 1, 1})));
  b.output("y", b.add(r, x2));
  b.output("r", r);
  auto graph = g.clone();
  if (fuse) {
    ir::PassContext ctx;
    EXPECT_EQ(ir::runPass("fuse", graph, ctx), "");
  }
  codegen::JitCompiler jit(threads, 1);
  const int64_t batch = 4;
  codegen::KernelSignature sig = jit.add(*graph, "convepi", batch);
  jit.compile(2, llvm != nullptr);
  if (llvm)
    *llvm = jit.llvmText();
  codegen::KernelFn fn = jit.lookup("convepi");
  std::map<std::string, std::vector<float>> buf;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<void *> ptrs;
  for (const codegen::Binding &bd : sig.bindings) {
    std::vector<float> &v = buf[bd.name];
    v.resize(bd.type.shape.numElements(batch));
    for (float &e : v)
      e = bd.role == codegen::Binding::Output ? std::numeric_limits<float>::quiet_NaN() : u(rng);
    ptrs.push_back(v.data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16, std::numeric_limits<double>::quiet_NaN());
  fn(ptrs.data(), batch, workspace.data() + 1);
  return buf;
}

TEST(ConvFast, FusedEpilogueOnTilesGivesTheSameBits) {
  std::string llvm;
  auto plain = runFused(false, 1);
  auto fused = runFused(true, 1, &llvm);
  EXPECT_TRUE(std::regex_search(llvm, std::regex(R"(nnc\.gemm\.kernel\.[0-9x]+u[0-9]+\.strided\.packed[0-9]+\.epi)")))
      << "the epilogue did not run on the conv's tiles";
  for (const char *name : {"y", "r"}) {
    EXPECT_EQ(0, std::memcmp(plain[name].data(), fused[name].data(), plain[name].size() * 4)) << name;
    auto two = runFused(true, 2);
    EXPECT_EQ(0, std::memcmp(plain[name].data(), two[name].data(), plain[name].size() * 4)) << name;
  }
}
} // namespace

namespace {
// max_pool2d / max_pool2d_grad 2x2 stride 2 (codegen/lower_pool.cpp) give the
// loop nest's bits (NNC_GEMM=lanes=1 takes lower_window.cpp): ties, NaN, -0,
// -inf, odd and even maps, gradients of -0.
// Seen failing with the winner taken as the first maximum by >= (a tie), and
// with the uncovered column of an odd width left unwritten (NaN).
std::map<std::string, std::vector<float>> runPool(int64_t H, int64_t W, const char *env) {
  if (env)
    setenv("NNC_GEMM", env, 1);
  ir::Graph g("pool");
  ir::Builder b(g);
  ir::Window2D win;
  win.kh = win.kw = win.sh = win.sw = 2;
  ir::TensorType xt{DType::F32, Shape{ir::kBatch, 3, H, W}};
  ir::Node *x = b.input("x", xt);
  ir::Node *gy = b.input("gy", ir::pool2dType(xt, win, "max_pool2d").type);
  b.output("y", b.maxPool2d(x, win));
  b.output("dx", b.maxPool2dGrad(x, gy, win));
  codegen::JitCompiler jit(1);
  const int64_t batch = 2;
  codegen::KernelSignature sig = jit.add(g, "pool", batch);
  jit.compile(2);
  codegen::KernelFn fn = jit.lookup("pool");
  unsetenv("NNC_GEMM");
  std::map<std::string, std::vector<float>> buf;
  std::mt19937 rng(9);
  const float specials[] = {0.f, -0.f, 1.f, 1.f, -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), 2.f, -3.f};
  std::vector<void *> ptrs;
  for (const codegen::Binding &bd : sig.bindings) {
    std::vector<float> &v = buf[bd.name];
    v.resize(bd.type.shape.numElements(batch));
    for (float &e : v)
      e = bd.role == codegen::Binding::Output ? std::numeric_limits<float>::quiet_NaN() : specials[rng() % 8];
    ptrs.push_back(v.data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16);
  fn(ptrs.data(), batch, workspace.data());
  return buf;
}

TEST(PoolFast, MaxPool2x2GivesTheLoopNestsBits) {
  for (auto [H, W] : {std::pair<int64_t, int64_t>{26, 26}, {13, 13}, {7, 9}, {2, 40}, {5, 2}}) {
    auto fast = runPool(H, W, nullptr), ref = runPool(H, W, "lanes=1");
    for (const char *name : {"y", "dx"})
      EXPECT_EQ(0, std::memcmp(fast[name].data(), ref[name].data(), fast[name].size() * 4))
          << name << " on " << H << "x" << W;
  }
}
} // namespace

namespace {
// An image layer's bias gradient, reduce_sum(relu'(h) * g) over axes 0, 2, 3
// of [B,C,H,W]: codegen sums it in vector blocks (lower_reduce.cpp) and the
// fuse pass leaves it out of the mask's group, so the fused graph gives the
// unfused graph's bits; both are within float rounding of a double sum.
// Seen failing with the reduction allowed as a fused tail (element order).
// A large one is split across threads by channel, with one thread's bits
// (seen failing with each part one channel short).
struct BiasGradShape {
  int64_t C = 6, H = 13, W = 11, batch = 5;
  int threads = 1;
};
std::vector<float> runBiasGrad(bool fuse, std::vector<float> *gIn = nullptr, std::vector<float> *hIn = nullptr,
                               BiasGradShape sh = {}) {
  ir::Graph g("biasgrad");
  ir::Builder b(g);
  ir::Node *h = b.input("h", {DType::F32, Shape{ir::kBatch, sh.C, sh.H, sh.W}});
  ir::Node *gy = b.input("g", {DType::F32, Shape{ir::kBatch, sh.C, sh.H, sh.W}});
  ir::Node *mask = b.binary(ir::OpKind::Greater, h, b.constant(0.0, DType::F32));
  b.output("db", b.reduceSum(b.mul(gy, mask), {0, 2, 3}, true));
  auto graph = g.clone();
  if (fuse) {
    ir::PassContext ctx;
    EXPECT_EQ(ir::runPass("fuse", graph, ctx), "");
  }
  codegen::JitCompiler jit(sh.threads);
  const int64_t batch = sh.batch;
  codegen::KernelSignature sig = jit.add(*graph, "biasgrad", batch);
  jit.compile(2);
  codegen::KernelFn fn = jit.lookup("biasgrad");
  std::map<std::string, std::vector<float>> buf;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<void *> ptrs;
  for (const codegen::Binding &bd : sig.bindings) {
    std::vector<float> &v = buf[bd.name];
    v.resize(bd.type.shape.numElements(batch));
    for (float &e : v)
      e = u(rng);
    ptrs.push_back(v.data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16);
  fn(ptrs.data(), batch, workspace.data());
  if (gIn)
    *gIn = buf["g"], *hIn = buf["h"];
  return buf["db"];
}

TEST(BlockReduction, FusedAndUnfusedGiveTheSameBitsAndTheSum) {
  std::vector<float> g, h;
  std::vector<float> plain = runBiasGrad(false, &g, &h), fused = runBiasGrad(true);
  ASSERT_EQ(plain.size(), 6u);
  EXPECT_EQ(0, std::memcmp(plain.data(), fused.data(), plain.size() * 4));
  for (int c = 0; c < 6; ++c) {
    double ref = 0, scale = 0;
    for (int n = 0; n < 5; ++n)
      for (int s = 0; s < 13 * 11; ++s) {
        size_t i = ((size_t)n * 6 + c) * 143 + s;
        double v = h[i] > 0 ? g[i] : 0.0;
        ref += v, scale += std::fabs(v);
      }
    EXPECT_NEAR(plain[c], ref, 715 * std::ldexp(1.0, -24) * scale) << "channel " << c;
  }
}

TEST(BlockReduction, TwoThreadsGiveOneThreadsBits) {
  BiasGradShape big{8, 26, 26, 64, 1}; // 64 x 8 x 676 elements: over the threads' bar
  std::vector<float> one = runBiasGrad(false, nullptr, nullptr, big);
  big.threads = 2;
  std::vector<float> two = runBiasGrad(false, nullptr, nullptr, big), fused = runBiasGrad(true, nullptr, nullptr, big);
  ASSERT_EQ(one.size(), 8u);
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * 4));
  EXPECT_EQ(0, std::memcmp(one.data(), fused.data(), one.size() * 4));
}
} // namespace

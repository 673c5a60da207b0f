// Values of the window ops' lowerings (codegen/lower_window.cpp), f32 and
// f64, against plain C++ references written from the definitions (the
// gradients as scatters over the forward windows, the lowerings gather);
// exact tie-breaking of max_pool2d_grad and the padding-excluding count of
// average pooling; the same bits on 1 and 2 threads; the fuse pass
// conv2d heading its epilogue's group and pooling left alone; and a conv net's training
// step the same through the -O0 and -O3 graph pipelines.
//
// Seen failing (each mutation of lower_window.cpp made, rebuilt, run):
// - conv2d's input row without the stride (oy + ky - top):
//   ForwardAndGradientOpsMatchReference failed (and the strided FD checks);
// - max_pool2d_grad comparing with >= (the last maximum wins): all three
//   parts of MaxPoolGradGoesToTheFirstOfTiedMaxima failed, while the FD
//   checks (no ties) and the reference test (random values) passed;
// - average pooling dividing by kh*kw: AvgPoolCountExcludesPadding failed
//   (1.556 for 3.5 ...), and the reference test;
// - pool gradients not zeroing their result first: the NaN-filled outputs
//   stayed NaN (the reference, tie and count tests failed; the FD harness
//   zeroes its outputs, only its ConvPoolChain caught it);
// - a parallel part starting at plane 0 instead of its begin: only
//   TwoThreadsGiveTheSameBits failed.
// - the accumulators' adds marked fast-math (reassociable):
//   LlvmO0AndO3GiveTheSameBits failed (results bits apart).
// ConvNetTrainingStepIsTheSameAtEveryPipeline cannot see a lowering's bug
// (both pipelines lower the ops the same way); it failed (weights 0.08 apart)
// when buffer_plan.cpp let a value share bytes with a value its own kernel
// reads (the live-range overlap test made strict).
#include "codegen/jit_compiler.h"
#include "ir/builder.h"
#include "ir/pass_manager.h"

#include <bit>
#include <cmath>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <random>

using namespace nnc;
using ir::DType;
using ir::Node;
using ir::OpKind;
using ir::Shape;
using ir::Window2D;

namespace {

using Values = std::map<std::string, std::vector<double>>;

/// Runs `g` (compiled for maxBatch) on `batch` rows; inputs and outputs by
/// name, as doubles whatever the element type. Outputs start as NaN, so an
/// element the kernel does not write shows.
Values run(const ir::Graph &g, const Values &inputs, DType t, int64_t maxBatch, int64_t batch,
           int threads = 1, int optLevel = 2) {
  codegen::JitCompiler jit(threads);
  codegen::KernelSignature sig = jit.add(g, "k", maxBatch);
  jit.compile(optLevel);
  codegen::KernelFn fn = jit.lookup("k");
  std::map<std::string, std::vector<float>> f32;
  std::map<std::string, std::vector<double>> f64;
  for (auto &bd : sig.bindings) {
    std::vector<double> v(bd.type.shape.numElements(batch),
                          std::numeric_limits<double>::quiet_NaN());
    if (bd.role == codegen::Binding::Input)
      v = inputs.at(bd.name);
    if (t == DType::F32)
      f32[bd.name].assign(v.begin(), v.end());
    else
      f64[bd.name] = v;
  }
  std::vector<void *> ptrs; // the vectors are final now
  for (auto &bd : sig.bindings)
    ptrs.push_back(t == DType::F32 ? (void *)f32[bd.name].data() : (void *)f64[bd.name].data());
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  fn(ptrs.data(), batch, workspace.data());
  Values out;
  for (auto &bd : sig.bindings)
    if (bd.role == codegen::Binding::Output)
      out[bd.name] = t == DType::F32 ? std::vector<double>(f32[bd.name].begin(), f32[bd.name].end())
                                     : f64[bd.name];
  return out;
}

/// The references: images [B,C,H,W], filters [F,C,KH,KW], window `w`.
struct Dims {
  int64_t B, C, H, W, F, KH, KW;
  Window2D w;
  int64_t OH() const { return (H + w.top + w.bottom - KH) / w.sh + 1; }
  int64_t OW() const { return (W + w.left + w.right - KW) / w.sw + 1; }
  size_t x(int64_t b, int64_t c, int64_t y, int64_t xx) const {
    return ((b * C + c) * H + y) * W + xx;
  }
  size_t f(int64_t f, int64_t c, int64_t ky, int64_t kx) const {
    return ((f * C + c) * KH + ky) * KW + kx;
  }
  size_t o(int64_t b, int64_t ch, int64_t oy, int64_t ox, int64_t chans) const {
    return ((b * chans + ch) * OH() + oy) * OW() + ox;
  }
  /// body(iy, ix, ky, kx) for the positions of window (oy, ox) inside the image, row-major.
  template <class Fn> void window(int64_t oy, int64_t ox, Fn body) const {
    for (int64_t ky = 0; ky < KH; ++ky)
      for (int64_t kx = 0; kx < KW; ++kx) {
        int64_t iy = oy * w.sh + ky - w.top, ix = ox * w.sw + kx - w.left;
        if (iy >= 0 && iy < H && ix >= 0 && ix < W)
          body(iy, ix, ky, kx);
      }
  }
};

/// The reference of each op by output name, and of the sums of |terms| (for tolerances).
Values reference(const Dims &d, const Values &in, bool absolute) {
  auto val = [&](const char *name, size_t i) {
    return absolute ? std::fabs(in.at(name)[i]) : in.at(name)[i];
  };
  Values r;
  auto &conv = r["conv"], &dx = r["dx"], &dw = r["dw"], &mx = r["max"], &avg = r["avg"];
  auto &dmax = r["dmax"], &davg = r["davg"];
  size_t xn = d.B * d.C * d.H * d.W;
  conv.assign(d.B * d.F * d.OH() * d.OW(), 0), dx.assign(xn, 0),
      dw.assign(d.F * d.C * d.KH * d.KW, 0);
  mx.assign(d.B * d.C * d.OH() * d.OW(), 0), avg = mx, dmax.assign(xn, 0), davg.assign(xn, 0);
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t oy = 0; oy < d.OH(); ++oy)
      for (int64_t ox = 0; ox < d.OW(); ++ox) {
        for (int64_t f = 0; f < d.F; ++f)
          for (int64_t c = 0; c < d.C; ++c)
            d.window(oy, ox, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
              size_t o = d.o(b, f, oy, ox, d.F), xi = d.x(b, c, iy, ix), wi = d.f(f, c, ky, kx);
              conv[o] += val("x", xi) * val("w", wi);
              dx[xi] += val("g", o) * val("w", wi);
              dw[wi] += val("g", o) * val("x", xi);
            });
        for (int64_t c = 0; c < d.C; ++c) {
          size_t o = d.o(b, c, oy, ox, d.C), first = 0, count = 0;
          double best = -INFINITY, sum = 0;
          d.window(oy, ox, [&](int64_t iy, int64_t ix, int64_t, int64_t) {
            size_t xi = d.x(b, c, iy, ix);
            if (count++ == 0 || in.at("x")[xi] > best)
              first = xi, best = std::max(best, in.at("x")[xi]);
            sum += val("x", xi);
          });
          mx[o] = absolute ? std::fabs(best) : best;
          avg[o] = sum / count;
          dmax[first] += val("gp", o);
          d.window(oy, ox, [&](int64_t iy, int64_t ix, int64_t, int64_t) {
            davg[d.x(b, c, iy, ix)] += val("gp", o) / count;
          });
        }
      }
  return r;
}

/// A graph computing all seven ops on inputs x, w, g (conv's result shape)
/// and gp (the pool's result shape), with `batch` as the leading extent.
std::unique_ptr<ir::Graph> allOps(const Dims &d, DType t, int64_t batch) {
  auto g = std::make_unique<ir::Graph>("window_ops");
  ir::Builder b(*g);
  Shape xs({batch, d.C, d.H, d.W});
  Node *x = b.input("x", {t, xs}), *w = b.input("w", {t, Shape({d.F, d.C, d.KH, d.KW})});
  Node *gr = b.input("g", {t, Shape({batch, d.F, d.OH(), d.OW()})});
  Node *gp = b.input("gp", {t, Shape({batch, d.C, d.OH(), d.OW()})});
  Window2D pw = d.w; // the pools use the filter's window
  pw.kh = d.KH, pw.kw = d.KW;
  b.output("conv", b.conv2d(x, w, d.w));
  b.output("dx", b.conv2dGradInput(gr, w, pw, x->type));
  b.output("dw", b.conv2dGradFilter(x, gr, pw, w->type));
  b.output("max", b.maxPool2d(x, pw));
  b.output("avg", b.avgPool2d(x, pw));
  b.output("dmax", b.maxPool2dGrad(x, gp, pw));
  b.output("davg", b.avgPool2dGrad(gp, pw, x->type));
  return g;
}

Values randomInputs(const Dims &d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2);
  Values in;
  auto fill = [&](const char *name, size_t n) {
    for (size_t i = 0; i < n; ++i)
      in[name].push_back(u(rng));
  };
  fill("x", d.B * d.C * d.H * d.W);
  fill("w", d.F * d.C * d.KH * d.KW);
  fill("g", d.B * d.F * d.OH() * d.OW());
  fill("gp", d.B * d.C * d.OH() * d.OW());
  return in;
}

Window2D win(int64_t sh, int64_t sw, int64_t top, int64_t left, int64_t bottom, int64_t right) {
  Window2D w;
  w.sh = sh, w.sw = sw, w.top = top, w.left = left, w.bottom = bottom, w.right = right;
  return w;
}

const std::vector<Dims> kShapes = {
    {3, 3, 7, 6, 4, 3, 3, win(1, 1, 1, 1, 1, 1)}, {2, 2, 9, 8, 5, 5, 3, win(2, 2, 2, 1, 1, 0)},
    {1, 1, 4, 4, 1, 1, 1, win(2, 2, 0, 0, 0, 0)}, {3, 4, 6, 7, 2, 2, 2, win(2, 1, 0, 0, 1, 1)},
    {2, 1, 5, 5, 3, 3, 2, win(1, 2, 0, 1, 2, 1)},
};

} // namespace

TEST(WindowOps, ForwardAndGradientOpsMatchReference) {
  for (DType t : {DType::F32, DType::F64})
    for (const Dims &d : kShapes)
      for (bool symbolicBatch : {true, false}) {
        SCOPED_TRACE(fmt::format(
            "{} x[{},{},{},{}] w[{},{},{},{}] stride {}x{} padding {},{},{},{}{}", ir::dtypeName(t),
            d.B, d.C, d.H, d.W, d.F, d.C, d.KH, d.KW, d.w.sh, d.w.sw, d.w.top, d.w.left, d.w.bottom,
            d.w.right, symbolicBatch ? " (batch B)" : ""));
        Values in = randomInputs(d, 7);
        if (t == DType::F32) // the reference reads what the kernel reads
          for (auto &[name, v] : in)
            for (double &e : v)
              e = (float)e;
        // Symbolic: compiled for one more row than it runs on.
        auto g = allOps(d, t, symbolicBatch ? ir::kBatch : d.B);
        Values got = run(*g, in, t, d.B + symbolicBatch, d.B);
        Values want = reference(d, in, false), scale = reference(d, in, true);
        double eps = t == DType::F32 ? 1e-6 : 1e-14;
        for (auto &[name, w] : want) {
          ASSERT_EQ(got.at(name).size(), w.size()) << name;
          for (size_t i = 0; i < w.size(); ++i)
            ASSERT_LE(std::fabs(got[name][i] - w[i]), eps * (scale[name][i] + 1e-300) * 8)
                << name << "[" << i << "]: " << got[name][i] << " vs " << w[i];
        }
      }
}

TEST(WindowOps, MaxPoolGradGoesToTheFirstOfTiedMaxima) {
  // A 4x4 map of equal values: every window's maximum is tied everywhere.
  Dims d{1, 1, 4, 4, 1, 2, 2, win(1, 1, 0, 0, 0, 0)};
  Values in = randomInputs(d, 1);
  in["x"].assign(16, -1.0);
  for (int i = 0; i < 9; ++i)
    in["gp"][i] = i + 1;
  Values got = run(*allOps(d, DType::F64, 1), in, DType::F64, 1, 1);
  // 2x2 windows, stride 1: each window's first position is its top-left.
  std::vector<double> want = {1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0};
  EXPECT_EQ(got["dmax"], want);
  EXPECT_EQ(got["max"], std::vector<double>(9, -1.0));

  // 3x3 windows, stride 2, padding 1: the first position inside the image,
  // and the padding is not a value (-1 everywhere, not 0).
  d = {1, 1, 4, 4, 1, 3, 3, win(2, 2, 1, 1, 1, 1)};
  in = randomInputs(d, 1);
  in["x"].assign(16, -1.0);
  in["gp"] = {10, 20, 30, 40};
  got = run(*allOps(d, DType::F64, 1), in, DType::F64, 1, 1);
  want = {10, 20, 0, 0, 30, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(got["dmax"], want);
  EXPECT_EQ(got["max"], std::vector<double>(4, -1.0));

  // A tie after a smaller value: [[0, 5], [5, 1]] -> (0, 1).
  d = {1, 1, 2, 2, 1, 2, 2, win(2, 2, 0, 0, 0, 0)};
  in = randomInputs(d, 1);
  in["x"] = {0, 5, 5, 1};
  in["gp"] = {3};
  for (DType t : {DType::F32, DType::F64}) {
    got = run(*allOps(d, t, 1), in, t, 1, 1);
    EXPECT_EQ(got["dmax"], (std::vector<double>{0, 3, 0, 0})) << ir::dtypeName(t);
  }
}

TEST(WindowOps, AvgPoolCountExcludesPadding) {
  // x = 1..16 on 4x4; 3x3 windows, stride 2, padding 1: the windows hold
  // 4, 6, 6 and 9 positions of the image.
  Dims d{1, 1, 4, 4, 1, 3, 3, win(2, 2, 1, 1, 1, 1)};
  Values in = randomInputs(d, 1);
  for (int i = 0; i < 16; ++i)
    in["x"][i] = i + 1;
  in["gp"] = {4, 6, 6, 9}; // one per position after the division
  for (DType t : {DType::F32, DType::F64}) {
    Values got = run(*allOps(d, t, 1), in, t, 1, 1);
    // (1+2+5+6)/4, (2+3+4+6+7+8)/6, (5+6+9+10+13+14)/6, (6+7+8+10+11+12+14+15+16)/9
    EXPECT_EQ(got["avg"], (std::vector<double>{3.5, 5, 9.5, 11})) << ir::dtypeName(t);
    // Each position gets 1 from every window covering it.
    EXPECT_EQ(got["davg"], (std::vector<double>{1, 2, 1, 1, 2, 4, 2, 2, 1, 2, 1, 1, 1, 2, 1, 1}))
        << ir::dtypeName(t);
  }
}

TEST(WindowOps, TwoThreadsGiveTheSameBits) {
  // Large enough that every op is split across threads (lower_window.cpp).
  Dims d{8, 4, 20, 20, 8, 3, 3, win(1, 1, 1, 1, 1, 1)};
  Values in = randomInputs(d, 3);
  for (DType t : {DType::F32, DType::F64}) {
    auto g = allOps(d, t, ir::kBatch);
    Values one = run(*g, in, t, d.B, d.B, 1), two = run(*g, in, t, d.B, d.B, 2);
    for (auto &[name, v] : one) {
      ASSERT_EQ(v.size(), two[name].size());
      for (size_t i = 0; i < v.size(); ++i)
        ASSERT_EQ(std::bit_cast<uint64_t>(v[i]), std::bit_cast<uint64_t>(two[name][i]))
            << ir::dtypeName(t) << " " << name << "[" << i << "]";
    }
  }
}

TEST(WindowOps, LlvmO0AndO3GiveTheSameBits) {
  // The summation order is the loop nest's: LLVM's optimizer must not change it.
  for (const Dims &d : kShapes) {
    Values in = randomInputs(d, 5);
    for (DType t : {DType::F32, DType::F64}) {
      auto g = allOps(d, t, ir::kBatch);
      Values o0 = run(*g, in, t, d.B, d.B, 1, 0), o3 = run(*g, in, t, d.B, d.B, 1, 3);
      for (auto &[name, v] : o0)
        for (size_t i = 0; i < v.size(); ++i)
          ASSERT_EQ(std::bit_cast<uint64_t>(v[i]), std::bit_cast<uint64_t>(o3[name][i]))
              << ir::dtypeName(t) << " " << name << "[" << i << "]";
    }
  }
}

TEST(WindowOps, FusionHeadsAGroupWithConvAndLeavesPoolingAlone) {
  // relu(conv(x, w) + bias) -> max pool -> * 2: the add and relu fuse into
  // the conv's group (its epilogue), the pool stays alone; the fused graph
  // computes the same values.
  auto build = [] {
    auto g = std::make_unique<ir::Graph>("convnet");
    ir::Builder b(*g);
    Node *x = b.input("x", {DType::F32, Shape({ir::kBatch, 2, 6, 6})});
    Node *w = b.input("w", {DType::F32, Shape({3, 2, 3, 3})});
    Node *bias = b.input("bias", {DType::F32, Shape({3})});
    Node *conv = b.conv2d(x, w, win(1, 1, 1, 1, 1, 1));
    Node *h = b.unary(OpKind::Relu, b.add(conv, b.reshape(bias, Shape({3, 1, 1}))));
    Window2D pw = win(2, 2, 0, 0, 0, 0);
    pw.kh = pw.kw = 2;
    b.output("y", b.mul(b.maxPool2d(h, pw), b.constant(2.0, DType::F32)));
    return g;
  };
  auto plain = build(), fused = build();
  ir::PassContext ctx;
  ASSERT_EQ(ir::runPass("fuse", fused, ctx), "");
  int windowOps = 0, groupedElementwise = 0;
  for (auto &up : fused->nodes()) {
    if (up->kind == OpKind::Conv2D || up->kind == OpKind::MaxPool2D) {
      ++windowOps;
      // conv2d heads its bias + relu epilogue's group; pooling is a kernel of its own.
      EXPECT_EQ(up->group != 0, up->kind == OpKind::Conv2D) << ir::opName(up->kind);
    }
    groupedElementwise += (up->kind == OpKind::Relu || up->kind == OpKind::Add) && up->group;
  }
  EXPECT_EQ(windowOps, 2);
  EXPECT_EQ(groupedElementwise, 2);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1, 1);
  Values in;
  for (auto [name, n] : {std::pair<const char *, int>{"x", 2 * 72}, {"w", 54}, {"bias", 3}})
    for (int i = 0; i < n; ++i)
      in[name].push_back((float)u(rng));
  EXPECT_EQ(run(*plain, in, DType::F32, 2, 2)["y"], run(*fused, in, DType::F32, 2, 2)["y"]);
}

TEST(WindowOps, ConvNetTrainingStepIsTheSameAtEveryPipeline) {
  // conv(same) -> relu -> max pool -> flatten -> dense -> cross-entropy, one
  // Adam step: the graph pipeline of -O0 (no passes) and of -O3 (fusion,
  // CSE, in-place updates, buffer reuse over rank-4 values) give the same
  // loss and the same parameters after the step.
  auto forward = [] {
    auto g = std::make_unique<ir::Graph>("convnet");
    ir::Builder b(*g);
    Node *x = b.input("x", {DType::F32, Shape({ir::kBatch, 1, 6, 6})});
    Node *labels = b.input("labels", {DType::I32, Shape({ir::kBatch})}, 3);
    Node *w1 = b.param("w1", {DType::F32, Shape({4, 1, 3, 3})}, {});
    Node *w2 = b.param("w2", {DType::F32, Shape({36, 3})}, {});
    Node *h = b.unary(OpKind::Relu, b.conv2d(x, w1, win(1, 1, 1, 1, 1, 1)));
    Window2D pw = win(2, 2, 0, 0, 0, 0);
    pw.kh = pw.kw = 2;
    Node *flat = b.reshape(b.maxPool2d(h, pw), Shape({ir::kBatch, 36}));
    b.output("loss", b.meanAll(b.softmaxCrossEntropy(b.matmul(flat, w2), labels)));
    return g;
  };
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1, 1);
  const int64_t batch = 5;
  std::map<std::string, std::vector<float>> start;
  for (auto [name, n] : {std::pair<const char *, int>{"x", batch * 36}, {"w1", 36}, {"w2", 108}})
    for (int i = 0; i < n; ++i)
      start[name].push_back((float)u(rng));
  std::vector<int32_t> labels = {0, 2, 1, 1, 0};

  auto step = [&](const std::vector<std::string> &pipeline) {
    auto g = forward();
    ir::PassManager pm;
    std::vector<std::string> passes = {"train-step-adam"};
    passes.insert(passes.end(), pipeline.begin(), pipeline.end());
    EXPECT_EQ(pm.run(passes, g), "");
    codegen::JitCompiler jit;
    codegen::KernelSignature sig = jit.add(*g, "step", batch);
    jit.compile(2);
    codegen::KernelFn fn = jit.lookup("step");
    std::map<std::string, std::vector<float>> buffers = start;
    std::vector<void *> ptrs;
    for (auto &bd : sig.bindings) {
      if (bd.name == "labels") {
        ptrs.push_back(labels.data());
        continue;
      }
      auto &v = buffers[bd.name];
      if (bd.role == codegen::Binding::State) { // Adam's moments and step count
        const ir::Initializer &init = g->findNamed(OpKind::State, bd.name)->init;
        EXPECT_TRUE(init.kind == ir::Initializer::Zeros || init.kind == ir::Initializer::Constant)
            << bd.name;
        v.assign(bd.type.shape.numElements(batch),
                 init.kind == ir::Initializer::Constant ? init.a : 0.0f);
      }
      if (bd.role == codegen::Binding::Output)
        v.assign(bd.type.shape.numElements(batch), NAN);
      ptrs.push_back(v.data());
    }
    std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
    fn(ptrs.data(), batch, workspace.data());
    return buffers;
  };
  auto plain = step({}), optimized = step(ir::optimizationPipeline(3));
  for (const char *name : {"loss", "w1", "w2"}) {
    ASSERT_EQ(plain[name].size(), optimized[name].size()) << name;
    for (size_t i = 0; i < plain[name].size(); ++i)
      EXPECT_NEAR(plain[name][i], optimized[name][i], 1e-6 * (1 + std::fabs(plain[name][i])))
          << name << "[" << i << "]";
  }
  for (const char *name : {"w1", "w2"}) // the step moved every weight (Adam: by about the rate)
    for (size_t i = 0; i < start[name].size(); ++i)
      EXPECT_NE(plain[name][i], start[name][i]) << name << "[" << i << "]";
}

// conv2d on the GEMM's micro-kernels (codegen/lower_conv.cpp) against a
// double-precision loop nest: the reference nets' shapes (28x28 and 13x13
// maps, 1 and 32 channels), 'same' padding with odd and even kernels
// (symmetric and asymmetric pads), K across several K blocks, filter counts
// that are not a multiple of the register tile, maps whose pixel count is
// below and above a vector panel, every vector width (NNC_GEMM lanes=) and
// two threads, which must give the same bits as one.
// Seen failing: with the padding's zero fill dropped (garbage lanes loaded),
// with the pack's k-row stride off by one panel, and with the K blocks not
// accumulated (accumulate = false on every block).
#include "codegen/jit_compiler.h"
#include "ir/builder.h"

#include <cmath>
#include <cstring>
#include <cstdlib>
#include <gtest/gtest.h>
#include <limits>
#include <random>

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

ConvRun runConv(const ConvCase &c, int64_t batch, int threads, const char *env) {
  if (env)
    setenv("NNC_GEMM", env, 1);
  ir::Graph g("conv");
  ir::Builder b(g);
  ir::Node *x = b.input("x", {DType::F32, Shape{ir::kBatch, c.C, c.H, c.W}});
  ir::Node *w = b.input("w", {DType::F32, Shape{c.F, c.C, c.KH, c.KW}});
  ir::Node *y = b.conv2d(x, w, c.pad);
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
  r.x.resize(batch * c.C * c.H * c.W);
  r.w.resize(c.F * c.C * c.KH * c.KW);
  for (float &v : r.x)
    v = u(rng);
  for (float &v : r.w)
    v = u(rng);
  r.out.assign(batch * c.F * r.OH * r.OW, std::numeric_limits<float>::quiet_NaN());
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
};

TEST(ConvFast, MatchesReferenceAtEveryWidth) {
  for (const char *env : {"", "lanes=8", "lanes=4", "kc=64,mc=12"}) {
    for (const ConvCase &c : kCases) {
      SCOPED_TRACE(std::string("NNC_GEMM=") + env + " C=" + std::to_string(c.C) + " " +
                   std::to_string(c.H) + "x" + std::to_string(c.W) + " F=" + std::to_string(c.F) + " " +
                   std::to_string(c.KH) + "x" + std::to_string(c.KW));
      for (int64_t batch : {1, 3})
        check(c, batch, runConv(c, batch, 1, *env ? env : nullptr));
    }
  }
}

TEST(ConvFast, TwoThreadsGiveTheSameBits) {
  for (const ConvCase &c : kCases) {
    ConvRun one = runConv(c, 5, 1, "par=1"), two = runConv(c, 5, 2, "par=1");
    ASSERT_EQ(one.out.size(), two.out.size());
    EXPECT_EQ(0, std::memcmp(one.out.data(), two.out.data(), one.out.size() * 4));
    check(c, 5, two);
  }
}

} // namespace

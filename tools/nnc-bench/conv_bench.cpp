// --conv N,C,H,W,F,KH,KW,PAD: the three passes of one convolution (stride 1,
// PAD zeros on every side) as graphs of one window op each: conv2d (x:
// f32[B,C,H,W], the filter a param), conv2d_grad_input and
// conv2d_grad_filter (the gradient an input of the output's shape), built
// with the IR builder and compiled by the same JIT as a model, B = N at run
// time. Workloads "forward", "backward_data", "backward_weights", each at
// 2*N*F*OH*OW*C*KH*KW FLOP; bench/dnnl_conv.c times oneDNN on the same
// shapes.
#include "bench.h"

#include "codegen/jit_compiler.h"
#include "ir/builder.h"
#include "ir/shape_rules.h"

#include <random>
#include <stdexcept>

namespace nnc::bench {

namespace {

struct ConvPass {
  codegen::KernelSignature sig;
  codegen::KernelFn fn = nullptr;
  std::vector<std::vector<float>> buffers;
  std::vector<void *> pointers;
  std::vector<double> workspace;
};

struct ConvState {
  explicit ConvState(int threads) : jit(threads) {}
  codegen::JitCompiler jit;
  ConvPass passes[3];
  int64_t n = 0;
};

} // namespace

std::unique_ptr<Bench> compileConv(const Options &opts) {
  const auto &v = opts.conv;
  if (v.size() != 8 || v[0] < 1 || v[1] < 1 || v[2] < 1 || v[3] < 1 || v[4] < 1 || v[5] < 1 || v[6] < 1 || v[7] < 0)
    throw std::runtime_error("--conv takes N,C,H,W,F,KH,KW,PAD (positive; PAD >= 0)");
  const int64_t N = v[0], C = v[1], H = v[2], W = v[3], F = v[4], KH = v[5], KW = v[6], PAD = v[7];
  ir::Window2D win;
  win.top = win.left = win.bottom = win.right = PAD;
  ir::TensorType xt{ir::DType::F32, ir::Shape{ir::kBatch, C, H, W}};
  ir::TensorType wt{ir::DType::F32, ir::Shape{F, C, KH, KW}};
  ir::TypeOrError yt = ir::conv2dType(xt, wt, win);
  if (!yt.ok())
    throw std::runtime_error("--conv: " + yt.error);
  auto st = std::make_shared<ConvState>(opts.threads);
  auto out = std::make_unique<Bench>();
  out->keepAlive.push_back(st);
  st->n = N;

  double t0 = now();
  const char *names[3] = {"forward", "backward_data", "backward_weights"};
  for (int p = 0; p < 3; ++p) {
    ir::Graph g(names[p]);
    ir::Builder b(g);
    ir::Node *y = nullptr;
    if (p == 0)
      y = b.conv2d(b.input("x", xt), b.input("w", wt), win);
    else if (p == 1)
      y = b.conv2dGradInput(b.input("g", yt.type), b.input("w", wt), win, xt);
    else
      y = b.conv2dGradFilter(b.input("x", xt), b.input("g", yt.type), win, wt);
    b.output("y", y);
    ConvPass &cp = st->passes[p];
    cp.sig = st->jit.add(g, names[p], N);
  }
  st->jit.compile(opts.optLevel);
  for (ConvPass &cp : st->passes)
    cp.fn = st->jit.lookup(cp.sig.symbol);
  double t1 = now();
  std::mt19937_64 rng(opts.seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int p = 0; p < 3; ++p) {
    ConvPass &cp = st->passes[p];
    for (const codegen::Binding &bd : cp.sig.bindings) {
      cp.buffers.emplace_back(bd.type.shape.numElements(N));
      for (float &e : cp.buffers.back())
        e = u(rng);
    }
    for (auto &buf : cp.buffers)
      cp.pointers.push_back(buf.data());
    cp.workspace.assign(cp.sig.workspaceBytes / 8 + 8, 0.0);
  }

  nlohmann::ordered_json &r = out->report;
  r["tool"] = "nnc-bench";
  r["mode"] = "conv";
  r["shape"] = {{"n", N}, {"c", C}, {"h", H}, {"w", W}, {"f", F}, {"kh", KH}, {"kw", KW}, {"pad", PAD}};
  r["threads_requested"] = opts.threads;
  r["opt_level"] = opts.optLevel;
  r["compile_ms"] = {{"total", (t1 - t0) * 1e3}};
  const auto &o = yt.type.shape.dims;
  double flop = 2.0 * N * F * o[2] * o[3] * C * KH * KW;
  for (int p = 0; p < 3; ++p) {
    ConvPass *cp = &st->passes[p];
    int64_t n = N;
    auto run = [cp, n](int64_t iters) {
      for (int64_t i = 0; i < iters; ++i)
        cp->fn(cp->pointers.data(), n, cp->workspace.data());
    };
    out->workloads.push_back({names[p], run, 0, flop, (double)N});
  }
  return out;
}

} // namespace nnc::bench

// --gemm M,K,N: a graph with one matmul, y = x @ W with the input x: f32[B,K]
// (B = M at run time, as in a model's layers) and the param W: f32[K,N],
// built with the IR builder and compiled by the same JIT as a model. Times
// the kernel alone and checks sampled entries against a double product
// (result_ok: within the worst-case error bound of a float dot product).
#include "bench.h"

#include "codegen/jit_compiler.h"
#include "ir/builder.h"
#include "ir/pass_manager.h"
#include "ir/verifier.h"
#include "runtime/kernel_runner.h"
#include "runtime/param_store.h"

#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>

namespace nnc::bench {

using codegen::Binding;

namespace {

struct GemmState {
  std::unique_ptr<ir::Graph> graph = std::make_unique<ir::Graph>("gemm");
  explicit GemmState(int threads) : jit(threads) {}
  codegen::JitCompiler jit;
  runtime::ParamStore store;
  std::optional<runtime::KernelRunner> kernel;
  std::vector<float> x, y;
  int64_t m = 0;
};

} // namespace

std::unique_ptr<Bench> compileGemm(const Options &opts) {
  if (opts.gemm.size() != 3 || opts.gemm[0] < 1 || opts.gemm[1] < 1 || opts.gemm[2] < 1)
    throw std::runtime_error("--gemm takes M,K,N (three positive integers)");
  const int64_t M = opts.gemm[0], K = opts.gemm[1], N = opts.gemm[2];
  auto st = std::make_shared<GemmState>(opts.threads);
  auto out = std::make_unique<Bench>();
  out->keepAlive.push_back(st);
  st->m = M;

  double t0 = now();
  ir::Builder b(*st->graph);
  ir::Node *x = b.input("x", ir::TensorType{ir::DType::F32, ir::Shape{ir::kBatch, K}});
  ir::Initializer init;
  init.kind = ir::Initializer::Uniform;
  init.a = -1;
  init.b = 1;
  ir::Node *w = b.param("W", ir::TensorType{ir::DType::F32, ir::Shape{K, N}}, init);
  b.output("y", b.matmul(x, w));
  std::string broken = ir::verifyGraph(*st->graph);
  if (!broken.empty())
    throw std::logic_error("IR verifier, graph @gemm: " + broken);
  std::unique_ptr<ir::Graph> built = st->graph->clone(); // params as built
  ir::PassManager pm; // the graph pipeline of -O<n>, as nnc runs it
  std::string failure = pm.run(ir::optimizationPipeline(opts.optLevel), st->graph);
  if (!failure.empty())
    throw std::logic_error(failure);
  codegen::KernelSignature sig = st->jit.add(*st->graph, "gemm", M);
  st->jit.compile(opts.optLevel);
  codegen::KernelFn fn = st->jit.lookup(sig.symbol);
  double t1 = now();

  st->store.initialize(*built, opts.seed);
  std::mt19937_64 rng(opts.seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  st->x.resize(M * K);
  for (float &v : st->x)
    v = u(rng);
  st->y.assign(M * N, 0.f);
  st->kernel.emplace(sig, fn, st->store);
  st->kernel->bind(Binding::Input, "x", st->x.data());
  st->kernel->bind(Binding::Output, "y", st->y.data());

  nlohmann::ordered_json &r = out->report;
  r["tool"] = "nnc-bench";
  r["mode"] = "gemm";
  r["m"] = M;
  r["k"] = K;
  r["n"] = N;
  r["threads_requested"] = opts.threads;
  r["threads_used"] = opts.threads;
  r["opt_level"] = opts.optLevel;
  r["compile_ms"] = {{"total", (t1 - t0) * 1e3}};
  r["workspace_bytes"] = sig.workspaceBytes;

  GemmState *s = st.get();
  auto run = [s](int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      s->kernel->run(s->m);
  };
  out->workloads.push_back({"gemm", run, 0, 2.0 * (double)M * (double)K * (double)N, 0});

  // Sampled entries against a double-precision product, relative to
  // sum |x||W| (the error bound of a float dot product scales with it).
  out->finish = [s, K, N](nlohmann::ordered_json &rep) {
    const float *W = s->store.at("W").f32();
    std::mt19937_64 pick(7);
    double worst = 0;
    for (int t = 0; t < 256; ++t) {
      int64_t i = (int64_t)(pick() % (uint64_t)s->m), j = (int64_t)(pick() % (uint64_t)N);
      double ref = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) {
        ref += (double)s->x[i * K + k] * (double)W[k * N + j];
        scale += std::fabs((double)s->x[i * K + k] * (double)W[k * N + j]);
      }
      worst = std::max(worst, std::fabs((double)s->y[i * N + j] - ref) / std::max(scale, 1e-30));
    }
    // The classic bound of a float dot product of length K: |error| <= K u sum |x||W|
    // (Higham, Accuracy and Stability of Numerical Algorithms, 3.1), u = 2^-24.
    double bound = (double)K * std::ldexp(1.0, -24);
    rep["max_rel_error"] = worst;
    rep["error_bound"] = bound;
    rep["result_ok"] = worst <= bound;
  };
  return out;
}

} // namespace nnc::bench

// A model file compiled as `nnc --train` compiles its training step (graph
// passes of -O<n>, then LLVM at the same level), run on
// synthetic batches: normal(0, 1) features, uniform class ids or normal(0, 1)
// regression targets, 32 distinct batches visited in turn (like the peers).
#include "bench.h"

#include "codegen/jit_compiler.h"
#include "frontend/model.h"
#include "ir/inference_graph.h"
#include "ir/pass_manager.h"
#include "ir/training_graph.h"
#include "ir/verifier.h"
#include "runtime/kernel_runner.h"
#include "runtime/param_store.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

namespace nnc::bench {

using codegen::Binding;

namespace {

constexpr int kBatches = 32;

void verify(const ir::Graph &g) {
  std::string broken = ir::verifyGraph(g);
  if (!broken.empty())
    throw std::logic_error("IR verifier, graph @" + g.name() + ": " + broken);
}

/// The graph pipeline of -O<level>, as nnc runs it on every graph it compiles.
void optimize(ir::PassManager &pm, int level, std::unique_ptr<ir::Graph> &g) {
  std::string failure = pm.run(ir::optimizationPipeline(level), g);
  if (!failure.empty())
    throw std::logic_error(failure);
}

int64_t bound(int64_t d, int64_t batch) { return d == ir::kBatch ? batch : d; }

/// 2*M*K*N of every matmul of `g` with B bound to `batch`.
double matmulFlop(const ir::Graph &g, int64_t batch) {
  double flop = 0;
  for (ir::Node *n : g.nodesOfKind(ir::OpKind::MatMul)) {
    const ir::Shape &a = n->operand(0)->shape();
    flop += 2.0 * (double)n->shape().numElements(batch) * (double)bound(a.dims.back(), batch);
  }
  return flop;
}

/// The convolutions of `g` (conv2d and its two gradients) with B bound to
/// `batch`: the op, its window's input x[B,C,H,W], filter w[F,C,KH,KW] and
/// output y[B,F,OH,OW] (for a gradient, the x, w and y of the convolution it
/// differentiates), and the zero padding (top, left, bottom, right). The
/// harness reads from it which passes of each convolution a step computes.
nlohmann::ordered_json convShapes(const ir::Graph &g, int64_t batch) {
  auto dims = [batch](const ir::Shape &s) {
    nlohmann::ordered_json d = nlohmann::ordered_json::array();
    for (int64_t v : s.dims)
      d.push_back(bound(v, batch));
    return d;
  };
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto &n : g.nodes()) {
    const ir::Shape *x = nullptr, *w = nullptr, *y = nullptr;
    const char *pass = nullptr;
    if (n->kind == ir::OpKind::Conv2D) { // (x, w) -> y
      x = &n->operand(0)->shape(), w = &n->operand(1)->shape(), y = &n->shape();
      pass = "forward";
    } else if (n->kind == ir::OpKind::Conv2DGradInput) { // (g, w) -> x
      x = &n->shape(), w = &n->operand(1)->shape(), y = &n->operand(0)->shape();
      pass = "backward_data";
    } else if (n->kind == ir::OpKind::Conv2DGradFilter) { // (x, g) -> w
      x = &n->operand(0)->shape(), w = &n->shape(), y = &n->operand(1)->shape();
      pass = "backward_weights";
    } else {
      continue;
    }
    const ir::Window2D &v = n->win;
    list.push_back({{"pass", pass},
                    {"x", dims(*x)},
                    {"w", dims(*w)},
                    {"y", dims(*y)},
                    {"stride", {v.sh, v.sw}},
                    {"pad", {v.top, v.left, v.bottom, v.right}}});
  }
  return list;
}

/// The GEMMs of `g` as a BLAS would be called for them: C[M,N] = op(A) op(B),
/// where an operand that is a `transpose` node is read transposed in place.
nlohmann::ordered_json gemmShapes(const ir::Graph &g, int64_t batch) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (ir::Node *n : g.nodesOfKind(ir::OpKind::MatMul)) {
    const ir::Node *a = n->operand(0), *b = n->operand(1);
    if (a->shape().rank() != 2 || b->shape().rank() != 2)
      continue;
    list.push_back({{"m", bound(a->shape().dims[0], batch)},
                    {"k", bound(a->shape().dims[1], batch)},
                    {"n", bound(b->shape().dims[1], batch)},
                    {"ta", a->kind == ir::OpKind::Transpose},
                    {"tb", b->kind == ir::OpKind::Transpose}});
  }
  return list;
}

struct ModelState {
  std::unique_ptr<frontend::Model> model;
  std::unique_ptr<ir::Graph> trainGraph, builtTrainGraph, predictGraph;
  explicit ModelState(int threads) : stepJit(threads), inferJit(threads) {}
  codegen::JitCompiler stepJit, inferJit;
  runtime::ParamStore store;
  std::optional<runtime::KernelRunner> step, infer;
  int64_t batch = 0;
  std::vector<std::vector<float>> features, targets, predictions;
  std::vector<std::vector<int32_t>> labels;
  float loss = 0;
  int64_t trainCursor = 0, inferCursor = 0;
};

double ms(double seconds) { return seconds * 1e3; }

} // namespace

std::unique_ptr<Bench> compileModel(const Options &opts) {
  auto st = std::make_shared<ModelState>(opts.threads);
  auto out = std::make_unique<Bench>();
  out->keepAlive.push_back(st);
  nlohmann::ordered_json &r = out->report;

  // (a) compile time: source file -> JIT-compiled training step, phase by phase.
  // LLVM's optimization and machine code fall into jit_compile or jit_lookup,
  // depending on how much codegen::JitCompiler defers to lookup.
  double t0 = now();
  frontend::DiagnosticEngine diags;
  st->model = frontend::compileModelFile(opts.modelPath, diags);
  if (!st->model) {
    std::ostringstream os;
    diags.print(os);
    throw std::runtime_error(os.str());
  }
  frontend::Model &m = *st->model;
  if (opts.batch > 0)
    m.train.batchSize = opts.batch;
  st->batch = m.train.batchSize;
  verify(*m.forward);
  double t1 = now();
  st->trainGraph = ir::buildTrainingGraph(*m.forward, m.train.optimizer);
  verify(*st->trainGraph);
  double t2 = now();
  // Parameters are initialized from the graph as built (nnc's order of random streams).
  st->builtTrainGraph = st->trainGraph->clone();
  ir::PassManager pm;
  optimize(pm, opts.optLevel, st->trainGraph);
  double t3 = now();
  codegen::KernelSignature stepSig =
      st->stepJit.add(*st->trainGraph, m.name + "_train_step", st->batch);
  double t4 = now();
  st->stepJit.compile(opts.optLevel);
  double t5 = now();
  codegen::KernelFn stepFn = st->stepJit.lookup(stepSig.symbol);
  double t6 = now();

  const int64_t B = st->batch;
  const ir::Node *x = m.forward->findNamed(ir::OpKind::Input, m.featureInput);
  const ir::Node *y = m.forward->findNamed(ir::OpKind::Input, m.targetInput);
  if (!x || !y)
    throw std::runtime_error("the model has no feature or target input");
  int64_t width = x->shape().numElements(1), targetWidth = y->shape().numElements(1);
  double fwd = matmulFlop(*m.forward, B);

  r["tool"] = "nnc-bench";
  r["mode"] = "model";
  r["model"] = m.name;
  r["file"] = opts.modelPath;
  r["batch"] = B;
  r["threads_requested"] = opts.threads;
  r["threads_used"] = opts.threads;
  r["features"] = width;
  if (m.classification)
    r["classes"] = m.numClasses;
  else
    r["target_width"] = targetWidth;
  r["optimizer"] = m.train.optimizer.kind;
  r["lr"] = m.train.optimizer.lr;
  // The peers' FLOP model: 2*B*weights forward, twice that backward.
  r["flop_train_step"] = 3 * fwd;
  r["flop_infer"] = fwd;
  r["flop_step_gemms"] = matmulFlop(*st->trainGraph, B);
  r["gemms"] = gemmShapes(*st->trainGraph, B);
  r["convs"] = convShapes(*st->trainGraph, B);
  r["workspace_bytes"] = stepSig.workspaceBytes;
  r["opt_level"] = opts.optLevel;
  r["compile_ms"] = {{"front_end", ms(t1 - t0)},
                     {"training_graph", ms(t2 - t1)},
                     {"graph_passes", ms(t3 - t2)},
                     {"lowering", ms(t4 - t3)},
                     {"jit_compile", ms(t5 - t4)}, // JitCompiler::compile
                     {"jit_lookup", ms(t6 - t5)},  // lookup: what the JIT does lazily
                     {"total", ms(t6 - t0)}};

  // Parameters and optimizer state as nnc's Session makes them.
  st->store.initialize(*m.forward, m.train.seed);
  st->store.initialize(*st->builtTrainGraph, m.train.seed);
  int64_t params = 0;
  for (auto &[name, buf] : st->store.buffers())
    if (!buf.optimizerState)
      params += buf.numElements();
  r["params"] = params;

  // Synthetic batches.
  std::mt19937_64 rng(opts.seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_int_distribution<int32_t> cls(0, (int32_t)std::max<int64_t>(m.numClasses, 1) - 1);
  for (int j = 0; j < kBatches; ++j) {
    std::vector<float> f(B * width);
    for (float &v : f)
      v = normal(rng);
    st->features.push_back(std::move(f));
    if (m.classification) {
      std::vector<int32_t> l(B);
      for (int32_t &v : l)
        v = cls(rng);
      st->labels.push_back(std::move(l));
    } else {
      std::vector<float> t(B * targetWidth);
      for (float &v : t)
        v = normal(rng);
      st->targets.push_back(std::move(t));
    }
  }

  st->step.emplace(stepSig, stepFn, st->store);
  st->step->bind(Binding::Output, "loss", &st->loss);
  ModelState *s = st.get();
  std::string feat = m.featureInput, target = m.targetInput;
  bool classification = m.classification;
  // What runtime::Trainer does per batch, minus the Batcher's row gather.
  auto train = [s, feat, target, classification](int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      int j = (int)(s->trainCursor++ % kBatches);
      void *t = classification ? (void *)s->labels[j].data() : (void *)s->targets[j].data();
      s->step->bind(Binding::Input, feat, s->features[j].data());
      s->step->bind(Binding::Input, target, t);
      s->step->run(s->batch);
    }
  };
  out->workloads.push_back({"train", train, 0, 3 * fwd, (double)B});
  if (opts.lastBatch > 0) {
    // An epoch's last, partial batch: the same kernel on fewer rows, as
    // runtime::Trainer runs it (the first lastBatch rows of each batch).
    if (opts.lastBatch > B)
      throw std::runtime_error(
          fmt::format("--last-batch {} is larger than the batch {}", opts.lastBatch, B));
    int64_t L = opts.lastBatch;
    auto last = [s, feat, target, classification, L](int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int j = (int)(s->trainCursor++ % kBatches);
        void *t = classification ? (void *)s->labels[j].data() : (void *)s->targets[j].data();
        s->step->bind(Binding::Input, feat, s->features[j].data());
        s->step->bind(Binding::Input, target, t);
        s->step->run(L);
      }
    };
    out->workloads.push_back(
        {"train_last", last, 0, 3 * fwd * (double)L / (double)B, (double)L});
    r["last_batch"] = L;
  }

  if (!opts.noInfer && !opts.compileOnly) {
    // Inference: the forward pass to "prediction" (no loss, no softmax head),
    // as the peers time net(x).
    double i0 = now();
    st->predictGraph = ir::buildPredictionGraph(*m.forward, ir::ProbabilityHead::None);
    verify(*st->predictGraph);
    optimize(pm, opts.optLevel, st->predictGraph);
    codegen::KernelSignature sig = st->inferJit.add(*st->predictGraph, m.name + "_predict", B);
    st->inferJit.compile(opts.optLevel);
    codegen::KernelFn fn = st->inferJit.lookup(sig.symbol);
    r["compile_infer_ms"] = ms(now() - i0);
    st->infer.emplace(sig, fn, st->store);
    int pi = sig.find(Binding::Output, "prediction");
    int64_t pw = pi >= 0 ? sig.bindings[pi].type.shape.numElements(1) : 1;
    st->predictions.assign(1, std::vector<float>(B * pw));
    st->infer->bind(Binding::Output, "prediction", st->predictions[0].data());
    auto infer = [s, feat](int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int j = (int)(s->inferCursor++ % kBatches);
        s->infer->bind(Binding::Input, feat, s->features[j].data());
        s->infer->run(s->batch);
      }
    };
    out->workloads.push_back({"infer", infer, 0, fwd, (double)B});
  }
  out->finish = [s](nlohmann::ordered_json &rep) {
    rep["loss_last_step"] = s->loss;
    rep["loss_finite"] = std::isfinite(s->loss);
  };
  return out;
}

} // namespace nnc::bench

// nnc: the compiler driver. The pipeline, top to bottom:
//   model.nn -> front end (parse, check, lower to the forward graph IR)
//            -> training graph (autodiff + optimizer update), inference graph
//            -> graph passes of -O<n> (ir/pass_manager.h: simplify, fold, CSE, fuse)
//            -> LLVM IR -> LLVM's O<n> for the host CPU -> ORC JIT
//            -> training loop on the CSV data
//   or, with --emit=obj|asm, prediction graph + weights -> model.o + model.h
#include "codegen/jit_compiler.h"
#include "codegen/object_emitter.h"
#include "emit_object_command.h"
#include "fold_baked_weights.h"
#include "frontend/model.h"
#include "ir/autodiff.h"
#include "ir/inference_graph.h"
#include "ir/pass_manager.h"
#include "ir/printer.h"
#include "ir/training_graph.h"
#include "ir/verifier.h"
#include "memory_budget.h"
#include "options.h"
#include "runtime/data_error.h"
#include "runtime/trainer.h"
#include "session.h"
#include "support/output_files.h"
#include "train_command.h"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <future>
#include <iostream>
#include <optional>

using namespace nnc;

namespace {

void applyOverrides(frontend::Model &m, const cli::Options &o) {
  if (o.epochs)
    m.train.epochs = *o.epochs;
  if (o.batchSize)
    m.train.batchSize = *o.batchSize;
  if (o.lr)
    m.train.optimizer.lr = *o.lr;
  if (o.seed)
    m.train.seed = *o.seed;
}

/// Every graph is verified where it is made (cheap next to compiling it);
/// a broken invariant is a compiler bug, reported as an internal error.
const ir::Graph &verified(const ir::Graph &g) {
  std::string broken = ir::verifyGraph(g);
  if (!broken.empty())
    throw std::logic_error("IR verifier, graph @" + g.name() + ": " + broken);
  return g;
}

/// --time-passes: wall time of each compilation phase, printed at the end.
class PhaseTimer {
public:
  explicit PhaseTimer(bool on) : on_(on) {}
  /// Ends the current phase under `name` and starts the next.
  void lap(const std::string &name) {
    auto now = std::chrono::steady_clock::now();
    phases_.emplace_back(name, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  void print(const ir::PassManager &pm) const {
    if (!on_)
      return;
    std::cerr << pm.timeReport() << "===--- compile time, source to JIT'd kernels ---===\n";
    double total = 0;
    for (auto &[name, s] : phases_) {
      std::cerr << fmt::format("{:>10.3f} ms  {}\n", s * 1e3, name);
      total += s;
    }
    std::cerr << fmt::format("{:>10.3f} ms  total\n", total * 1e3);
  }

private:
  bool on_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, double>> phases_;
};

/// Refuses the run's outputs that cannot be written before the work that
/// makes them (support/output_files.h); they are written at the end. No
/// output may replace an input or another output of the run (--save over
/// --weights is allowed: training on from a file and saving it back).
void checkOutputs(const frontend::Model &m, const cli::Options &opts) {
  std::vector<std::pair<std::string, std::string>> outputs; // option, path
  if (!opts.saveWeights.empty())
    outputs.emplace_back("--save", opts.saveWeights);
  if (!opts.predictCsv.empty() && !opts.predictOut.empty())
    outputs.emplace_back("-o", opts.predictOut);
  if (opts.emit == "obj" || opts.emit == "asm") {
    cli::AotOutputs out = cli::aotOutputs(m, opts);
    outputs.emplace_back("-o", out.object);
    outputs.emplace_back("the C header of -o", out.header);
  }
  const std::pair<const char *, const std::string *> inputs[] = {
      {"the model file", &opts.modelPath},
      {"the --train data", &opts.trainCsv},
      {"the --test data", &opts.testCsv},
      {"the --eval data", &opts.evalCsv},
      {"the --predict data", &opts.predictCsv},
      {"the --weights file", &opts.loadWeights},
      {"the --init-weights file", &opts.initWeights}};
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto &[option, path] = outputs[i];
    support::checkWritable(path);
    for (size_t j = 0; j < i; ++j)
      if (support::sameFile(path, outputs[j].second))
        throw support::OutputError(
            fmt::format("{}: error: cannot write: {} and {} name the same file", path,
                        outputs[j].first, option));
    for (const auto &[input, inPath] : inputs)
      if (!(option == "--save" && (inPath == &opts.loadWeights || inPath == &opts.initWeights)) &&
          support::sameFile(path, *inPath))
        throw support::OutputError(fmt::format(
            "{}: error: cannot write: {} names {}, which it would overwrite", path, option, input));
  }
}

/// Runs the graph pipeline of -O<n> on `g`; a failing pass is a compiler bug.
void optimize(ir::PassManager &pm, const cli::Options &opts, std::unique_ptr<ir::Graph> &g) {
  std::string failure = pm.run(ir::optimizationPipeline(opts.optLevel), g);
  if (!failure.empty())
    throw std::logic_error(failure);
}

int run(const cli::Options &opts) {
  PhaseTimer timer(opts.timePasses);
  ir::PassInstruments inst;
  inst.printBefore = {opts.printBefore.begin(), opts.printBefore.end()};
  inst.printAfter = {opts.printAfter.begin(), opts.printAfter.end()};
  inst.printAfterAll = opts.printAfterAll;
  inst.timePasses = opts.timePasses;
  ir::PassManager pm(inst);

  // 1. Front end.
  frontend::DiagnosticEngine diags;
  std::unique_ptr<frontend::Model> model = frontend::compileModelFile(opts.modelPath, diags);
  if (!model) {
    diags.print(std::cerr);
    return 1;
  }
  applyOverrides(*model, opts);
  checkOutputs(*model, opts);
  if (opts.emit == "ir") {
    std::cout << ir::printGraph(verified(*model->forward));
    return 0;
  }

  // 2. Training graph: forward + backward + optimizer update.
  std::unique_ptr<ir::Graph> trainGraph;
  try {
    trainGraph = ir::buildTrainingGraph(*model->forward, model->train.optimizer);
  } catch (const ir::NoGradientError &e) {
    diags.error(e.loc, fmt::format("cannot train this model: {}", e.what()));
    diags.print(std::cerr);
    return 1;
  }
  verified(*trainGraph);
  timer.lap("front end and autodiff");
  // Parameters and optimizer state are initialized from the graph as built,
  // before passes touch it (their order fixes each one's random stream).
  std::unique_ptr<ir::Graph> builtTrainGraph = trainGraph->clone();
  optimize(pm, opts, trainGraph);
  if (opts.emit == "ir-train") {
    if (opts.stats)
      std::cerr << pm.context().stats.str();
    timer.lap("graph passes");
    timer.print(pm);
    std::cout << ir::printGraph(*trainGraph);
    return 0;
  }

  // 3. Code generation: a kernel for the training step, one for evaluation
  //    (loss and metrics) and one for prediction, each only when needed.
  bool training = !opts.trainCsv.empty();
  bool evaluating = training || !opts.evalCsv.empty();
  bool predicting = !opts.predictCsv.empty();
  if (!training && !evaluating && !predicting && opts.emit.empty()) {
    std::cerr << "nnc: error: nothing to do: pass --train data.csv, or --emit=ir|ir-train|llvm\n";
    return 1;
  }
  // --predict and the object file deliver the prediction: a model whose loss
  // is an expression of its own has one only if it declares an output.
  if ((predicting || opts.emit == "obj" || opts.emit == "asm") &&
      !model->forward->findNamed(ir::OpKind::Output, "prediction")) {
    std::cerr << fmt::format("{}: error: {} writes the model's prediction, but model '{}' has "
                             "none: its loss is an expression and it declares no output; "
                             "declare one, as in 'output pred = ...'\n",
                             model->file, predicting ? "--predict" : "--emit=" + opts.emit,
                             model->name);
    return 1;
  }
  // Class scores are logits (cross_entropy takes logits), and so is a single
  // output trained with binary_cross_entropy_with_logits.
  ir::ProbabilityHead head = model->classification       ? ir::ProbabilityHead::Softmax
                             : model->predictionIsLogits ? ir::ProbabilityHead::Sigmoid
                                                         : ir::ProbabilityHead::None;
  std::unique_ptr<ir::Graph> inference = ir::buildInferenceGraph(verified(*model->forward));
  std::unique_ptr<ir::Graph> prediction = ir::buildPredictionGraph(*model->forward, head);
  verified(*inference);
  verified(*prediction);
  // --predict / --eval with --weights and no training: the weights are fixed,
  // so both graphs are folded with them as the object file's graph is
  // (fold_baked_weights.h; batch norm into its convolution), and --predict
  // computes exactly what `--emit=obj` computes. The parameters are loaded
  // now, before the memory budget's check (they are needed to fold).
  std::optional<cli::Session> session;
  if (opts.emit.empty() && !training && !opts.loadWeights.empty() && opts.optLevel > 0) {
    session.emplace(*model, std::vector<const ir::Graph *>{builtTrainGraph.get()}, opts);
    cli::bakeWeights(inference, session->store, pm);
    cli::bakeWeights(prediction, session->store, pm);
  }
  if (opts.emit != "obj" && opts.emit != "asm") {
    optimize(pm, opts, inference);
    optimize(pm, opts, prediction);
    timer.lap("graph passes");
  }
  if (opts.emit == "obj" || opts.emit == "asm") { // ahead of time, instead of the JIT
    if (!cli::checkMemoryBudget({model->forward.get(), builtTrainGraph.get()}, 0, 1, 1,
                                cli::physicalMemoryBytes(), diags)) {
      diags.print(std::cerr);
      return 1;
    }
    cli::runEmitObject(*model, {builtTrainGraph.get()}, std::move(prediction), pm, opts);
    timer.lap("graph passes and LLVM code generation");
    timer.print(pm);
    return 0;
  }
  codegen::JitCompiler jit(opts.threads, opts.emit == "llvm" ? 1 : 0);
  int64_t batch = model->train.batchSize, chunk = std::max<int64_t>(batch, 256);
  std::optional<codegen::KernelSignature> stepSig, evalSig, predictSig;
  if (training || opts.emit == "llvm")
    stepSig = jit.add(*trainGraph, model->name + "_train_step", batch);
  if (evaluating || opts.emit == "llvm")
    evalSig = jit.add(*inference, model->name + "_evaluate", chunk);
  if (predicting || opts.emit == "llvm")
    predictSig = jit.add(*prediction, model->name + "_predict", chunk);
  for (auto *sig : {&stepSig, &evalSig, &predictSig})
    if (*sig) { // peak memory of each kernel call (codegen/buffer_plan.h)
      pm.context().stats.add("memory", "workspace bytes, all kernels", (*sig)->workspaceBytes);
      pm.context().stats.add("memory", "workspace bytes without reuse of dead intermediates",
                             (*sig)->workspaceBytesWithoutReuse);
    }
  if (stepSig) {
    pm.context().stats.add("memory", "workspace bytes, training step", stepSig->workspaceBytes);
    pm.context().stats.add("memory", "assigns (parameter and state updates)", stepSig->assigns);
    pm.context().stats.add("memory", "assigns done in place (no copy)", stepSig->assignsInPlace);
  }
  if (opts.emit.empty()) { // a run: parameters, optimizer state and workspaces, before allocating
    double workspaces = 0;
    int64_t rows = 0;
    for (auto *sig : {&stepSig, &evalSig, &predictSig})
      if (*sig) {
        workspaces += (double)(*sig)->workspaceBytes;
        rows = std::max(rows, (*sig)->maxBatch);
      }
    if (!cli::checkMemoryBudget({model->forward.get(), builtTrainGraph.get()}, workspaces, rows,
                                batch, cli::physicalMemoryBytes(), diags)) {
      diags.print(std::cerr);
      return 1;
    }
  }
  timer.lap("lowering to LLVM IR");
  jit.compile(opts.optLevel, opts.emit == "llvm");
  if (opts.stats)
    std::cerr << pm.context().stats.str() << codegen::gemmChoiceReport({});
  if (opts.emit == "llvm") {
    timer.lap("LLVM optimization");
    timer.print(pm);
    std::cout << jit.llvmText();
    return 0;
  }

  // 4. Run: train, evaluate, predict. A training run waits for the training
  // step only (its modules compile on both compile threads); the evaluation
  // and prediction kernels compile in the background meanwhile, and their
  // first call waits for them.
  std::vector<std::string> later;
  for (auto *sig : {&evalSig, &predictSig})
    if (*sig)
      later.push_back((*sig)->symbol);
  std::optional<codegen::KernelFn> stepFn;
  if (stepSig)
    stepFn = jit.lookup(stepSig->symbol);
  std::shared_future<std::vector<codegen::KernelFn>> laterFns =
      std::async(std::launch::async, [&jit, later] { return jit.lookupAll(later); }).share();
  if (!stepSig)
    laterFns.wait();
  auto fnOf = [laterFns, later](const std::string &symbol) {
    return [laterFns, later, symbol] {
      return laterFns.get()[std::find(later.begin(), later.end(), symbol) - later.begin()];
    };
  };
  if (!session)
    session.emplace(*model, std::vector<const ir::Graph *>{builtTrainGraph.get()}, opts);
  std::optional<runtime::KernelRunner> step, eval, predict;
  if (stepSig)
    step.emplace(*stepSig, *stepFn, session->store);
  if (evalSig)
    eval.emplace(*evalSig, fnOf(evalSig->symbol), session->store);
  if (predictSig)
    predict.emplace(*predictSig, fnOf(predictSig->symbol), session->store);
  timer.lap(stepSig ? "LLVM optimization and machine code of the training step (JIT, parallel)"
                    : "LLVM optimization and machine code (JIT, parallel)");
  timer.print(pm);
  cli::Kernels kernels{step ? &*step : nullptr, eval ? &*eval : nullptr,
                       predict ? &*predict : nullptr};
  if (training)
    cli::runTraining(*session, opts, kernels);
  if (!opts.evalCsv.empty())
    cli::runEvaluation(*session, opts, kernels);
  if (predicting)
    cli::runPrediction(*session, opts, kernels);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  cli::Options opts = cli::parseOptions(argc, argv);
  try {
    return run(opts);
  } catch (const runtime::DataError &e) {
    std::cerr << e.what() << "\n";
  } catch (const support::OutputError &e) {
    std::cerr << e.what() << "\n";
  } catch (const runtime::DivergedError &e) {
    std::cerr << "nnc: error: " << e.what() << "\n";
  } catch (const std::bad_alloc &) {
    std::cerr << "nnc: error: out of memory; lower batch_size or the model's size\n";
  } catch (const std::logic_error &e) {
    std::cerr << "nnc: internal error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "nnc: error: " << e.what() << "\n";
  }
  return 1;
}

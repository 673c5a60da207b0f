#include "train_command.h"

#include "runtime/dataset.h"
#include "runtime/standardizer.h"
#include "runtime/trainer.h"

#include <fmt/format.h>
#include <iostream>

namespace nnc::cli {

namespace {

runtime::DatasetSpec datasetSpec(const frontend::Model &m) {
  runtime::DatasetSpec spec;
  spec.featureColumns = m.data.features;
  spec.labelColumn = m.data.label;
  spec.classification = m.classification;
  const ir::Node *x = m.forward->findNamed(ir::OpKind::Input, m.featureInput);
  spec.expectedFeatures = x->shape().numElements(1);
  spec.inputName = m.featureInput;
  return spec;
}

void checkClassCount(const frontend::Model &m, const runtime::Dataset &d, const std::string &path) {
  if (!m.classification || (int64_t)d.classNames.size() == m.numClasses)
    return;
  std::string names;
  for (size_t i = 0; i < d.classNames.size() && i < 6; ++i)
    names += (i ? ", " : "") + d.classNames[i];
  if (d.classNames.size() > 6)
    names += ", ...";
  throw runtime::DataError(fmt::format("{}: error: the model's label {} has {} classes but the "
                                       "label column has {} distinct values ({})",
                                       path, m.targetInput, m.numClasses, d.classNames.size(), names));
}

} // namespace

int runTraining(const frontend::Model &model, const ir::Graph &trainGraph, const Options &opts,
                codegen::JitCompiler &jit,
                const codegen::KernelSignature &step, const codegen::KernelSignature &eval) {
  runtime::DatasetSpec spec = datasetSpec(model);
  runtime::Dataset train = runtime::loadDataset(opts.trainCsv, spec);
  checkClassCount(model, train, opts.trainCsv);
  spec.classNames = train.classNames;
  std::optional<runtime::Dataset> test;
  if (!opts.testCsv.empty())
    test = runtime::loadDataset(opts.testCsv, spec);

  std::optional<runtime::Dataset> validation;
  if (model.train.validation > 0) {
    auto [fit, held] = runtime::splitHoldout(train, model.train.validation, model.train.seed);
    train = std::move(fit);
    validation = std::move(held);
  }
  if (model.data.standardize) {
    runtime::Standardizer s = runtime::Standardizer::fit(train);
    s.apply(train);
    if (validation)
      s.apply(*validation);
    if (test)
      s.apply(*test);
  }

  runtime::ParamStore store;
  store.initialize(*model.forward, model.train.seed);
  store.initialize(trainGraph, model.train.seed); // adds the optimizer state
  runtime::KernelRunner stepRunner(step, jit.lookup(step.symbol), store);
  runtime::KernelRunner evalRunner(eval, jit.lookup(eval.symbol), store);

  runtime::TrainerConfig cfg;
  cfg.featureInput = model.featureInput;
  cfg.targetInput = model.targetInput;
  cfg.classification = model.classification;
  cfg.numClasses = model.numClasses;
  cfg.predictionIsLogits = model.predictionIsLogits;
  cfg.epochs = model.train.epochs;
  cfg.batchSize = model.train.batchSize;
  cfg.seed = model.train.seed;
  cfg.shuffle = model.train.shuffle;
  cfg.metrics = model.train.metrics;
  cfg.earlyStoppingPatience = model.train.earlyStoppingPatience;
  cfg.earlyStoppingMonitor = model.train.earlyStoppingMonitor;
  runtime::Trainer trainer(cfg, stepRunner, evalRunner);

  std::cout << fmt::format("training {} on {} ({} rows, {} features{}), {} epochs, batch {}\n",
                           model.name, opts.trainCsv, train.rows, train.numFeatures,
                           model.classification ? fmt::format(", {} classes", model.numClasses) : "",
                           cfg.epochs, cfg.batchSize);
  trainer.fit(train, validation ? &*validation : nullptr, std::cout);
  std::cout << runtime::formatEvaluation(trainer.evaluate(train), "train ") << "\n";
  if (test)
    std::cout << runtime::formatEvaluation(trainer.evaluate(*test), "test ") << "\n";
  return 0;
}

} // namespace nnc::cli

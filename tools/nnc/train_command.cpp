#include "train_command.h"

#include "runtime/trainer.h"

#include <fmt/format.h>
#include <iostream>

namespace nnc::cli {

namespace {

runtime::TrainerConfig trainerConfig(const frontend::Model &m, const Options &opts) {
  runtime::TrainerConfig cfg;
  cfg.featureInput = m.featureInput;
  cfg.targetInput = m.targetInput;
  cfg.classification = m.classification;
  cfg.numClasses = m.numClasses;
  cfg.predictionIsLogits = m.predictionIsLogits;
  cfg.epochs = m.train.epochs;
  cfg.batchSize = m.train.batchSize;
  cfg.seed = m.train.seed;
  cfg.shuffle = m.train.shuffle && !opts.noShuffle;
  cfg.metrics = m.train.metrics;
  cfg.earlyStoppingPatience = m.train.earlyStoppingPatience;
  cfg.earlyStoppingMonitor = m.train.earlyStoppingMonitor;
  cfg.maxSteps = opts.maxSteps;
  cfg.logSteps = opts.logSteps;
  return cfg;
}

} // namespace

void runTraining(Session &s, const Options &opts, Kernels k) {
  const frontend::Model &model = s.model;
  runtime::Dataset train = s.load(opts.trainCsv);
  std::optional<runtime::Dataset> validation;
  if (model.train.validation > 0) {
    auto [fit, held] = runtime::splitHoldout(train, model.train.validation, model.train.seed);
    train = std::move(fit);
    validation = std::move(held);
  }
  s.adoptTrainingData(train); // statistics of the part actually trained on
  std::optional<runtime::Dataset> test;
  if (!opts.testCsv.empty())
    test = s.load(opts.testCsv); // read before training: a bad file fails fast
  s.normalize(train);
  if (validation)
    s.normalize(*validation);
  if (test)
    s.normalize(*test);

  runtime::TrainerConfig cfg = trainerConfig(model, opts);
  cfg.optimizer = model.train.optimizer;
  cfg.targetScale = s.targetNormalization ? &*s.targetNormalization : nullptr;
  if (s.store.contains(ir::kLearningRateState))
    cfg.learningRate = s.store.at(ir::kLearningRateState).f32();
  runtime::Trainer trainer(cfg, k.step, *k.eval);
  std::cout << fmt::format("training {} on {} ({} rows, {} features{}), {} epochs, batch {}\n",
                           model.name, opts.trainCsv, train.rows, train.numFeatures,
                           model.classification ? fmt::format(", {} classes", model.numClasses) : "",
                           cfg.epochs, cfg.batchSize);
  s.epochs += trainer.fit(train, validation ? &*validation : nullptr, std::cout);
  std::cout << runtime::formatEvaluation(trainer.evaluate(train), "train ") << "\n";
  if (test)
    std::cout << runtime::formatEvaluation(trainer.evaluate(*test), "test ") << "\n";
  if (!opts.saveWeights.empty()) {
    runtime::saveCheckpoint(opts.saveWeights, s.checkpoint());
    std::cout << "saved weights to " << opts.saveWeights << "\n";
  }
}

void runEvaluation(Session &s, const Options &opts, Kernels k) {
  runtime::Dataset d = s.load(opts.evalCsv);
  s.normalize(d);
  runtime::TrainerConfig cfg = trainerConfig(s.model, opts);
  cfg.targetScale = s.targetNormalization ? &*s.targetNormalization : nullptr;
  runtime::Trainer trainer(cfg, nullptr, *k.eval);
  std::cout << runtime::formatEvaluation(trainer.evaluate(d), "eval ") << "\n";
}

} // namespace nnc::cli

#include "runtime/trainer.h"

#include "runtime/batcher.h"
#include "runtime/lr_schedule.h"
#include "runtime/metrics.h"

#include <cmath>
#include <fmt/format.h>

namespace nnc::runtime {

using codegen::Binding;

Trainer::Trainer(TrainerConfig cfg, KernelRunner *step, KernelRunner &eval)
    : cfg_(std::move(cfg)), step_(step), eval_(eval) {
  if (step_)
    step_->bind(Binding::Output, "loss", &loss_);
}

void Trainer::bindBatch(KernelRunner &k, const float *features, const void *target) {
  k.bind(Binding::Input, cfg_.featureInput, const_cast<float *>(features));
  k.bind(Binding::Input, cfg_.targetInput, const_cast<void *>(target));
}

int64_t Trainer::fit(const Dataset &train, const Dataset *validation, std::ostream &log) {
  if (!step_)
    throw std::logic_error("Trainer::fit without a training step kernel");
  Batcher batches(train, cfg_.batchSize, cfg_.shuffle, cfg_.seed);
  int width = (int)std::to_string(cfg_.epochs).size();
  double best = INFINITY;
  int64_t bestEpoch = 0, steps = 0;
  for (int64_t epoch = 1; epoch <= cfg_.epochs; ++epoch) {
    if (cfg_.learningRate)
      *cfg_.learningRate = (float)scheduledLearningRate(cfg_.optimizer, epoch - 1, cfg_.epochs);
    batches.startEpoch();
    double sum = 0;
    int64_t seen = 0;
    while (batches.next()) {
      const void *target =
          cfg_.classification ? (const void *)batches.labels() : (const void *)batches.targets();
      bindBatch(*step_, batches.features(), target);
      step_->run(batches.size());
      sum += (double)loss_ * (double)batches.size();
      seen += batches.size();
      ++steps;
      if (cfg_.logSteps)
        log << fmt::format("step {} loss {:.9g}\n", steps, loss_);
      if (cfg_.maxSteps > 0 && steps >= cfg_.maxSteps)
        break;
    }
    double loss = sum / (double)seen;
    if (!std::isfinite(loss))
      throw DivergedError(fmt::format(
          "training diverged: the loss is {} in epoch {}; likely causes: a learning rate that "
          "is too high, extreme values in the data, or log/sqrt of a negative number or a "
          "division by zero in the model",
          std::isnan(loss) ? "nan" : "infinite", epoch));
    std::string line = fmt::format("epoch {:>{}}/{}  loss {:.6f}", epoch, width, cfg_.epochs, loss);
    double monitored = loss;
    if (validation) {
      Evaluation v = evaluate(*validation);
      line += "  " + formatEvaluation(v, "val_");
      if (cfg_.earlyStoppingMonitor == "val_loss")
        monitored = v.loss;
    }
    log << line << "\n";
    if (monitored < best)
      best = monitored, bestEpoch = epoch;
    if (cfg_.maxSteps > 0 && steps >= cfg_.maxSteps)
      return epoch;
    if (cfg_.earlyStoppingPatience > 0 && epoch - bestEpoch >= cfg_.earlyStoppingPatience) {
      log << fmt::format("early stopping: {} has not improved for {} epochs (best {:.6f} in "
                         "epoch {})\n",
                         validation ? cfg_.earlyStoppingMonitor : "loss",
                         cfg_.earlyStoppingPatience, best, bestEpoch);
      return epoch;
    }
  }
  return cfg_.epochs;
}

Evaluation Trainer::evaluate(const Dataset &d) {
  int64_t chunk = eval_.signature().maxBatch;
  // A model whose loss is an expression of its own may have no prediction
  // (then it has no metrics either: the front end rejects them).
  int pi = eval_.signature().find(Binding::Output, "prediction");
  int64_t width = pi < 0 ? 0 : eval_.signature().bindings.at(pi).type.shape.numElements(1);
  std::vector<float> predictions(d.rows * width);
  std::vector<float> targets(d.hasRegressionTargets() ? d.rows : 0);
  std::vector<int32_t> labels(d.hasLabels() ? d.rows : 0);
  std::vector<float> features(chunk * d.numFeatures);
  float loss = 0;
  double lossSum = 0;
  eval_.bind(Binding::Output, "loss", &loss);
  for (int64_t row = 0; row < d.rows; row += chunk) {
    int64_t n = std::min(chunk, d.rows - row);
    float *t = targets.empty() ? nullptr : targets.data() + row;
    int32_t *l = labels.empty() ? nullptr : labels.data() + row;
    d.gatherRange(row, n, features.data(), t, l);
    bindBatch(eval_, features.data(), cfg_.classification ? (const void *)l : (const void *)t);
    if (pi >= 0)
      eval_.bind(Binding::Output, "prediction", predictions.data() + row * width);
    eval_.run(n);
    lossSum += (double)loss * (double)n;
  }
  Evaluation e;
  e.loss = lossSum / (double)d.rows;
  if (!std::isfinite(e.loss))
    throw DivergedError(
        fmt::format("evaluating {} gave {} loss; check the data for extreme values (the model is "
                    "evaluated in float32)",
                    d.path, std::isnan(e.loss) ? "a nan" : "an infinite"));
  if (cfg_.targetScale && !targets.empty()) {
    cfg_.targetScale->restoreTargets(predictions.data(), (int64_t)predictions.size());
    cfg_.targetScale->restoreTargets(targets.data(), (int64_t)targets.size());
  }
  for (const std::string &m : cfg_.metrics) {
    if (m == "accuracy" && cfg_.classification)
      e.metrics.push_back({m, accuracy(predictions.data(), d.rows, width, labels.data())});
    else if (m == "accuracy") // one output scored against 0/1 targets
      e.metrics.push_back({m, binaryAccuracy(predictions.data(), targets.data(), d.rows,
                                             cfg_.predictionIsLogits ? 0.0 : 0.5)});
    else if (m == "mae")
      e.metrics.push_back({m, meanAbsoluteError(predictions.data(), targets.data(), d.rows)});
    else if (m == "mse")
      e.metrics.push_back({m, meanSquaredError(predictions.data(), targets.data(), d.rows)});
    else if (m == "rmse")
      e.metrics.push_back(
          {m, std::sqrt(meanSquaredError(predictions.data(), targets.data(), d.rows))});
    else if (m == "r2")
      e.metrics.push_back({m, r2Score(predictions.data(), targets.data(), d.rows)});
  }
  return e;
}

std::string formatEvaluation(const Evaluation &e, const std::string &prefix) {
  std::string s = fmt::format("{}loss {:.6f}", prefix, e.loss);
  for (auto &[name, value] : e.metrics)
    s += fmt::format("  {}{} {:.4f}", prefix, name, value);
  return s;
}

} // namespace nnc::runtime

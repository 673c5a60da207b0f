// The training loop: epochs of shuffled mini-batches through the JIT'd
// training step, then evaluation (loss and metrics over whole data sets,
// averaged over samples) through the inference kernel.
#pragma once
#include "ir/optimizer_update.h"
#include "runtime/dataset.h"
#include "runtime/standardizer.h"
#include "runtime/kernel_runner.h"

#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nnc::runtime {

struct TrainerConfig {
  std::string featureInput = "x", targetInput = "y";
  bool classification = false;
  int64_t numClasses = 0;
  bool predictionIsLogits = false; // binary accuracy: logit > 0 instead of p > 0.5
  int64_t epochs = 10, batchSize = 32;
  uint64_t seed = 0;
  bool shuffle = true;
  std::vector<std::string> metrics; // accuracy, mae, mse
  /// Stop when `monitor` ("loss" or "val_loss") has not improved for this
  /// many epochs (Keras EarlyStopping, min_delta 0); 0 = never.
  int64_t earlyStoppingPatience = 0;
  std::string earlyStoppingMonitor = "val_loss";
  /// With a schedule, fit() writes each epoch's rate into `learningRate`
  /// (the State "optimizer.lr" the training step reads).
  ir::OptimizerConfig optimizer;
  float *learningRate = nullptr;
  /// Regression targets trained as z-scores: metrics restore predictions
  /// and targets to the data's units first (the loss stays standardized).
  const Standardizer *targetScale = nullptr;
  int64_t maxSteps = 0;  // > 0: stop after this many optimizer steps
  bool logSteps = false; // print "step K loss L" after every step
};

struct Evaluation {
  double loss = 0;
  std::vector<std::pair<std::string, double>> metrics;
};

/// Thrown when the loss becomes NaN or infinite.
struct DivergedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Trainer {
public:
  /// `step` is the training kernel (outputs "loss"; null when only
  /// evaluating); `eval` the forward kernel (outputs "loss" and "prediction").
  Trainer(TrainerConfig cfg, KernelRunner *step, KernelRunner &eval);

  /// Trains for cfg.epochs (fewer if stopped early), printing one line per
  /// epoch to `log`; returns the number of epochs run.
  int64_t fit(const Dataset &train, const Dataset *validation, std::ostream &log);
  Evaluation evaluate(const Dataset &d);

private:
  void bindBatch(KernelRunner &k, const float *features, const void *target);
  TrainerConfig cfg_;
  KernelRunner *step_;
  KernelRunner &eval_;
  float loss_ = 0;
};

std::string formatEvaluation(const Evaluation &e, const std::string &prefix);

} // namespace nnc::runtime

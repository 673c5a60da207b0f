// The commands of one `nnc` run after compilation, in the order they run:
// train (--train, --test, --save), evaluate (--eval), predict (--predict -o).
#pragma once
#include "runtime/kernel_runner.h"
#include "session.h"

namespace nnc::cli {

/// The JIT'd kernels a run needs (null where the run does not need one).
struct Kernels {
  runtime::KernelRunner *step = nullptr;    // training step
  runtime::KernelRunner *eval = nullptr;    // loss, prediction (needs targets)
  runtime::KernelRunner *predict = nullptr; // prediction, probabilities (no targets)
};

/// Trains on opts.trainCsv, evaluates on the training and test data, saves.
void runTraining(Session &s, const Options &opts, Kernels k);
/// Prints loss and metrics of the model on opts.evalCsv.
void runEvaluation(Session &s, const Options &opts, Kernels k);
/// Writes predictions for opts.predictCsv to opts.predictOut (atomically).
void runPrediction(Session &s, const Options &opts, Kernels k);

} // namespace nnc::cli

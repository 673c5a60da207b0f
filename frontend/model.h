// The front end's product: a checked, shape-inferred model lowered to the
// forward graph IR, plus its data and training configuration.
#pragma once
#include "frontend/diagnostics.h"
#include "ir/graph.h"
#include "ir/optimizer_update.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::frontend {

struct TrainConfig {
  ir::OptimizerConfig optimizer;
  int64_t epochs = 10;
  int64_t batchSize = 32;
  uint64_t seed = 0;
  bool shuffle = true;
  double validation = 0.0;          // held-out fraction of the training CSV
  std::vector<std::string> metrics; // "accuracy", "mae", "mse"
  int64_t earlyStoppingPatience = 0;   // 0 = off; epochs without improvement before stopping
  std::string earlyStoppingMonitor = "val_loss"; // "val_loss" or "loss"
};

struct DataConfig {
  std::vector<std::string> features; // CSV columns; empty = all but the label column
  std::string label;                 // CSV column of the target/label; empty = last column
  bool standardize = true;           // `normalize = standard` (default) or `none`
  /// `normalize_target = standard`: regression targets are trained as
  /// z-scores; predictions and metrics are reported in the data's units.
  bool standardizeTarget = false;
};

struct Model {
  std::string name;
  std::string file;
  /// Forward graph: Input "x"-like feature input, the target/label Input,
  /// Params, Output "loss" (a scalar mean over the batch), Output
  /// "prediction" (the loss's prediction operand: logits or regression
  /// values), and one Output per `output` declaration.
  std::unique_ptr<ir::Graph> forward;
  std::string featureInput; // name of the Input fed with CSV features, e.g. "x"
  std::string targetInput;  // name of the `target` or `label` Input, e.g. "y"
  bool classification = false;
  /// True when "prediction" holds logits (cross_entropy,
  /// binary_cross_entropy_with_logits): binary accuracy thresholds at 0, not 0.5.
  bool predictionIsLogits = false;
  int64_t numClasses = 0; // for `label y: class[K]`
  TrainConfig train;
  DataConfig data;
};

/// Parses, checks and lowers `path`. Returns null if any error was reported.
std::unique_ptr<Model> compileModelFile(const std::string &path, DiagnosticEngine &diags);
/// Same, from text already in memory (for tests); `path` names it in errors.
std::unique_ptr<Model> compileModelSource(const std::string &path, const std::string &text,
                                          DiagnosticEngine &diags);

} // namespace nnc::frontend

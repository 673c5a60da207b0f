// What one `nnc` run knows about the model being trained or used: its
// parameters and optimizer state, class names and feature statistics, either
// fresh or restored from a checkpoint (--weights / --init-weights).
#pragma once
#include "frontend/model.h"
#include "options.h"
#include "runtime/checkpoint.h"
#include "runtime/dataset.h"

#include <optional>

namespace nnc::cli {

struct Session {
  const frontend::Model &model;
  runtime::ParamStore store;
  std::vector<std::string> classNames;   // empty until training data or a checkpoint sets them
  std::vector<std::string> featureNames;
  std::optional<runtime::Standardizer> normalization;
  std::optional<runtime::Standardizer> targetNormalization; // normalize_target = standard
  int64_t epochs = 0;

  /// Initializes every Param and State of `graphs`, then applies the
  /// checkpoints named in `opts`.
  Session(const frontend::Model &m, const std::vector<const ir::Graph *> &graphs,
          const Options &opts);

  /// Loads a CSV the way the model reads it: its features and label columns,
  /// with class names fixed once known. `labelOptional` accepts a file
  /// without the label column (prediction). Not normalized yet.
  runtime::Dataset load(const std::string &path, bool labelOptional = false);
  /// Fixes class names and feature statistics from the training data,
  /// unless a checkpoint did.
  void adoptTrainingData(const runtime::Dataset &train);
  /// Applies the feature (and target) statistics, if any, to `d` (once per data set).
  void normalize(runtime::Dataset &d) const;

  runtime::Checkpoint checkpoint() const;
};

} // namespace nnc::cli

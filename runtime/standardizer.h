// Per-feature z-score x' = (x - mean) / stddev with the training split's mean
// and population stddev (a constant feature gets stddev 1), computed in two
// streaming passes over the rows in double. Also usable for a regression
// target (fitTargets). apply() sets the Dataset's scale, used as rows are
// gathered (the data is never rewritten). Size mismatches throw DataError.
#pragma once
#include "runtime/dataset.h"

#include <cstdint>
#include <vector>

namespace nnc::runtime {

struct Standardizer {
  std::vector<float> mean, stddev; // one per feature (or one for the target)

  /// Statistics of train.features; DataError if train has no rows.
  static Standardizer fit(const Dataset &train);
  /// Standardizes d's features from now on (replacing any earlier scale).
  void apply(Dataset &d) const;

  /// Statistics of train.targets (one value per row).
  static Standardizer fitTargets(const Dataset &train);
  /// Standardizes d's targets from now on.
  void applyToTargets(Dataset &d) const;
  /// Maps n standardized target values (e.g. predictions) back to data units.
  void restoreTargets(float *values, int64_t n) const;
};

} // namespace nnc::runtime

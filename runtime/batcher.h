// Mini-batches of a Dataset: each epoch visits every row once (seeded shuffle
// or file order), batchSize rows and a smaller last batch, gathered (and
// standardized) from the data set's rows. Buffers: features size() x
// numFeatures, targets size() x 1, labels size(). Errors: DataError.
#pragma once
#include "runtime/dataset.h"

#include <cstdint>
#include <random>
#include <vector>

namespace nnc::runtime {

class Batcher {
public:
  /// `d` must outlive the Batcher. DataError if batchSize < 1 or `d` is
  /// inconsistent (vector sizes not rows x width).
  Batcher(const Dataset &d, int64_t batchSize, bool shuffle, uint64_t seed);
  Batcher(const Dataset &&, int64_t, bool, uint64_t) = delete;

  /// Begins an epoch; reshuffles with the generator seeded once in the
  /// constructor, so epochs differ and runs repeat. The first epoch begins on
  /// its own if next() is called first.
  void startEpoch();
  /// Advances to the next batch; false at the end of the epoch.
  bool next();

  int64_t size() const { return size_; } // rows in this batch
  const float *features() const { return features_.data(); }
  const float *targets() const;  // nullptr if none
  const int32_t *labels() const; // nullptr if none
  /// The rows of `d` in this batch, size() of them.
  const int64_t *rowIndices() const { return order_.data() + begin_; }
  int64_t batchSize() const { return batchSize_; }
  int64_t batchesPerEpoch() const;

private:
  const Dataset &d_;
  int64_t batchSize_;
  bool shuffle_;
  std::mt19937_64 rng_;
  std::vector<int64_t> order_;
  bool started_ = false;
  int64_t begin_ = 0, size_ = 0; // current batch: order_[begin_, begin_+size_)
  std::vector<float> features_, targets_;
  std::vector<int32_t> labels_;
};

} // namespace nnc::runtime

#include "runtime/batcher.h"

#include "runtime/data_error.h"

#include <fmt/format.h>

#include <algorithm>

namespace nnc::runtime {

Batcher::Batcher(const Dataset &d, int64_t batchSize, bool shuffle, uint64_t seed)
    : d_(d), batchSize_(batchSize), shuffle_(shuffle), rng_(seed) {
  if (batchSize < 1)
    throw dataError(d.path, fmt::format("the batch size must be at least 1, "
                                        "not {}",
                                        batchSize));
  if (d.rows < 0 || d.numFeatures < 0 || (d.rows > 0 && !d.table) ||
      (d.table && d.table->numFeatures() != d.numFeatures) ||
      (d.table && d.rowIndex.empty() && d.table->rows() != d.rows) ||
      (!d.rowIndex.empty() && static_cast<int64_t>(d.rowIndex.size()) != d.rows))
    throw dataError(d.path, "inconsistent data set: its rows do not match its table");
  auto rows = static_cast<size_t>(d.rows);
  order_.resize(rows);
  for (size_t i = 0; i < rows; ++i)
    order_[i] = static_cast<int64_t>(i);
  int64_t cap = std::min<int64_t>(batchSize, d.rows);
  features_.resize(cap * d.numFeatures);
  targets_.resize(d.hasRegressionTargets() ? cap : 0);
  labels_.resize(d.hasLabels() ? cap : 0);
}

void Batcher::startEpoch() {
  if (shuffle_)
    shuffleRows(order_, rng_);
  started_ = true;
  begin_ = size_ = 0;
}

bool Batcher::next() {
  if (!started_)
    startEpoch();
  begin_ += size_;
  size_ = 0;
  auto rows = static_cast<int64_t>(order_.size());
  if (begin_ >= rows)
    return false;
  size_ = std::min(batchSize_, rows - begin_);
  d_.gather(order_.data() + begin_, size_, features_.data(),
            targets_.empty() ? nullptr : targets_.data(),
            labels_.empty() ? nullptr : labels_.data());
  return true;
}

const float *Batcher::targets() const { return targets_.empty() ? nullptr : targets_.data(); }

const int32_t *Batcher::labels() const { return labels_.empty() ? nullptr : labels_.data(); }

int64_t Batcher::batchesPerEpoch() const {
  auto rows = static_cast<int64_t>(order_.size());
  return (rows + batchSize_ - 1) / batchSize_;
}

} // namespace nnc::runtime

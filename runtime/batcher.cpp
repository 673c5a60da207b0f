#include "runtime/batcher.h"

#include "runtime/data_error.h"

#include <fmt/format.h>

#include <algorithm>

namespace nnc::runtime {

Batcher::Batcher(const Dataset &d, int64_t batchSize, bool shuffle,
                 uint64_t seed)
    : d_(d), batchSize_(batchSize), shuffle_(shuffle), rng_(seed) {
  if (batchSize < 1)
    throw dataError(d.path, fmt::format("the batch size must be at least 1, "
                                        "not {}",
                                        batchSize));
  auto rows = static_cast<size_t>(std::max<int64_t>(d.rows, 0));
  if (d.rows < 0 || d.numFeatures < 0 ||
      d.features.size() != rows * static_cast<size_t>(d.numFeatures) ||
      (!d.targets.empty() && d.targets.size() != rows) ||
      (!d.labels.empty() && d.labels.size() != rows))
    throw dataError(d.path, "inconsistent data set: vector sizes do not match "
                            "rows x width");
  order_.resize(rows);
  for (size_t i = 0; i < rows; ++i)
    order_[i] = static_cast<int64_t>(i);
  int64_t cap = std::min<int64_t>(batchSize, d.rows);
  features_.reserve(cap * d.numFeatures);
  targets_.reserve(d.targets.empty() ? 0 : cap);
  labels_.reserve(d.labels.empty() ? 0 : cap);
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
  features_.clear();
  targets_.clear();
  labels_.clear();
  auto rows = static_cast<int64_t>(order_.size());
  if (begin_ >= rows)
    return false;
  size_ = std::min(batchSize_, rows - begin_);
  const int64_t nf = d_.numFeatures;
  for (int64_t k = begin_; k < begin_ + size_; ++k) {
    int64_t r = order_[k];
    auto first = d_.features.begin() + r * nf;
    features_.insert(features_.end(), first, first + nf);
    if (!d_.targets.empty())
      targets_.push_back(d_.targets[r]);
    if (!d_.labels.empty())
      labels_.push_back(d_.labels[r]);
  }
  return true;
}

const float *Batcher::targets() const {
  return targets_.empty() ? nullptr : targets_.data();
}

const int32_t *Batcher::labels() const {
  return labels_.empty() ? nullptr : labels_.data();
}

int64_t Batcher::batchesPerEpoch() const {
  auto rows = static_cast<int64_t>(order_.size());
  return (rows + batchSize_ - 1) / batchSize_;
}

} // namespace nnc::runtime

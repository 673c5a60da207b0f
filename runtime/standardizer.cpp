#include "runtime/standardizer.h"

#include "runtime/data_error.h"

#include <fmt/format.h>

#include <cmath>

namespace nnc::runtime {
namespace {

/// Column statistics of `width` values per row, read `chunk` rows at a time
/// by read(first, n, out), in double: two passes (mean, then squared
/// deviations), as numerically stable as the data allows.
template <class Read>
Standardizer columnStats(const std::string &path, int64_t rows, int64_t width, Read read) {
  if (rows <= 0)
    throw dataError(path, "cannot fit a standardizer on 0 rows");
  constexpr int64_t kChunk = 4096;
  std::vector<float> x(static_cast<size_t>(kChunk * width));
  std::vector<double> sum(width, 0.0), sq(width, 0.0);
  for (int64_t first = 0; first < rows; first += kChunk) {
    int64_t n = std::min(kChunk, rows - first);
    read(first, n, x.data());
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < width; ++j)
        sum[j] += x[i * width + j];
  }
  for (int64_t j = 0; j < width; ++j)
    sum[j] /= static_cast<double>(rows); // now the mean
  for (int64_t first = 0; first < rows; first += kChunk) {
    int64_t n = std::min(kChunk, rows - first);
    read(first, n, x.data());
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < width; ++j) {
        double dev = x[i * width + j] - sum[j];
        sq[j] += dev * dev;
      }
  }
  Standardizer s;
  for (int64_t j = 0; j < width; ++j) {
    double sd = std::sqrt(sq[j] / static_cast<double>(rows));
    // Round-off of a constant column leaves ~1e-16 * |mean|: treat as 0.
    if (!(sd > 1e-10 * std::abs(sum[j])) || !std::isfinite(sd))
      sd = 1.0;
    s.mean.push_back(static_cast<float>(sum[j]));
    s.stddev.push_back(static_cast<float>(sd));
  }
  return s;
}

/// `d` as it is in the file (no scaling yet).
Dataset unscaled(const Dataset &d) {
  Dataset raw = d;
  raw.featureScale = {};
  raw.targetScale = {};
  return raw;
}

} // namespace

Standardizer Standardizer::fit(const Dataset &train) {
  Dataset raw = unscaled(train);
  return columnStats(train.path, train.rows, train.numFeatures,
                     [&](int64_t first, int64_t n, float *out) {
                       raw.gatherRange(first, n, out, nullptr, nullptr);
                     });
}

void Standardizer::apply(Dataset &d) const {
  if (static_cast<int64_t>(mean.size()) != d.numFeatures || stddev.size() != mean.size())
    throw dataError(d.path, fmt::format("the standardizer was fit on {} "
                                        "features but the data has {}",
                                        mean.size(), d.numFeatures));
  d.featureScale = {mean, stddev};
}

Standardizer Standardizer::fitTargets(const Dataset &train) {
  if (!train.hasRegressionTargets())
    throw dataError(train.path, "cannot fit a standardizer: the data has no targets");
  Dataset raw = unscaled(train);
  return columnStats(train.path, train.rows, 1, [&](int64_t first, int64_t n, float *out) {
    raw.gatherRange(first, n, nullptr, out, nullptr);
  });
}

void Standardizer::applyToTargets(Dataset &d) const {
  if (mean.size() != 1 || stddev.size() != 1)
    throw dataError(d.path, fmt::format("the standardizer has {} columns but the "
                                        "data has 1 target per row",
                                        mean.size()));
  d.targetScale = {mean, stddev};
}

void Standardizer::restoreTargets(float *values, int64_t n) const {
  if (mean.size() != 1 || stddev.size() != 1)
    throw DataError("error: restoreTargets needs a standardizer fit on one "
                    "target column");
  for (int64_t i = 0; i < n; ++i)
    values[i] = static_cast<float>(double(values[i]) * stddev[0] + mean[0]);
}

} // namespace nnc::runtime

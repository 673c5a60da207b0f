#include "runtime/standardizer.h"

#include "runtime/data_error.h"

#include <fmt/format.h>

#include <cmath>

namespace nnc::runtime {
namespace {

/// Column statistics of a rows x width row-major matrix, in double.
Standardizer columnStats(const std::string &path, const std::vector<float> &x,
                         int64_t rows, int64_t width) {
  if (rows <= 0)
    throw dataError(path, "cannot fit a standardizer on 0 rows");
  if (x.size() != static_cast<size_t>(rows * width))
    throw dataError(path, "cannot fit a standardizer: data size is not "
                          "rows x width");
  std::vector<double> sum(width, 0.0), sq(width, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < width; ++j)
      sum[j] += x[i * width + j];
  for (int64_t j = 0; j < width; ++j)
    sum[j] /= static_cast<double>(rows); // now the mean
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < width; ++j) {
      double dev = x[i * width + j] - sum[j];
      sq[j] += dev * dev;
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

void standardize(const std::string &path, std::vector<float> &x, int64_t rows,
                 const std::vector<float> &mean,
                 const std::vector<float> &stddev) {
  auto width = static_cast<int64_t>(mean.size());
  if (stddev.size() != mean.size() ||
      x.size() != static_cast<size_t>(rows * width))
    throw dataError(path, fmt::format("the standardizer has {} columns but the "
                                      "data has {} values per row",
                                      width, rows ? x.size() / rows : 0));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < width; ++j) {
      float &v = x[i * width + j];
      v = static_cast<float>((double(v) - mean[j]) / stddev[j]);
    }
}

} // namespace

Standardizer Standardizer::fit(const Dataset &train) {
  return columnStats(train.path, train.features, train.rows, train.numFeatures);
}

void Standardizer::apply(Dataset &d) const {
  if (static_cast<int64_t>(mean.size()) != d.numFeatures)
    throw dataError(d.path, fmt::format("the standardizer was fit on {} "
                                        "features but the data has {}",
                                        mean.size(), d.numFeatures));
  standardize(d.path, d.features, d.rows, mean, stddev);
}

Standardizer Standardizer::fitTargets(const Dataset &train) {
  return columnStats(train.path, train.targets, train.rows, 1);
}

void Standardizer::applyToTargets(Dataset &d) const {
  standardize(d.path, d.targets, d.rows, mean, stddev);
}

void Standardizer::restoreTargets(float *values, int64_t n) const {
  if (mean.size() != 1 || stddev.size() != 1)
    throw DataError("error: restoreTargets needs a standardizer fit on one "
                    "target column");
  for (int64_t i = 0; i < n; ++i)
    values[i] = static_cast<float>(double(values[i]) * stddev[0] + mean[0]);
}

} // namespace nnc::runtime

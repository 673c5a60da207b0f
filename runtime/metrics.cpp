#include "runtime/metrics.h"

#include <cmath>
#include <limits>

namespace nnc::runtime {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double accuracy(const float *scores, int64_t rows, int64_t numClasses,
                const int32_t *labels) {
  if (rows <= 0 || numClasses < 1 || !scores || !labels)
    return kNaN;
  int64_t correct = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const float *s = scores + i * numClasses;
    int64_t predicted = 0;
    if (numClasses == 1) {
      predicted = s[0] > 0.5f ? 1 : 0;
    } else {
      for (int64_t k = 1; k < numClasses; ++k)
        if (s[k] > s[predicted] || std::isnan(s[predicted]))
          predicted = k;
    }
    correct += predicted == labels[i];
  }
  return static_cast<double>(correct) / static_cast<double>(rows);
}

double meanAbsoluteError(const float *pred, const float *target, int64_t n) {
  if (n <= 0 || !pred || !target)
    return kNaN;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += std::abs(double(pred[i]) - double(target[i]));
  return sum / static_cast<double>(n);
}

double meanSquaredError(const float *pred, const float *target, int64_t n) {
  if (n <= 0 || !pred || !target)
    return kNaN;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double e = double(pred[i]) - double(target[i]);
    sum += e * e;
  }
  return sum / static_cast<double>(n);
}

double r2Score(const float *pred, const float *target, int64_t n) {
  if (n <= 0 || !pred || !target)
    return kNaN;
  double mean = 0;
  for (int64_t i = 0; i < n; ++i)
    mean += target[i];
  mean /= static_cast<double>(n);
  double sst = 0;
  for (int64_t i = 0; i < n; ++i)
    sst += (target[i] - mean) * (target[i] - mean);
  if (sst == 0)
    return kNaN;
  return 1.0 - meanSquaredError(pred, target, n) * static_cast<double>(n) / sst;
}

double binaryAccuracy(const float *scores, const float *targets, int64_t rows, double threshold) {
  if (rows <= 0 || !scores || !targets)
    return std::nan("");
  int64_t correct = 0;
  for (int64_t i = 0; i < rows; ++i)
    correct += (scores[i] > threshold) == (targets[i] > 0.5f);
  return (double)correct / (double)rows;
}

} // namespace nnc::runtime

// Metrics over a whole data set, averaged over samples (never a mean of batch
// means), accumulated in double; NaN if there are no samples or numClasses < 1.
#pragma once
#include <cstdint>

namespace nnc::runtime {

/// Fraction in [0, 1] of rows whose argmax over numClasses scores (row-major,
/// rows x numClasses; ties -> lowest class) equals the label. numClasses == 1:
/// scores are probabilities of class 1, predicted when score > 0.5.
double accuracy(const float *scores, int64_t rows, int64_t numClasses,
                const int32_t *labels);
/// Fraction of rows where (score > threshold) == (target > 0.5): one output
/// against 0/1 targets (threshold 0 for logits, 0.5 for probabilities).
double binaryAccuracy(const float *scores, const float *targets, int64_t rows, double threshold);
/// mean |pred - target| over n values.
double meanAbsoluteError(const float *pred, const float *target, int64_t n);
/// mean (pred - target)^2 over n values.
double meanSquaredError(const float *pred, const float *target, int64_t n);
/// Coefficient of determination 1 - SSE / SST (sklearn's r2_score); NaN if the
/// target is constant.
double r2Score(const float *pred, const float *target, int64_t n);

} // namespace nnc::runtime

#include "runtime/lr_schedule.h"

#include <cmath>
#include <numbers>

namespace nnc::runtime {

double scheduledLearningRate(const ir::OptimizerConfig &opt, int64_t epoch, int64_t epochs) {
  const auto &s = opt.schedule;
  double e = (double)epoch;
  if (s.kind == "step")
    return opt.lr * std::pow(s.gamma, std::floor(e / (double)std::max<int64_t>(1, s.stepSize)));
  if (s.kind == "exponential")
    return opt.lr * std::pow(s.gamma, e);
  if (s.kind == "cosine")
    return s.minLr + (opt.lr - s.minLr) * (1 + std::cos(std::numbers::pi * e / (double)epochs)) / 2;
  return opt.lr;
}

} // namespace nnc::runtime

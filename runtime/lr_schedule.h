// The learning rate of epoch `epoch` (0-based) of `epochs` under the
// optimizer's schedule (formulas in ir/optimizer_update.h, as PyTorch's
// StepLR, ExponentialLR and CosineAnnealingLR stepped once per epoch).
#pragma once
#include "ir/optimizer_update.h"

#include <cstdint>

namespace nnc::runtime {

double scheduledLearningRate(const ir::OptimizerConfig &opt, int64_t epoch, int64_t epochs);

} // namespace nnc::runtime

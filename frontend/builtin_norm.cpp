// batch_norm(x, momentum: 0.99, eps: 0.001), Keras's BatchNormalization
// (Ioffe & Szegedy 2015) as a composite of existing ops, over the channels of
// images f32[B,C,H,W] (statistics over B, H and W) or the features of
// f32[B,n] (over B):
//   y = (x - mean) * gamma / sqrt(var + eps) + beta
// params <prefix>batch_norm<k>.gamma (ones) and .beta (zeros), one per
// channel; states .running_mean (zeros) and .running_var (ones).
// Training uses the batch's mean and (biased) variance and updates
//   running = momentum * running + (1 - momentum) * batch statistic
// by `assign` (Keras; PyTorch's momentum 0.1 weights the batch instead, so
// it is 0.9 here, and PyTorch's running variance is the unbiased one).
// Evaluation and prediction use the running statistics: in the forward graph
// each statistic is select(batch_norm.training, batch, running), on the
// scalar State ir::kBatchNormTraining (ones); the training graph resolves
// the selects to the batch statistics, the inference graphs to the running
// ones, and these also drop the assigns (ir/training_graph.cpp,
// ir/inference_graph.cpp).
// Errors: a value of another rank, momentum outside [0, 1), eps <= 0.
#include "frontend/builtin.h"
#include "frontend/constants.h"
#include "ir/training_graph.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

ir::Node *lowerBatchNorm(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  double momentum = 0.99, eps = 0.001;
  bool ok = true;
  if (args[1]) {
    auto v = constantNumber(cx, *args[1], "the momentum of batch_norm");
    if (v && (*v < 0 || *v >= 1))
      cx.error(args[1]->span,
               fmt::format("the momentum of batch_norm is the weight of the running statistics, "
                           "in [0, 1) (Keras: 0.99; PyTorch's momentum m is 1 - m here), got {}",
                           *v));
    ok &= v && *v >= 0 && *v < 1;
    momentum = v.value_or(momentum);
  }
  if (args[2]) {
    auto v = constantNumber(cx, *args[2], "the eps of batch_norm");
    if (v && *v <= 0)
      cx.error(args[2]->span, fmt::format("the eps of batch_norm must be positive, got {}", *v));
    ok &= v && *v > 0;
    eps = v.value_or(eps);
  }
  if (!x || !ok || !requireFloat(cx, x, call.opSpan, "batch_norm"))
    return nullptr;
  const auto &d = x->shape().dims;
  bool images = d.size() == 4 && d[0] == ir::kBatch;
  if (!images && !(d.size() == 2 && d[0] == ir::kBatch)) {
    cx.error(call.opSpan, fmt::format("batch_norm needs images [B,C,H,W] or features [B,n], got {}",
                                      x->type.str()));
    return nullptr;
  }
  int64_t channels = d[1];
  std::vector<int64_t> axes = images ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0};
  // The statistics' shape: [1,C,1,1] or [1,n] (kept dimensions).
  ir::Shape statShape(images ? std::vector<int64_t>{1, channels, 1, 1}
                             : std::vector<int64_t>{1, channels});
  ir::DType t = x->type.dtype;
  std::string name = cx.nextInstanceName("batch_norm");
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  ir::Node *gamma = b.param(name + ".gamma", {t, {channels}}, {ir::Initializer::Ones});
  ir::Node *beta = b.param(name + ".beta", {t, {channels}}, {ir::Initializer::Zeros});
  ir::Node *runMean = b.state(name + ".running_mean", {t, {channels}}, {ir::Initializer::Zeros});
  ir::Node *runVar = b.state(name + ".running_var", {t, {channels}}, {ir::Initializer::Ones});
  if (!cx.batchNormTraining)
    cx.batchNormTraining = b.state(ir::kBatchNormTraining, {t, {}}, {ir::Initializer::Ones});

  // Batch statistics over `axes`: B * H * W values per channel.
  ir::Node *count = b.batchSize(t);
  if (images)
    count = b.mul(count, b.constant((double)(d[2] * d[3]), t));
  ir::Node *mean = b.div(b.reduceSum(x, axes, true), count);
  ir::Node *centered = b.sub(x, mean);
  ir::Node *var = b.div(b.reduceSum(b.mul(centered, centered), axes, true), count);

  // Training: the batch's; evaluation: the running ones.
  ir::Node *useMean = b.select(cx.batchNormTraining, mean, b.reshape(runMean, statShape));
  ir::Node *useVar = b.select(cx.batchNormTraining, var, b.reshape(runVar, statShape));
  ir::Node *scale = b.div(b.reshape(gamma, statShape),
                          b.unary(ir::OpKind::Sqrt, b.add(useVar, b.constant(eps, t))));
  ir::Node *y = b.add(b.mul(b.sub(x, useMean), scale), b.reshape(beta, statShape));

  // running = momentum * running + (1 - momentum) * batch (training only).
  ir::Shape flat({channels});
  auto update = [&](ir::Node *running, ir::Node *batch) {
    b.assign(running, b.add(b.mul(b.constant(momentum, t), running),
                            b.mul(b.constant(1.0 - momentum, t), b.reshape(batch, flat))));
  };
  update(runMean, mean);
  update(runVar, var);
  return y;
}

} // namespace

std::vector<Builtin> normBuiltins() {
  return {
      {"batch_norm", {{"x"}, {"momentum", false}, {"eps", false}}, lowerBatchNorm},
  };
}

} // namespace nnc::frontend

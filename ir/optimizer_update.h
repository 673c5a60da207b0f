// Appends the optimizer update to a training graph as ordinary IR: new
// parameter and optimizer-state values followed by `assign` effects.
//   sgd:  v = momentum*v + (1-dampening)*g (v = g on the first step);
//         p -= lr * (nesterov ? g + momentum*v : v)                          (torch.optim.SGD)
//   adam: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; t += 1;
//         p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)                 (Kingma & Ba 2015, Alg. 1)
//         computed as torch.optim.Adam does, bias corrections in per-step scalars:
//         p -= (lr/(1-b1^t)) * (m / (sqrt(v) * (1/sqrt(1-b2^t)) + eps))
//   adamw: p -= lr*weight_decay*p, then adam            (Loshchilov & Hutter 2019; torch.optim.AdamW)
//   rmsprop: v = rho*v + (1-rho)*g^2; p -= lr * g / (sqrt(v) + eps)      (torch.optim.RMSprop)
// Weight decay is L2 (g += weight_decay*p) for sgd, adam and rmsprop, as in
// PyTorch; decoupled for adamw. With decayBiases off, 1-D params are exempt.
#pragma once
#include "ir/graph.h"

#include <map>
#include <string>

namespace nnc::ir {

/// The scalar State holding the learning rate when OptimizerConfig::lrFromState.
inline constexpr const char *kLearningRateState = "optimizer.lr";

struct OptimizerConfig {
  std::string kind = "adam"; // "sgd", "adam", "adamw" or "rmsprop"
  double lr = 0.001;
  double momentum = 0.0; // sgd
  bool nesterov = false; // sgd
  double dampening = 0.0; // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // adam, adamw (eps also rmsprop)
  double weightDecay = 0.0;  // decoupled for adamw (PyTorch's default there: 0.01); L2 otherwise
  bool decayBiases = true;   // false: 1-D params (biases) get no weight decay
  /// Learning-rate schedule, applied per epoch e = 0, 1, ... as PyTorch's
  /// StepLR (lr * gamma^floor(e/stepSize)), ExponentialLR (lr * gamma^e) and
  /// CosineAnnealingLR (minLr + (lr - minLr)(1 + cos(pi e / epochs))/2).
  struct Schedule {
    std::string kind; // "" (constant), "step", "exponential", "cosine"
    int64_t stepSize = 10;
    double gamma = 0.1;
    double minLr = 0.0;
  } schedule;
  /// With a schedule the update reads the State "optimizer.lr", which the
  /// runtime sets each epoch, instead of a constant.
  bool lrFromState() const { return !schedule.kind.empty(); }
  double rho = 0.99;         // rmsprop: decay of the squared-gradient average
};

/// `grads` maps each Param node to its gradient node in `g`.
void appendOptimizerUpdate(Graph &g, const std::map<Node *, Node *> &grads,
                           const OptimizerConfig &cfg);

} // namespace nnc::ir

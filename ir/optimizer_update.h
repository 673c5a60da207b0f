// Appends the optimizer update to a training graph as ordinary IR: new
// parameter and optimizer-state values followed by `assign` effects.
//   sgd:  v = momentum*v + g;  p -= lr * (nesterov ? g + momentum*v : v)   (torch.optim.SGD)
//   adam: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; t += 1;
//         p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)                 (Kingma & Ba 2015, Alg. 1)
//   adamw: p -= lr*weight_decay*p, then adam            (Loshchilov & Hutter 2019; torch.optim.AdamW)
//   rmsprop: v = rho*v + (1-rho)*g^2; p -= lr * g / (sqrt(v) + eps)      (torch.optim.RMSprop)
#pragma once
#include "ir/graph.h"

#include <map>
#include <string>

namespace nnc::ir {

struct OptimizerConfig {
  std::string kind = "adam"; // "sgd", "adam", "adamw" or "rmsprop"
  double lr = 0.001;
  double momentum = 0.0; // sgd
  bool nesterov = false; // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // adam, adamw (eps also rmsprop)
  double weightDecay = 0.01; // adamw (decoupled)
  double rho = 0.99;         // rmsprop: decay of the squared-gradient average
};

/// `grads` maps each Param node to its gradient node in `g`.
void appendOptimizerUpdate(Graph &g, const std::map<Node *, Node *> &grads,
                           const OptimizerConfig &cfg);

} // namespace nnc::ir

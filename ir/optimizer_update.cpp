#include "ir/optimizer_update.h"

#include "ir/builder.h"

#include <stdexcept>

namespace nnc::ir {

namespace {

Initializer zeros() { return {Initializer::Zeros, 0, 0}; }

/// Shared scalars of one update: the learning rate and, where an optimizer
/// needs it, the step counter t (1 on the first step).
struct Shared {
  Node *lr = nullptr;
  Node *t = nullptr;
};

/// 1 - beta with beta as the tensor type stores it, so that a moment's two
/// weights add up to one in that type (float32(0.999) is 0.99900001287).
Node *oneMinus(Builder &b, double beta, DType t) {
  double stored = t == DType::F32 ? (double)(float)beta : beta;
  return b.constant(1.0 - stored, t);
}

bool decays(const Node *p, const OptimizerConfig &cfg) {
  return cfg.weightDecay != 0.0 && (cfg.decayBiases || p->shape().rank() != 1);
}

/// L2 weight decay folded into the gradient (torch.optim's weight_decay).
Node *withL2(Builder &b, Node *p, Node *g, const OptimizerConfig &cfg) {
  return decays(p, cfg) ? b.add(g, b.mul(b.constant(cfg.weightDecay, p->type.dtype), p)) : g;
}

void appendSgd(Builder &b, Node *p, Node *g, const Shared &s, const OptimizerConfig &cfg) {
  DType t = p->type.dtype;
  g = withL2(b, p, g, cfg);
  Node *step = g;
  if (cfg.momentum != 0.0) {
    Node *buf = b.state(p->name + ".momentum", p->type, zeros());
    Node *mu = b.constant(cfg.momentum, t);
    Node *v = b.add(b.mul(mu, buf), b.mul(oneMinus(b, cfg.dampening, t), g));
    if (cfg.dampening != 0.0) // the first step takes g undamped
      v = b.select(b.binary(OpKind::Greater, b.constant(1.5, t), s.t), g, v);
    b.assign(buf, v);
    step = cfg.nesterov ? b.add(g, b.mul(mu, v)) : v;
  }
  b.assign(p, b.sub(p, b.mul(s.lr, step)));
}

void appendRmsprop(Builder &b, Node *p, Node *g, const Shared &s, const OptimizerConfig &cfg) {
  auto c = [&](double v) { return b.constant(v, p->type.dtype); };
  g = withL2(b, p, g, cfg);
  Node *v = b.state(p->name + ".rmsprop_v", p->type, zeros());
  Node *v2 = b.add(b.mul(c(cfg.rho), v), b.mul(oneMinus(b, cfg.rho, p->type.dtype), b.mul(g, g)));
  b.assign(v, v2);
  Node *denom = b.add(b.unary(OpKind::Sqrt, v2), c(cfg.eps));
  b.assign(p, b.sub(p, b.mul(s.lr, b.div(g, denom))));
}

void appendAdam(Builder &b, Node *p, Node *g, const Shared &s, const OptimizerConfig &cfg) {
  DType dt = p->type.dtype;
  auto c = [&](double v) { return b.constant(v, dt); };
  Node *t = s.t;
  Node *decayed = p;
  if (cfg.kind == "adamw" && decays(p, cfg)) // decoupled, applied before the adam step
    decayed = b.sub(p, b.mul(b.mul(s.lr, c(cfg.weightDecay)), p));
  else if (cfg.kind != "adamw")
    g = withL2(b, p, g, cfg);
  Node *m = b.state(p->name + ".adam_m", p->type, zeros());
  Node *v = b.state(p->name + ".adam_v", p->type, zeros());
  Node *m2 = b.add(b.mul(c(cfg.beta1), m), b.mul(oneMinus(b, cfg.beta1, dt), g));
  Node *v2 = b.add(b.mul(c(cfg.beta2), v), b.mul(oneMinus(b, cfg.beta2, dt), b.mul(g, g)));
  Node *bc1 = b.sub(c(1), b.binary(OpKind::Pow, c(cfg.beta1), t));
  Node *bc2 = b.sub(c(1), b.binary(OpKind::Pow, c(cfg.beta2), t));
  // The bias corrections go into per-step scalars, as torch.optim.Adam
  // applies them (step size lr/bc1; sqrt(v)/sqrt(bc2), here times the
  // reciprocal): one sqrt and one divide per element instead of three.
  Node *stepSize = b.div(s.lr, bc1);
  Node *rsqrtBc2 = b.div(c(1), b.unary(OpKind::Sqrt, bc2));
  Node *denom = b.add(b.mul(b.unary(OpKind::Sqrt, v2), rsqrtBc2), c(cfg.eps));
  b.assign(m, m2);
  b.assign(v, v2);
  b.assign(p, b.sub(decayed, b.mul(stepSize, b.div(m2, denom))));
}

} // namespace

void appendOptimizerUpdate(Graph &g, const std::map<Node *, Node *> &grads,
                           const OptimizerConfig &cfg) {
  bool known = cfg.kind == "sgd" || cfg.kind == "adam" || cfg.kind == "adamw" ||
               cfg.kind == "rmsprop";
  if (!known)
    throw std::invalid_argument("unknown optimizer '" + cfg.kind + "'");
  std::vector<Node *> params = g.nodesOfKind(OpKind::Param);
  if (params.empty())
    return;
  Builder b(g);
  DType dt = params[0]->type.dtype;
  Shared s;
  if (cfg.lrFromState())
    s.lr = b.state(kLearningRateState, {dt, {}}, {Initializer::Constant, cfg.lr, 0});
  else
    s.lr = b.constant(cfg.lr, dt);
  bool counts = cfg.kind == "adam" || cfg.kind == "adamw" || cfg.dampening != 0.0;
  if (counts) { // one step counter per training run
    Node *step = b.state(cfg.kind == "sgd" ? "sgd.step" : "adam.step", {dt, {}}, zeros());
    s.t = b.add(step, b.constant(1.0, dt));
    b.assign(step, s.t);
  }
  for (Node *p : params) {
    Node *grad = grads.at(p);
    if (cfg.kind == "sgd")
      appendSgd(b, p, grad, s, cfg);
    else if (cfg.kind == "rmsprop")
      appendRmsprop(b, p, grad, s, cfg);
    else
      appendAdam(b, p, grad, s, cfg);
  }
}

} // namespace nnc::ir

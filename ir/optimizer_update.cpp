#include "ir/optimizer_update.h"

#include "ir/builder.h"

#include <stdexcept>

namespace nnc::ir {

namespace {

Initializer zeros() { return {Initializer::Zeros, 0, 0}; }

void appendSgd(Builder &b, Node *p, Node *g, const OptimizerConfig &cfg) {
  DType t = p->type.dtype;
  Node *lr = b.constant(cfg.lr, t);
  Node *step = g;
  if (cfg.momentum != 0.0) {
    Node *buf = b.state(p->name + ".momentum", p->type, zeros());
    Node *mu = b.constant(cfg.momentum, t);
    Node *v = b.add(b.mul(mu, buf), g);
    b.assign(buf, v);
    step = cfg.nesterov ? b.add(g, b.mul(mu, v)) : v;
  }
  b.assign(p, b.sub(p, b.mul(lr, step)));
}

void appendRmsprop(Builder &b, Node *p, Node *g, const OptimizerConfig &cfg) {
  auto c = [&](double v) { return b.constant(v, p->type.dtype); };
  Node *v = b.state(p->name + ".rmsprop_v", p->type, zeros());
  Node *v2 = b.add(b.mul(c(cfg.rho), v), b.mul(c(1 - cfg.rho), b.mul(g, g)));
  b.assign(v, v2);
  Node *denom = b.add(b.unary(OpKind::Sqrt, v2), c(cfg.eps));
  b.assign(p, b.sub(p, b.mul(c(cfg.lr), b.div(g, denom))));
}

void appendAdam(Builder &b, Node *p, Node *g, Node *t, const OptimizerConfig &cfg) {
  DType dt = p->type.dtype;
  auto c = [&](double v) { return b.constant(v, dt); };
  Node *decayed = p;
  if (cfg.kind == "adamw") // decoupled weight decay, applied before the adam step
    decayed = b.sub(p, b.mul(c(cfg.lr * cfg.weightDecay), p));
  Node *m = b.state(p->name + ".adam_m", p->type, zeros());
  Node *v = b.state(p->name + ".adam_v", p->type, zeros());
  Node *m2 = b.add(b.mul(c(cfg.beta1), m), b.mul(c(1 - cfg.beta1), g));
  Node *v2 = b.add(b.mul(c(cfg.beta2), v), b.mul(c(1 - cfg.beta2), b.mul(g, g)));
  Node *bc1 = b.sub(c(1), b.binary(OpKind::Pow, c(cfg.beta1), t));
  Node *bc2 = b.sub(c(1), b.binary(OpKind::Pow, c(cfg.beta2), t));
  Node *mhat = b.div(m2, bc1);
  Node *denom = b.add(b.unary(OpKind::Sqrt, b.div(v2, bc2)), c(cfg.eps));
  b.assign(m, m2);
  b.assign(v, v2);
  b.assign(p, b.sub(decayed, b.mul(c(cfg.lr), b.div(mhat, denom))));
}

} // namespace

void appendOptimizerUpdate(Graph &g, const std::map<Node *, Node *> &grads,
                           const OptimizerConfig &cfg) {
  Builder b(g);
  if (cfg.kind == "sgd") {
    for (Node *p : g.nodesOfKind(OpKind::Param))
      appendSgd(b, p, grads.at(p), cfg);
  } else if (cfg.kind == "rmsprop") {
    for (Node *p : g.nodesOfKind(OpKind::Param))
      appendRmsprop(b, p, grads.at(p), cfg);
  } else if (cfg.kind == "adam" || cfg.kind == "adamw") {
    if (grads.empty())
      return;
    DType dt = grads.begin()->first->type.dtype;
    Node *step = b.state("adam.step", {dt, {}}, zeros());
    Node *t = b.add(step, b.constant(1.0, dt)); // one step counter per training run
    b.assign(step, t);
    for (Node *p : g.nodesOfKind(OpKind::Param))
      appendAdam(b, p, grads.at(p), t, cfg);
  } else {
    throw std::invalid_argument("unknown optimizer '" + cfg.kind + "'");
  }
}

} // namespace nnc::ir

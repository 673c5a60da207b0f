// `optimizer = ...` in the train block -> ir::OptimizerConfig (defaults shown;
// a bare name such as `adam` means all defaults; PyTorch's defaults):
//   sgd(lr: 0.01, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0)
//   adam(lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0)
//   adamw(lr: 0.001, weight_decay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8)
//   rmsprop(lr: 0.01, rho: 0.99, eps: 1e-8, weight_decay: 0)
//   each also takes decay_biases: true (false exempts 1-D params from weight decay)
// `lr_schedule = ...`, per epoch (PyTorch's StepLR, ExponentialLR, CosineAnnealingLR):
//   step(step_size, gamma: 0.1) | exponential(gamma) | cosine(min_lr: 0) | constant
// Errors: an unknown optimizer, schedule or parameter (with suggestions),
// values out of range (lr, eps > 0; momentum, dampening, betas, rho in [0, 1);
// weight_decay >= 0; gamma in (0, 1]; nesterov needs momentum > 0 and no
// dampening), each at the value.
#include "frontend/call_args.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "support/spelling.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

constexpr double kInf = 1e308;

/// Reads a number into `out`, checking lo <= v < hi (lo < v if `openLow`).
bool readRange(LoweringContext &cx, const ast::Expr *arg, const std::string &what, double &out,
               double lo, double hi, bool openLow, const std::string &range) {
  if (!arg)
    return true;
  auto v = constantNumber(cx, *arg, what);
  if (!v)
    return false;
  if ((openLow ? *v <= lo : *v < lo) || *v >= hi) {
    cx.error(arg->span, fmt::format("{} must be {}, got {}", what, range, *v));
    return false;
  }
  out = *v;
  return true;
}

struct OptimizerSpec {
  std::string name;
  double lr, weightDecay; // defaults
  std::vector<ParamSpec> params;
};

const std::vector<OptimizerSpec> &optimizerTable() {
  auto opt = [](std::vector<std::string> names) {
    std::vector<ParamSpec> params;
    for (std::string &n : names)
      params.push_back({std::move(n), false});
    params.push_back({"decay_biases", false});
    return params;
  };
  static const std::vector<OptimizerSpec> table = {
      {"sgd", 0.01, 0, opt({"lr", "momentum", "dampening", "nesterov", "weight_decay"})},
      {"adam", 0.001, 0, opt({"lr", "beta1", "beta2", "eps", "weight_decay"})},
      {"adamw", 0.001, 0.01, opt({"lr", "weight_decay", "beta1", "beta2", "eps"})},
      {"rmsprop", 0.01, 0, opt({"lr", "rho", "eps", "weight_decay"})},
  };
  return table;
}

/// The argument named `name`, or null when absent.
const ast::Expr *argNamed(const OptimizerSpec &spec, const BoundArgs &args, const char *name) {
  for (size_t i = 0; i < spec.params.size(); ++i)
    if (spec.params[i].name == name)
      return args[i];
  return nullptr;
}

} // namespace

void readOptimizer(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &v = *entry.value;
  if (v.kind != ast::ExprKind::Call && v.kind != ast::ExprKind::Name) {
    cx.error(v.span, "optimizer must be sgd(...), adam(...), adamw(...) or rmsprop(...)");
    return;
  }
  const OptimizerSpec *spec = nullptr;
  std::vector<std::string> names;
  for (const OptimizerSpec &s : optimizerTable()) {
    names.push_back(s.name);
    if (s.name == v.text)
      spec = &s;
  }
  if (!spec) {
    std::string hint = support::didYouMean(v.text, names);
    cx.error(v.kind == ast::ExprKind::Call ? v.opSpan : v.span,
             fmt::format("unknown optimizer '{}'{}", v.text,
                         hint.empty() ? "; expected sgd, adam, adamw or rmsprop" : hint));
    return;
  }
  BoundArgs args;
  args.args.assign(spec->params.size(), nullptr);
  if (v.kind == ast::ExprKind::Call) {
    auto bound = bindArgs(cx, v, spec->params);
    if (!bound)
      return;
    args = *bound;
  }
  ir::OptimizerConfig opt;
  opt.kind = spec->name;
  opt.lr = spec->lr;
  opt.weightDecay = spec->weightDecay;
  opt.schedule = cx.model.train.optimizer.schedule; // lr_schedule may come first
  auto arg = [&](const char *name) { return argNamed(*spec, args, name); };
  bool ok = readRange(cx, arg("lr"), "the learning rate", opt.lr, 0, kInf, true, "positive");
  ok &= readRange(cx, arg("momentum"), "momentum", opt.momentum, 0, 1, false, "in [0, 1)");
  ok &= readRange(cx, arg("dampening"), "dampening", opt.dampening, 0, 1, false, "in [0, 1)");
  ok &= readRange(cx, arg("beta1"), "beta1", opt.beta1, 0, 1, false, "in [0, 1)");
  ok &= readRange(cx, arg("beta2"), "beta2", opt.beta2, 0, 1, false, "in [0, 1)");
  ok &= readRange(cx, arg("rho"), "rho", opt.rho, 0, 1, false, "in [0, 1)");
  ok &= readRange(cx, arg("eps"), "eps", opt.eps, 0, kInf, true, "positive");
  ok &= readRange(cx, arg("weight_decay"), "weight_decay", opt.weightDecay, 0, kInf, false,
                  "non-negative");
  if (const ast::Expr *nesterov = arg("nesterov")) {
    auto on = constantBool(cx, *nesterov, "nesterov");
    ok &= on.has_value();
    opt.nesterov = on.value_or(false);
    if (opt.nesterov && (opt.momentum == 0 || opt.dampening != 0) && ok) {
      cx.error(nesterov->span, "nesterov needs a momentum > 0 and no dampening");
      ok = false;
    }
  }
  if (const ast::Expr *decay = arg("decay_biases")) {
    auto on = constantBool(cx, *decay, "decay_biases");
    ok &= on.has_value();
    opt.decayBiases = on.value_or(true);
  }
  if (ok)
    cx.model.train.optimizer = opt;
}

void readLrSchedule(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &v = *entry.value;
  const std::vector<std::string> kinds = {"step", "exponential", "cosine", "constant"};
  bool known = std::find(kinds.begin(), kinds.end(), v.text) != kinds.end();
  if ((v.kind != ast::ExprKind::Call && v.kind != ast::ExprKind::Name) || !known) {
    std::string hint = v.kind == ast::ExprKind::Call || v.kind == ast::ExprKind::Name
                           ? support::didYouMean(v.text, kinds)
                           : "";
    cx.error(v.kind == ast::ExprKind::Call ? v.opSpan : v.span,
             hint.empty() ? "lr_schedule must be step(step_size, gamma), exponential(gamma), "
                            "cosine(min_lr) or constant"
                          : fmt::format("unknown lr_schedule '{}'{}", v.text, hint));
    return;
  }
  ir::OptimizerConfig::Schedule schedule;
  schedule.kind = v.text == "constant" ? "" : v.text;
  std::vector<ParamSpec> params = v.text == "step"
                                      ? std::vector<ParamSpec>{{"step_size"}, {"gamma", false}}
                                  : v.text == "exponential" ? std::vector<ParamSpec>{{"gamma"}}
                                  : v.text == "cosine" ? std::vector<ParamSpec>{{"min_lr", false}}
                                                       : std::vector<ParamSpec>{};
  BoundArgs args;
  args.args.assign(params.size(), nullptr);
  if (v.kind == ast::ExprKind::Call) {
    auto bound = bindArgs(cx, v, params);
    if (!bound)
      return;
    args = *bound;
  } else if (!params.empty() && params[0].required) {
    cx.error(v.span, fmt::format("{0} needs its {1}, as in {0}({1}: ...)", v.text, params[0].name));
    return;
  }
  bool ok = true;
  for (size_t i = 0; i < params.size(); ++i) {
    const ast::Expr *a = args[i];
    const std::string &name = params[i].name;
    if (!a)
      continue;
    if (name == "step_size") {
      auto n = constantInt(cx, *a, "step_size");
      if (n && *n < 1)
        cx.error(a->span,
                 fmt::format("step_size is a number of epochs and must be positive, got {}", *n));
      ok &= n && *n >= 1;
      schedule.stepSize = n.value_or(1);
    } else if (name == "gamma") {
      ok &= readRange(cx, a, "gamma", schedule.gamma, 0, 1 + 1e-12, true, "in (0, 1]");
    } else {
      ok &= readRange(cx, a, "min_lr", schedule.minLr, 0, kInf, false, "non-negative");
    }
  }
  if (ok)
    cx.model.train.optimizer.schedule = schedule;
}

} // namespace nnc::frontend

// `optimizer = ...` in the train block -> ir::OptimizerConfig (defaults shown;
// a bare name such as `adam` means all defaults; PyTorch's defaults):
//   sgd(lr: 0.01, momentum: 0, nesterov: false)
//   adam(lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8)
//   adamw(lr: 0.001, weight_decay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8)
//   rmsprop(lr: 0.01, rho: 0.99, eps: 1e-8)
// Errors: an unknown optimizer or parameter (with suggestions), values out of
// range (lr, eps > 0; momentum, betas, rho in [0, 1); weight_decay >= 0;
// nesterov needs momentum > 0), each at the value.
#include "frontend/call_args.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "support/spelling.h"

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
  double lr; // default learning rate
  std::vector<ParamSpec> params;
};

const std::vector<OptimizerSpec> &optimizerTable() {
  static const std::vector<OptimizerSpec> table = {
      {"sgd", 0.01, {{"lr", false}, {"momentum", false}, {"nesterov", false}}},
      {"adam", 0.001, {{"lr", false}, {"beta1", false}, {"beta2", false}, {"eps", false}}},
      {"adamw",
       0.001,
       {{"lr", false}, {"weight_decay", false}, {"beta1", false}, {"beta2", false}, {"eps", false}}},
      {"rmsprop", 0.01, {{"lr", false}, {"rho", false}, {"eps", false}}},
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
  auto arg = [&](const char *name) { return argNamed(*spec, args, name); };
  bool ok = readRange(cx, arg("lr"), "the learning rate", opt.lr, 0, kInf, true, "positive");
  ok &= readRange(cx, arg("momentum"), "momentum", opt.momentum, 0, 1, false, "in [0, 1)");
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
    if (opt.nesterov && opt.momentum == 0 && ok) {
      cx.error(nesterov->span, "nesterov needs a momentum > 0");
      ok = false;
    }
  }
  if (ok)
    cx.model.train.optimizer = opt;
}

} // namespace nnc::frontend

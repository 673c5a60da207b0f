// The `train { }` block -> TrainConfig:
//   optimizer  = sgd(lr: 0.01, momentum: 0, nesterov: false)
//              | adam(lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8)
//                (defaults shown; a bare `adam` means all defaults)
//   epochs     = positive integer           batch_size = positive integer
//   seed       = integer >= 0               shuffle    = true | false
//   validation = fraction in [0, 1)         metrics    = [accuracy, mae, mse]
// Errors: unknown keys/optimizers/metrics (with suggestions) and values out
// of range, each at the value.
#include "frontend/call_args.h"
#include "frontend/config_block.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "support/spelling.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

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

constexpr double kInf = 1e308;

void readOptimizer(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &v = *entry.value;
  if (v.kind != ast::ExprKind::Call && v.kind != ast::ExprKind::Name) {
    cx.error(v.span, "optimizer must be sgd(...) or adam(...)");
    return;
  }
  ir::OptimizerConfig opt;
  opt.kind = v.text;
  std::vector<ParamSpec> params;
  if (v.text == "sgd") {
    opt.lr = 0.01;
    params = {{"lr", false}, {"momentum", false}, {"nesterov", false}};
  } else if (v.text == "adam") {
    params = {{"lr", false}, {"beta1", false}, {"beta2", false}, {"eps", false}};
  } else {
    std::string hint = support::didYouMean(v.text, {"sgd", "adam"});
    cx.error(v.kind == ast::ExprKind::Call ? v.opSpan : v.span,
             fmt::format("unknown optimizer '{}'{}", v.text,
                         hint.empty() ? "; expected sgd or adam" : hint));
    return;
  }
  BoundArgs args(params.size(), nullptr);
  if (v.kind == ast::ExprKind::Call) {
    auto bound = bindArgs(cx, v, params);
    if (!bound)
      return;
    args = *bound;
  }
  bool ok = readRange(cx, args[0], "the learning rate", opt.lr, 0, kInf, true, "positive");
  if (opt.kind == "sgd") {
    ok &= readRange(cx, args[1], "momentum", opt.momentum, 0, 1, false, "in [0, 1)");
    if (args[2]) {
      auto nesterov = constantBool(cx, *args[2], "nesterov");
      ok &= nesterov.has_value();
      opt.nesterov = nesterov.value_or(false);
      if (opt.nesterov && opt.momentum == 0 && ok) {
        cx.error(args[2]->span, "nesterov needs a momentum > 0");
        ok = false;
      }
    }
  } else {
    ok &= readRange(cx, args[1], "beta1", opt.beta1, 0, 1, false, "in [0, 1)");
    ok &= readRange(cx, args[2], "beta2", opt.beta2, 0, 1, false, "in [0, 1)");
    ok &= readRange(cx, args[3], "eps", opt.eps, 0, kInf, true, "positive");
  }
  if (ok)
    cx.model.train.optimizer = opt;
}

/// Reads an integer >= `min` for `key`.
std::optional<int64_t> readCount(LoweringContext &cx, const ast::BlockEntry &entry, int64_t min) {
  auto v = constantInt(cx, *entry.value, entry.key);
  if (v && *v < min) {
    cx.error(entry.value->span,
             fmt::format("{} must be {}, got {}", entry.key,
                         min > 0 ? "a positive integer" : "a non-negative integer", *v));
    return std::nullopt;
  }
  return v;
}

void readEpochs(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (auto v = readCount(cx, entry, 1))
    cx.model.train.epochs = *v;
}

void readBatchSize(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (auto v = readCount(cx, entry, 1))
    cx.model.train.batchSize = *v;
}

void readSeed(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (auto v = readCount(cx, entry, 0))
    cx.model.train.seed = (uint64_t)*v;
}

void readShuffle(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (auto v = constantBool(cx, *entry.value, "shuffle"))
    cx.model.train.shuffle = *v;
}

void readMetrics(LoweringContext &cx, const ast::BlockEntry &entry) {
  const std::vector<std::string> known = {"accuracy", "mae", "mse"};
  auto names = constantNameList(cx, *entry.value, "metrics");
  if (!names)
    return;
  std::vector<std::string> &metrics = cx.model.train.metrics;
  metrics.clear();
  for (auto [name, span] : *names) {
    if (name == "acc")
      name = "accuracy"; // the Keras alias
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string hint = support::didYouMean(name, known);
      cx.error(span, fmt::format("unknown metric '{}'{}", name,
                                 hint.empty() ? "; expected accuracy, mae or mse" : hint));
      continue;
    }
    if (std::find(metrics.begin(), metrics.end(), name) != metrics.end())
      continue;
    metrics.push_back(name);
    cx.metrics.emplace_back(name, span);
  }
}

} // namespace

void readTrainBlock(LoweringContext &cx, const ast::Stmt &s) {
  static const std::vector<Setting> settings = {
      {"optimizer", readOptimizer}, {"epochs", readEpochs},   {"batch_size", readBatchSize},
      {"seed", readSeed},           {"shuffle", readShuffle}, {"validation", readValidation},
      {"metrics", readMetrics},
  };
  readSettings(cx, s, "train", settings);
}

} // namespace nnc::frontend

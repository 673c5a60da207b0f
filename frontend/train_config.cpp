// The `train { }` block -> TrainConfig:
//   optimizer  = sgd(...) | adam(...) | adamw(...) | rmsprop(...)   (optimizer_setting.cpp)
//   lr_schedule = step(...) | exponential(...) | cosine(...) | constant  (optimizer_setting.cpp)
//   epochs     = positive integer           batch_size = positive integer
//   seed       = integer 0..2^64-1, exact   shuffle    = true | false
//   validation = fraction in [0, 1)         metrics    = [accuracy, mae, mse, rmse, r2]
//   early_stopping = early_stopping(patience: 5, monitor: val_loss | loss) | true | false
//                    (the entry `early_stopping(...)` alone means the same)
// Errors: unknown keys/optimizers/metrics (with suggestions) and values out
// of range, each at the value.
#include "frontend/call_args.h"
#include "frontend/config_block.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "support/spelling.h"

#include <algorithm>
#include <fmt/format.h>
#include <limits>

namespace nnc::frontend {

namespace {

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

/// Any integer from 0 to 2^64 - 1, exactly (as --seed).
void readSeed(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &e = *entry.value;
  if (e.kind == ast::ExprKind::Number && e.isInteger && e.exact) {
    cx.model.train.seed = *e.exact;
    return;
  }
  if (e.kind == ast::ExprKind::Number && e.isInteger)
    cx.error(e.span, fmt::format("seed must be an integer between 0 and {}",
                                 std::numeric_limits<uint64_t>::max()));
  else if (auto v = readCount(cx, entry, 0)) // the messages for -1, 0.5, names
    cx.model.train.seed = (uint64_t)*v;
}

void readShuffle(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (auto v = constantBool(cx, *entry.value, "shuffle"))
    cx.model.train.shuffle = *v;
}

void readMetrics(LoweringContext &cx, const ast::BlockEntry &entry) {
  const std::vector<std::string> known = {"accuracy", "mae", "mse", "rmse", "r2"};
  cx.metricsKeySpan = entry.keySpan;
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
      cx.error(span,
               fmt::format("unknown metric '{}'{}", name,
                           hint.empty() ? "; expected accuracy, mae, mse, rmse or r2" : hint));
      continue;
    }
    if (std::find(metrics.begin(), metrics.end(), name) != metrics.end())
      continue;
    metrics.push_back(name);
    cx.metrics.emplace_back(name, span);
  }
}

void readEarlyStopping(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &v = *entry.value;
  TrainConfig &t = cx.model.train;
  if (v.kind == ast::ExprKind::Name && (v.text == "true" || v.text == "false")) {
    t.earlyStoppingPatience = v.text == "true" ? 5 : 0;
    if (v.text == "true")
      cx.earlyStoppingSpan = entry.keySpan;
    return;
  }
  if (v.kind != ast::ExprKind::Call || v.text != "early_stopping") {
    cx.error(v.span, "early_stopping must be early_stopping(patience: 5, monitor: val_loss), "
                     "true or false");
    return;
  }
  auto args = bindArgs(cx, v, {{"patience", false}, {"monitor", false}});
  if (!args)
    return;
  int64_t patience = 5;
  if (args->args[0]) {
    auto p = constantInt(cx, *args->args[0], "patience");
    if (!p)
      return;
    if (*p < 1) {
      cx.error(args->args[0]->span,
               fmt::format("patience is a number of epochs and must be positive, got {}", *p));
      return;
    }
    patience = *p;
  }
  std::string monitor = "val_loss";
  if (const ast::Expr *m = args->args[1]) {
    auto name = constantName(cx, *m, "monitor");
    if (!name)
      return;
    if (*name != "val_loss" && *name != "loss") {
      std::string hint = support::didYouMean(*name, {"val_loss", "loss"});
      cx.error(m->span,
               fmt::format("early_stopping can monitor val_loss or loss, not '{}'{}", *name, hint));
      return;
    }
    monitor = *name;
  }
  t.earlyStoppingPatience = patience;
  t.earlyStoppingMonitor = monitor;
  cx.earlyStoppingSpan = entry.keySpan;
}

/// Optimizer parameters written as train settings.
std::string explainKey(const std::string &key) {
  for (const char *p :
       {"lr", "momentum", "nesterov", "beta1", "beta2", "eps", "weight_decay", "rho"})
    if (key == p)
      return fmt::format("; {0} is a parameter of the optimizer, as in optimizer = {1}({0}: ...)",
                         key,
                         key == "momentum" || key == "nesterov" ? "sgd"
                         : key == "rho"                         ? "rmsprop"
                         : key == "weight_decay"                ? "adamw"
                                                                : "adam");
  if (key == "loss")
    return "; the loss is a statement of the model: loss mse(pred, y)";
  return "";
}

} // namespace

void readTrainBlock(LoweringContext &cx, const ast::Stmt &s) {
  static const std::vector<Setting> settings = {
      {"optimizer", readOptimizer},    {"epochs", readEpochs},
      {"batch_size", readBatchSize},   {"seed", readSeed},
      {"shuffle", readShuffle},        {"validation", readValidation},
      {"metrics", readMetrics},        {"early_stopping", readEarlyStopping},
      {"lr_schedule", readLrSchedule},
  };
  readSettings(cx, s, "train", settings, explainKey);
}

} // namespace nnc::frontend

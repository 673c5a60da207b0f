// The `data { }` block -> DataConfig (how the training CSV maps to the model):
//   features   = [col, "col with spaces", ...]  columns fed to the input, in order
//   label      = col                            the target/label column
//   normalize  = standard | none                standardize features (default standard)
//   normalize_target = standard | none          train a real-valued target as z-scores
//                                               (default none; not for a label)
//   validation = fraction in [0, 1)             held-out fraction (TrainConfig::validation)
// Errors: unknown keys, repeated feature columns, bad values. That the
// feature count matches the input is checked with the whole model.
#include "frontend/config_block.h"
#include "frontend/constants.h"
#include "frontend/lower.h"

#include <fmt/format.h>
#include <set>

namespace nnc::frontend {

namespace {

void readFeatures(LoweringContext &cx, const ast::BlockEntry &entry) {
  auto names = constantNameList(cx, *entry.value, "features");
  if (!names)
    return;
  if (names->empty()) {
    cx.error(entry.value->span, "features must name at least one column");
    return;
  }
  std::set<std::string> seen;
  std::vector<std::string> features;
  for (const auto &[name, span] : *names) {
    if (!seen.insert(name).second) {
      cx.error(span, fmt::format("feature column '{}' is listed twice", name));
      return;
    }
    features.push_back(name);
  }
  cx.model.data.features = std::move(features);
  cx.featuresSpan = entry.value->span;
}

void readLabel(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (auto name = constantName(cx, *entry.value, "label"))
    cx.model.data.label = *name;
}

void readNormalize(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &v = *entry.value;
  if (v.kind == ast::ExprKind::Name && (v.text == "standard" || v.text == "none")) {
    cx.model.data.standardize = v.text == "standard";
    return;
  }
  cx.error(v.span, "normalize must be 'standard' or 'none'");
}

void readNormalizeTarget(LoweringContext &cx, const ast::BlockEntry &entry) {
  const ast::Expr &v = *entry.value;
  if (v.kind == ast::ExprKind::Name && (v.text == "standard" || v.text == "none")) {
    cx.model.data.standardizeTarget = v.text == "standard";
    if (v.text == "standard")
      cx.normalizeTargetSpan = entry.keySpan;
    return;
  }
  cx.error(v.span, "normalize_target must be 'standard' or 'none'");
}

} // namespace

void readDataBlock(LoweringContext &cx, const ast::Stmt &s) {
  static const std::vector<Setting> settings = {
      {"features", readFeatures},     {"label", readLabel},
      {"normalize", readNormalize},   {"normalize_target", readNormalizeTarget},
      {"validation", readValidation},
  };
  readSettings(cx, s, "data", settings);
}

} // namespace nnc::frontend

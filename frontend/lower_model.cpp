// One model: its statements in source order, then the checks that need the
// whole model: exactly one input, one target or label and one loss; the
// prediction output; metrics that fit the task and the prediction; early
// stopping on val_loss only with a validation split; as many `data` feature
// columns as the input has features.
#include "frontend/lower.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// Records the first `data`, `train` or `loss` statement; reports a second.
bool isFirst(LoweringContext &cx, const ast::Stmt *&first, const ast::Stmt &s, const char *what) {
  if (!first) {
    first = &s;
    return true;
  }
  cx.error(s.span, fmt::format("a model has one {}; the first is at {}", what,
                               LoweringContext::position(first->span)));
  return false;
}

void lowerOutput(LoweringContext &cx, const ast::Stmt &s) {
  if (s.name == "loss" || s.name == "prediction")
    cx.error(s.nameSpan,
             fmt::format("the output name '{}' is reserved for the loss statement", s.name));
  ir::Node *v = lowerExpr(cx, *s.value);
  if (v) {
    cx.setLoc(s.nameSpan);
    cx.builder.output(s.name, v);
    if (!cx.firstOutput)
      cx.firstOutput = v;
  }
  cx.define(s.name, s.nameSpan, s.kind, v);
}

void lowerStatement(LoweringContext &cx, const ast::Stmt &s) {
  switch (s.kind) {
  case ast::StmtKind::Input:
  case ast::StmtKind::Target:
  case ast::StmtKind::Label:
    lowerDataInput(cx, s);
    break;
  case ast::StmtKind::Param:
    lowerParam(cx, s);
    break;
  case ast::StmtKind::Value:
    cx.define(s.name, s.nameSpan, s.kind, lowerExpr(cx, *s.value));
    break;
  case ast::StmtKind::Output:
    lowerOutput(cx, s);
    break;
  case ast::StmtKind::Loss:
    if (isFirst(cx, cx.loss, s, "loss"))
      lowerLoss(cx, s);
    break;
  case ast::StmtKind::Data:
    if (isFirst(cx, cx.dataBlock, s, "data block"))
      readDataBlock(cx, s);
    break;
  case ast::StmtKind::Train:
    if (isFirst(cx, cx.trainBlock, s, "train block"))
      readTrainBlock(cx, s);
    break;
  case ast::StmtKind::Return:
    cx.error(s.span, "'return' belongs in a layer; a model names its results with 'output' and "
                     "'loss'");
    break;
  }
}

/// For a loss written as an expression, the prediction is the first output.
void addPredictionOutput(LoweringContext &cx) {
  if (cx.prediction || !cx.model.forward->loss() || !cx.firstOutput)
    return;
  cx.prediction = cx.firstOutput;
  cx.builder.output("prediction", cx.prediction);
}

void checkMetrics(LoweringContext &cx) {
  const Model &m = cx.model;
  if (m.targetInput.empty() || !m.forward->loss())
    return;
  if (!cx.prediction && !cx.metrics.empty()) {
    cx.error(*cx.metricsKeySpan,
             "metrics compare a prediction with the target, but this model has none: its loss "
             "is an expression and it has no output; declare one, as in 'output pred = ...'");
    return;
  }
  bool binary = cx.lossFunction == "binary_cross_entropy_with_logits";
  const ir::TensorType &target = m.forward->findNamed(ir::OpKind::Input, m.targetInput)->type;
  for (const auto &[metric, span] : cx.metrics) {
    if (metric == "accuracy" && !m.classification && !binary)
      cx.error(span, fmt::format("metric 'accuracy' needs class ids, but '{}' is a real-valued "
                                 "target; declare 'label {}: class[K]', use "
                                 "binary_cross_entropy_with_logits for 0/1 targets, or use mae",
                                 m.targetInput, m.targetInput));
    else if (metric != "accuracy" && m.classification)
      cx.error(span, fmt::format("metric '{}' needs a real-valued target, but '{}' is a label of "
                                 "class ids; use accuracy",
                                 metric, m.targetInput));
    else if (metric != "accuracy" && cx.prediction->type != target)
      cx.error(span, fmt::format("metric '{}' compares the prediction {} with the target {}, but "
                                 "their shapes differ",
                                 metric, cx.prediction->type.str(), target.str()));
  }
}

void checkNormalizeTarget(LoweringContext &cx) {
  if (cx.normalizeTargetSpan && cx.model.classification)
    cx.error(*cx.normalizeTargetSpan,
             fmt::format("normalize_target standardizes a real-valued target, but '{}' is a label "
                         "of class ids",
                         cx.model.targetInput));
}

void checkEarlyStopping(LoweringContext &cx) {
  const TrainConfig &t = cx.model.train;
  if (cx.earlyStoppingSpan && t.earlyStoppingMonitor == "val_loss" && t.validation <= 0)
    cx.error(*cx.earlyStoppingSpan,
             "early_stopping monitors val_loss, but there is no validation split; set "
             "'validation = 0.2' or use early_stopping(monitor: loss)");
}

void checkFeatureCount(LoweringContext &cx) {
  if (!cx.featuresSpan || cx.model.featureInput.empty())
    return;
  int64_t count = ir::Shape(cx.input->type.dims).numElements(1);
  size_t listed = cx.model.data.features.size();
  if ((int64_t)listed != count)
    cx.error(*cx.featuresSpan,
             fmt::format("data lists {} feature column{} but input '{}' takes {} (f32{})", listed,
                         listed == 1 ? "" : "s", cx.input->name, count,
                         ir::Shape(cx.input->type.dims).str()));
}

} // namespace

bool lowerModel(LoweringContext &cx, const ast::ModelDecl &decl) {
  size_t errorsBefore = cx.diags.errors().size() + cx.diags.droppedCount();
  cx.model.name = decl.name;
  for (const ast::Stmt &s : decl.body)
    if (!s.name.empty())
      cx.scope().declaredNames.try_emplace(s.name, s.nameSpan);

  for (const ast::Stmt &s : decl.body)
    lowerStatement(cx, s);
  cx.checkNewTensorSizes(decl.nameSpan); // the loss's nodes, if no later check saw them

  const std::string &name = decl.name;
  if (!cx.input)
    cx.error(decl.nameSpan,
             fmt::format("model '{}' has no input; declare one, as in 'input x: f32[4]'", name));
  if (!cx.target)
    cx.error(decl.nameSpan, fmt::format("model '{}' has no target or label; declare one, as in "
                                        "'target y: f32[1]' or 'label y: class[3]'",
                                        name));
  if (!cx.loss)
    cx.error(decl.nameSpan,
             fmt::format("model '{}' has no loss; add one, as in 'loss mse(pred, y)'", name));
  addPredictionOutput(cx);
  checkMetrics(cx);
  checkEarlyStopping(cx);
  checkNormalizeTarget(cx);
  checkFeatureCount(cx);
  return cx.diags.errors().size() + cx.diags.droppedCount() == errorsBefore;
}

} // namespace nnc::frontend

// The `loss` statement: a call of a built-in loss (loss_functions.cpp), or
// any expression with a scalar value, in which losses may be called too:
//   loss cross_entropy(logits, y)
//   loss mean((pred - y) * (pred - y))
//   loss mse(pred, y) + 0.001 * sum(W * W)
// Adds Output "loss". The "prediction" output (what metrics compare with the
// target) is the first argument of a built-in loss called alone; for any
// other loss it is the model's first `output` (lower_model.cpp), if any.
// Errors: a loss that is not a float scalar (naming its shape).
#include "frontend/lower.h"

#include <fmt/format.h>

namespace nnc::frontend {

void lowerLoss(LoweringContext &cx, const ast::Stmt &s) {
  const ast::Expr &e = *s.value;
  bool builtin = e.kind == ast::ExprKind::Call && isLossFunction(e.text);
  ir::Node *prediction = nullptr;
  cx.inLoss = true;
  ir::Node *loss = builtin ? lowerLossCall(cx, e, &prediction) : lowerExpr(cx, e);
  cx.inLoss = false;
  if (builtin)
    cx.lossFunction = e.text;
  if (!loss || !requireFloat(cx, loss, e.span, "the loss"))
    return;
  if (!loss->shape().isScalar()) {
    cx.error(e.span, fmt::format("the loss must be a scalar, but this expression is {}; reduce "
                                 "it, as in mean(...)",
                                 loss->type.str()));
    return;
  }
  cx.model.predictionIsLogits =
      cx.lossFunction == "cross_entropy" || cx.lossFunction == "binary_cross_entropy_with_logits";
  cx.setLoc(s.span);
  cx.builder.output("loss", loss);
  if (prediction) {
    cx.builder.output("prediction", prediction);
    cx.prediction = prediction;
  }
}

} // namespace nnc::frontend

// The model's loss, a scalar mean over the batch:
//   mse(prediction, target)          mean((p - t)^2)          p, t: same f32 shape
//   mae(prediction, target)          mean(relu(p-t) + relu(t-p))   (= mean |p - t|)
//   cross_entropy(logits, labels)    mean(softmax_cross_entropy(logits, labels))
//                                    logits f32[B,K], labels a `label` i32[B] of K classes
// Adds Output "loss" and Output "prediction" (the first argument).
#include "frontend/call_args.h"
#include "frontend/lower.h"
#include "support/spelling.h"
#include "ir/shape_rules.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

const std::vector<std::string> kLosses = {"mse", "mae", "cross_entropy"};

/// "'y' is a label of class ids" / "the target holds class ids".
std::string describeArg(const ast::Expr &arg, const std::string &fallback,
                        const std::string &named) {
  return arg.kind == ast::ExprKind::Name ? fmt::format("'{}' {}", arg.text, named) : fallback;
}

/// mse and mae: prediction and target are real-valued tensors of one shape.
ir::Node *regressionLoss(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args,
                         ir::Node *pred, ir::Node *target) {
  if (target->type.dtype == ir::DType::I32) {
    cx.error(args[1]->span,
             fmt::format("{} needs a real-valued target; {}; use cross_entropy", call.text,
                         describeArg(*args[1], "the target holds class ids",
                                     "is a label of class ids")));
    return nullptr;
  }
  if (!requireFloat(cx, pred, args[0]->span, call.text))
    return nullptr;
  if (pred->type != target->type) {
    cx.error(call.span, fmt::format("{} needs a prediction and a target of the same shape, got {} "
                                    "and {}",
                                    call.text, pred->type.str(), target->type.str()));
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  ir::Node *diff = b.sub(pred, target);
  if (call.text == "mse")
    return b.meanAll(b.mul(diff, diff));
  // |d| = relu(d) + relu(-d): every piece has a gradient (sign(d), 0 at 0).
  ir::Node *positive = b.unary(ir::OpKind::Relu, diff);
  ir::Node *negative = b.unary(ir::OpKind::Relu, b.neg(diff));
  return b.meanAll(b.add(positive, negative));
}

ir::Node *crossEntropyLoss(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args,
                           ir::Node *logits, ir::Node *labels) {
  if (labels->type.dtype != ir::DType::I32) {
    cx.error(args[1]->span,
             fmt::format("cross_entropy needs class ids; {}; declare class ids as 'label y: "
                         "class[K]' or use mse",
                         describeArg(*args[1], "the target is real-valued",
                                     "is a real-valued target")));
    return nullptr;
  }
  ir::TypeOrError t = ir::crossEntropyType(logits->type, labels->type);
  if (!t.ok()) {
    cx.error(call.span, t.error);
    return nullptr;
  }
  int64_t k = logits->shape().dims[1];
  if (labels->classes > 0 && k != labels->classes) {
    cx.error(args[0]->span,
             fmt::format("cross_entropy logits {} score {} classes but label '{}' has {}",
                         logits->type.str(), k, labels->name, labels->classes));
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.meanAll(cx.builder.softmaxCrossEntropy(logits, labels));
}

} // namespace

bool isLossFunction(const std::string &name) {
  return std::find(kLosses.begin(), kLosses.end(), name) != kLosses.end();
}

void lowerLoss(LoweringContext &cx, const ast::Stmt &s) {
  const ast::Expr &call = *s.value;
  if (call.kind != ast::ExprKind::Call || !isLossFunction(call.text)) {
    std::string hint = call.kind == ast::ExprKind::Call ? support::didYouMean(call.text, kLosses) : "";
    cx.error(call.kind == ast::ExprKind::Call ? call.opSpan : call.span,
             call.kind != ast::ExprKind::Call
                 ? "a loss is a call of mse, mae or cross_entropy, as in 'loss mse(pred, y)'"
             : !hint.empty() ? fmt::format("unknown loss '{}'{}", call.text, hint)
                             : fmt::format("unknown loss '{}'; expected mse, mae or cross_entropy",
                                           call.text));
    return;
  }
  bool ce = call.text == "cross_entropy";
  auto args = bindArgs(cx, call, ce ? std::vector<ParamSpec>{{"logits"}, {"labels"}}
                                    : std::vector<ParamSpec>{{"prediction"}, {"target"}});
  if (!args)
    return;
  ir::Node *pred = lowerExpr(cx, *(*args)[0]);
  ir::Node *target = lowerExpr(cx, *(*args)[1]);
  if (!pred || !target)
    return;
  ir::Node *loss = ce ? crossEntropyLoss(cx, call, *args, pred, target)
                      : regressionLoss(cx, call, *args, pred, target);
  if (!loss)
    return;
  cx.setLoc(s.span);
  cx.builder.output("loss", loss);
  cx.builder.output("prediction", pred);
}

} // namespace nnc::frontend

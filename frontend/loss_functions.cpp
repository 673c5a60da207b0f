// Built-in losses, each a scalar mean over all elements (the batch included):
//   mse(prediction, target)           mean((p - t)^2)
//   mae(prediction, target)           mean(relu(p - t) + relu(t - p))     (= mean |p - t|)
//   huber(prediction, target, delta: 1.0)
//                                     mean(|d| > delta ? delta*(|d| - delta/2) : d^2/2),
//                                     d = p - t, delta > 0           (torch.nn.HuberLoss)
//   cross_entropy(logits, labels)     mean(softmax_cross_entropy(logits, labels));
//                                     logits f32[B,K], labels a `label` i32[B] of K classes
//   binary_cross_entropy_with_logits(logits, target)
//                                     mean(softplus(z) - z*y), softplus(z) =
//                                     max(z, 0) + log(1 + exp(-|z|)) one fused op
//                                     (torch BCEWithLogitsLoss, stable for large |z|);
//                                     d/dz = (sigmoid(z) - y)/N everywhere, z = 0 included
// p/z and t/y are real-valued tensors of one shape. Errors: a label given to a
// regression or binary loss, a real-valued target given to cross_entropy,
// shapes that differ (naming both), a non-positive delta.
#include "frontend/call_args.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "ir/shape_rules.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

const std::string kBce = "binary_cross_entropy_with_logits";

/// "'y' is a label of class ids" / "the target holds class ids".
std::string describeArg(const ast::Expr &arg, const std::string &fallback,
                        const std::string &named) {
  return arg.kind == ast::ExprKind::Name ? fmt::format("'{}' {}", arg.text, named) : fallback;
}

/// mse, mae, huber and bce: prediction and target are real-valued tensors of one shape.
bool checkRealPair(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args,
                   ir::Node *pred, ir::Node *target) {
  bool binary = call.text == kBce;
  if (target->type.dtype == ir::DType::I32) {
    cx.error(args[1]->span, fmt::format("{} needs a real-valued target{}; {}; use cross_entropy",
                                        call.text, binary ? " of 0/1 values" : "",
                                        describeArg(*args[1], "the target holds class ids",
                                                    "is a label of class ids")));
    return false;
  }
  if (!requireFloat(cx, pred, args[0]->span, call.text))
    return false;
  if (pred->type != target->type) {
    cx.error(call.span,
             fmt::format("{} needs {} and a target of the same shape, got {} and {}", call.text,
                         binary ? "logits" : "a prediction", pred->type.str(), target->type.str()));
    return false;
  }
  return true;
}

ir::Node *regressionLoss(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args,
                         ir::Node *pred, ir::Node *target) {
  std::optional<double> delta = 1.0;
  if (call.text == "huber" && args[2]) {
    delta = constantNumber(cx, *args[2], "the delta of huber");
    if (delta && !(*delta > 0)) {
      cx.error(args[2]->span, fmt::format("the delta of huber must be positive, got {}", *delta));
      return nullptr;
    }
  }
  if (!delta || !checkRealPair(cx, call, args, pred, target))
    return nullptr;
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  ir::Node *d = b.sub(pred, target);
  if (call.text == "mse")
    return b.meanAll(b.mul(d, d));
  if (call.text == "mae") {
    // |d| = relu(d) + relu(-d): every piece has a gradient (sign(d), 0 at 0).
    ir::Node *positive = b.unary(ir::OpKind::Relu, d);
    ir::Node *negative = b.unary(ir::OpKind::Relu, b.neg(d));
    return b.meanAll(b.add(positive, negative));
  }
  ir::Node *a = b.unary(ir::OpKind::Abs, d);
  // One new node per statement: the graph's node order must not depend on the
  // order in which a compiler evaluates arguments (gcc and clang differ).
  ir::Node *squared = b.mul(d, d);
  ir::Node *quadratic = b.mul(b.constant(0.5), squared);
  ir::Node *halfDelta = b.constant(0.5 * *delta);
  ir::Node *shifted = b.sub(a, halfDelta);
  ir::Node *linear = b.mul(b.constant(*delta), shifted);
  ir::Node *outside = b.binary(ir::OpKind::Greater, a, b.constant(*delta));
  return b.meanAll(b.select(outside, linear, quadratic));
}

ir::Node *binaryCrossEntropy(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args,
                             ir::Node *z, ir::Node *y) {
  if (!checkRealPair(cx, call, args, z, y))
    return nullptr;
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  // softplus(z) = max(z,0) + log(1 + exp(-|z|)) is one op whose gradient is sigmoid(z): the
  // composite's max and |z| would each pick a side of their kink at z = 0 (issue 12).
  ir::Node *softplus = b.unary(ir::OpKind::Softplus, z);
  return b.meanAll(b.sub(softplus, b.mul(z, y)));
}

ir::Node *crossEntropy(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args,
                       ir::Node *logits, ir::Node *labels) {
  if (labels->type.dtype != ir::DType::I32) {
    cx.error(
        args[1]->span,
        fmt::format("cross_entropy needs class ids; {}; declare class ids as 'label y: "
                    "class[K]', or use {} for a 0/1 target",
                    describeArg(*args[1], "the target is real-valued", "is a real-valued target"),
                    kBce));
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

const std::vector<std::string> &lossFunctionNames() {
  static const std::vector<std::string> names = {"mse", "mae", "huber", "cross_entropy", kBce};
  return names;
}

bool isLossFunction(const std::string &name) {
  const auto &names = lossFunctionNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

ir::Node *lowerLossCall(LoweringContext &cx, const ast::Expr &call, ir::Node **prediction) {
  bool logits = call.text == "cross_entropy" || call.text == kBce;
  std::vector<ParamSpec> params = {{logits ? "logits" : "prediction"},
                                   {call.text == "cross_entropy" ? "labels" : "target"}};
  if (call.text == "huber")
    params.push_back({"delta", false});
  auto args = bindArgs(cx, call, params);
  if (!args)
    return nullptr;
  ir::Node *pred = lowerExpr(cx, *(*args)[0]);
  ir::Node *target = lowerExpr(cx, *(*args)[1]);
  if (!pred || !target)
    return nullptr;
  if (prediction)
    *prediction = pred;
  if (call.text == "cross_entropy")
    return crossEntropy(cx, call, *args, pred, target);
  if (call.text == kBce)
    return binaryCrossEntropy(cx, call, *args, pred, target);
  return regressionLoss(cx, call, *args, pred, target);
}

} // namespace nnc::frontend

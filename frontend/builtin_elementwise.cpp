// Elementwise built-in functions and the softmax family; the result has the
// argument's shape (pow: the broadcast shape of both).
//   relu, sigmoid, tanh, exp, log, sqrt, abs (x)
//   leaky_relu(x, alpha: 0.01)  x > 0 ? x : alpha*x
//   elu(x, alpha: 1.0)          x > 0 ? x : alpha*(exp(x > 0 ? 0 : x) - 1) (exp stays finite)
//   gelu(x)                     0.5*x*(1 + erf(x/sqrt(2)))     exact form, PyTorch's default
//   pow(x, y)                   x^y elementwise, NumPy broadcasting
//   softmax(x), log_softmax(x)  along the last axis; log_softmax = (x - m) -
//                               log(sum(exp(x - m))), m = max(x) (stable for large x)
#include "frontend/builtin.h"
#include "frontend/constants.h"
#include "ir/shape_rules.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

// A select on x > 0, not max(x, alpha*x): at x = 0 the derivative is the
// negative side's (alpha, as relu'(0) = 0 and torch's leaky_relu), where max
// would split its tie.
ir::Node *leakyRelu(ir::Builder &b, ir::Node *x, double alpha) {
  ir::Node *scaled = b.mul(b.constant(alpha), x);
  return b.select(b.binary(ir::OpKind::Greater, x, b.constant(0)), x, scaled);
}

// exp of select(x > 0, 0, x) keeps exp finite; min(x, 0) would halve the
// derivative at x = 0 (a tie), which is alpha as in torch's elu.
ir::Node *elu(ir::Builder &b, ir::Node *x, double alpha) {
  ir::Node *zero = b.constant(0);
  ir::Node *positive = b.binary(ir::OpKind::Greater, x, zero);
  ir::Node *negative = b.unary(ir::OpKind::Exp, b.select(positive, zero, x));
  ir::Node *scaled = b.sub(negative, b.constant(1));
  if (alpha != 1)
    scaled = b.mul(b.constant(alpha), scaled);
  return b.select(positive, x, scaled);
}

ir::Node *gelu(ir::Builder &b, ir::Node *x) {
  ir::Node *erf = b.unary(ir::OpKind::Erf, b.mul(x, b.constant(0.7071067811865476)));
  return b.mul(b.mul(b.constant(0.5), x), b.add(b.constant(1), erf));
}

ir::Node *logSoftmax(ir::Builder &b, ir::Node *x) {
  ir::Node *shifted = b.sub(x, b.reduceMax(x, {-1}, true));
  ir::Node *sum = b.reduceSum(b.unary(ir::OpKind::Exp, shifted), {-1}, true);
  return b.sub(shifted, b.unary(ir::OpKind::Log, sum));
}

/// Lowers argument `i` and checks that it is a float tensor.
ir::Node *floatArg(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args, size_t i) {
  ir::Node *x = tensorArg(cx, args[i]);
  return x && requireFloat(cx, x, call.opSpan, call.text) ? x : nullptr;
}

/// An optional numeric argument, `fallback` when absent.
std::optional<double> numberArg(LoweringContext &cx, const ast::Expr &call, const ast::Expr *arg,
                                const char *name, double fallback) {
  if (!arg)
    return fallback;
  return constantNumber(cx, *arg, fmt::format("the {} of {}", name, call.text));
}

template <ir::OpKind Kind>
ir::Node *lowerUnary(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = floatArg(cx, call, args, 0);
  if (!x)
    return nullptr;
  cx.setLoc(call.opSpan);
  return cx.builder.unary(Kind, x);
}

ir::Node *lowerLeakyRelu(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = floatArg(cx, call, args, 0);
  auto alpha = numberArg(cx, call, args[1], "alpha", 0.01);
  if (!x || !alpha)
    return nullptr;
  cx.setLoc(call.opSpan);
  return leakyRelu(cx.builder, x, *alpha);
}

ir::Node *lowerElu(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = floatArg(cx, call, args, 0);
  auto alpha = numberArg(cx, call, args[1], "alpha", 1.0);
  if (!x || !alpha)
    return nullptr;
  cx.setLoc(call.opSpan);
  return elu(cx.builder, x, *alpha);
}

ir::Node *lowerGelu(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = floatArg(cx, call, args, 0);
  if (!x)
    return nullptr;
  cx.setLoc(call.opSpan);
  return gelu(cx.builder, x);
}

/// softmax and log_softmax: along the last axis, which must exist.
ir::Node *lowerSoftmaxFamily(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = floatArg(cx, call, args, 0);
  if (!x)
    return nullptr;
  if (x->shape().isScalar()) {
    cx.error(call.opSpan,
             fmt::format("{} needs at least one dimension, got {}", call.text, x->type.str()));
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return call.text == "softmax" ? cx.builder.softmax(x) : logSoftmax(cx.builder, x);
}

ir::Node *lowerPow(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = floatArg(cx, call, args, 0);
  ir::Node *y = floatArg(cx, call, args, 1);
  if (!x || !y)
    return nullptr;
  ir::TypeOrError t = ir::broadcastTypes(x->type, y->type, "compute pow of");
  if (!t.ok()) {
    cx.error(call.opSpan, t.error);
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.binary(ir::OpKind::Pow, x, y);
}

} // namespace

std::vector<Builtin> elementwiseBuiltins() {
  using K = ir::OpKind;
  return {
      {"relu", {{"x"}}, lowerUnary<K::Relu>},
      {"leaky_relu", {{"x"}, {"alpha", false}}, lowerLeakyRelu},
      {"elu", {{"x"}, {"alpha", false}}, lowerElu},
      {"gelu", {{"x"}}, lowerGelu},
      {"sigmoid", {{"x"}}, lowerUnary<K::Sigmoid>},
      {"tanh", {{"x"}}, lowerUnary<K::Tanh>},
      {"softmax", {{"x"}}, lowerSoftmaxFamily},
      {"log_softmax", {{"x"}}, lowerSoftmaxFamily},
      {"exp", {{"x"}}, lowerUnary<K::Exp>},
      {"log", {{"x"}}, lowerUnary<K::Log>},
      {"sqrt", {{"x"}}, lowerUnary<K::Sqrt>},
      {"abs", {{"x"}}, lowerUnary<K::Abs>},
      {"pow", {{"x"}, {"y"}}, lowerPow},
  };
}

const std::vector<std::string> &activationNames() {
  static const std::vector<std::string> names = {
      "linear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax"};
  return names;
}

ir::Node *applyActivation(LoweringContext &cx, const std::string &name, ir::Node *x,
                          const ast::Span &at) {
  cx.setLoc(at);
  ir::Builder &b = cx.builder;
  if (name == "relu")
    return b.unary(ir::OpKind::Relu, x);
  if (name == "leaky_relu")
    return leakyRelu(b, x, 0.01);
  if (name == "elu")
    return elu(b, x, 1.0);
  if (name == "gelu")
    return gelu(b, x);
  if (name == "sigmoid")
    return b.unary(ir::OpKind::Sigmoid, x);
  if (name == "tanh")
    return b.unary(ir::OpKind::Tanh, x);
  if (name == "softmax")
    return b.softmax(x);
  if (name == "log_softmax")
    return logSoftmax(b, x);
  return x; // linear
}

} // namespace nnc::frontend

// Built-in functions and layers callable in expressions. To add one, add a
// row to builtinTable() with its parameters and a lowering function.
//   relu, sigmoid, tanh, exp, log, sqrt (x)   elementwise, same shape
//   softmax(x)                                along the last axis
//   dense(x, units, activation = linear)      x: f32[B,n] (or f32[n]) ->
//       f32[B,units]; creates params dense<k>.W f32[n,units] (glorot_uniform)
//       and dense<k>.b f32[units] (zeros), k = 1, 2, ... per model;
//       activation: relu, sigmoid, tanh, softmax or linear.
#include "frontend/call_args.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "support/spelling.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

using LowerFn = ir::Node *(*)(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args);

struct Builtin {
  std::string name;
  std::vector<ParamSpec> params;
  LowerFn lower;
};

const std::vector<std::string> kActivations = {"relu", "sigmoid", "tanh", "softmax", "linear"};

/// Lowers the tensor argument `arg`; null if absent or erroneous.
ir::Node *tensorArg(LoweringContext &cx, const ast::Expr *arg) {
  return arg ? lowerExpr(cx, *arg) : nullptr;
}

ir::Node *softmax(LoweringContext &cx, const ast::Expr &call, ir::Node *x) {
  if (!requireFloat(cx, x, call.opSpan, "softmax"))
    return nullptr;
  if (x->shape().isScalar()) {
    cx.error(call.opSpan, fmt::format("softmax needs at least one dimension, got {}", x->type.str()));
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.softmax(x);
}

ir::Node *elementwise(LoweringContext &cx, const ast::Expr &call, ir::Node *x, ir::OpKind kind) {
  if (!requireFloat(cx, x, call.opSpan, call.text))
    return nullptr;
  cx.setLoc(call.opSpan);
  return cx.builder.unary(kind, x);
}

template <ir::OpKind Kind>
ir::Node *lowerElementwise(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  return x ? elementwise(cx, call, x, Kind) : nullptr;
}

ir::Node *lowerSoftmax(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  return x ? softmax(cx, call, x) : nullptr;
}

/// The activation named by dense's `activation` argument; nullopt if unknown.
std::optional<std::string> activationName(LoweringContext &cx, const ast::Expr *arg) {
  if (!arg)
    return "linear";
  auto name = constantName(cx, *arg, "the activation of dense");
  if (!name)
    return std::nullopt;
  for (const std::string &a : kActivations)
    if (a == *name)
      return name;
  std::string hint = support::didYouMean(*name, kActivations);
  cx.error(arg->span, fmt::format("unknown activation '{}'{}", *name,
                                  hint.empty() ? "; expected relu, sigmoid, tanh, softmax or linear"
                                               : hint));
  return std::nullopt;
}

/// dense's `units`: a positive integer; nullopt after an error.
std::optional<int64_t> unitCount(LoweringContext &cx, const ast::Expr &arg) {
  auto units = constantInt(cx, arg, "the number of units of dense");
  if (!units || *units > 0)
    return units;
  cx.error(arg.span, fmt::format("dense needs a positive number of units, got {}", *units));
  return std::nullopt;
}

ir::Node *lowerDense(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  std::optional<int64_t> units = unitCount(cx, *args[1]);
  std::optional<std::string> activation = activationName(cx, args[2]);
  if (!x || !units || !activation || !requireFloat(cx, x, call.opSpan, "dense"))
    return nullptr;
  const auto &dims = x->shape().dims;
  if (dims.empty() || dims.size() > 2 || dims.back() == ir::kBatch) {
    cx.error(call.opSpan, fmt::format("dense needs an input of shape [B,n], got {}", x->type.str()));
    return nullptr;
  }
  int k = ++cx.denseLayers;
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  ir::Node *w = b.param(fmt::format("dense{}.W", k), {x->type.dtype, {dims.back(), *units}},
                        {ir::Initializer::GlorotUniform});
  ir::Node *bias = b.param(fmt::format("dense{}.b", k), {x->type.dtype, {*units}},
                           {ir::Initializer::Zeros});
  ir::Node *y = b.add(b.matmul(x, w), bias);
  if (*activation == "linear")
    return y;
  if (*activation == "softmax")
    return b.softmax(y);
  ir::OpKind kind = *activation == "relu"      ? ir::OpKind::Relu
                    : *activation == "sigmoid" ? ir::OpKind::Sigmoid
                                               : ir::OpKind::Tanh;
  return b.unary(kind, y);
}

const std::vector<Builtin> &builtinTable() {
  static const std::vector<Builtin> table = {
      {"relu", {{"x"}}, lowerElementwise<ir::OpKind::Relu>},
      {"sigmoid", {{"x"}}, lowerElementwise<ir::OpKind::Sigmoid>},
      {"tanh", {{"x"}}, lowerElementwise<ir::OpKind::Tanh>},
      {"exp", {{"x"}}, lowerElementwise<ir::OpKind::Exp>},
      {"log", {{"x"}}, lowerElementwise<ir::OpKind::Log>},
      {"sqrt", {{"x"}}, lowerElementwise<ir::OpKind::Sqrt>},
      {"softmax", {{"x"}}, lowerSoftmax},
      {"dense", {{"x"}, {"units"}, {"activation", false}}, lowerDense},
  };
  return table;
}

const Builtin *findBuiltin(const std::string &name) {
  for (const Builtin &b : builtinTable())
    if (b.name == name)
      return &b;
  return nullptr;
}

} // namespace

bool isBuiltinFunction(const std::string &name) { return findBuiltin(name) != nullptr; }

std::vector<std::string> builtinFunctionNames() {
  std::vector<std::string> names;
  for (const Builtin &b : builtinTable())
    names.push_back(b.name);
  return names;
}

ir::Node *lowerCall(LoweringContext &cx, const ast::Expr &call) {
  const Builtin *builtin = findBuiltin(call.text);
  if (!builtin) {
    if (isLossFunction(call.text))
      cx.error(call.opSpan, fmt::format("'{0}' is a loss; use it in a loss statement: loss {0}(...)",
                                        call.text));
    else if (cx.lookup(call.text))
      cx.error(call.opSpan, fmt::format("'{}' is a value, not a function", call.text));
    else
      cx.error(call.opSpan, fmt::format("unknown function '{}'{}", call.text,
                                        support::didYouMean(call.text, builtinFunctionNames())));
    return nullptr;
  }
  auto args = bindArgs(cx, call, builtin->params);
  if (!args)
    return nullptr;
  return builtin->lower(cx, call, *args);
}

} // namespace nnc::frontend

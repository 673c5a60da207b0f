// Built-in layers, usable in pipes: `x -> dense(32, relu) -> dropout(0.5)`.
//   dense(x, units, activation: linear)  x f32[B,n] (or f32[n]) -> f32[B,units];
//       params <prefix>dense<k>.W f32[n,units] (glorot_uniform) and
//       <prefix>dense<k>.b f32[units] (zeros), k = 1, 2, ... per scope;
//       activation: one of activationNames() (relu, gelu, softmax, ...).
//   dropout(x, rate)   inverted dropout: x * mask, mask 0 or 1/(1-rate) per
//       element, redrawn each step from the shared state "dropout.step" and
//       the op's seed k = 1, 2, ... per model; rate in [0, 1) (0: x itself).
//       The training graph advances the step; inference drops the masks.
#include "frontend/builtin.h"
#include "frontend/constants.h"
#include "support/spelling.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

std::optional<std::string> activationArg(LoweringContext &cx, const ast::Expr *arg,
                                         const char *layer) {
  if (!arg)
    return "linear";
  auto name = constantName(cx, *arg, fmt::format("the activation of {}", layer));
  if (!name)
    return std::nullopt;
  const std::vector<std::string> &known = activationNames();
  if (std::find(known.begin(), known.end(), *name) != known.end())
    return name;
  std::string hint = support::didYouMean(*name, known);
  if (hint.empty()) {
    hint = "; expected ";
    for (size_t i = 0; i < known.size(); ++i)
      hint += (i == 0 ? "" : i + 1 == known.size() ? " or " : ", ") + known[i];
  }
  cx.error(arg->span, fmt::format("unknown activation '{}'{}", *name, hint));
  return std::nullopt;
}

namespace {

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
  std::optional<std::string> activation = activationArg(cx, args[2], "dense");
  if (!x || !units || !activation || !requireFloat(cx, x, call.opSpan, "dense"))
    return nullptr;
  const auto &dims = x->shape().dims;
  if (dims.empty() || dims.size() > 2 || dims.back() == ir::kBatch) {
    cx.error(call.opSpan,
             fmt::format("dense needs an input of shape [B,n], got {}{}", x->type.str(),
                         dims.size() > 2 ? "; flatten it first: x -> flatten()" : ""));
    return nullptr;
  }
  std::string name = cx.nextInstanceName("dense");
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  ir::Node *w = b.param(name + ".W", {x->type.dtype, {dims.back(), *units}},
                        {ir::Initializer::GlorotUniform});
  ir::Node *bias = b.param(name + ".b", {x->type.dtype, {*units}}, {ir::Initializer::Zeros});
  ir::Node *y = b.add(b.matmul(x, w), bias);
  return applyActivation(cx, *activation, y, call.opSpan);
}

ir::Node *lowerDropout(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  auto rate = constantNumber(cx, *args[1], "the rate of dropout");
  if (rate && (*rate < 0 || *rate >= 1)) {
    cx.error(args[1]->span,
             fmt::format("the rate of dropout is the fraction of values dropped, in [0, 1); got {}",
                         *rate));
    return nullptr;
  }
  if (!x || !rate || !requireFloat(cx, x, call.opSpan, "dropout"))
    return nullptr;
  if (*rate == 0)
    return x;
  ir::Builder &b = cx.builder;
  cx.setLoc(call.opSpan);
  if (!cx.dropoutStep)
    cx.dropoutStep = b.state("dropout.step", {ir::DType::F32, {}}, {ir::Initializer::Zeros});
  ir::Node *mask = b.dropoutMask(cx.dropoutStep, x->shape(), *rate, (uint64_t)++cx.dropouts);
  return b.mul(x, mask);
}

} // namespace

std::vector<Builtin> layerBuiltins() {
  return {
      {"dense", {{"x"}, {"units"}, {"activation", false}}, lowerDense},
      {"dropout", {{"x"}, {"rate"}}, lowerDropout},
  };
}

} // namespace nnc::frontend

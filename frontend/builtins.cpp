// Calls in expressions: built-in functions and layers (the table assembled
// from the families of builtin.h), user-defined layers (layer_call.cpp) and,
// inside a `loss` statement, loss functions (loss_functions.cpp).
// Errors: an unknown function (with a suggestion among builtins and layers),
// a call of a value, a loss outside the loss statement.
#include "frontend/builtin.h"
#include "support/spelling.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

const std::vector<Builtin> &builtinTable() {
  static const std::vector<Builtin> table = [] {
    std::vector<Builtin> all;
    for (auto family : {elementwiseBuiltins, reductionBuiltins, shapeBuiltins, layerBuiltins, convBuiltins,
                        normBuiltins}) {
      std::vector<Builtin> rows = family();
      all.insert(all.end(), rows.begin(), rows.end());
    }
    return all;
  }();
  return table;
}

const Builtin *findBuiltin(const std::string &name) {
  for (const Builtin &b : builtinTable())
    if (b.name == name)
      return &b;
  return nullptr;
}

} // namespace

ir::Node *tensorArg(LoweringContext &cx, const ast::Expr *arg) {
  return arg ? lowerExpr(cx, *arg) : nullptr;
}

bool isBuiltinFunction(const std::string &name) { return findBuiltin(name) != nullptr; }

std::vector<std::string> builtinFunctionNames() {
  std::vector<std::string> names;
  for (const Builtin &b : builtinTable())
    names.push_back(b.name);
  return names;
}

ir::Node *lowerCall(LoweringContext &cx, const ast::Expr &call) {
  if (const Builtin *builtin = findBuiltin(call.text)) {
    auto args = bindArgs(cx, call, builtin->params);
    return args ? builtin->lower(cx, call, *args) : nullptr;
  }
  if (const ast::LayerDecl *layer = cx.layers.find(call.text))
    return lowerLayerCall(cx, call, *layer);
  if (isLossFunction(call.text)) {
    if (cx.inLoss)
      return lowerLossCall(cx, call, nullptr);
    cx.error(call.opSpan,
             fmt::format("'{0}' is a loss; use it in a loss statement: loss {0}(...)", call.text));
    return nullptr;
  }
  if (cx.lookup(call.text)) {
    cx.error(call.opSpan, fmt::format("'{}' is a value, not a function", call.text));
    return nullptr;
  }
  if (isInitializer(call.text)) {
    cx.error(call.opSpan, fmt::format("'{0}' is an initializer; use it in a param, as in "
                                      "'param W: f32[4, 4] = {0}()'",
                                      call.text));
    return nullptr;
  }
  // The value piped into an unknown function is still checked: a mistake
  // earlier in the pipe is reported too.
  if (call.piped)
    lowerExpr(cx, *call.args[0].value);
  std::vector<std::string> candidates = builtinFunctionNames();
  for (const std::string &name : cx.layers.names())
    candidates.push_back(name);
  if (cx.inLoss)
    candidates.insert(candidates.end(), lossFunctionNames().begin(), lossFunctionNames().end());
  cx.error(call.opSpan, fmt::format("unknown function '{}'{}", call.text,
                                    support::didYouMean(call.text, candidates)));
  return nullptr;
}

} // namespace nnc::frontend

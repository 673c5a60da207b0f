// The table of built-in functions and layers. Each family lives in its own
// file and contributes rows; builtins.cpp assembles the table and dispatches
// calls. To add a builtin, add a row (name, parameters, lowering function) to
// its family. A lowering function gets the bound arguments (call_args.h),
// reports its own errors and returns null after one.
#pragma once
#include "frontend/call_args.h"
#include "frontend/lower.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend {

using LowerFn = ir::Node *(*)(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args);

struct Builtin {
  std::string name;
  std::vector<ParamSpec> params;
  LowerFn lower;
};

/// relu, leaky_relu, elu, gelu, sigmoid, tanh, softmax, log_softmax, exp,
/// log, sqrt, abs, pow (builtin_elementwise.cpp).
std::vector<Builtin> elementwiseBuiltins();
/// sum, mean, max, min (builtin_reduce.cpp).
std::vector<Builtin> reductionBuiltins();
/// reshape, flatten, concat, transpose (builtin_shape.cpp).
std::vector<Builtin> shapeBuiltins();
/// dense, dropout (builtin_layers.cpp).
std::vector<Builtin> layerBuiltins();
/// conv2d, max_pool, avg_pool, global_avg_pool (builtin_conv.cpp).
std::vector<Builtin> convBuiltins();
/// batch_norm (builtin_norm.cpp).
std::vector<Builtin> normBuiltins();

/// Lowers the tensor argument `arg`; null if absent or erroneous.
ir::Node *tensorArg(LoweringContext &cx, const ast::Expr *arg);

/// Names accepted as dense's activation: linear and the activation functions.
const std::vector<std::string> &activationNames();
/// A layer's `activation` argument (absent: "linear"), one of
/// activationNames(); nullopt after reporting an unknown name.
std::optional<std::string> activationArg(LoweringContext &cx, const ast::Expr *arg,
                                         const char *layer);
/// Applies the activation `name` (one of activationNames()) to the float
/// tensor `x`, with default parameters; nodes are stamped with `at`.
ir::Node *applyActivation(LoweringContext &cx, const std::string &name, ir::Node *x,
                          const ast::Span &at);

} // namespace nnc::frontend

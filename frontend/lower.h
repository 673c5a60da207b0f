// Checking and lowering a model's AST to the forward graph IR, one pass over
// the statements in source order; uses of user-defined layers are inlined.
// Each function reports its errors through the LoweringContext and returns
// null/false/nullopt after one; callers pass that on without reporting again.
#pragma once
#include "frontend/lowering_context.h"

#include <optional>

namespace nnc::frontend {

// lower_model.cpp: the statement loop and the whole-model checks (exactly one
// input, target/label and loss; the prediction output; metrics, early
// stopping and data columns fit the model).
bool lowerModel(LoweringContext &cx, const ast::ModelDecl &decl);

// lower_decl.cpp: `input`, `target`, `label` (Inputs with a leading batch
// dimension B) and `param` (a Param without B, named with the scope's prefix).
void lowerDataInput(LoweringContext &cx, const ast::Stmt &s);
void lowerParam(LoweringContext &cx, const ast::Stmt &s);
/// The dimensions of `t`, named ones looked up in the current scope;
/// nullopt after reporting a non-positive or unbound dimension.
std::optional<std::vector<int64_t>> resolveDims(LoweringContext &cx, const ast::TypeSpec &t);

// initializer.cpp: `zeros()`, `uniform(-0.1, 0.1)`, ... of a `param`.
std::optional<ir::Initializer> readInitializer(LoweringContext &cx, const ast::Expr &call);
bool isInitializer(const std::string &name);

// lower_expr.cpp: names, literals and operators.
ir::Node *lowerExpr(LoweringContext &cx, const ast::Expr &e);
/// Reports "<what> needs a float tensor, got i32[B] (class ids)" for labels.
bool requireFloat(LoweringContext &cx, const ir::Node *v, const ast::Span &at,
                  const std::string &what);

// builtins.cpp: calls of built-in functions and layers (relu, dense, ...),
// of user-defined layers and, inside a loss statement, of losses.
ir::Node *lowerCall(LoweringContext &cx, const ast::Expr &call);
/// Whether `name` is a built-in function or layer usable in expressions.
bool isBuiltinFunction(const std::string &name);
/// Names of all built-in functions and layers, for suggestions.
std::vector<std::string> builtinFunctionNames();

// layer_call.cpp: one use of a user-defined layer, inlined.
ir::Node *lowerLayerCall(LoweringContext &cx, const ast::Expr &call, const ast::LayerDecl &layer);

// loss.cpp: the `loss` statement: a built-in loss or any scalar expression.
void lowerLoss(LoweringContext &cx, const ast::Stmt &s);
// loss_functions.cpp: mse, mae, huber, cross_entropy,
// binary_cross_entropy_with_logits. Returns the scalar loss; sets
// `*prediction` (if not null) to the lowered first argument.
ir::Node *lowerLossCall(LoweringContext &cx, const ast::Expr &call, ir::Node **prediction);
/// Whether `name` is a loss function (usable only in a `loss` statement).
bool isLossFunction(const std::string &name);
const std::vector<std::string> &lossFunctionNames();

// train_config.cpp, optimizer_setting.cpp and data_config.cpp: the
// `train { }` and `data { }` blocks.
void readTrainBlock(LoweringContext &cx, const ast::Stmt &s);
void readOptimizer(LoweringContext &cx, const ast::BlockEntry &entry);
void readLrSchedule(LoweringContext &cx, const ast::BlockEntry &entry);
void readDataBlock(LoweringContext &cx, const ast::Stmt &s);

} // namespace nnc::frontend

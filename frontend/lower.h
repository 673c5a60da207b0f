// Checking and lowering a model's AST to the forward graph IR, one pass over
// the statements in source order. Each function reports its errors through
// the LoweringContext and returns null/false/nullopt after one; callers pass
// that on without reporting again.
#pragma once
#include "frontend/lowering_context.h"

#include <optional>

namespace nnc::frontend {

// lower_model.cpp: the statement loop and the whole-model checks (exactly one
// input, target/label and loss; metrics and data columns fit the model).
bool lowerModel(LoweringContext &cx, const ast::ModelDecl &decl);

// lower_decl.cpp: `input`, `target`, `label` (Inputs with a leading batch
// dimension B) and `param` (a Param without B).
void lowerDataInput(LoweringContext &cx, const ast::Stmt &s);
void lowerParam(LoweringContext &cx, const ast::Stmt &s);

// initializer.cpp: `zeros()`, `uniform(-0.1, 0.1)`, ... of a `param`.
std::optional<ir::Initializer> readInitializer(LoweringContext &cx, const ast::Expr &call);

// lower_expr.cpp: names, literals and operators.
ir::Node *lowerExpr(LoweringContext &cx, const ast::Expr &e);
/// Reports "<what> needs a float tensor, got i32[B] (class ids)" for labels.
bool requireFloat(LoweringContext &cx, const ir::Node *v, const ast::Span &at,
                  const std::string &what);

// builtins.cpp: calls of built-in functions and layers (relu, softmax, dense, ...).
ir::Node *lowerCall(LoweringContext &cx, const ast::Expr &call);
/// Whether `name` is a built-in function or layer usable in expressions.
bool isBuiltinFunction(const std::string &name);
/// Names of all built-in functions and layers, for suggestions.
std::vector<std::string> builtinFunctionNames();

// loss.cpp: `loss mse(pred, y)`, `loss mae(pred, y)`, `loss cross_entropy(logits, y)`.
void lowerLoss(LoweringContext &cx, const ast::Stmt &s);
/// Whether `name` is a loss function (usable only in a `loss` statement).
bool isLossFunction(const std::string &name);

// train_config.cpp and data_config.cpp: the `train { }` and `data { }` blocks.
void readTrainBlock(LoweringContext &cx, const ast::Stmt &s);
void readDataBlock(LoweringContext &cx, const ast::Stmt &s);

} // namespace nnc::frontend

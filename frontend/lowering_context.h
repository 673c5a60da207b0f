// State shared while one model is checked and lowered to the forward graph:
// the IR builder, the names defined so far, the diagnostics and the Model
// being filled. Every lowering step takes it; errors are reported through
// error() and the step returns null/nullopt, which callers pass on silently
// (one mistake, one message).
#pragma once
#include "frontend/ast.h"
#include "frontend/model.h"
#include "ir/builder.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend {

/// A name in scope. `node` is null when its definition had an error: uses of
/// it then fail silently instead of reporting "undefined name".
struct Symbol {
  ir::Node *node = nullptr;
  ast::StmtKind kind = ast::StmtKind::Value;
  ast::Span span;
};

class LoweringContext {
public:
  LoweringContext(std::string file, DiagnosticEngine &diags, Model &model)
      : file(std::move(file)), diags(diags), model(model), builder(*model.forward) {}

  void error(const ast::Span &at, std::string message);
  ir::SourceLoc loc(const ast::Span &at) const;
  /// Stamps `at` on the IR nodes created next.
  void setLoc(const ast::Span &at) { builder.setLoc(loc(at)); }
  /// "12:5", for messages that point at an earlier declaration.
  static std::string position(const ast::Span &at);

  /// Defines `name`; reports a redefinition. `node` may be null (see Symbol).
  void define(const std::string &name, const ast::Span &at, ast::StmtKind kind, ir::Node *node);
  const Symbol *lookup(const std::string &name) const;
  std::vector<std::string> namesInScope() const;

  const std::string file;
  DiagnosticEngine &diags;
  Model &model;
  ir::Builder builder;

  /// Every name the model declares, with its first declaration, so a use
  /// before the definition gets a precise message.
  std::map<std::string, ast::Span> declaredNames;
  /// Numbers the params of `dense` layers: dense1.W, dense1.b, dense2.W, ...
  int denseLayers = 0;

  // Facts checked once the whole model has been seen (lower_model.cpp).
  const ast::Stmt *input = nullptr;
  const ast::Stmt *target = nullptr; // the `target` or `label`
  const ast::Stmt *loss = nullptr;
  const ast::Stmt *dataBlock = nullptr;
  const ast::Stmt *trainBlock = nullptr;
  std::optional<ast::Span> featuresSpan;   // data { features = [...] }
  std::optional<ast::Span> validationSpan; // where validation was set first
  std::vector<std::pair<std::string, ast::Span>> metrics;

private:
  std::map<std::string, Symbol> scope_;
};

} // namespace nnc::frontend

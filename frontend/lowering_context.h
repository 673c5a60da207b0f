// State shared while one model is checked and lowered to the forward graph:
// the IR builder, the names in scope, the diagnostics and the Model being
// filled. Every lowering step takes it; errors are reported through error()
// and the step returns null/nullopt, which callers pass on silently (one
// mistake, one message).
//
// Names live in scopes: the model body is the outermost one; each use of a
// user-defined layer is lowered (inlined) in a fresh scope that sees only the
// layer's parameters, its own statements and the named dimensions its
// arguments bound. Errors inside a layer carry a note for every use that led
// there.
#pragma once
#include "frontend/ast.h"
#include "frontend/layer_table.h"
#include "frontend/model.h"
#include "ir/builder.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace nnc::frontend {

/// A name in scope. `node` is null when its definition had an error: uses of
/// it then fail silently instead of reporting "undefined name".
struct Symbol {
  ir::Node *node = nullptr;
  ast::StmtKind kind = ast::StmtKind::Value;
  ast::Span span;
};

/// The names visible in the model body or in one use of a layer.
struct Scope {
  std::string file;   // the file whose statements are lowered in this scope
  std::string prefix; // "" in the model; "residual1." in the first use of residual
  std::map<std::string, Symbol> symbols;
  /// Every name the body declares, with its first declaration, so that a
  /// use before the definition gets a precise message.
  std::map<std::string, ast::Span> declaredNames;
  /// Named dimensions bound by the layer's arguments: n -> 32.
  std::map<std::string, int64_t> dims;
  /// Uses of layers so far in this scope, for parameter names: dense -> 2.
  std::map<std::string, int> instances;
  const ast::LayerDecl *layer = nullptr; // null in the model body
  ir::SourceLoc useLoc;                  // where this layer use is written
  ast::Span useSpan;
};

class LoweringContext {
public:
  LoweringContext(const std::string &file, DiagnosticEngine &diags, Model &model,
                  const LayerTable &layers);

  void error(const ast::Span &at, std::string message);
  /// The location of `at` in the file of the current scope.
  ir::SourceLoc loc(const ast::Span &at) const;
  /// Stamps `at` on the IR nodes created next.
  void setLoc(const ast::Span &at) { builder.setLoc(loc(at)); }
  /// "12:5", for messages that point at an earlier declaration.
  static std::string position(const ast::Span &at);

  /// Defines `name`; reports a redefinition. `node` may be null (see Symbol).
  void define(const std::string &name, const ast::Span &at, ast::StmtKind kind, ir::Node *node);
  const Symbol *lookup(const std::string &name) const;
  /// Whether the model body defines `name` (for messages inside layers).
  bool isModelName(const std::string &name) const { return scopes_[0]->symbols.count(name) > 0; }
  std::vector<std::string> namesInScope() const;

  Scope &scope() { return *scopes_.back(); }
  const Scope &scope() const { return *scopes_.back(); }
  /// Enters the scope of one use of `layer`, written at `use` in the current scope.
  Scope &pushLayerScope(const ast::LayerDecl &layer, const ast::Span &use);
  void popScope() { scopes_.pop_back(); }
  /// Layer uses nested around the current point (0 in the model body).
  size_t layerDepth() const { return scopes_.size() - 1; }
  /// Whether `layer` is being lowered (an enclosing scope uses it).
  bool isActive(const ast::LayerDecl &layer) const;
  /// Reports the first node made since the last call whose tensor has more
  /// than ir::kMaxTensorElements elements, at `at`, naming the parameter or
  /// op and its size; false if there was one.
  bool checkNewTensorSizes(const ast::Span &at);
  /// "dense1", "dense2", ...: the next use of `what` in the current scope,
  /// prefixed with the scope's prefix ("residual1.dense1").
  std::string nextInstanceName(const std::string &what);

  DiagnosticEngine &diags;
  Model &model;
  const LayerTable &layers;
  ir::Builder builder;

  /// Inside a `loss` statement, where loss functions may be called.
  bool inLoss = false;
  /// Values of the inner links of the chain being lowered (lower_expr.cpp).
  std::unordered_map<const ast::Expr *, ir::Node *> chainValues;
  /// Dropout ops so far (each gets its own seed) and their shared step counter.
  int dropouts = 0;
  ir::Node *dropoutStep = nullptr;
  /// batch_norm's training flag, ir::kBatchNormTraining (builtin_norm.cpp).
  ir::Node *batchNormTraining = nullptr;

  // Facts checked once the whole model has been seen (lower_model.cpp).
  const ast::Stmt *input = nullptr;
  const ast::Stmt *target = nullptr; // the `target` or `label`
  const ast::Stmt *loss = nullptr;
  const ast::Stmt *dataBlock = nullptr;
  const ast::Stmt *trainBlock = nullptr;
  /// The built-in loss the loss statement calls ("mse", ...), or "" for an
  /// expression loss.
  std::string lossFunction;
  /// The value of the "prediction" output, once known.
  ir::Node *prediction = nullptr;
  ir::Node *firstOutput = nullptr;
  std::optional<ast::Span> featuresSpan;   // data { features = [...] }
  std::optional<ast::Span> validationSpan; // where validation was set first
  std::optional<ast::Span> metricsKeySpan;
  std::optional<ast::Span> earlyStoppingSpan;
  std::optional<ast::Span> normalizeTargetSpan;
  std::vector<std::pair<std::string, ast::Span>> metrics;

private:
  std::vector<std::unique_ptr<Scope>> scopes_;
  size_t sizesChecked_ = 0; // nodes of the forward graph checked by checkNewTensorSizes
  bool sizeReported_ = false;
};

} // namespace nnc::frontend

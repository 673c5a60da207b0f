#include "frontend/lowering_context.h"

#include <fmt/format.h>

namespace nnc::frontend {

LoweringContext::LoweringContext(const std::string &file, DiagnosticEngine &diags, Model &model,
                                 const LayerTable &layers)
    : diags(diags), model(model), layers(layers), builder(*model.forward) {
  scopes_.push_back(std::make_unique<Scope>());
  scopes_.back()->file = file;
}

void LoweringContext::error(const ast::Span &at, std::string message) {
  // One note per enclosing layer use, innermost first; deep nesting shows
  // the three innermost and the outermost (the use in the model), like
  // clang's instantiation backtraces.
  constexpr size_t kShown = 4;
  std::vector<Note> notes;
  size_t uses = scopes_.size() - 1;
  for (size_t i = scopes_.size(); i-- > 1;) {
    size_t rank = scopes_.size() - 1 - i; // 0 = innermost
    if (uses > kShown && rank == kShown - 1)
      notes.push_back({{}, fmt::format("({} more layer uses)", uses - kShown), 1});
    if (uses > kShown && rank >= kShown - 1 && i != 1)
      continue;
    const Scope &s = *scopes_[i];
    notes.push_back(
        {s.useLoc, fmt::format("in layer '{}' used here", s.layer->name), s.useSpan.length});
  }
  diags.error(loc(at), std::move(message), at.length, std::move(notes));
}

ir::SourceLoc LoweringContext::loc(const ast::Span &at) const {
  return {scope().file, at.line, at.col};
}

std::string LoweringContext::position(const ast::Span &at) {
  return fmt::format("{}:{}", at.line, at.col);
}

void LoweringContext::define(const std::string &name, const ast::Span &at, ast::StmtKind kind,
                             ir::Node *node) {
  auto [it, inserted] = scope().symbols.try_emplace(name, Symbol{node, kind, at});
  if (!inserted)
    error(at, fmt::format("'{}' is already defined at {}", name, position(it->second.span)));
}

const Symbol *LoweringContext::lookup(const std::string &name) const {
  auto it = scope().symbols.find(name);
  return it == scope().symbols.end() ? nullptr : &it->second;
}

std::vector<std::string> LoweringContext::namesInScope() const {
  std::vector<std::string> names;
  for (const auto &[name, symbol] : scope().symbols)
    names.push_back(name);
  return names;
}

Scope &LoweringContext::pushLayerScope(const ast::LayerDecl &layer, const ast::Span &use) {
  auto s = std::make_unique<Scope>();
  s->file = layer.file;
  s->prefix = nextInstanceName(layer.name) + ".";
  s->layer = &layer;
  s->useLoc = loc(use);
  s->useSpan = use;
  scopes_.push_back(std::move(s));
  return *scopes_.back();
}

bool LoweringContext::isActive(const ast::LayerDecl &layer) const {
  for (const auto &s : scopes_)
    if (s->layer == &layer)
      return true;
  return false;
}

bool LoweringContext::checkNewTensorSizes(const ast::Span &at) {
  const auto &nodes = model.forward->nodes();
  for (; sizesChecked_ < nodes.size(); ++sizesChecked_) {
    const ir::Node &n = *nodes[sizesChecked_];
    std::string tooLarge = ir::tensorSizeError(n.type);
    if (tooLarge.empty())
      continue;
    sizesChecked_ = nodes.size();
    if (sizeReported_) // one message: the values computed from it are as large
      return false;
    sizeReported_ = true;
    std::string what = n.kind == ir::OpKind::Param ? fmt::format("parameter '{}'", n.name)
                       : n.kind == ir::OpKind::Input
                           ? fmt::format("input '{}'", n.name)
                           : fmt::format("the result of '{}'", ir::opName(n.kind));
    error(at, fmt::format("{} is too large: {}", what, tooLarge));
    return false;
  }
  return true;
}

std::string LoweringContext::nextInstanceName(const std::string &what) {
  int k = ++scope().instances[what];
  return fmt::format("{}{}{}", scope().prefix, what, k);
}

} // namespace nnc::frontend

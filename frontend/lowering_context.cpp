#include "frontend/lowering_context.h"

#include <fmt/format.h>

namespace nnc::frontend {

void LoweringContext::error(const ast::Span &at, std::string message) {
  diags.error(loc(at), std::move(message), at.length);
}

ir::SourceLoc LoweringContext::loc(const ast::Span &at) const { return {file, at.line, at.col}; }

std::string LoweringContext::position(const ast::Span &at) {
  return fmt::format("{}:{}", at.line, at.col);
}

void LoweringContext::define(const std::string &name, const ast::Span &at, ast::StmtKind kind,
                             ir::Node *node) {
  auto [it, inserted] = scope_.try_emplace(name, Symbol{node, kind, at});
  if (!inserted)
    error(at, fmt::format("'{}' is already defined at {}", name, position(it->second.span)));
}

const Symbol *LoweringContext::lookup(const std::string &name) const {
  auto it = scope_.find(name);
  return it == scope_.end() ? nullptr : &it->second;
}

std::vector<std::string> LoweringContext::namesInScope() const {
  std::vector<std::string> names;
  for (const auto &[name, symbol] : scope_)
    names.push_back(name);
  return names;
}

} // namespace nnc::frontend

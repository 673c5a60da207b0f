// Text -> AST: runs the ANTLR lexer and parser with readable syntax errors
// (syntax_errors.h), then builds the AST (ast_builder.h).
// Errors: syntax errors (at most one per line), input nested more than
// kMaxExprDepth deep, text that is not UTF-8. Returns null after any error.
#pragma once
#include "frontend/ast.h"
#include "frontend/diagnostics.h"

#include <memory>
#include <string>

namespace nnc::frontend {

std::unique_ptr<ast::File> parseModelText(const std::string &file, const std::string &text,
                                          DiagnosticEngine &diags);

} // namespace nnc::frontend

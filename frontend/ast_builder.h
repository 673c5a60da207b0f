// Parse tree -> AST (ast.h). Runs only on a parse tree without syntax errors.
// Reports: integer or number literals out of range, expressions nested more
// than kMaxExprDepth deep. Returns null if it reported anything.
#pragma once
#include "frontend/ast.h"
#include "frontend/diagnostics.h"

#include "NNParser.h"

#include <memory>
#include <string>

namespace nnc::frontend {

/// Deepest expression nesting accepted (keeps recursion bounded on any input).
inline constexpr int kMaxExprDepth = 256;

std::unique_ptr<ast::File> buildAst(nn::NNParser::FileContext *tree, const std::string &file,
                                    DiagnosticEngine &diags);

} // namespace nnc::frontend

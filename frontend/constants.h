// Compile-time constants written in the model: numbers (with an optional
// leading minus), integers, true/false, and names (identifiers or strings),
// alone or in a [list]. Used for layer sizes, initializer arguments and the
// settings of `data` and `train` blocks. Each reader reports "<what> must be
// ..." at the expression and returns nullopt when it is not such a constant.
#pragma once
#include "frontend/lowering_context.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend {

std::optional<double> constantNumber(LoweringContext &cx, const ast::Expr &e,
                                     const std::string &what);
std::optional<int64_t> constantInt(LoweringContext &cx, const ast::Expr &e,
                                   const std::string &what);
/// `1` or `[0, 1]`: a list of integers; a single integer is a list of one.
std::optional<std::vector<int64_t>> constantIntList(LoweringContext &cx, const ast::Expr &e,
                                                    const std::string &what);
std::optional<bool> constantBool(LoweringContext &cx, const ast::Expr &e, const std::string &what);
/// `relu` or "sepal length".
std::optional<std::string> constantName(LoweringContext &cx, const ast::Expr &e,
                                        const std::string &what);
/// `[a, "b c"]`; a single name is a list of one.
std::optional<std::vector<std::pair<std::string, ast::Span>>>
constantNameList(LoweringContext &cx, const ast::Expr &e, const std::string &what);

} // namespace nnc::frontend

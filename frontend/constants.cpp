#include "frontend/constants.h"

#include <cmath>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// The value of `-...-number`, or nullopt if `e` is not such a literal.
std::optional<double> literalValue(const ast::Expr &e, bool &isInteger) {
  if (e.kind == ast::ExprKind::Number) {
    isInteger = e.isInteger;
    return e.number;
  }
  if (e.kind == ast::ExprKind::Neg)
    if (auto v = literalValue(*e.operands[0], isInteger))
      return -*v;
  return std::nullopt;
}

} // namespace

std::optional<double> constantNumber(LoweringContext &cx, const ast::Expr &e,
                                     const std::string &what) {
  bool isInteger = false;
  if (auto v = literalValue(e, isInteger))
    return v;
  cx.error(e.span, fmt::format("{} must be a number", what));
  return std::nullopt;
}

std::optional<int64_t> constantInt(LoweringContext &cx, const ast::Expr &e,
                                   const std::string &what) {
  bool isInteger = false;
  auto v = literalValue(e, isInteger);
  if (!v || !isInteger) {
    cx.error(e.span, fmt::format("{} must be an integer", what));
    return std::nullopt;
  }
  if (std::fabs(*v) > 9.0e18) {
    cx.error(e.span, fmt::format("{} is too large", what));
    return std::nullopt;
  }
  return (int64_t)*v;
}

std::optional<std::vector<int64_t>> constantIntList(LoweringContext &cx, const ast::Expr &e,
                                                    const std::string &what) {
  if (e.kind != ast::ExprKind::List) {
    auto v = constantInt(cx, e, what);
    if (!v)
      return std::nullopt;
    return std::vector<int64_t>{*v};
  }
  std::vector<int64_t> out;
  for (const auto &item : e.operands) {
    auto v = constantInt(cx, *item, what);
    if (!v)
      return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::optional<bool> constantBool(LoweringContext &cx, const ast::Expr &e, const std::string &what) {
  if (e.kind == ast::ExprKind::Name && (e.text == "true" || e.text == "false"))
    return e.text == "true";
  cx.error(e.span, fmt::format("{} must be true or false", what));
  return std::nullopt;
}

std::optional<std::string> constantName(LoweringContext &cx, const ast::Expr &e,
                                        const std::string &what) {
  if (e.kind == ast::ExprKind::Name || e.kind == ast::ExprKind::String)
    return e.text;
  cx.error(e.span, fmt::format("{} must be a name", what));
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, ast::Span>>>
constantNameList(LoweringContext &cx, const ast::Expr &e, const std::string &what) {
  std::vector<std::pair<std::string, ast::Span>> names;
  if (e.kind != ast::ExprKind::List) {
    auto name = constantName(cx, e, what);
    if (!name)
      return std::nullopt;
    names.emplace_back(*name, e.span);
    return names;
  }
  bool ok = true;
  for (const auto &item : e.operands) {
    if (item->kind == ast::ExprKind::Name || item->kind == ast::ExprKind::String) {
      names.emplace_back(item->text, item->span);
    } else {
      cx.error(item->span, fmt::format("{} must be a list of names", what));
      ok = false;
    }
  }
  if (!ok)
    return std::nullopt;
  return names;
}

} // namespace nnc::frontend

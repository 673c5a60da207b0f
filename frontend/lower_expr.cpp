// Expressions: names, numeric literals, unary minus and the binary operators
// + - * / (elementwise, NumPy broadcasting) and @ (matrix product). Calls are
// in builtins.cpp. Shape errors are reported at the operator.
#include "frontend/lower.h"

#include "ir/shape_rules.h"
#include "support/spelling.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

ir::Node *lowerName(LoweringContext &cx, const ast::Expr &e) {
  if (const Symbol *symbol = cx.lookup(e.text))
    return symbol->node; // null if its definition failed: already reported
  const auto &declared = cx.scope().declaredNames;
  auto later = declared.find(e.text);
  if (later != declared.end())
    cx.error(e.span, fmt::format("'{}' is used before its definition at {}", e.text,
                                 LoweringContext::position(later->second)));
  else if (isBuiltinFunction(e.text) || cx.layers.find(e.text))
    cx.error(e.span,
             fmt::format("'{0}' is a function; call it, as in {0}(x) or x -> {0}()", e.text));
  else if (isLossFunction(e.text))
    cx.error(e.span,
             fmt::format("'{0}' is a loss; use it in a loss statement: loss {0}(pred, y)", e.text));
  else if (cx.scope().layer && cx.isModelName(e.text))
    cx.error(e.span, fmt::format("undefined name '{}' in layer '{}': a layer sees only its "
                                 "parameters and its own statements; pass '{}' as an argument",
                                 e.text, cx.scope().layer->name, e.text));
  else if (cx.scope().layer)
    cx.error(e.span,
             fmt::format("undefined name '{}' in layer '{}'{}", e.text, cx.scope().layer->name,
                         support::didYouMean(e.text, cx.namesInScope())));
  else
    cx.error(e.span, fmt::format("undefined name '{}'{}", e.text,
                                 support::didYouMean(e.text, cx.namesInScope())));
  return nullptr;
}

ir::OpKind binaryOpKind(char op) {
  switch (op) {
  case '+':
    return ir::OpKind::Add;
  case '-':
    return ir::OpKind::Sub;
  case '*':
    return ir::OpKind::Mul;
  default:
    return ir::OpKind::Div;
  }
}

ir::Node *lowerBinary(LoweringContext &cx, const ast::Expr &e) {
  ir::Node *lhs = lowerExpr(cx, *e.operands[0]);
  ir::Node *rhs = lowerExpr(cx, *e.operands[1]);
  if (!lhs || !rhs)
    return nullptr;
  cx.setLoc(e.opSpan);
  if (e.op == '@') {
    ir::TypeOrError t = ir::matmulType(lhs->type, rhs->type);
    if (!t.ok()) {
      cx.error(e.opSpan, t.error);
      return nullptr;
    }
    return cx.builder.matmul(lhs, rhs);
  }
  ir::OpKind kind = binaryOpKind(e.op);
  ir::TypeOrError t = ir::binaryType(kind, lhs->type, rhs->type);
  if (!t.ok()) {
    cx.error(e.opSpan, t.error);
    return nullptr;
  }
  return cx.builder.binary(kind, lhs, rhs);
}

/// The expression whose value `e` takes as its first operand in a chain
/// (`a` of `a + b`, `x` of `x -> f()`, `a` of `-a`), or null.
const ast::Expr *chainOperand(const ast::Expr &e) {
  if (e.kind == ast::ExprKind::Binary || e.kind == ast::ExprKind::Neg)
    return e.operands[0].get();
  if (e.kind == ast::ExprKind::Call && e.piped)
    return e.args[0].value.get();
  return nullptr;
}

ir::Node *lowerOne(LoweringContext &cx, const ast::Expr &e);

} // namespace

bool requireFloat(LoweringContext &cx, const ir::Node *v, const ast::Span &at,
                  const std::string &what) {
  if (v->type.dtype != ir::DType::I32)
    return true;
  cx.error(at, fmt::format("{} needs a float tensor, got {} (class ids)", what, v->type.str()));
  return false;
}

ir::Node *lowerExpr(LoweringContext &cx, const ast::Expr &e) {
  if (auto it = cx.chainValues.find(&e); it != cx.chainValues.end())
    return it->second;
  // A chain is lowered from its innermost operand out, in a loop: each link
  // finds its first operand in cx.chainValues, so the recursion stays shallow
  // for any chain length.
  std::vector<const ast::Expr *> chain;
  for (const ast::Expr *p = chainOperand(e); p; p = chainOperand(*p))
    chain.push_back(p);
  for (size_t i = chain.size(); i-- > 0;)
    cx.chainValues[chain[i]] = lowerOne(cx, *chain[i]);
  ir::Node *result = lowerOne(cx, e);
  for (const ast::Expr *p : chain) // a layer's body is lowered again at its next use
    cx.chainValues.erase(p);
  return result;
}

namespace {

ir::Node *lowerOne(LoweringContext &cx, const ast::Expr &e) {
  ir::Node *n = nullptr;
  switch (e.kind) {
  case ast::ExprKind::Number:
    cx.setLoc(e.span);
    return cx.builder.constant(e.number);
  case ast::ExprKind::Name:
    return lowerName(cx, e);
  case ast::ExprKind::Call:
    n = lowerCall(cx, e);
    break;
  case ast::ExprKind::Binary:
    n = lowerBinary(cx, e);
    break;
  case ast::ExprKind::Neg: {
    ir::Node *x = lowerExpr(cx, *e.operands[0]);
    if (!x || !requireFloat(cx, x, e.opSpan, "unary '-'"))
      return nullptr;
    cx.setLoc(e.opSpan);
    n = cx.builder.neg(x);
    break;
  }
  case ast::ExprKind::String:
    cx.error(e.span, "a string is not a tensor value");
    return nullptr;
  case ast::ExprKind::List:
    cx.error(e.span, "a list is not a tensor value");
    return nullptr;
  }
  // Layer outputs, matrix products and broadcasts can be larger than any
  // operand: checked here, at the operator or callee.
  return n && cx.checkNewTensorSizes(e.opSpan) ? n : nullptr;
}

} // namespace

} // namespace nnc::frontend

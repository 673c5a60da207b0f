#include "frontend/ast_builder.h"

#include <cerrno>
#include <cstdlib>
#include <fmt/format.h>

namespace nnc::frontend {

using nn::NNParser;

namespace {

ast::Span spanOf(const antlr4::Token *t) {
  return {(int)t->getLine(), (int)t->getCharPositionInLine() + 1,
          std::max(1, (int)(t->getStopIndex() - t->getStartIndex() + 1))};
}

/// From the first token of `ctx` to its last if both are on one line, else to
/// the end of the first line (the printer clamps the caret to the line).
ast::Span spanOf(antlr4::ParserRuleContext *ctx) {
  ast::Span s = spanOf(ctx->getStart());
  const antlr4::Token *stop = ctx->getStop();
  if (stop && stop->getLine() == ctx->getStart()->getLine() &&
      stop->getStopIndex() >= ctx->getStart()->getStartIndex())
    s.length = (int)(stop->getStopIndex() - ctx->getStart()->getStartIndex() + 1);
  else if (stop && stop->getLine() != ctx->getStart()->getLine())
    s.length = 1 << 20;
  return s;
}

/// Removes the quotes of a string literal and resolves \" \\ \n \t.
std::string unquote(const std::string &lit) {
  std::string out;
  for (size_t i = 1; i + 1 < lit.size(); ++i) {
    char c = lit[i];
    if (c == '\\' && i + 2 < lit.size()) {
      char e = lit[++i];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
    }
    out += c;
  }
  return out;
}

class AstBuilder {
public:
  AstBuilder(const std::string &file, DiagnosticEngine &diags) : file_(file), diags_(diags) {}

  std::unique_ptr<ast::File> build(NNParser::FileContext *tree) {
    auto out = std::make_unique<ast::File>();
    for (auto *top : tree->topLevel()) {
      if (auto *m = top->modelDecl())
        out->models.push_back(model(m));
      else if (auto *l = top->layerDecl())
        out->layers.push_back(layer(l));
      else if (auto *i = top->importDecl())
        out->imports.push_back({unquote(i->path->getText()), spanOf(i->path)});
    }
    return failed_ ? nullptr : std::move(out);
  }

private:
  void error(const ast::Span &s, std::string msg) {
    diags_.error({file_, s.line, s.col}, std::move(msg), s.length);
    failed_ = true;
  }

  ast::ModelDecl model(NNParser::ModelDeclContext *ctx) {
    ast::ModelDecl m;
    m.name = ctx->name->getText();
    m.nameSpan = spanOf(ctx->name);
    m.endSpan = spanOf(ctx->getStop());
    for (auto *item : ctx->modelItem())
      m.body.push_back(statement(item));
    return m;
  }

  ast::LayerDecl layer(NNParser::LayerDeclContext *ctx) {
    ast::LayerDecl l;
    l.name = ctx->name->getText();
    l.nameSpan = spanOf(ctx->name);
    l.file = file_;
    for (auto *p : ctx->layerParam())
      l.params.push_back({p->name->getText(), spanOf(p->name), typeSpec(p->typeSpec())});
    l.result = typeSpec(ctx->result);
    for (auto *item : ctx->modelItem())
      l.body.push_back(statement(item));
    return l;
  }

  ast::Stmt statement(NNParser::ModelItemContext *ctx) {
    ast::Stmt s;
    s.span = spanOf(ctx->getStart());
    auto named = [&](antlr4::Token *name) {
      s.name = name->getText();
      s.nameSpan = spanOf(name);
    };
    if (auto *c = dynamic_cast<NNParser::DataInputDeclContext *>(ctx)) {
      size_t k = c->kind->getType();
      s.kind = k == NNParser::INPUT    ? ast::StmtKind::Input
               : k == NNParser::TARGET ? ast::StmtKind::Target
                                       : ast::StmtKind::Label;
      named(c->name);
      s.type = typeSpec(c->typeSpec());
    } else if (auto *c = dynamic_cast<NNParser::ParamDeclContext *>(ctx)) {
      s.kind = ast::StmtKind::Param;
      named(c->name);
      s.type = typeSpec(c->typeSpec());
      s.value = call(c->init, 0);
    } else if (auto *c = dynamic_cast<NNParser::OutputDeclContext *>(ctx)) {
      s.kind = ast::StmtKind::Output;
      named(c->name);
      s.value = expr(c->expr(), 0);
    } else if (auto *c = dynamic_cast<NNParser::LossDeclContext *>(ctx)) {
      s.kind = ast::StmtKind::Loss;
      s.value = expr(c->expr(), 0);
    } else if (auto *c = dynamic_cast<NNParser::ConfigBlockContext *>(ctx)) {
      s.kind = c->kind->getType() == NNParser::DATA ? ast::StmtKind::Data : ast::StmtKind::Train;
      for (auto *e : c->block()->entry()) {
        if (e->setting)
          s.entries.push_back(
              {e->setting->callee->getText(), spanOf(e->setting->callee), call(e->setting, 0)});
        else
          s.entries.push_back({e->key->getText(), spanOf(e->key), expr(e->value, 0)});
      }
    } else if (auto *c = dynamic_cast<NNParser::ValueDeclContext *>(ctx)) {
      s.kind = ast::StmtKind::Value;
      named(c->name);
      s.value = expr(c->expr(), 0);
    } else if (auto *c = dynamic_cast<NNParser::ReturnDeclContext *>(ctx)) {
      s.kind = ast::StmtKind::Return;
      s.value = expr(c->expr(), 0);
    }
    return s;
  }

  ast::TypeSpec typeSpec(NNParser::TypeSpecContext *ctx) {
    ast::TypeSpec t;
    t.elem = ctx->elem->getText();
    t.elemSpan = spanOf(ctx->elem);
    t.span = spanOf(ctx);
    for (auto *dim : ctx->dim()) {
      ast::Span s = spanOf(dim->getStart());
      long long v = 0;
      if (dim->ID()) {
        t.dimNames.push_back(dim->getText());
      } else {
        errno = 0;
        v = std::strtoll(dim->getText().c_str(), nullptr, 10);
        if (errno == ERANGE)
          error(s, fmt::format("dimension {} is too large", dim->getText()));
        t.dimNames.emplace_back();
      }
      t.dims.push_back(v);
      t.dimSpans.push_back(s);
    }
    return t;
  }

  ast::ExprPtr make(ast::ExprKind kind, ast::Span span) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = kind;
    e->span = span;
    return e;
  }

  /// The left operand of a left-associative chain link (`a + b`, `a * b`,
  /// `a -> f()`), or null: chains are built in a loop, not by recursion, and
  /// do not count as nesting.
  static NNParser::ExprContext *chainLhs(NNParser::ExprContext *ctx) {
    if (auto *c = dynamic_cast<NNParser::MulExprContext *>(ctx))
      return c->lhs;
    if (auto *c = dynamic_cast<NNParser::AddExprContext *>(ctx))
      return c->lhs;
    if (auto *c = dynamic_cast<NNParser::PipeExprContext *>(ctx))
      return c->lhs;
    return nullptr;
  }

  ast::ExprPtr expr(NNParser::ExprContext *ctx, int depth) {
    if (depth > kMaxExprDepth) {
      if (!failed_)
        error(spanOf(ctx->getStart()),
              fmt::format("expression is nested too deeply (more than {} levels)", kMaxExprDepth));
      failed_ = true;
      return make(ast::ExprKind::Number, spanOf(ctx));
    }
    std::vector<NNParser::ExprContext *> links; // outermost first
    NNParser::ExprContext *base = ctx;
    while (NNParser::ExprContext *lhs = chainLhs(base)) {
      links.push_back(base);
      base = lhs;
    }
    ast::ExprPtr e = leaf(base, depth);
    for (size_t i = links.size(); i-- > 0;)
      e = link(links[i], std::move(e), depth);
    return e;
  }

  /// An expression that is not a chain link.
  ast::ExprPtr leaf(NNParser::ExprContext *ctx, int depth) {
    if (auto *c = dynamic_cast<NNParser::PrimaryExprContext *>(ctx))
      return primary(c->primary(), depth + 1);
    auto *c = dynamic_cast<NNParser::NegExprContext *>(ctx);
    auto e = make(ast::ExprKind::Neg, spanOf(ctx));
    e->opSpan = spanOf(c->op);
    e->operands.push_back(expr(c->expr(), depth + 1));
    return e;
  }

  /// The chain link `ctx` with its left operand built already.
  ast::ExprPtr link(NNParser::ExprContext *ctx, ast::ExprPtr lhs, int depth) {
    if (auto *c = dynamic_cast<NNParser::MulExprContext *>(ctx))
      return binary(ctx, c->op, std::move(lhs), c->rhs, depth);
    if (auto *c = dynamic_cast<NNParser::AddExprContext *>(ctx))
      return binary(ctx, c->op, std::move(lhs), c->rhs, depth);
    auto *c = dynamic_cast<NNParser::PipeExprContext *>(ctx);
    // `x -> f(args)` is `f(x, args)`, spanning from `x`; errors about the
    // call itself point at the callee `f`.
    auto e = call(c->stage, depth + 1);
    e->span = spanOf(ctx);
    e->piped = true;
    e->args.insert(e->args.begin(), ast::Arg{"", {}, std::move(lhs)});
    return e;
  }

  ast::ExprPtr binary(NNParser::ExprContext *ctx, antlr4::Token *op, ast::ExprPtr lhs,
                      NNParser::ExprContext *rhs, int depth) {
    auto e = make(ast::ExprKind::Binary, spanOf(ctx));
    e->op = op->getText()[0];
    e->opSpan = spanOf(op);
    e->operands.push_back(std::move(lhs));
    e->operands.push_back(expr(rhs, depth + 1));
    return e;
  }

  ast::ExprPtr primary(NNParser::PrimaryContext *ctx, int depth) {
    ast::Span span = spanOf(ctx);
    if (auto *c = dynamic_cast<NNParser::IntLiteralContext *>(ctx))
      return number(c->INT()->getText(), span, true);
    if (auto *c = dynamic_cast<NNParser::FloatLiteralContext *>(ctx))
      return number(c->FLOAT()->getText(), span, false);
    if (auto *c = dynamic_cast<NNParser::StringLiteralContext *>(ctx)) {
      auto e = make(ast::ExprKind::String, span);
      e->text = unquote(c->STRING()->getText());
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::NameExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::Name, span);
      e->text = c->anyName()->getText();
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::CallExprContext *>(ctx))
      return call(c->call(), depth);
    if (auto *c = dynamic_cast<NNParser::ParenExprContext *>(ctx))
      return expr(c->expr(), depth);
    auto *c = dynamic_cast<NNParser::ListExprContext *>(ctx);
    auto e = make(ast::ExprKind::List, span);
    for (auto *item : c->expr())
      e->operands.push_back(expr(item, depth + 1));
    return e;
  }

  ast::ExprPtr number(const std::string &text, ast::Span span, bool isInteger) {
    auto e = make(ast::ExprKind::Number, span);
    errno = 0;
    e->number = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE && e->number != 0)
      error(span, fmt::format("number {} is out of range", text));
    e->isInteger = isInteger;
    if (isInteger) { // `number` rounds above 2^53; seeds need every digit
      errno = 0;
      unsigned long long exact = std::strtoull(text.c_str(), nullptr, 10);
      if (errno != ERANGE)
        e->exact = exact;
    }
    return e;
  }

  ast::ExprPtr call(NNParser::CallContext *ctx, int depth) {
    auto e = make(ast::ExprKind::Call, spanOf(ctx));
    e->text = ctx->callee->getText();
    e->opSpan = spanOf(ctx->callee);
    for (auto *a : ctx->arg()) {
      ast::Arg arg;
      if (a->keyword) {
        arg.keyword = a->keyword->getText();
        arg.keywordSpan = spanOf(a->keyword);
      }
      arg.value = expr(a->expr(), depth + 1);
      e->args.push_back(std::move(arg));
    }
    return e;
  }

  const std::string &file_;
  DiagnosticEngine &diags_;
  bool failed_ = false;
};

} // namespace

std::unique_ptr<ast::File> buildAst(NNParser::FileContext *tree, const std::string &file,
                                    DiagnosticEngine &diags) {
  return AstBuilder(file, diags).build(tree);
}

} // namespace nnc::frontend

#include "frontend/syntax_errors.h"

#include "NNParser.h"

#include <algorithm>

namespace nnc::frontend {

using antlr4::Token;
using nn::NNParser;

namespace {

bool isKeyword(size_t type) { return type >= NNParser::MODEL && type <= NNParser::RETURN; }

bool isBadToken(size_t type) {
  return type == NNParser::BAD_CHARACTER || type == NNParser::UNTERMINATED_COMMENT ||
         type == NNParser::UNTERMINATED_STRING;
}

/// The message for a token the lexer could not make sense of.
std::string badTokenMessage(const Token *t) {
  std::string text = t->getText();
  switch (t->getType()) {
  case NNParser::UNTERMINATED_COMMENT:
    return "unterminated comment: '/*' has no matching '*/'";
  case NNParser::UNTERMINATED_STRING:
    return "missing closing '\"' of the string";
  default:
    if (text == "#")
      return "'#' starts a comment only at the beginning of a line; use '//' after code";
    return "unexpected character '" + text + "'";
  }
}

/// "'x'", "keyword 'data'", "end of file".
std::string foundText(const Token *t, bool nameExpected) {
  if (t->getType() == Token::EOF)
    return "end of file";
  std::string text = t->getText();
  if (text.size() > 24)
    text = text.substr(0, 21) + "...";
  std::string quoted = "'" + text + "'";
  return isKeyword(t->getType()) && nameExpected ? "keyword " + quoted : quoted;
}

/// "a name", "an integer", "'='".
std::string expectedTokenText(size_t type, const antlr4::dfa::Vocabulary &vocab) {
  switch (type) {
  case Token::EOF:
    return "end of file";
  case NNParser::ID:
    return "a name";
  case NNParser::INT:
    return "an integer";
  case NNParser::FLOAT:
    return "a number";
  case NNParser::STRING:
    return "a string";
  default: {
    std::string literal = vocab.getLiteralName(type);
    return literal.empty() ? vocab.getDisplayName(type) : literal;
  }
  }
}

bool startsExpression(size_t type, const antlr4::dfa::Vocabulary &vocab) {
  if (type == NNParser::ID || type == NNParser::INT || type == NNParser::FLOAT ||
      type == NNParser::STRING || isKeyword(type))
    return true;
  std::string lit = vocab.getLiteralName(type);
  return lit == "'('" || lit == "'['" || lit == "'-'";
}

/// "':'", "an integer or ']'", "an expression"; empty if the set is too large
/// to be worth listing.
std::string describeExpected(const antlr4::misc::IntervalSet &set,
                             const antlr4::dfa::Vocabulary &vocab) {
  bool nameOrInt = set.contains((size_t)NNParser::INT) && set.contains((size_t)NNParser::ID);
  bool expression = nameOrInt && set.contains((size_t)NNParser::FLOAT);
  bool dimension = nameOrInt && !expression; // f32[4, n]
  std::vector<std::string> categories, literals;
  if (expression)
    categories.push_back("an expression");
  if (dimension)
    categories.push_back("a dimension");
  for (ssize_t t : set.toList()) {
    if (expression && startsExpression((size_t)t, vocab))
      continue;
    if (dimension && (t == NNParser::INT || t == NNParser::ID))
      continue;
    std::string text = expectedTokenText((size_t)t, vocab);
    (!text.empty() && text.front() == '\'' ? literals : categories).push_back(text);
  }
  categories.insert(categories.end(), literals.begin(), literals.end());
  auto eof = std::find(categories.begin(), categories.end(), "end of file");
  if (eof != categories.end())
    std::rotate(eof, eof + 1, categories.end());
  if (categories.empty() || categories.size() > 4)
    return "";
  std::string s = categories[0];
  for (size_t i = 1; i < categories.size(); ++i)
    s += (i + 1 == categories.size() ? " or " : ", ") + categories[i];
  return s;
}

/// What may come next, by grammar rule, when the token set is too large.
std::string describeContext(antlr4::ParserRuleContext *ctx) {
  if (!ctx)
    return "";
  switch (ctx->getRuleIndex()) {
  case NNParser::RuleModelDecl:
  case NNParser::RuleModelItem:
    return "a statement (input, target, label, param, output, loss, data, train or "
           "'name = expression') or '}'";
  case NNParser::RuleLayerDecl:
    return "a statement (param, 'name = expression' or return) or '}'";
  case NNParser::RuleBlock:
  case NNParser::RuleEntry:
    return "'key = value' or '}'";
  default:
    return "";
  }
}

std::string message(antlr4::Parser *parser, const Token *found,
                    const antlr4::misc::IntervalSet &expected, bool expectedIsReliable) {
  if (isBadToken(found->getType()))
    return badTokenMessage(found);
  const auto &vocab = parser->getVocabulary();
  antlr4::misc::IntervalSet wanted = expected;
  if (found->getType() == Token::EOF) {
    // At the end of the file, what is missing is a closing bracket.
    antlr4::misc::IntervalSet closers;
    for (ssize_t t : expected.toList()) {
      std::string lit = vocab.getLiteralName((size_t)t);
      if (lit == "'}'" || lit == "')'" || lit == "']'")
        closers.add(t);
    }
    if (!closers.isEmpty())
      wanted = closers;
  }
  std::string what = expectedIsReliable ? describeExpected(wanted, vocab) : "";
  if (what.empty() && expectedIsReliable)
    what = describeContext(parser->getContext());
  std::string foundStr = foundText(found, expected.contains((size_t)NNParser::ID));
  if (what.empty())
    return "unexpected " + foundStr;
  return "expected " + what + " but found " + foundStr;
}

} // namespace

void ReadableErrorStrategy::sync(antlr4::Parser *parser) {
  try {
    DefaultErrorStrategy::sync(parser);
  } catch (const antlr4::InputMismatchException &) {
    size_t rule = parser->getContext()->getRuleIndex();
    if (rule != NNParser::RuleModelDecl && rule != NNParser::RuleLayerDecl &&
        rule != NNParser::RuleBlock)
      throw;
    // ANTLR would give up on the enclosing rule here, skipping the rest of
    // the model; resynchronize at the next statement or entry instead.
    reportUnwantedToken(parser);
    consumeUntil(parser, parser->getExpectedTokens());
  }
}

void ReadableErrorStrategy::reportNoViableAlternative(antlr4::Parser *parser,
                                                      const antlr4::NoViableAltException &e) {
  // The expected set describes the decision's first token; it only fits the
  // offending token when the two are the same.
  bool atStart = e.getStartToken() == e.getOffendingToken();
  parser->notifyErrorListeners(
      e.getOffendingToken(), message(parser, e.getOffendingToken(), e.getExpectedTokens(), atStart),
      nullptr);
}

void ReadableErrorStrategy::reportInputMismatch(antlr4::Parser *parser,
                                                const antlr4::InputMismatchException &e) {
  parser->notifyErrorListeners(e.getOffendingToken(),
                               message(parser, e.getOffendingToken(), e.getExpectedTokens(), true),
                               nullptr);
}

void ReadableErrorStrategy::reportFailedPredicate(antlr4::Parser *parser,
                                                  const antlr4::FailedPredicateException &e) {
  parser->notifyErrorListeners(e.getOffendingToken(),
                               "unexpected " + foundText(e.getOffendingToken(), false), nullptr);
}

void ReadableErrorStrategy::reportUnwantedToken(antlr4::Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  Token *t = parser->getCurrentToken();
  parser->notifyErrorListeners(t, message(parser, t, getExpectedTokens(parser), true), nullptr);
}

void ReadableErrorStrategy::reportMissingToken(antlr4::Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  Token *t = parser->getCurrentToken();
  parser->notifyErrorListeners(t, message(parser, t, getExpectedTokens(parser), true), nullptr);
}

void SyntaxErrorListener::syntaxError(antlr4::Recognizer *recognizer, Token *offendingSymbol,
                                      size_t line, size_t charPositionInLine,
                                      const std::string &msg, std::exception_ptr) {
  ++count_;
  int length = 1;
  std::string text = msg;
  if (offendingSymbol && offendingSymbol->getType() == Token::EOF) {
    // Point just after the last real token rather than at an empty last line.
    auto *parser = dynamic_cast<antlr4::Parser *>(recognizer);
    size_t index = offendingSymbol->getTokenIndex();
    if (parser && index > 0 && index != INVALID_INDEX) {
      Token *prev = parser->getTokenStream()->get(index - 1);
      line = prev->getLine();
      charPositionInLine =
          prev->getCharPositionInLine() + (prev->getStopIndex() - prev->getStartIndex() + 1);
    }
  } else if (offendingSymbol) {
    size_t type = offendingSymbol->getType();
    length = type == NNParser::UNTERMINATED_COMMENT ? 2
             : type == NNParser::UNTERMINATED_STRING
                 ? 1
                 : (int)(offendingSymbol->getStopIndex() - offendingSymbol->getStartIndex() + 1);
  } else {
    // A lexer error; the grammar's BAD_CHARACTER token should make these rare.
    auto at = msg.find("at: ");
    text = "unexpected input" + (at == std::string::npos ? "" : " " + msg.substr(at + 4));
  }
  if ((int)line == lastLine_)
    return;
  lastLine_ = (int)line;
  diags_.error({file_, (int)line, (int)charPositionInLine + 1}, text, std::max(length, 1));
}

} // namespace nnc::frontend

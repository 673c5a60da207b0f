#include "ir/text_lexer.h"

#include <cctype>
#include <fmt/format.h>

namespace nnc::ir {

namespace {

bool isIdentStart(char c) { return std::isalpha((unsigned char)c) || c == '_'; }
bool isIdentChar(char c) { return std::isalnum((unsigned char)c) || c == '_' || c == '.'; }
bool isDigit(char c) { return std::isdigit((unsigned char)c); }

int hexValue(char c) {
  if (isDigit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string describeChar(char c) {
  auto u = (unsigned char)c;
  return u >= 0x20 && u < 0x7f ? fmt::format("'{}'", c) : fmt::format("byte 0x{:02X}", u);
}

} // namespace

const char *tokenKindName(Token::Kind k) {
  switch (k) {
  case Token::Eof:
    return "end of input";
  case Token::Error:
    return "an invalid token";
  case Token::Ident:
    return "a name";
  case Token::Number:
    return "a number";
  case Token::String:
    return "a string";
  case Token::Value:
    return "a value (%name)";
  case Token::Global:
    return "a graph name (@name)";
  case Token::Equal:
    return "'='";
  case Token::Comma:
    return "','";
  case Token::Colon:
    return "':'";
  case Token::LBracket:
    return "'['";
  case Token::RBracket:
    return "']'";
  case Token::LParen:
    return "'('";
  case Token::RParen:
    return "')'";
  case Token::LBrace:
    return "'{'";
  case Token::RBrace:
    return "'}'";
  }
  return "?";
}

char TextLexer::peek(size_t ahead) const {
  return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
}

char TextLexer::advance() {
  char c = src_[pos_++];
  if (c == '\n') {
    ++line_;
    col_ = 1;
  } else {
    ++col_;
  }
  return c;
}

void TextLexer::skipSpaceAndComments() {
  while (pos_ < src_.size()) {
    char c = peek();
    if (c == ';') {
      while (pos_ < src_.size() && peek() != '\n')
        advance();
    } else if (std::isspace((unsigned char)c)) {
      advance();
    } else {
      return;
    }
  }
}

Token TextLexer::lexString(Token t) {
  advance(); // the opening quote
  t.text.clear();
  while (true) {
    if (pos_ >= src_.size() || peek() == '\n') {
      t.kind = Token::Error;
      t.text = "unterminated string";
      return t;
    }
    char c = advance();
    if (c == '"')
      return t;
    if (c != '\\') {
      t.text += c;
      continue;
    }
    if (peek() == '\\' || peek() == '"') {
      t.text += advance();
      continue;
    }
    int hi = hexValue(peek()), lo = hexValue(peek(1));
    if (hi < 0 || lo < 0) {
      t.kind = Token::Error;
      t.text = "bad escape in string: write \\XX with two hex digits, \\\\ or \\\"";
      return t;
    }
    advance();
    advance();
    t.text += (char)(hi * 16 + lo);
  }
}

Token TextLexer::lexWord(Token t, bool (*inWord)(char)) {
  t.text.clear();
  while (pos_ < src_.size() && inWord(peek()))
    t.text += advance();
  return t;
}

Token TextLexer::next() {
  skipSpaceAndComments();
  Token t;
  t.line = line_;
  t.col = col_;
  if (pos_ >= src_.size())
    return t;
  char c = peek();
  auto single = [&](Token::Kind k) {
    advance();
    t.kind = k;
    t.text = std::string(1, c);
    return t;
  };
  switch (c) {
  case '=':
    return single(Token::Equal);
  case ',':
    return single(Token::Comma);
  case ':':
    return single(Token::Colon);
  case '[':
    return single(Token::LBracket);
  case ']':
    return single(Token::RBracket);
  case '(':
    return single(Token::LParen);
  case ')':
    return single(Token::RParen);
  case '{':
    return single(Token::LBrace);
  case '}':
    return single(Token::RBrace);
  case '"':
    t.kind = Token::String;
    return lexString(t);
  case '%':
  case '@': {
    advance();
    t.kind = c == '%' ? Token::Value : Token::Global;
    if (peek() == '"') {
      t = lexString(t);
      t.quoted = t.kind != Token::Error;
      return t;
    }
    t = lexWord(t, isIdentChar);
    if (t.text.empty()) {
      t.kind = Token::Error;
      t.text = fmt::format("expected a name or a quoted string after '{}'", c);
    }
    return t;
  }
  default:
    break;
  }
  if (isIdentStart(c)) {
    t.kind = Token::Ident;
    return lexWord(t, isIdentChar);
  }
  bool sign = c == '-' || c == '+';
  char first = sign ? peek(1) : c;
  bool numeric = isDigit(first) || first == '.';
  if (numeric || (sign && isIdentStart(first))) { // 12, -0.5, 1e-08, -inf
    t.kind = Token::Number;
    t.text = std::string(1, advance());
    while (pos_ < src_.size()) {
      char d = peek(), prev = t.text.back();
      bool exponentSign = numeric && (d == '-' || d == '+') && (prev == 'e' || prev == 'E');
      if (!isIdentChar(d) && !exponentSign)
        break;
      t.text += advance();
    }
    return t;
  }
  advance();
  t.kind = Token::Error;
  t.text = "unexpected " + describeChar(c);
  return t;
}

} // namespace nnc::ir

// Tokens of the IR text form (grammar in ir/parser.h). Comments run from ';'
// to the end of the line. Lines and columns are 1-based; columns count bytes.
#pragma once
#include <string>
#include <string_view>

namespace nnc::ir {

struct Token {
  enum Kind {
    Eof,
    Error,  // text: what is wrong
    Ident,  // [A-Za-z_][A-Za-z0-9_.]*
    Number, // [+-]? then [0-9A-Za-z_.] (and a sign after e/E); validated by the parser
    String, // text: the unescaped contents
    Value,  // %label; text: the label, unescaped if quoted
    Global, // @name; text: the name, unescaped if quoted
    Equal,
    Comma,
    Colon,
    LBracket,
    RBracket,
    LParen,
    RParen,
    LBrace,
    RBrace,
  };
  Kind kind = Eof;
  std::string text;
  bool quoted = false; // a Value or Global written %"..." / @"..."
  int line = 1, col = 1;
};

/// Describes a token kind for "expected ..." messages: "'='", "a string".
const char *tokenKindName(Token::Kind k);

class TextLexer {
public:
  explicit TextLexer(std::string_view src) : src_(src) {}
  Token next();

private:
  char peek(size_t ahead = 0) const;
  char advance();
  void skipSpaceAndComments();
  Token lexString(Token t);
  Token lexWord(Token t, bool (*inWord)(char));
  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

} // namespace nnc::ir

#include "frontend/parse.h"

#include "frontend/ast_builder.h"
#include "frontend/syntax_errors.h"
#include "support/display_text.h"

#include "NNLexer.h"
#include "NNParser.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// ANTLR parses nested brackets and prefix minus signs recursively. Rejecting
/// absurd nesting before parsing keeps the stack bounded on any input.
bool checkNesting(antlr4::CommonTokenStream &tokens, const std::string &file,
                  DiagnosticEngine &diags) {
  int depth = 0, prefixRun = 0;
  for (antlr4::Token *t : tokens.getTokens()) {
    std::string text = t->getText();
    bool opens = text == "(" || text == "[";
    if (opens)
      ++depth;
    else if (text == ")" || text == "]")
      depth = std::max(0, depth - 1);
    prefixRun = opens || text == "-" ? prefixRun + 1 : 0;
    if (depth > kMaxExprDepth || prefixRun > kMaxExprDepth) {
      diags.error(
          {file, (int)t->getLine(), (int)t->getCharPositionInLine() + 1},
          fmt::format("expression is nested too deeply (more than {} levels)", kMaxExprDepth));
      return false;
    }
  }
  return true;
}

/// Reports the first byte of `text` that is not well-formed UTF-8 at its
/// line and column (columns count characters, as in every diagnostic).
bool checkUtf8(const std::string &text, const std::string &file, DiagnosticEngine &diags) {
  int line = 1, col = 1;
  for (size_t i = 0; i < text.size();) {
    size_t n = support::utf8SequenceLength(text, i);
    if (n == 0) {
      diags.error({file, line, col},
                  fmt::format("the model file is not valid UTF-8 text: byte 0x{:02X} at offset {}",
                              (unsigned char)text[i], i));
      return false;
    }
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += n;
  }
  return true;
}

} // namespace

std::unique_ptr<ast::File> parseModelText(const std::string &file, const std::string &text,
                                          DiagnosticEngine &diags) {
  if (!checkUtf8(text, file, diags))
    return nullptr;
  try {
    antlr4::ANTLRInputStream input(text);
    input.name = file;
    nn::NNLexer lexer(&input);
    SyntaxErrorListener listener(file, diags);
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (!checkNesting(tokens, file, diags))
      return nullptr;

    nn::NNParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    parser.setErrorHandler(std::make_shared<ReadableErrorStrategy>());
    nn::NNParser::FileContext *tree = parser.file();
    if (listener.errorCount() > 0)
      return nullptr;
    return buildAst(tree, file, diags);
  } catch (const std::range_error &) {
    // ANTLR's UTF-8 decoder rejects malformed input.
    diags.error({file, 0, 0}, "the model file is not valid UTF-8 text");
  } catch (const std::exception &e) {
    diags.error({file, 0, 0}, fmt::format("internal error while parsing: {}", e.what()));
  } catch (...) {
    diags.error({file, 0, 0}, "internal error while parsing");
  }
  return nullptr;
}

} // namespace nnc::frontend

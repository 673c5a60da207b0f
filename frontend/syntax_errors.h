// Readable syntax errors for the ANTLR parser of the .nn language.
//
// ReadableErrorStrategy keeps ANTLR's recovery but words each error for a
// user: "expected ':' but found 'f32'", "expected an expression but found
// ')'", "unexpected character '$'", "unterminated comment". SyntaxErrorListener
// turns those into located diagnostics, moving errors at end of file to just
// after the last token, and keeps only the first error of each line (later
// ones on the same line are almost always cascades). After an error inside a
// model body or a block, parsing resumes at the next statement or entry so
// that independent errors further down are reported too.
#pragma once
#include "frontend/diagnostics.h"

#include "antlr4-runtime.h"

#include <string>

namespace nnc::frontend {

class ReadableErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  /// Inside a model body or a block, skips a malformed statement up to the
  /// next one instead of abandoning the rest of the model.
  void sync(antlr4::Parser *parser) override;

protected:
  void reportNoViableAlternative(antlr4::Parser *parser,
                                 const antlr4::NoViableAltException &e) override;
  void reportInputMismatch(antlr4::Parser *parser,
                           const antlr4::InputMismatchException &e) override;
  void reportFailedPredicate(antlr4::Parser *parser,
                             const antlr4::FailedPredicateException &e) override;
  void reportUnwantedToken(antlr4::Parser *parser) override;
  void reportMissingToken(antlr4::Parser *parser) override;
};

class SyntaxErrorListener : public antlr4::BaseErrorListener {
public:
  SyntaxErrorListener(std::string file, DiagnosticEngine &diags)
      : file_(std::move(file)), diags_(diags) {}

  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *offendingSymbol, size_t line,
                   size_t charPositionInLine, const std::string &msg,
                   std::exception_ptr e) override;
  /// Every syntax error seen, including those not reported.
  int errorCount() const { return count_; }

private:
  std::string file_;
  DiagnosticEngine &diags_;
  int count_ = 0;
  int lastLine_ = 0;
};

} // namespace nnc::frontend

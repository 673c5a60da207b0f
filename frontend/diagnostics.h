// Diagnostics a user can cause: `file:line:col: error: message`, then the
// source line and a caret under the span, like clang; an error may carry
// notes (`file:line:col: note: in layer 'residual' used here`). An error
// identical to one already reported (same place, same message: e.g. from the
// body of a layer used twice) is reported once. Control bytes and bytes that
// are not UTF-8 are printed as \xNN (support/display_text.h), the caret still
// under the character it points at.
#pragma once
#include "ir/graph.h"

#include <ostream>
#include <string>
#include <vector>

namespace nnc::frontend {

struct Note {
  ir::SourceLoc loc;
  std::string message;
  int length = 1;
};

struct Diagnostic {
  ir::SourceLoc loc;
  std::string message;
  int length = 1; // columns under the caret
  std::vector<Note> notes;
};

class DiagnosticEngine {
public:
  /// Maximum number of errors reported before the rest are dropped.
  static constexpr int kMaxErrors = 20;

  void error(const ir::SourceLoc &loc, std::string message, int length = 1,
             std::vector<Note> notes = {});
  bool hasErrors() const { return !errors_.empty(); }
  const std::vector<Diagnostic> &errors() const { return errors_; }
  /// Registers source text so that printed errors can show the line.
  void addSource(const std::string &file, std::string text);
  /// Prints every error with its source line and caret.
  void print(std::ostream &os) const;
  /// Errors reported after the first kMaxErrors, counted but not kept.
  int droppedCount() const { return dropped_; }

private:
  void printOne(std::ostream &os, const ir::SourceLoc &loc, const char *severity,
                const std::string &message, int length) const;
  std::vector<Diagnostic> errors_;
  int dropped_ = 0;
  std::vector<std::pair<std::string, std::string>> sources_;
};

} // namespace nnc::frontend

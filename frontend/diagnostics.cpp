#include "frontend/diagnostics.h"

#include "support/display_text.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// Line `line` (1-based) of `text` without its line break; false if none.
bool sourceLine(const std::string &text, int line, std::string &out) {
  size_t begin = 0;
  for (int i = 1; i < line; ++i) {
    begin = text.find('\n', begin);
    if (begin == std::string::npos)
      return false;
    ++begin;
  }
  if (begin > text.size())
    return false;
  size_t end = text.find('\n', begin);
  out = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (!out.empty() && out.back() == '\r')
    out.pop_back();
  return true;
}

bool isUtf8Continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/// Splits a line into its characters (columns count characters); a byte that
/// is not part of well-formed UTF-8 is a character of its own, as the column
/// of parse.cpp's UTF-8 error counts it.
std::vector<std::string> characters(const std::string &line) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < line.size();) {
    size_t n = std::max<size_t>(support::utf8SequenceLength(line, i), 1);
    chars.push_back(line.substr(i, n));
    i += n;
  }
  return chars;
}

/// Columns `shown` takes on a terminal: one per character.
int width(const std::string &shown) {
  int n = 0;
  for (char c : shown)
    n += isUtf8Continuation(c) ? 0 : 1;
  return n;
}

/// The line as printed (control bytes escaped by support::displayText), and
/// "   ^~~~" under the characters [col, col + length) of the unescaped line,
/// keeping tabs so it lines up and widening each column to its escaped text.
std::pair<std::string, std::string> shownLine(const std::string &line, int col, int length) {
  std::vector<std::string> chars = characters(line);
  std::string shown, caret;
  for (const std::string &c : chars)
    shown += support::displayText(c);
  for (int i = 0; i + 1 < col; ++i) {
    if (i < (int)chars.size() && chars[i] == "\t")
      caret += '\t';
    else
      caret += std::string(i < (int)chars.size() ? width(support::displayText(chars[i])) : 1, ' ');
  }
  int available = std::max(1, (int)chars.size() - (col - 1));
  int columns = 0;
  for (int i = col - 1; i < col - 1 + std::clamp(length, 1, available); ++i)
    columns += i < (int)chars.size() ? width(support::displayText(chars[i])) : 1;
  caret += '^';
  caret += std::string(std::max(columns, 1) - 1, '~');
  return {shown, caret};
}

} // namespace

void DiagnosticEngine::error(const ir::SourceLoc &loc, std::string message, int length,
                             std::vector<Note> notes) {
  for (const Diagnostic &d : errors_)
    if (d.loc.file == loc.file && d.loc.line == loc.line && d.loc.col == loc.col &&
        d.message == message)
      return;
  if ((int)errors_.size() >= kMaxErrors) {
    ++dropped_;
    return;
  }
  errors_.push_back({loc, std::move(message), length, std::move(notes)});
}

void DiagnosticEngine::addSource(const std::string &file, std::string text) {
  for (auto &[name, body] : sources_)
    if (name == file) {
      body = std::move(text);
      return;
    }
  sources_.emplace_back(file, std::move(text));
}

void DiagnosticEngine::printOne(std::ostream &os, const ir::SourceLoc &loc, const char *severity,
                                const std::string &rawMessage, int length) const {
  // A message may quote the model (a bad character, a string literal).
  std::string message = support::displayText(rawMessage);
  std::string file = support::displayText(loc.file);
  if (loc.file.empty())
    os << severity << ": " << message << "\n";
  else if (loc.line <= 0)
    os << fmt::format("{}: {}: {}\n", file, severity, message);
  else
    os << fmt::format("{}:{}:{}: {}: {}\n", file, loc.line, std::max(loc.col, 1), severity,
                      message);
  if (loc.line <= 0)
    return;
  for (const auto &[name, text] : sources_) {
    std::string line;
    if (name == loc.file && sourceLine(text, loc.line, line)) {
      auto [shown, caret] = shownLine(line, std::max(loc.col, 1), length);
      os << shown << "\n" << caret << "\n";
      return;
    }
  }
}

void DiagnosticEngine::print(std::ostream &os) const {
  for (const Diagnostic &d : errors_) {
    printOne(os, d.loc, "error", d.message, d.length);
    for (const Note &n : d.notes)
      printOne(os, n.loc, "note", n.message, n.length);
  }
  if (dropped_ > 0)
    os << fmt::format("error: too many errors; {} more not shown\n", dropped_);
}

} // namespace nnc::frontend

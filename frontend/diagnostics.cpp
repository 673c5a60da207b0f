#include "frontend/diagnostics.h"

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

/// Splits a UTF-8 line into its characters (columns count characters).
std::vector<std::string> characters(const std::string &line) {
  std::vector<std::string> chars;
  for (char c : line) {
    if (isUtf8Continuation(c) && !chars.empty())
      chars.back() += c;
    else
      chars.emplace_back(1, c);
  }
  return chars;
}

/// "   ^~~~" under columns [col, col + length), keeping tabs so it lines up.
std::string caretLine(const std::string &line, int col, int length) {
  std::vector<std::string> chars = characters(line);
  std::string out;
  for (int i = 0; i + 1 < col; ++i)
    out += i < (int)chars.size() && chars[i] == "\t" ? '\t' : ' ';
  int available = std::max(1, (int)chars.size() - (col - 1));
  out += '^';
  out += std::string(std::clamp(length, 1, available) - 1, '~');
  return out;
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
                                const std::string &message, int length) const {
  if (loc.file.empty())
    os << severity << ": " << message << "\n";
  else if (loc.line <= 0)
    os << fmt::format("{}: {}: {}\n", loc.file, severity, message);
  else
    os << fmt::format("{}:{}:{}: {}: {}\n", loc.file, loc.line, std::max(loc.col, 1), severity,
                      message);
  if (loc.line <= 0)
    return;
  for (const auto &[name, text] : sources_) {
    std::string line;
    if (name == loc.file && sourceLine(text, loc.line, line)) {
      os << line << "\n" << caretLine(line, std::max(loc.col, 1), length) << "\n";
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

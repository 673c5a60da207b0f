#include "frontend/program.h"

#include "frontend/parse.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>

namespace nnc::frontend {

namespace fs = std::filesystem;

namespace {

/// The identity of a file: its canonical path, or the absolute path when it
/// does not exist (yet).
std::string canonicalPath(const std::string &path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  if (ec)
    p = fs::absolute(path, ec);
  return ec ? path : p.string();
}

class Loader {
public:
  Loader(DiagnosticEngine &diags, Program &out) : diags_(diags), out_(out) {}

  bool loadMain(const std::string &path, const std::string &text) {
    std::string canonical = canonicalPath(path);
    loaded_.insert(canonical);
    out_.main = load(path, canonical, text);
    return ok_;
  }

private:
  /// Parses `text` of the file shown as `display`, then loads its imports.
  ast::File *load(const std::string &display, const std::string &canonical,
                  const std::string &text) {
    diags_.addSource(display, text);
    std::unique_ptr<ast::File> file = parseModelText(display, text, diags_);
    if (!file) {
      ok_ = false;
      return nullptr;
    }
    chain_.push_back({canonical, display});
    for (const ast::Import &import : file->imports)
      loadImport(display, import);
    chain_.pop_back();
    out_.files.push_back(std::move(file));
    return out_.files.back().get();
  }

  void error(const std::string &file, const ast::Span &at, std::string message) {
    diags_.error({file, at.line, at.col}, std::move(message), at.length);
    ok_ = false;
  }

  void loadImport(const std::string &importer, const ast::Import &import) {
    if (import.path.empty()) {
      error(importer, import.span, "an import needs a file name, as in import \"layers.nn\"");
      return;
    }
    std::string display =
        (fs::path(importer).parent_path() / import.path).lexically_normal().string();
    std::string canonical = canonicalPath(display);
    for (size_t i = 0; i < chain_.size(); ++i) {
      if (chain_[i].first != canonical)
        continue;
      std::string cycle; // the whole chain from the model file, to show how it was reached
      for (size_t j = 0; j < chain_.size(); ++j)
        cycle += chain_[j].second + " -> ";
      error(importer, import.span, fmt::format("import cycle: {}{}", cycle, display));
      return;
    }
    if (chain_.size() > kMaxImportDepth) { // the loader recurses once per level
      error(importer, import.span,
            fmt::format("imports are nested more than {} deep: {} -> ... -> {} -> {}",
                        kMaxImportDepth, chain_.front().second, importer, display));
      return;
    }
    if (!loaded_.insert(canonical).second)
      return; // already loaded (or already reported): read each file once
    std::string why;
    std::optional<std::string> text = readTextFile(display, why, /*regularOnly=*/true);
    if (!text) {
      error(importer, import.span, fmt::format("cannot open imported file '{}': {}", display, why));
      return;
    }
    const ast::File *file = load(display, canonical, *text);
    if (!file)
      return;
    for (const ast::ModelDecl &m : file->models)
      error(display, m.nameSpan,
            fmt::format("an imported file holds layers only, but '{}' declares model '{}' "
                        "(imported from {})",
                        display, m.name, importer));
  }

  DiagnosticEngine &diags_;
  Program &out_;
  std::set<std::string> loaded_;
  /// Files being loaded, outermost first: (canonical, as shown).
  std::vector<std::pair<std::string, std::string>> chain_;
  bool ok_ = true;
};

} // namespace

std::optional<std::string> readTextFile(const std::string &path, std::string &error,
                                        bool regularOnly) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = std::strerror(EISDIR);
    return std::nullopt;
  }
  if (regularOnly && fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    error = "not a regular file";
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno ? errno : ENOENT);
    return std::nullopt;
  }
  // At most one byte more than the limit, so that a device or a pipe that
  // never ends is refused as soon as it is too long.
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, (size_t)in.gcount());
    if (text.size() > kMaxSourceBytes) {
      error = fmt::format("larger than the {} MiB a model file may have", kMaxSourceBytes >> 20);
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = std::strerror(errno ? errno : EIO);
    return std::nullopt;
  }
  return text;
}

bool loadProgram(const std::string &path, const std::string &text, DiagnosticEngine &diags,
                 Program &out) {
  return Loader(diags, out).loadMain(path, text);
}

} // namespace nnc::frontend

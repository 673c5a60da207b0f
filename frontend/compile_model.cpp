// The front end's entry points (model.h): read the file, parse it, check and
// lower its one model. Nothing escapes as an exception: an internal failure
// becomes an error like any other.
#include "frontend/lower.h"
#include "frontend/model.h"
#include "frontend/parse.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace nnc::frontend {

namespace {

std::unique_ptr<Model> lowerFile(const std::string &path, const ast::File &file,
                                 DiagnosticEngine &diags) {
  if (file.models.empty()) {
    diags.error({path, 0, 0}, "no model found; a model file holds 'model NAME { ... }'");
    return nullptr;
  }
  if (file.models.size() > 1) {
    const ast::Span &second = file.models[1].nameSpan;
    diags.error({path, second.line, second.col},
                fmt::format("a file holds one model; '{}' is declared at {}", file.models[0].name,
                            LoweringContext::position(file.models[0].nameSpan)),
                second.length);
    return nullptr;
  }
  const ast::ModelDecl &decl = file.models[0];
  auto model = std::make_unique<Model>();
  model->file = path;
  model->forward = std::make_unique<ir::Graph>(decl.name);
  LoweringContext cx(path, diags, *model);
  if (!lowerModel(cx, decl))
    return nullptr;
  return model;
}

} // namespace

std::unique_ptr<Model> compileModelSource(const std::string &path, const std::string &text,
                                          DiagnosticEngine &diags) {
  diags.addSource(path, text);
  try {
    std::unique_ptr<ast::File> file = parseModelText(path, text, diags);
    return file ? lowerFile(path, *file, diags) : nullptr;
  } catch (const std::exception &e) {
    diags.error({path, 0, 0}, fmt::format("internal compiler error: {}", e.what()));
  } catch (...) {
    diags.error({path, 0, 0}, "internal compiler error");
  }
  return nullptr;
}

std::unique_ptr<Model> compileModelFile(const std::string &path, DiagnosticEngine &diags) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error({path, 0, 0}, fmt::format("cannot open model file: {}", std::strerror(EISDIR)));
    return nullptr;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno ? errno : ENOENT;
    diags.error({path, 0, 0}, fmt::format("cannot open model file: {}", std::strerror(err)));
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    diags.error({path, 0, 0}, fmt::format("cannot read model file: {}", std::strerror(errno)));
    return nullptr;
  }
  return compileModelSource(path, text.str(), diags);
}

} // namespace nnc::frontend

// The front end's entry points (model.h): read the model file and what it
// imports (program.h), check the layer declarations (layer_table.h), then
// check and lower the one model (lower.h). Nothing escapes as an exception:
// an internal failure becomes an error like any other.
#include "frontend/lower.h"
#include "frontend/model.h"
#include "frontend/program.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

std::unique_ptr<Model> lowerProgram(const std::string &path, const Program &program,
                                    DiagnosticEngine &diags) {
  const ast::File &file = *program.main;
  if (file.models.empty()) {
    diags.error({path, 1, 1}, "no model found; a model file holds 'model NAME { ... }'");
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
  LayerTable layers;
  layers.build(program, diags);
  const ast::ModelDecl &decl = file.models[0];
  auto model = std::make_unique<Model>();
  model->file = path;
  model->forward = std::make_unique<ir::Graph>(decl.name);
  LoweringContext cx(path, diags, *model, layers);
  if (!lowerModel(cx, decl) || diags.hasErrors())
    return nullptr;
  return model;
}

} // namespace

std::unique_ptr<Model> compileModelSource(const std::string &path, const std::string &text,
                                          DiagnosticEngine &diags) {
  try {
    // Like a missing #include in clang, an import error stops here: the
    // layers it would define are unknown, and every use would be a cascade.
    Program program;
    if (!loadProgram(path, text, diags, program))
      return nullptr;
    return lowerProgram(path, program, diags);
  } catch (const std::exception &e) {
    diags.error({path, 0, 0}, fmt::format("internal compiler error: {}", e.what()));
  } catch (...) {
    diags.error({path, 0, 0}, "internal compiler error");
  }
  return nullptr;
}

std::unique_ptr<Model> compileModelFile(const std::string &path, DiagnosticEngine &diags) {
  std::string why;
  std::optional<std::string> text = readTextFile(path, why);
  if (!text) {
    diags.error({path, 0, 0}, fmt::format("cannot open model file: {}", why));
    return nullptr;
  }
  return compileModelSource(path, *text, diags);
}

} // namespace nnc::frontend

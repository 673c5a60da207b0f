// Declarations of the model's leaves:
//   input  x: f32[d...]  -> Input "x"  f32[B,d...]   (the features; one per model)
//   target y: f32[d...]  -> Input "y"  f32[B,d...]   (real-valued)
//   label  y: class[K]   -> Input "y"  i32[B], classes = K >= 2 (class ids)
//   param  W: f32[d...] = init()  -> Param "W" f32[d...] (no batch dimension);
//                                    in the k-th use of layer L: "L<k>.W"
// A model has one target or label. Dimensions are positive integers; in a
// layer, a param's dimensions may also name the dimensions its parameters bind.
#include "frontend/lower.h"

#include "support/spelling.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// Checks that the element type of `t` is `expected`; `misuse` explains the
/// other known element type when it is written instead.
bool checkElement(LoweringContext &cx, const ast::TypeSpec &t, const std::string &expected,
                  const std::string &misuse) {
  if (t.elem == expected)
    return true;
  if (t.elem == "f32" || t.elem == "class") {
    cx.error(t.elemSpan, misuse);
    return false;
  }
  std::string hint = support::didYouMean(t.elem, {expected});
  cx.error(t.elemSpan, fmt::format("unknown element type '{}'{}", t.elem,
                                   hint.empty() ? "; expected " + expected : hint));
  return false;
}

bool checkDims(LoweringContext &cx, const ast::TypeSpec &t) {
  return resolveDims(cx, t).has_value();
}

/// Reports a second `input`, or a second `target`/`label`.
bool checkUnique(LoweringContext &cx, const ast::Stmt &s) {
  const ast::Stmt *&first = s.kind == ast::StmtKind::Input ? cx.input : cx.target;
  if (!first) {
    first = &s;
    return true;
  }
  cx.error(s.span, s.kind == ast::StmtKind::Input
                       ? fmt::format("a model has one input; '{}' is declared at {}", first->name,
                                     LoweringContext::position(first->span))
                       : fmt::format("a model has one target or label; '{}' is declared at {}",
                                     first->name, LoweringContext::position(first->span)));
  return false;
}

ir::Node *lowerFeatureOrTarget(LoweringContext &cx, const ast::Stmt &s) {
  bool isInput = s.kind == ast::StmtKind::Input;
  std::string misuse =
      fmt::format("{} holds real values; declare class ids as 'label {}: class[K]'",
                  isInput ? "an input" : "a target", s.name);
  if (!checkElement(cx, s.type, "f32", misuse) || !checkDims(cx, s.type))
    return nullptr;
  std::vector<int64_t> dims = {ir::kBatch};
  dims.insert(dims.end(), s.type.dims.begin(), s.type.dims.end());
  cx.setLoc(s.nameSpan);
  return cx.builder.input(s.name, {ir::DType::F32, ir::Shape(dims)});
}

ir::Node *lowerLabel(LoweringContext &cx, const ast::Stmt &s) {
  std::string misuse = fmt::format("a label holds class ids: write 'label {0}: class[K]', or "
                                   "'target {0}: f32[...]' for real values",
                                   s.name);
  if (!checkElement(cx, s.type, "class", misuse))
    return nullptr;
  if (s.type.dims.size() != 1) {
    cx.error(s.type.span, "a label needs its number of classes, as in class[3]");
    return nullptr;
  }
  if (!checkDims(cx, s.type))
    return nullptr;
  int64_t classes = s.type.dims[0];
  if (classes < 2) {
    cx.error(s.type.dimSpans[0], fmt::format("a label needs at least 2 classes, got {}", classes));
    return nullptr;
  }
  cx.setLoc(s.nameSpan);
  return cx.builder.input(s.name, {ir::DType::I32, ir::Shape({ir::kBatch})}, classes);
}

} // namespace

std::optional<std::vector<int64_t>> resolveDims(LoweringContext &cx, const ast::TypeSpec &t) {
  bool ok = true;
  std::vector<int64_t> dims = t.dims;
  for (size_t i = 0; i < t.dims.size(); ++i) {
    const std::string &name = t.dimNames[i];
    if (!name.empty()) {
      auto bound = cx.scope().dims.find(name);
      if (bound != cx.scope().dims.end()) {
        dims[i] = bound->second;
        continue;
      }
      // Layers check their named dimensions when declared; here, a model.
      cx.error(t.dimSpans[i],
               fmt::format("dimension '{}' must be an integer; named dimensions belong in layer "
                           "signatures, as in 'layer f(x: f32[n]) -> f32[n]'",
                           name));
      ok = false;
    } else if (t.dims[i] <= 0) {
      cx.error(t.dimSpans[i], fmt::format("a dimension must be positive, got {}", t.dims[i]));
      ok = false;
    }
  }
  if (!ok)
    return std::nullopt;
  return dims;
}

void lowerDataInput(LoweringContext &cx, const ast::Stmt &s) {
  ir::Node *node = nullptr;
  if (checkUnique(cx, s)) {
    node = s.kind == ast::StmtKind::Label ? lowerLabel(cx, s) : lowerFeatureOrTarget(cx, s);
    if (node && s.kind == ast::StmtKind::Input) {
      cx.model.featureInput = s.name;
    } else if (node) {
      cx.model.targetInput = s.name;
      cx.model.classification = s.kind == ast::StmtKind::Label;
      cx.model.numClasses = node->classes;
    }
    if (node && !cx.checkNewTensorSizes(s.type.span))
      node = nullptr;
  }
  cx.define(s.name, s.nameSpan, s.kind, node);
}

void lowerParam(LoweringContext &cx, const ast::Stmt &s) {
  ir::Node *node = nullptr;
  std::optional<std::vector<int64_t>> dims;
  if (checkElement(cx, s.type, "f32", "a param holds trainable real values; declare it as f32"))
    dims = resolveDims(cx, s.type);
  auto init = readInitializer(cx, *s.value);
  if (dims && init) {
    cx.setLoc(s.nameSpan);
    node = cx.builder.param(cx.scope().prefix + s.name, {ir::DType::F32, ir::Shape(*dims)}, *init);
    if (!cx.checkNewTensorSizes(s.type.span))
      node = nullptr;
  }
  cx.define(s.name, s.nameSpan, s.kind, node);
}

} // namespace nnc::frontend

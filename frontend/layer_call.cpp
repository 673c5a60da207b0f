// One use of a user-defined layer, inlined:
//   layer residual(x: f32[n]) -> f32[n] { param W: f32[n, n] = he_normal() ... return e }
//   h -> residual()      (h: f32[B,32]; binds n = 32)
// Each parameter's type describes one sample: the argument must be a batch
// f32[B,d...] whose dimensions match, binding named dimensions (the same name
// must bind the same size everywhere). The body is lowered in a fresh scope
// that sees the parameters and the bound dimensions; its params are named
// "<layer><k>.<name>" for the k-th use in the enclosing scope (residual1.W,
// residual2.W; nested: block1.residual1.W). The returned value must have the
// declared result type, f32[B,d...].
// Errors: an argument whose shape does not match (naming both), a return
// value of another shape, layers nested too deeply; errors in the body carry
// a note pointing at this use.
#include "frontend/call_args.h"
#include "frontend/lower.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// Deepest nesting of layer uses (recursion is rejected before lowering; this
/// bounds the stack on any input).
constexpr size_t kMaxLayerDepth = 64;

/// "f32[n,4]" as written, or "f32[B,n,4]" with `batch`.
std::string written(const ast::TypeSpec &t, bool batch = false) {
  std::string s = t.elem + (batch ? "[B" : "[");
  for (size_t i = 0; i < t.dims.size(); ++i)
    s += (i || batch ? "," : "") +
         (t.dimNames[i].empty() ? std::to_string(t.dims[i]) : t.dimNames[i]);
  return s + "]";
}

/// Binds the named dimensions of `param`'s type to the shape of `arg`, or
/// reports why the argument does not fit.
bool bindArgument(LoweringContext &cx, const ast::LayerDecl &layer, const ast::LayerParam &param,
                  const ir::Node *arg, const ast::Span &at,
                  std::map<std::string, std::pair<int64_t, std::string>> &bound) {
  const auto &dims = arg->shape().dims;
  const ast::TypeSpec &t = param.type;
  std::string expected = fmt::format("argument '{}' of layer '{}' must be {}", param.name,
                                     layer.name, written(t, true));
  if (arg->type.dtype != ir::DType::F32 || dims.size() != t.dims.size() + 1 ||
      dims[0] != ir::kBatch) {
    cx.error(at, fmt::format("{}, got {}", expected, arg->type.str()));
    return false;
  }
  for (size_t i = 0; i < t.dims.size(); ++i) {
    int64_t actual = dims[i + 1];
    const std::string &name = t.dimNames[i];
    if (name.empty()) {
      if (actual != t.dims[i]) {
        cx.error(at, fmt::format("{}, got {}", expected, arg->type.str()));
        return false;
      }
      continue;
    }
    auto [it, inserted] = bound.try_emplace(name, actual, param.name);
    if (!inserted && it->second.first != actual) {
      cx.error(at, fmt::format("{} with {} = {} (bound by '{}'), got {}", expected, name,
                               it->second.first, it->second.second, arg->type.str()));
      return false;
    }
  }
  return true;
}

/// Checks the returned value against the declared result type.
bool checkResult(LoweringContext &cx, const ast::LayerDecl &layer, const ast::Stmt &ret,
                 const ir::Node *value) {
  std::vector<int64_t> dims = {ir::kBatch};
  std::string bindings;
  for (size_t i = 0; i < layer.result.dims.size(); ++i) {
    const std::string &name = layer.result.dimNames[i];
    if (name.empty()) {
      dims.push_back(layer.result.dims[i]);
      continue;
    }
    int64_t d = cx.scope().dims.at(name);
    dims.push_back(d);
    std::string binding = fmt::format("{} = {}", name, d);
    if (bindings.find(binding) == std::string::npos)
      bindings += (bindings.empty() ? " (" : ", ") + binding;
  }
  ir::TensorType expected{ir::DType::F32, ir::Shape(dims)};
  if (value->type == expected)
    return true;
  cx.error(ret.value->span, fmt::format("layer '{}' returns {}, but its declared result {} means "
                                        "{} here{}",
                                        layer.name, value->type.str(), written(layer.result),
                                        expected.str(), bindings.empty() ? "" : bindings + ")"));
  return false;
}

/// Lowers the body of `layer` in the current (fresh) scope; its return value.
ir::Node *lowerBody(LoweringContext &cx, const ast::LayerDecl &layer) {
  for (const ast::Stmt &s : layer.body)
    if (!s.name.empty())
      cx.scope().declaredNames.try_emplace(s.name, s.nameSpan);
  for (const ast::Stmt &s : layer.body) {
    switch (s.kind) {
    case ast::StmtKind::Param:
      lowerParam(cx, s);
      break;
    case ast::StmtKind::Value:
      cx.define(s.name, s.nameSpan, s.kind, lowerExpr(cx, *s.value));
      break;
    case ast::StmtKind::Return: {
      ir::Node *value = lowerExpr(cx, *s.value);
      return value && checkResult(cx, layer, s, value) ? value : nullptr;
    }
    default:
      break; // rejected with the declaration (layer_table.cpp)
    }
  }
  return nullptr;
}

} // namespace

ir::Node *lowerLayerCall(LoweringContext &cx, const ast::Expr &call, const ast::LayerDecl &layer) {
  std::vector<ParamSpec> specs;
  for (const ast::LayerParam &p : layer.params)
    specs.push_back({p.name});
  auto args = bindArgs(cx, call, specs);
  if (!args)
    return nullptr;
  std::vector<ir::Node *> values;
  bool ok = true;
  for (const ast::Expr *arg : args->args) {
    values.push_back(lowerExpr(cx, *arg));
    ok &= values.back() != nullptr;
  }
  if (!ok || !cx.layers.isUsable(layer))
    return nullptr;
  if (cx.isActive(layer) || cx.layerDepth() >= kMaxLayerDepth) {
    cx.error(call.opSpan, fmt::format("layers are nested more than {} deep here", kMaxLayerDepth));
    return nullptr;
  }
  std::map<std::string, std::pair<int64_t, std::string>> bound;
  for (size_t i = 0; i < values.size(); ++i) {
    // A piped argument spans the whole pipe; point at the layer's name instead.
    const ast::Span &at = call.piped && i == 0 ? call.opSpan : args->args[i]->span;
    if (!bindArgument(cx, layer, layer.params[i], values[i], at, bound))
      return nullptr;
  }
  Scope &scope = cx.pushLayerScope(layer, call.opSpan);
  for (const auto &[name, value] : bound)
    scope.dims[name] = value.first;
  for (size_t i = 0; i < values.size(); ++i)
    cx.define(layer.params[i].name, layer.params[i].nameSpan, ast::StmtKind::Value, values[i]);
  ir::Node *result = lowerBody(cx, layer);
  cx.popScope();
  return result;
}

} // namespace nnc::frontend

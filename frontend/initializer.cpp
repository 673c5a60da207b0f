// Parameter initializers: zeros(), ones(), constant(value), uniform(lo, hi),
// normal(mean, std), glorot_uniform(), glorot_normal(), he_uniform(),
// he_normal(). Arguments are numeric constants; uniform needs lo < hi and
// normal needs std > 0.
#include "frontend/call_args.h"
#include "frontend/constants.h"
#include "frontend/lower.h"
#include "support/spelling.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

struct InitializerSpec {
  std::string name;
  ir::Initializer::Kind kind;
  std::vector<ParamSpec> params; // numeric; become Initializer::a and ::b
};

const std::vector<InitializerSpec> &initializerTable() {
  using I = ir::Initializer;
  static const std::vector<InitializerSpec> table = {
      {"zeros", I::Zeros, {}},
      {"ones", I::Ones, {}},
      {"constant", I::Constant, {{"value"}}},
      {"uniform", I::Uniform, {{"low"}, {"high"}}},
      {"normal", I::Normal, {{"mean"}, {"std"}}},
      {"glorot_uniform", I::GlorotUniform, {}},
      {"glorot_normal", I::GlorotNormal, {}},
      {"he_uniform", I::HeUniform, {}},
      {"he_normal", I::HeNormal, {}},
  };
  return table;
}

} // namespace

bool isInitializer(const std::string &name) {
  for (const InitializerSpec &s : initializerTable())
    if (s.name == name)
      return true;
  return false;
}

std::optional<ir::Initializer> readInitializer(LoweringContext &cx, const ast::Expr &call) {
  const InitializerSpec *spec = nullptr;
  std::vector<std::string> names;
  for (const InitializerSpec &s : initializerTable()) {
    names.push_back(s.name);
    if (s.name == call.text)
      spec = &s;
  }
  if (!spec) {
    std::string hint = support::didYouMean(call.text, names);
    cx.error(call.opSpan, fmt::format("unknown initializer '{}'{}", call.text,
                                      hint.empty() ? "; expected zeros, ones, constant, uniform, "
                                                     "normal, glorot_uniform, glorot_normal, "
                                                     "he_uniform or he_normal"
                                                   : hint));
    return std::nullopt;
  }
  auto args = bindArgs(cx, call, spec->params);
  if (!args)
    return std::nullopt;
  std::vector<double> values;
  for (size_t i = 0; i < args->size(); ++i) {
    auto v = constantNumber(cx, *(*args)[i],
                            fmt::format("the {} of {}", spec->params[i].name, spec->name));
    if (!v)
      return std::nullopt;
    values.push_back(*v);
  }
  ir::Initializer init{spec->kind};
  if (values.size() > 0)
    init.a = values[0];
  if (values.size() > 1)
    init.b = values[1];
  if (spec->kind == ir::Initializer::Uniform && !(init.a < init.b)) {
    cx.error(call.span, fmt::format("uniform needs low < high, got {} and {}", init.a, init.b));
    return std::nullopt;
  }
  if (spec->kind == ir::Initializer::Normal && !(init.b > 0)) {
    cx.error((*args)[1]->span, fmt::format("normal needs a positive std, got {}", init.b));
    return std::nullopt;
  }
  return init;
}

} // namespace nnc::frontend

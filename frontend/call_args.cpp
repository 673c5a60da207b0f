#include "frontend/call_args.h"

#include "support/spelling.h"

#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// "(units, activation)".
std::string signature(const std::vector<ParamSpec> &params) {
  std::string s = "(";
  for (size_t i = 0; i < params.size(); ++i)
    s += (i ? ", " : "") + params[i].name;
  return s + ")";
}

} // namespace

std::optional<BoundArgs> bindArgs(LoweringContext &cx, const ast::Expr &call,
                                  const std::vector<ParamSpec> &params) {
  BoundArgs bound;
  bound.args.assign(params.size(), nullptr);
  bool ok = true, sawKeyword = false;
  size_t positional = 0;
  // Positional arguments fill the parameters up to the variadic one, if any.
  size_t positionalParams = params.size();
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].variadic)
      positionalParams = i + 1;
  for (const ast::Arg &arg : call.args) {
    if (arg.keyword.empty()) {
      if (sawKeyword) {
        cx.error(arg.value->span, "a positional argument cannot follow a keyword argument");
        return std::nullopt;
      }
      if (positional >= positionalParams && positionalParams > 0 &&
          params[positionalParams - 1].variadic) {
        bound.rest.push_back(arg.value.get());
        continue;
      }
      if (positional >= positionalParams) {
        size_t given = 0;
        for (const ast::Arg &a : call.args)
          given += a.keyword.empty();
        cx.error(arg.value->span,
                 fmt::format("{} takes at most {} argument{} {}, got {}{}", call.text,
                             positionalParams, positionalParams == 1 ? "" : "s", signature(params),
                             given, call.piped ? " counting the piped value" : ""));
        return std::nullopt;
      }
      bound.args[positional++] = arg.value.get();
      continue;
    }
    sawKeyword = true;
    size_t i = 0;
    while (i < params.size() && params[i].name != arg.keyword)
      ++i;
    if (i == params.size()) {
      std::vector<std::string> names;
      for (const ParamSpec &p : params)
        names.push_back(p.name);
      std::string hint = support::didYouMean(arg.keyword, names);
      cx.error(arg.keywordSpan,
               fmt::format("{} has no parameter '{}'{}", call.text, arg.keyword,
                           hint.empty() ? "; its parameters are " + signature(params) : hint));
      ok = false;
    } else if (bound.args[i]) {
      cx.error(arg.keywordSpan, fmt::format("{} got parameter '{}' twice", call.text, arg.keyword));
      ok = false;
    } else {
      bound.args[i] = arg.value.get();
    }
  }
  if (!ok)
    return std::nullopt;
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].required && !bound.args[i]) {
      cx.error(call.opSpan, fmt::format("{} needs argument '{}' {}", call.text, params[i].name,
                                        signature(params)));
      return std::nullopt;
    }
  return bound;
}

} // namespace nnc::frontend

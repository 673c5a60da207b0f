// Matching the arguments of a call to the parameters of what it calls
// (builtins, losses, initializers, optimizers), Python style: positional
// arguments first, in order, then `name: value` keyword arguments. For a
// piped call (`x -> f(a)`), the piped value is the first positional argument.
// A variadic parameter (concat's tensors) takes its positional argument and
// every further one; parameters after it are keyword-only.
// Errors: a positional argument after a keyword one, too many arguments, an
// unknown keyword (with a suggestion), a parameter given twice, a missing
// required parameter.
#pragma once
#include "frontend/lowering_context.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend {

struct ParamSpec {
  std::string name;
  bool required = true;
  bool variadic = false;
};

/// One entry per parameter, in order: its argument, or null for an absent
/// optional parameter; `rest` holds the variadic parameter's further arguments.
struct BoundArgs {
  std::vector<const ast::Expr *> args;
  std::vector<const ast::Expr *> rest;
  const ast::Expr *operator[](size_t i) const { return args[i]; }
  size_t size() const { return args.size(); }
};

/// Binds the arguments of `call`; nullopt after reporting an error.
std::optional<BoundArgs> bindArgs(LoweringContext &cx, const ast::Expr &call,
                                  const std::vector<ParamSpec> &params);

} // namespace nnc::frontend

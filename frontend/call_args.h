// Matching the arguments of a call to the parameters of what it calls
// (builtins, losses, initializers, optimizers), Python style: positional
// arguments first, in order, then `name: value` keyword arguments. For a
// piped call (`x -> f(a)`), the piped value is the first positional argument.
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
};

/// One entry per parameter, in order: its argument, or null for an absent
/// optional parameter. nullopt after reporting an error.
using BoundArgs = std::vector<const ast::Expr *>;
std::optional<BoundArgs> bindArgs(LoweringContext &cx, const ast::Expr &call,
                                  const std::vector<ParamSpec> &params);

} // namespace nnc::frontend

// The registry of graph passes listed in ir/passes.def, by command-line name,
// in the spirit of LLVM opt. A pass edits the graph in place or replaces it
// (the training step is a new graph), and fails with PassError.
#pragma once
#include "ir/graph.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::ir {

/// A pass that cannot run on the graph it was given (no loss, no gradient rule, ...).
struct PassError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using PassFunction = void (*)(std::unique_ptr<Graph> &g);

struct PassInfo {
  const char *name;
  const char *description;
  PassFunction run;
};

/// Every pass of passes.def, in its order.
const std::vector<PassInfo> &allPasses();
/// The pass called `name`, or null.
const PassInfo *findPass(std::string_view name);
/// Runs the pass called `name` on `g`: "" on success, else a diagnostic:
/// "file:line:col: error: pass 'autodiff': op 'greater' has no gradient rule"
/// when a node with a location is to blame, "error: pass 'x': ..." otherwise
/// (unknown pass, PassError, internal error). On failure `g` may be partly
/// transformed.
std::string runPass(std::string_view name, std::unique_ptr<Graph> &g);

namespace passes {
#define NNC_PASS(name, description, function) void function(std::unique_ptr<Graph> &g);
#include "ir/passes.def"
} // namespace passes

} // namespace nnc::ir

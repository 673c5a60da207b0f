// The registry of graph passes listed in ir/passes.def, by command-line name,
// in the spirit of LLVM opt. A pass edits the graph in place or replaces it
// (the training step is a new graph), counts what it did in the context's
// statistics, and fails with PassError. The pass manager (ir/pass_manager.h)
// runs pipelines of them.
#pragma once
#include "ir/graph.h"

#include <cstdint>
#include <map>
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

/// Named counters of what passes did, like LLVM's -stats: ("cse", "ops
/// replaced by an equal earlier one") -> 12. Counts add up over graphs.
class PassStatistics {
public:
  void add(std::string_view pass, std::string_view what, int64_t n = 1);
  int64_t get(std::string_view pass, std::string_view what) const;
  bool empty() const { return counters_.empty(); }
  /// LLVM's layout: "  12 cse - ops replaced by an equal earlier one", by pass.
  std::string str() const;

private:
  std::map<std::pair<std::string, std::string>, int64_t> counters_;
};

/// What passes may assume, and where they count.
struct PassContext {
  /// Float sums may be reassociated (constant folding of reductions, ...).
  /// Off by default: it changes results in the last bits.
  bool allowReassociation = false;
  /// Params hold baked weights that do not change (an inference build), so
  /// ops on them alone may be folded. Never set for a training step.
  bool paramsAreConstant = false;
  PassStatistics stats;
};

using PassFunction = void (*)(std::unique_ptr<Graph> &g, PassContext &ctx);

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
std::string runPass(std::string_view name, std::unique_ptr<Graph> &g, PassContext &ctx);
std::string runPass(std::string_view name, std::unique_ptr<Graph> &g);

namespace passes {
#define NNC_PASS(name, description, function)                                                    \
  void function(std::unique_ptr<Graph> &g, PassContext &ctx);
#include "ir/passes.def"
} // namespace passes

} // namespace nnc::ir

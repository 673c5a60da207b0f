// Runs a pipeline of registered passes (ir/passes.def) over a graph, with
// LLVM opt's instruments: --print-before=NAME, --print-after=NAME,
// --print-after-all (the IR on a stream), --time-passes (wall time per pass)
// and the statistics the passes count (--stats). The graph is verified after
// every pass; a pass that breaks it is a compiler bug (std::logic_error).
#pragma once
#include "ir/pass_registry.h"

#include <iosfwd>
#include <set>
#include <string>
#include <vector>

namespace nnc::ir {

/// The graph pipeline of an optimization level: -O0 none; -O1 the cheap
/// clean-ups; -O2 (the default) adds CSE and fusion; -O3 iterates the
/// clean-ups once more before fusing.
std::vector<std::string> optimizationPipeline(int level);

struct PassInstruments {
  std::set<std::string> printBefore, printAfter; // pass names
  bool printAfterAll = false;
  bool timePasses = false;
  std::ostream *dump = nullptr; // where printed IR goes (stderr when null)
};

/// "" when every name is a registered pass, else "unknown pass 'x' (did you mean 'y'?)".
std::string checkPassNames(const std::set<std::string> &names);

class PassManager {
public:
  explicit PassManager(PassInstruments instruments = {});

  PassContext &context() { return ctx_; }

  /// Runs `pipeline` on `g`: "" on success, else the diagnostic of runPass.
  std::string run(const std::vector<std::string> &pipeline, std::unique_ptr<Graph> &g);

  /// --time-passes: one line per pass name, total wall time over all runs.
  std::string timeReport() const;
  /// Wall seconds spent in passes so far.
  double totalSeconds() const;

private:
  PassInstruments inst_;
  PassContext ctx_;
  std::vector<std::pair<std::string, double>> seconds_; // per pass name, first-run order
};

} // namespace nnc::ir

// Checks the graph fuzz targets (model_fuzz, ir_fuzz) share; each reports a
// broken property as a finding (fuzz_support.h).
#pragma once
#include "ir/graph.h"
#include "ir/pass_registry.h"

#include <cstdint>
#include <memory>
#include <string>

namespace nnc::fuzz {

/// The verifier (ir/verifier.h) accepts `g`; `stage` names where it was made.
void checkVerified(const ir::Graph &g, const std::string &stage);
/// The printed text parses back, and prints again the same:
/// print(parse(print(g))) == print(g).
void checkRoundTrip(const ir::Graph &g, const std::string &stage);
/// Runs one pass; false when it refused the graph as documented (PassError,
/// NoGradientError). A pass that succeeds must leave a verified graph.
bool runPassChecked(const ir::PassInfo &pass, std::unique_ptr<ir::Graph> &g, ir::PassContext &ctx);
/// The -O<level> pipeline (ir/pass_manager.h), pass by pass as runPassChecked.
bool runPipelineChecked(int level, std::unique_ptr<ir::Graph> &g, ir::PassContext &ctx);
/// Lowers `g` to LLVM IR (codegen/lower_graph.h; no machine code) for
/// batches of maxBatch, and LLVM's module verifier accepts the result.
void checkLowering(const ir::Graph &g, int64_t maxBatch);

} // namespace nnc::fuzz

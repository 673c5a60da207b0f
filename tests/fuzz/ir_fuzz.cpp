// libFuzzer target: IR text (ir/parser.h) through the print round trip and
// every pass of ir/passes.def, one at a time on the parsed graph, then the
// -O2 pipeline and the lowering of its result to LLVM IR.
// Handled: a parse error ("file:line:col: error: ..."), a pass that refuses
// the graph (PassError, NoGradientError). Checked: every graph a pass leaves
// is verified and round-trips, print(parse(print(g))) == print(g).
#include "fuzz_support.h"
#include "graph_checks.h"

#include "ir/parser.h"

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size), error;
  std::unique_ptr<ir::Graph> g;
  try {
    g = ir::parseGraph(text, "fuzz.ir", error);
  } catch (...) {
    fuzz::unexpectedException();
  }
  if (!g) {
    if (error.find("error: ") == std::string::npos)
      fuzz::finding("parse failed without an error message", error);
    return 0;
  }
  fuzz::checkVerified(*g, "parsing");
  fuzz::checkRoundTrip(*g, "parsing");
  for (const ir::PassInfo &pass : ir::allPasses()) {
    std::unique_ptr<ir::Graph> h = g->clone();
    ir::PassContext ctx;
    if (fuzz::runPassChecked(pass, h, ctx))
      fuzz::checkRoundTrip(*h, std::string("pass ") + pass.name);
  }
  ir::PassContext ctx;
  if (fuzz::runPipelineChecked(2, g, ctx))
    fuzz::checkLowering(*g, 4);
  return 0;
}

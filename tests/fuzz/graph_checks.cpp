#include "graph_checks.h"

#include "codegen/lower_graph.h"
#include "fuzz_support.h"
#include "ir/autodiff.h"
#include "ir/parser.h"
#include "ir/pass_manager.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

namespace nnc::fuzz {

void checkVerified(const ir::Graph &g, const std::string &stage) {
  std::string broken = ir::verifyGraph(g);
  if (!broken.empty())
    finding("the verifier rejects the graph after " + stage, broken);
}

void checkRoundTrip(const ir::Graph &g, const std::string &stage) {
  std::string text = ir::printGraph(g), error;
  std::unique_ptr<ir::Graph> back = ir::parseGraph(text, "printed.ir", error);
  if (!back)
    finding("the printed graph after " + stage + " does not parse back",
            error + "\n--- printed:\n" + text);
  std::string again = ir::printGraph(*back);
  if (again != text)
    finding("print(parse(print(g))) != print(g) after " + stage,
            "\n--- print(g):\n" + text + "--- print(parse(print(g))):\n" + again);
}

bool runPassChecked(const ir::PassInfo &pass, std::unique_ptr<ir::Graph> &g, ir::PassContext &ctx) {
  try {
    pass.run(g, ctx);
  } catch (const ir::PassError &) {
    return false;
  } catch (const ir::NoGradientError &) {
    return false;
  } catch (...) {
    unexpectedException();
  }
  checkVerified(*g, std::string("pass ") + pass.name);
  return true;
}

bool runPipelineChecked(int level, std::unique_ptr<ir::Graph> &g, ir::PassContext &ctx) {
  for (const std::string &name : ir::optimizationPipeline(level)) {
    const ir::PassInfo *pass = ir::findPass(name);
    if (!pass)
      finding("-O" + std::to_string(level) + " names an unregistered pass", name);
    if (!runPassChecked(*pass, g, ctx))
      return false;
  }
  return true;
}

void checkLowering(const ir::Graph &g, int64_t maxBatch) {
  llvm::LLVMContext context;
  llvm::Module module("fuzz", context);
  try {
    codegen::lowerGraph(g, "fuzz_kernel", maxBatch, module);
  } catch (...) {
    unexpectedException();
  }
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(module, &os))
    finding("LLVM's verifier rejects the lowered module", os.str());
}

} // namespace nnc::fuzz

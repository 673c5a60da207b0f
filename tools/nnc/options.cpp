#include "options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

namespace nnc::cli {

Options parseOptions(int argc, char **argv) {
  Options o;
  CLI::App app{"nnc: compiles a .nn model to native code and trains it"};
  app.add_option("model", o.modelPath, "model file (.nn)")->required();
  app.add_option("--emit", o.emit, "print instead of training: ir (forward graph), "
                                   "ir-train (training step), llvm (JIT'd module)")
      ->check(CLI::IsMember({"ir", "ir-train", "llvm"}));
  app.add_option("--train", o.trainCsv, "training data (CSV with a header row)");
  app.add_option("--test", o.testCsv, "test data, evaluated after training");
  app.add_option("--epochs", o.epochs, "override train.epochs")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", o.batchSize, "override train.batch_size")->check(CLI::PositiveNumber);
  app.add_option("--lr", o.lr, "override the optimizer's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "override train.seed");
  app.add_option("-O", o.optLevel, "LLVM optimization level 0..3 (default 3)")->check(CLI::Range(0, 3));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    std::exit(app.exit(e) == 0 ? 0 : 1);
  }
  if (!o.testCsv.empty() && o.trainCsv.empty()) {
    std::fprintf(stderr, "nnc: error: --test needs --train (a trained model to evaluate)\n");
    std::exit(1);
  }
  return o;
}

} // namespace nnc::cli

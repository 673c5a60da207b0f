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
  app.add_option("--eval", o.evalCsv, "evaluate loss and metrics on this CSV");
  app.add_option("--predict", o.predictCsv, "write predictions for this CSV (needs -o)");
  app.add_option("-o", o.predictOut, "output file of --predict");
  app.add_option("--save", o.saveWeights, "save trained weights (.nnw) after training");
  app.add_option("--weights", o.loadWeights,
                 "load weights, optimizer state, class names and statistics (.nnw)");
  app.add_option("--init-weights", o.initWeights, "start from these parameters (.nnw)")
      ->excludes("--weights");
  app.add_flag("--no-shuffle", o.noShuffle, "keep the data order in every epoch");
  app.add_option("--steps", o.maxSteps, "stop training after this many optimizer steps")
      ->check(CLI::PositiveNumber);
  app.add_flag("--log-steps", o.logSteps, "print the training loss after every step");
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
  auto usage = [](const char *msg) {
    std::fprintf(stderr, "nnc: error: %s\n", msg);
    std::exit(1);
  };
  bool haveModel = !o.trainCsv.empty() || !o.loadWeights.empty();
  if (!o.testCsv.empty() && o.trainCsv.empty())
    usage("--test needs --train (a trained model to evaluate); use --weights w.nnw --eval d.csv");
  if ((!o.evalCsv.empty() || !o.predictCsv.empty()) && !haveModel)
    usage("--eval and --predict need trained weights: add --train data.csv or --weights w.nnw");
  if (!o.predictCsv.empty() && o.predictOut.empty())
    usage("--predict needs -o FILE for the predictions");
  if (!o.predictOut.empty() && o.predictCsv.empty())
    usage("-o names the output of --predict, which is missing");
  if (!o.saveWeights.empty() && o.trainCsv.empty())
    usage("--save needs --train");
  return o;
}

} // namespace nnc::cli

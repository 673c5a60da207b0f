#include "options.h"

#include "ir/pass_manager.h"
#include "runtime/parallel_for.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <set>

namespace nnc::cli {

Options parseOptions(int argc, char **argv) {
  Options o;
  CLI::App app{"nnc: compiles a .nn model to native code and trains it"};
  app.add_option("model", o.modelPath, "model file (.nn)")->required();
  app.add_option("--emit", o.emit,
                 "print instead of training: ir (forward graph), "
                 "ir-train (training step), llvm (JIT'd module); or write "
                 "obj / asm (standalone object or assembly + C header, "
                 "needs --weights)")
      ->check(CLI::IsMember({"ir", "ir-train", "llvm", "obj", "asm"}));
  app.add_option("--target", o.targetTriple, "target triple of --emit=obj|asm (default: host)");
  app.add_option("--cpu", o.targetCpu,
                 "target CPU of --emit=obj|asm (default: host, or "
                 "generic with --target)");
  app.add_option("--train", o.trainCsv, "training data (CSV with a header row)");
  app.add_option("--test", o.testCsv, "test data, evaluated after training");
  app.add_option("--eval", o.evalCsv, "evaluate loss and metrics on this CSV");
  app.add_option("--predict", o.predictCsv, "write predictions for this CSV (needs -o)");
  app.add_option("-o", o.predictOut, "output file of --predict or --emit=obj|asm");
  app.add_option("--save", o.saveWeights, "save trained weights (.nnw) after training");
  app.add_option("--weights", o.loadWeights,
                 "load weights, optimizer state, class names and statistics (.nnw)");
  app.add_option("--init-weights", o.initWeights, "start from these parameters (.nnw)")
      ->excludes("--weights");
  app.add_flag("--no-shuffle", o.noShuffle, "keep the data order in every epoch");
  std::optional<int64_t> steps;
  app.add_option("--steps", steps, "stop training after this many optimizer steps");
  app.add_flag("--log-steps", o.logSteps, "print the training loss after every step");
  app.add_option("--epochs", o.epochs, "override train.epochs");
  app.add_option("--batch-size", o.batchSize, "override train.batch_size");
  app.add_option("--lr", o.lr, "override the optimizer's learning rate");
  std::optional<std::string>
      seed; // parsed below: CLI11 clamps at INT64_MAX, wraps "-1" for unsigned
  app.add_option("--seed", seed, "override train.seed (0..18446744073709551615)");
  app.add_option("-O", o.optLevel,
                 "optimization level 0..3 (default 2): the graph pipeline "
                 "(nnc-opt --help lists it) and LLVM's level");
  app.add_option("--print-before", o.printBefore,
                 "print the graph IR to stderr before this "
                 "pass (comma-separated names)")
      ->delimiter(',');
  app.add_option("--print-after", o.printAfter, "print the graph IR to stderr after this pass")
      ->delimiter(',');
  int64_t threads = 0; // wider than Options::threads, so that a huge value gets the range message
  app.add_option("--threads", threads,
                 "threads of the training and inference kernels, "
                 "1..1024 (default or 0: the CPUs available; small ops "
                 "use one)");
  app.add_flag("--print-after-all", o.printAfterAll, "print the graph IR after every pass");
  app.add_flag("--time-passes", o.timePasses, "print the time of each pass and compile phase");
  app.add_flag("--stats", o.stats, "print what the graph passes did (ops folded, groups fused)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError &e) {
    std::fprintf(stderr, "nnc: error: %s\n", e.what());
    std::exit(1);
  }
  auto usage = [](const std::string &msg) {
    std::fprintf(stderr, "nnc: error: %s\n", msg.c_str());
    std::exit(1);
  };
  // Limits as for the same keys in the model file.
  constexpr int64_t kMaxEpochs = 1'000'000, kMaxBatch = 1 << 24;
  if (o.epochs && (*o.epochs < 1 || *o.epochs > kMaxEpochs))
    usage(fmt::format("--epochs must be between 1 and {}, got {}", kMaxEpochs, *o.epochs));
  if (o.batchSize && (*o.batchSize < 1 || *o.batchSize > kMaxBatch))
    usage(fmt::format("--batch-size must be between 1 and {}, got {}", kMaxBatch, *o.batchSize));
  if (o.lr && !(std::isfinite(*o.lr) && *o.lr > 0))
    usage(fmt::format("--lr must be a positive number, got {}", *o.lr));
  if (seed) {
    uint64_t v = 0;
    const char *end = seed->data() + seed->size();
    auto [ptr, ec] = std::from_chars(seed->data(), end, v);
    if (seed->empty() || ec != std::errc() || ptr != end)
      usage(fmt::format("--seed must be an integer between 0 and {}, got {}",
                        std::numeric_limits<uint64_t>::max(), *seed));
    o.seed = v;
  }
  if (steps && *steps < 1)
    usage(fmt::format("--steps must be a positive integer, got {}", *steps));
  if (steps)
    o.maxSteps = *steps;
  constexpr int kMaxThreads = 1024;
  if (threads < 0 || threads > kMaxThreads)
    usage(fmt::format("--threads must be between 1 and {} (0: the CPUs available), got {}",
                      kMaxThreads, threads));
  o.threads = (int)threads;
  if (o.threads == 0)
    o.threads = runtime::availableThreads();
  if (o.optLevel < 0 || o.optLevel > 3)
    usage(fmt::format("-O must be 0, 1, 2 or 3, got {}", o.optLevel));
  std::set<std::string> named(o.printBefore.begin(), o.printBefore.end());
  named.insert(o.printAfter.begin(), o.printAfter.end());
  if (std::string bad = ir::checkPassNames(named); !bad.empty())
    usage(fmt::format("--print-before/--print-after: {}", bad));
  bool haveModel = !o.trainCsv.empty() || !o.loadWeights.empty();
  if (!o.testCsv.empty() && o.trainCsv.empty())
    usage("--test needs --train (a trained model to evaluate); use --weights w.nnw --eval d.csv");
  if ((!o.evalCsv.empty() || !o.predictCsv.empty()) && !haveModel)
    usage("--eval and --predict need trained weights: add --train data.csv or --weights w.nnw");
  if (!o.predictCsv.empty() && o.predictOut.empty())
    usage("--predict needs -o FILE for the predictions");
  bool aot = o.emit == "obj" || o.emit == "asm";
  if (aot && o.loadWeights.empty())
    usage(fmt::format("--emit={} needs trained weights: add --weights w.nnw", o.emit));
  if (aot && (!o.trainCsv.empty() || !o.evalCsv.empty() || !o.predictCsv.empty()))
    usage(fmt::format("--emit={} writes a file and cannot be combined with --train, --eval or "
                      "--predict",
                      o.emit));
  if ((!o.targetTriple.empty() || !o.targetCpu.empty()) && !aot)
    usage("--target and --cpu apply to --emit=obj or --emit=asm");
  if (!o.predictOut.empty() && o.predictCsv.empty() && !aot)
    usage("-o names the output of --predict, which is missing");
  if (!o.saveWeights.empty() && o.trainCsv.empty())
    usage("--save needs --train");
  return o;
}

} // namespace nnc::cli

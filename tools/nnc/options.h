// Command-line options of `nnc`. Flags given here override the model file.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::cli {

struct Options {
  std::string modelPath;
  std::string emit;      // "", "ir", "ir-train", "llvm", "obj", "asm"
  std::string trainCsv;  // --train
  std::string testCsv;   // --test
  std::string evalCsv;   // --eval: loss and metrics of the (loaded or trained) model
  std::string predictCsv, predictOut; // --predict d.csv -o preds.csv (-o also names --emit=obj|asm's file)
  std::string targetTriple, targetCpu; // --target=TRIPLE --cpu=NAME for --emit=obj|asm
  std::string saveWeights;            // --save w.nnw after training
  std::string loadWeights;            // --weights w.nnw: parameters, optimizer state, classes, statistics
  std::string initWeights;            // --init-weights w.nnw: starting parameters only
  bool noShuffle = false;
  int64_t maxSteps = 0;   // --steps N: stop training after N optimizer steps
  bool logSteps = false;  // --log-steps: print the loss of every step
  std::optional<int64_t> epochs, batchSize;
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  int threads = 0;        // --threads: the kernels' threads (0: the CPUs available)
  int optLevel = 2;       // -O<n>: graph pipeline (ir/pass_manager.h) and LLVM's level
  std::vector<std::string> printBefore, printAfter; // pass names
  bool printAfterAll = false;
  bool timePasses = false; // phase and pass times on stderr
  bool stats = false;      // what the graph passes did, on stderr
};

/// Parses argv; on --help or a usage error prints and exits (CLI11).
Options parseOptions(int argc, char **argv);

} // namespace nnc::cli

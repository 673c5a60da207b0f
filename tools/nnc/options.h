// Command-line options of `nnc`. Flags given here override the model file.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace nnc::cli {

struct Options {
  std::string modelPath;
  std::string emit;      // "", "ir", "ir-train", "llvm"
  std::string trainCsv;  // --train
  std::string testCsv;   // --test
  std::optional<int64_t> epochs, batchSize;
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  int optLevel = 3;
};

/// Parses argv; on --help or a usage error prints and exits (CLI11).
Options parseOptions(int argc, char **argv);

} // namespace nnc::cli

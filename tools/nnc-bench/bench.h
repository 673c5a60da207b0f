// nnc-bench: times what nnc generates. A model file is compiled the way
// `nnc --train` compiles it (front end -> training graph -> LLVM -> ORC JIT)
// and its training step and inference kernel run on synthetic batches of the
// right shapes; --gemm times the kernel of a single matmul graph.
#pragma once
#include "timing.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nnc::bench {

struct Options {
  std::string modelPath;
  std::vector<int64_t> gemm; // --gemm M,K,N
  std::vector<int64_t> conv; // --conv N,C,H,W,F,KH,KW,PAD
  int64_t batch = 0;         // 0 = the model's batch_size
  int64_t lastBatch = 0;     // > 0: also time the step on this many rows ("train_last")
  int repeats = 5;
  int threads = 1;      // the kernels' threads (codegen::JitCompiler)
  double minTime = 0.3; // seconds per timed run
  int64_t steps = 0;    // > 0: iterations per timed run (no calibration)
  int optLevel = 2;     // nnc's default -O (tools/nnc/options.h)
  uint64_t seed = 1;    // synthetic data and parameters
  bool json = false;
  bool compileOnly = false;
  bool noInfer = false;
  bool serve = false;    // timed runs on request, see main.cpp
  std::string dataPath;  // --data FILE.csv: time reading it instead
  std::string dataCache; // --data-cache DIR: keep/reuse a data cache there
};

/// A compiled workload: how to run it, how many iterations a timed run has,
/// and its floating-point work per iteration.
struct Workload {
  std::string name; // "train", "infer", "gemm"
  Body run;
  int64_t steps = 0;
  double flop = 0;    // per iteration, as reported (GFLOP/s = flop / time)
  double samples = 0; // rows per iteration (batch), 0 for a GEMM
};

/// Everything a benchmark knows after compiling: report fields and the
/// workloads to time. Owns the JIT, kernels and buffers the workloads use.
struct Bench {
  nlohmann::ordered_json report;
  std::vector<Workload> workloads;
  std::function<void(nlohmann::ordered_json &)> finish; // last fields, after timing
  std::vector<std::shared_ptr<void>> keepAlive;
};

/// Compiles `opts.modelPath`; fills report["compile_ms"], the model's shapes
/// and FLOP counts, and the "train" (and unless --no-infer "infer") workloads;
/// with opts.lastBatch also "train_last", the same step on that many rows.
/// Throws std::runtime_error with a printable message on errors.
std::unique_ptr<Bench> compileModel(const Options &opts);
/// Builds and compiles the matmul graph of opts.gemm; one "gemm" workload.
std::unique_ptr<Bench> compileGemm(const Options &opts);
/// Builds and compiles the three passes of opts.conv (conv_bench.cpp).
std::unique_ptr<Bench> compileConv(const Options &opts);
/// --data: loads opts.dataPath once, reads every value, prints the load time,
/// MB/s and peak RSS (text or --json). Returns the exit code.
int runDataBench(const Options &opts);

} // namespace nnc::bench

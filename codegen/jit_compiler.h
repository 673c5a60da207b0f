// In-process compilation: each graph is lowered into its own LLVM module,
// optimized for the host CPU and JIT-compiled with ORC LLJIT. Modules are
// optimized and compiled when first looked up, on up to two compile threads,
// so kernels looked up together (lookupAll) compile in parallel; a kernel's
// part functions are shared out among two modules (lower_graph.h) so that
// a single kernel compiles on both threads too. No LLVM
// types leak out. Kernels compiled for several threads call
// nnc_parallel_for (runtime/parallel_for.h), which the JIT links in.
//
// Profiling: with NNC_PERF_MAP=1 in the environment, compile() keeps frame
// pointers in the JIT'd code and every function linked (kernels, their
// parts, GEMM micro-kernels and packing routines, parallelFor tasks) gets a
// line "START SIZE name" in /tmp/perf-<pid>.map (hex; the format `perf`
// reads for code without an object file), so `perf record -g` and
// `perf report` name them and their callers (bench/README.md, Profiling).
#pragma once
#include "codegen/kernel_abi.h"
#include "ir/graph.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::codegen {

class JitCompiler {
public:
  /// Kernels split their large loops across `threads` threads (1: none).
  /// Each kernel is lowered into `modulesPerKernel` modules (0: one per
  /// compile thread), which are optimized and compiled concurrently; 1 keeps
  /// a kernel in one module, as llvmText() shows it best.
  explicit JitCompiler(int threads = 1, int modulesPerKernel = 0);
  ~JitCompiler();

  /// Lowers `g` to a kernel named `symbol` for batches of at most maxBatch.
  KernelSignature add(const ir::Graph &g, const std::string &symbol, int64_t maxBatch);
  /// Makes every added kernel available at optimization level `optLevel`
  /// (0..3). With `keepLlvmText`, modules are optimized now and llvmText()
  /// returns them; otherwise optimization happens on lookup.
  void compile(int optLevel = 3, bool keepLlvmText = false);
  /// The optimized LLVM IR of every module (compile(..., true) only).
  std::string llvmText() const;
  /// The compiled kernel; throws std::runtime_error if unknown.
  KernelFn lookup(const std::string &symbol);
  /// Several kernels at once, compiled concurrently; in `symbols` order.
  std::vector<KernelFn> lookupAll(const std::vector<std::string> &symbols);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace nnc::codegen

// In-process compilation: graphs are lowered into one LLVM module, optimized
// for the host CPU and JIT-compiled with ORC LLJIT. No LLVM types leak out.
#pragma once
#include "codegen/kernel_abi.h"
#include "ir/graph.h"

#include <memory>
#include <string>

namespace nnc::codegen {

class JitCompiler {
public:
  JitCompiler();
  ~JitCompiler();

  /// Lowers `g` to a kernel named `symbol` for batches of at most maxBatch.
  KernelSignature add(const ir::Graph &g, const std::string &symbol, int64_t maxBatch);
  /// Optimizes at `optLevel` (0..3) and JIT-compiles everything added.
  void compile(int optLevel = 3);
  /// The module's LLVM IR (optimized once compile() ran).
  std::string llvmText() const;
  /// The compiled kernel; throws std::runtime_error if unknown.
  KernelFn lookup(const std::string &symbol);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace nnc::codegen

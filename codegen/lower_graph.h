// Lowers one ir::Graph to one LLVM function with the kernel ABI of
// kernel_abi.h: every non-leaf node gets a 64-byte aligned workspace slot
// sized for maxBatch; `assign` effects are applied after all compute.
#pragma once
#include "codegen/kernel_abi.h"
#include "ir/graph.h"

namespace llvm {
class Module;
class TargetMachine;
}

namespace nnc::codegen {

/// One of `count` modules a kernel is lowered into, so that they can be
/// optimized and compiled concurrently: module `index` defines its share of
/// the kernel's part functions (external symbols "<symbol>.<part>") and
/// declares the others; module 0 also holds the kernel function. The parts
/// are shared out by estimated size, the same way for every index.
struct ModuleShare {
  int index = 0, count = 1;
};

/// `target` is the machine the code is for (it picks the GEMM's vector
/// width); null means portable scalar code. With threads > 1, large matmuls
/// and elementwise loops call nnc_parallel_for (runtime/parallel_for.h).
KernelSignature lowerGraph(const ir::Graph &g, const std::string &symbol, int64_t maxBatch,
                           llvm::Module &m, const llvm::TargetMachine *target = nullptr,
                           int threads = 1, ModuleShare share = {});

} // namespace nnc::codegen

// Lowers one ir::Graph to one LLVM function with the kernel ABI of
// kernel_abi.h: every non-leaf node gets a 64-byte aligned workspace slot
// sized for maxBatch; `assign` effects are applied after all compute.
#pragma once
#include "codegen/kernel_abi.h"
#include "ir/graph.h"

namespace llvm {
class Module;
}

namespace nnc::codegen {

KernelSignature lowerGraph(const ir::Graph &g, const std::string &symbol, int64_t maxBatch,
                           llvm::Module &m);

} // namespace nnc::codegen

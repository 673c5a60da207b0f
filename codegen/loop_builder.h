// Counted loops and one-armed conditionals emitted at an IRBuilder's
// insertion point, which is left after them; used by the lowerings
// (Lowering::loop) and the GEMM driver and kernels. Private to codegen/.
#pragma once
#include <functional>
#include <llvm/IR/IRBuilder.h>

namespace nnc::codegen {

/// for (i = begin; i < end; i += step) body(i), i an i64 (signed compare).
void emitLoop(llvm::IRBuilder<> &b, llvm::Value *begin, llvm::Value *end, llvm::Value *step,
              const std::function<void(llvm::Value *)> &body);
/// if (cond) then();
void emitIf(llvm::IRBuilder<> &b, llvm::Value *cond, const std::function<void()> &then);

} // namespace nnc::codegen

// Counted loops and one-armed conditionals emitted at an IRBuilder's
// insertion point, which is left after them, and the lane mask of a
// vector loop's partial step; used by the lowerings (Lowering::loop) and the
// GEMM driver and kernels. Private to codegen/.
#pragma once
#include <functional>
#include <llvm/IR/IRBuilder.h>

namespace nnc::codegen {

/// for (i = begin; i < end; i += step) body(i), i an i64 (signed compare).
void emitLoop(llvm::IRBuilder<> &b, llvm::Value *begin, llvm::Value *end, llvm::Value *step,
              const std::function<void(llvm::Value *)> &body);
/// if (cond) then();
void emitIf(llvm::IRBuilder<> &b, llvm::Value *cond, const std::function<void()> &then);
/// <lanes x i1>: lane l is first + l < count (i64 first and count, compared
/// as i32 lanes: one register of compares for 16 lanes; count - first must
/// fit in i32).
llvm::Value *lanesBelow(llvm::IRBuilder<> &b, int lanes, llvm::Value *first, llvm::Value *count);

} // namespace nnc::codegen

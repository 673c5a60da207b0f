// The host CPU as an LLVM target (triple, CPU name, features such as
// AVX-512) and the O2/O3 optimization pipeline tuned for it.
#pragma once
#include <llvm/Target/TargetMachine.h>

#include <memory>

namespace llvm {
class Module;
}

namespace nnc::codegen {

/// Initializes the native target once; throws std::runtime_error on failure.
std::unique_ptr<llvm::TargetMachine> createHostTargetMachine();
/// Runs the default pipeline at `level` (0..3) with the target's cost model.
void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm, int level);

} // namespace nnc::codegen

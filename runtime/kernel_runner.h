// Calls a generated kernel: owns its workspace and the pointer table of its
// bindings (kernel_abi.h). Params/State bind to a ParamStore; inputs and
// outputs are bound per call by name (unbound outputs go to scratch buffers).
#pragma once
#include "codegen/kernel_abi.h"
#include "runtime/param_store.h"

#include <cstddef>
#include <functional>
#include <memory>

namespace nnc::runtime {

class KernelRunner {
public:
  KernelRunner(codegen::KernelSignature sig, codegen::KernelFn fn, ParamStore &store);
  /// A kernel still compiling: `resolve` (waits for it, may throw the
  /// compiler's error) is called by the first run(), not before.
  KernelRunner(codegen::KernelSignature sig, std::function<codegen::KernelFn()> resolve,
               ParamStore &store);

  const codegen::KernelSignature &signature() const { return sig_; }
  /// Points the binding (role, name) at `data`; false if the kernel has none.
  bool bind(codegen::Binding::Role role, const std::string &name, void *data);
  /// Runs on a batch of `batch` <= maxBatch rows. Every binding must be bound.
  void run(int64_t batch);

private:
  codegen::KernelSignature sig_;
  codegen::KernelFn fn_ = nullptr;
  std::function<codegen::KernelFn()> resolve_; // until fn_ is known
  std::vector<void *> pointers_;
  /// Page-aligned (kWorkspaceAlign): the plan's 64-byte slot offsets are
  /// then 64-byte addresses, so vector loads and stores of intermediates and
  /// of the GEMM's packed panels never straddle two cache lines.
  struct AlignedFree {
    void operator()(std::byte *p) const;
  };
  std::unique_ptr<std::byte[], AlignedFree> workspace_;
  std::vector<TensorBuffer> scratch_; // outputs nobody asked for
};

} // namespace nnc::runtime

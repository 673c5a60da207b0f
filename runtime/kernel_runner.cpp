#include "runtime/kernel_runner.h"

#include <fmt/format.h>
#include <new>
#include <stdexcept>
#include <unistd.h>

namespace nnc::runtime {

using codegen::Binding;

namespace {
constexpr size_t kWorkspaceAlign = 4096; // a page
} // namespace

void KernelRunner::AlignedFree::operator()(std::byte *p) const {
  ::operator delete(p, std::align_val_t{kWorkspaceAlign});
}

KernelRunner::KernelRunner(codegen::KernelSignature sig, codegen::KernelFn fn, ParamStore &store)
    : sig_(std::move(sig)), fn_(fn), pointers_(sig_.bindings.size(), nullptr) {
  // The ABI (kernel_abi.h) promises a 64-byte aligned workspace: the plan's
  // slot offsets are multiples of 64 from its base. `new double[]` gave 16
  // mod 64, which every load accepts, but then each 64-byte vector of an
  // intermediate or of the GEMM's packed B panels straddled two cache lines
  // (784-256-256-10 b128, one thread: best of 5 runs 1.45-1.49 -> 1.27-1.36
  // ms). Page-aligned, so that slot offsets modulo 4096 (L1 set aliasing)
  // are the plan's in every run.
  double physical = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE);
  if ((double)sig_.workspaceBytes > physical)
    throw std::runtime_error(fmt::format(
        "{} needs {:.1f} GiB of memory for batches of {}, more than this machine has "
        "({:.1f} GiB); lower batch_size",
        sig_.symbol, (double)sig_.workspaceBytes / (1 << 30), sig_.maxBatch, physical / (1 << 30)));
  size_t bytes = ((size_t)sig_.workspaceBytes + 64 + kWorkspaceAlign - 1) / kWorkspaceAlign * kWorkspaceAlign;
  workspace_.reset(static_cast<std::byte *>(::operator new(bytes, std::align_val_t{kWorkspaceAlign})));
  for (size_t i = 0; i < sig_.bindings.size(); ++i) {
    const Binding &b = sig_.bindings[i];
    if (b.role == Binding::Param || b.role == Binding::State)
      pointers_[i] = store.at(b.name).data();
    if (b.role == Binding::Output) { // scratch until the caller binds its own buffer
      TensorBuffer &scratch = scratch_.emplace_back();
      scratch.type =
          ir::TensorType{b.type.dtype, ir::Shape{b.type.shape.numElements(sig_.maxBatch)}};
      scratch.allocate();
      pointers_[i] = scratch.data();
    }
  }
}

KernelRunner::KernelRunner(codegen::KernelSignature sig, std::function<codegen::KernelFn()> resolve,
                           ParamStore &store)
    : KernelRunner(std::move(sig), codegen::KernelFn{nullptr}, store) {
  resolve_ = std::move(resolve);
}

bool KernelRunner::bind(Binding::Role role, const std::string &name, void *data) {
  int i = sig_.find(role, name);
  if (i < 0)
    return false;
  pointers_[i] = data;
  return true;
}

void KernelRunner::run(int64_t batch) {
  if (batch < 1 || batch > sig_.maxBatch)
    throw std::logic_error("kernel " + sig_.symbol + " called with batch " + std::to_string(batch));
  for (size_t i = 0; i < pointers_.size(); ++i)
    if (!pointers_[i])
      throw std::logic_error("kernel " + sig_.symbol + ": binding '" + sig_.bindings[i].name +
                             "' is not bound");
  if (!fn_) {
    fn_ = resolve_();
    resolve_ = nullptr;
  }
  fn_(pointers_.data(), batch, workspace_.get());
}

} // namespace nnc::runtime

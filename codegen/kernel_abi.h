// The calling convention of every kernel nnc generates (JIT'd or emitted):
//   void kernel(void **bindings, int64_t batch, void *workspace);
// bindings[i] points at the buffer of signature.bindings[i] (row-major, B
// bound to `batch` <= maxBatch); workspace holds workspaceBytes, 64-byte
// aligned, for intermediates. Header-only and LLVM-free: the runtime uses it.
#pragma once
#include "ir/graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::codegen {

struct Binding {
  enum Role { Input, Param, State, Output };
  Role role;
  std::string name;
  ir::TensorType type;
};

struct KernelSignature {
  std::string symbol;
  std::vector<Binding> bindings;
  int64_t maxBatch = 1;
  int64_t workspaceBytes = 0;
  int64_t workspaceBytesWithoutReuse = 0; // one slot per intermediate (for --stats)
  int64_t assigns = 0;        // parameter and state updates (for --stats)
  int64_t assignsInPlace = 0; // of which computed straight into their buffer, no copy

  /// Index of the binding with this role and name, or -1.
  int find(Binding::Role role, const std::string &name) const {
    for (size_t i = 0; i < bindings.size(); ++i)
      if (bindings[i].role == role && bindings[i].name == name)
        return (int)i;
    return -1;
  }
};

using KernelFn = void (*)(void **bindings, int64_t batch, void *workspace);

} // namespace nnc::codegen

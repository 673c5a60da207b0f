// Memory planning for one kernel: the workspace (one arena per kernel call)
// holds every intermediate value that lives in memory, and a value's bytes
// are reused once its last reader has run. Kernels run in graph order (a
// fusion group is one kernel); outputs and assigns read their values after
// all kernels, so those live to the end (an assign's value done in place
// lives in its target's binding and is not planned: lower_graph.cpp). Two values share bytes only if no
// kernel touches both, so per-function noalias facts stay true.
#pragma once
#include "ir/graph.h"

#include <cstdint>
#include <functional>
#include <unordered_map>

namespace nnc::codegen {

struct BufferPlan {
  std::unordered_map<const ir::Node *, int64_t> offset; // workspace byte offset per value
  int64_t bytes = 0;          // the arena's size (peak of live bytes, plus fragmentation)
  int64_t unplannedBytes = 0; // the size with one slot per value and no reuse
};

/// Plans the values for which `inMemory` is true, each sized for
/// `maxBatch` rows and aligned to `align` bytes. `readsFrom(op)` is the node
/// whose memory a reader of `op` actually reads (a transpose that matmuls
/// read through: its operand), so that node stays live as long.
BufferPlan planWorkspace(const ir::Graph &g, int64_t maxBatch,
                         const std::function<bool(const ir::Node &)> &inMemory,
                         const std::function<const ir::Node *(const ir::Node *)> &readsFrom,
                         int64_t align = 64);

} // namespace nnc::codegen

// The thread fan-out behind generated parallel loops (codegen's
// Lowering::parallelFor): a kernel compiled for N > 1 threads calls
//   nnc_parallel_for(task, bindings, batch, workspace, count, N)
// which splits the iterations [0, count) into P = min(N, count) contiguous
// parts, part q being [count * q / P, count * (q + 1) / P) (generated code
// relies on this: it finds a part's scratch buffer from its begin), and runs
// task(bindings, batch, workspace, begin, end) once per part, returning when
// all parts are done. Which loops are worth splitting is decided when the
// kernel is generated; this only runs them.
//
// The calling thread runs parts too and takes every part no worker has
// started, so a worker that the OS has not scheduled (a busy machine, more
// threads than CPUs) costs nothing instead of a stall at a barrier, which is
// why this is not an OpenMP parallel region. Workers spin briefly between
// loops (the next one usually comes within microseconds), then sleep.
// A C ABI: the JIT resolves the symbol to this function.
#pragma once
#include <cstdint>

extern "C" {

/// One part of a parallel loop: iterations [begin, end).
typedef void (*nnc_task_fn)(void **bindings, int64_t batch, void *workspace, int64_t begin,
                            int64_t end);

/// Runs task over [0, count) in min(threads, count) parts, on the calling
/// thread and up to threads - 1 pool threads; count <= 0 runs nothing.
/// Not reentrant: a task must not call it.
void nnc_parallel_for(nnc_task_fn task, void **bindings, int64_t batch, void *workspace,
                      int64_t count, int64_t threads);
}

namespace nnc::runtime {
/// The threads a kernel may use by default: the CPUs this process may run on.
int availableThreads();
} // namespace nnc::runtime

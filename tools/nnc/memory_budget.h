// The memory a run needs, checked against the machine's before anything is
// allocated: every parameter and optimizer state of the graphs (bytes from
// their IR types: 4 per f32), plus the workspaces of the kernels that will run
// (codegen::KernelSignature::workspaceBytes). Physical memory is
// sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGE_SIZE).
// Error, located at the largest parameter's declaration (or layer use):
//   "parameter 'dense1.W' (f32[4,300000000]: 1200000000 elements, 4.8 GB) does
//    not fit: the run needs 19.2 GB (parameters and optimizer state 14.4 GB,
//    kernel workspaces 4.8 GB), more than this machine's 25.7 GB of memory";
//   when the parameters alone fit, the batch is too large: "the model does not
//   fit with batches of 16777216 rows: ...; lower batch_size", or, when the
//   evaluation chunk (256 rows or more) is larger than batch_size, says so.
#pragma once
#include "frontend/diagnostics.h"
#include "ir/graph.h"

#include <cstdint>
#include <vector>

namespace nnc::cli {

/// The machine's physical memory in bytes.
double physicalMemoryBytes();

/// False after reporting to `diags` if the params and states of `graphs`
/// (each name counted once) plus `workspaceBytes` (kernels for up to
/// `batchRows` rows; batch_size is `trainBatch`) exceed `available` bytes.
bool checkMemoryBudget(const std::vector<const ir::Graph *> &graphs, double workspaceBytes,
                       int64_t batchRows, int64_t trainBatch, double available,
                       frontend::DiagnosticEngine &diags);

} // namespace nnc::cli

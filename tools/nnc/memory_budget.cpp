#include "memory_budget.h"

#include <fmt/format.h>
#include <set>
#include <unistd.h>

namespace nnc::cli {

double physicalMemoryBytes() {
  return (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE);
}

bool checkMemoryBudget(const std::vector<const ir::Graph *> &graphs, double workspaceBytes,
                       int64_t batchRows, int64_t trainBatch, double available,
                       frontend::DiagnosticEngine &diags) {
  double stored = 0; // in double: no sum of verified sizes can wrap it
  const ir::Node *largest = nullptr;
  std::set<std::pair<ir::OpKind, std::string>> seen;
  for (const ir::Graph *g : graphs)
    for (const auto &up : g->nodes()) {
      const ir::Node *n = up.get();
      if (n->kind != ir::OpKind::Param && n->kind != ir::OpKind::State)
        continue;
      if (!seen.insert({n->kind, n->name}).second)
        continue;
      double bytes = (double)n->type.bytes(1);
      stored += bytes;
      if (n->kind == ir::OpKind::Param && (!largest || bytes > (double)largest->type.bytes(1)))
        largest = n;
    }
  double total = stored + workspaceBytes;
  if (total <= available)
    return true;
  std::string param = largest ? fmt::format("parameter '{}' ({}: {} elements, {})", largest->name,
                                            largest->type.str(), largest->type.shape.numElements(1),
                                            ir::formatBytes((double)largest->type.bytes(1)))
                              : std::string("the model");
  std::string needs = fmt::format("the run needs {} (parameters and optimizer state {}, kernel "
                                  "workspaces {}), more than this machine's {} of memory",
                                  ir::formatBytes(total), ir::formatBytes(stored),
                                  ir::formatBytes(workspaceBytes), ir::formatBytes(available));
  ir::SourceLoc at = largest ? largest->loc : ir::SourceLoc{};
  if (stored > available || workspaceBytes <= 0)
    diags.error(at, fmt::format("{} does not fit: {}", param, needs));
  else if (batchRows > trainBatch) // the evaluation chunk, not batch_size, sets the rows
    diags.error(at, fmt::format("the model does not fit with batches of {} rows (evaluation and "
                                "prediction run in chunks of {} rows, whatever batch_size): {}",
                                batchRows, batchRows, needs));
  else
    diags.error(at, fmt::format("the model does not fit with batches of {} rows: {}; lower "
                                "batch_size",
                                batchRows, needs));
  return false;
}

} // namespace nnc::cli

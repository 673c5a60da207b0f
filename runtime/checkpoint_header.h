// The JSON header of a .nnw weights file (docs/weights-format.md), checked
// whole against the file before any tensor is allocated: each field's type
// and range, whole numbers where integers are due, every tensor inside the
// bytes after the header and apart from the others, shapes whose byte counts
// fit the file (no overflowing products), finite statistics with positive
// deviations. Errors are DataError "w.nnw: error: header field 'F' ...".
#pragma once
#include "runtime/checkpoint.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

/// Where one tensor's elements are: `bytes` bytes from `offset`, counted
/// from the first byte after the header line.
struct TensorExtent {
  std::string name;
  int64_t offset = 0, bytes = 0;
};

struct CheckpointHeader {
  Checkpoint checkpoint;             // every tensor typed, none allocated yet
  std::vector<TensorExtent> extents; // in the header's order
};

/// Parses and checks `text`, the header line of `path`, whose tensor bytes
/// (after the header line) number `payloadBytes`.
CheckpointHeader parseCheckpointHeader(const std::string &text, int64_t payloadBytes,
                                       const std::string &path);

} // namespace nnc::runtime

// Checkpoints (.nnw): trained parameters, optimizer state, class names and
// normalization statistics of one model, in a versioned file written
// atomically (a temporary file, then a rename). Format: docs/weights-format.md
//   line 1: "nnc-weights 1"   line 2: a JSON header   then: raw tensor bytes
#pragma once
#include "runtime/param_store.h"
#include "runtime/standardizer.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc::runtime {

inline constexpr int kCheckpointVersion = 1;

struct Checkpoint {
  std::string model;                     // the model's name
  std::map<std::string, TensorBuffer> tensors;
  std::vector<std::string> classNames;   // class id -> name (classification)
  std::vector<std::string> featureNames; // CSV columns the model was trained on
  std::optional<Standardizer> normalization; // feature statistics, if standardized
  std::optional<Standardizer> targetNormalization; // regression target statistics
  int64_t epochs = 0;                    // epochs trained so far
};

/// Writes `c` to `path` atomically (support/output_files.h); throws DataError
/// on I/O failure.
void saveCheckpoint(const std::string &path, const Checkpoint &c);
/// Reads a checkpoint; throws DataError ("w.nnw: error: ...") if the file is
/// missing, a directory, truncated, of another version or malformed. The
/// header is checked whole (checkpoint_header.h) before any tensor is
/// allocated, so memory never exceeds what the file holds.
Checkpoint loadCheckpoint(const std::string &path);

/// Copies the checkpoint's tensors into `store` (which the model's graphs
/// initialized): parameters always, optimizer state unless paramsOnly.
/// A parameter the model has but the file lacks, or a shape that differs, is
/// a DataError naming both shapes, and so is a parameter in the file that the
/// model does not have. Optimizer state missing from the file starts fresh.
void restoreTensors(const Checkpoint &c, ParamStore &store, const std::string &path,
                    bool paramsOnly);

} // namespace nnc::runtime

// A CSV file as float features (rows x numFeatures, row-major) plus regression
// targets (rows x 1) or class ids; errors name file:line:col (DataError).
// splitHoldout / shuffleRows use a portable Fisher-Yates over std::mt19937_64.
#pragma once
#include "runtime/data_error.h"

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace nnc::runtime {

struct DatasetSpec {
  std::vector<std::string> featureColumns; // empty = every column but the label
  std::string labelColumn;                 // empty = the last column
  bool classification = false;             // label -> class ids
  std::vector<std::string> classNames;     // fixed ids (from training data)
  int64_t expectedFeatures = -1;           // >= 0: feature count must match
  int64_t targetWidth = 1;                 // regression: only 1 is supported
  std::string inputName; // the model's input, for the count-mismatch message
  /// For prediction: a file without the label column is accepted (then every
  /// column, or the named features, are features), and a label column that
  /// is there is not read (an unseen class or a blank target is no error);
  /// there are no targets.
  bool labelOptional = false;
};

struct Dataset {
  std::string path; // source file, for messages
  int64_t rows = 0, numFeatures = 0;
  std::vector<std::string> featureNames; // from the header row, else col1..colN
  bool hasHeader = false;
  std::string labelName;
  std::vector<float> features;         // rows x numFeatures, row-major
  std::vector<float> targets;          // regression: rows x 1
  std::vector<int32_t> labels;         // classification: class ids
  std::vector<std::string> classNames; // class id -> name
  bool hasTargets() const { return !targets.empty() || !labels.empty(); }
};

/// Loads `path` as described by `spec`. Class names, when spec.classNames is
/// empty: the distinct labels sorted numerically if all are numbers, else
/// lexicographically. Non-numeric, NaN or inf feature/target cells, unknown
/// labels, missing columns (with a did-you-mean) are errors. With the default
/// label (last column) a first column named label/target/class/species/y is an
/// error too, unless the last column has such a name: name the label
/// explicitly.
Dataset loadDataset(const std::string &path, const DatasetSpec &spec);

/// The given rows of `d`, in that order (indices must be < d.rows).
Dataset takeRows(const Dataset &d, const std::vector<int64_t> &rowIndices);

/// Seeded shuffle, then the last round(fraction * rows) rows (at least 1 when
/// fraction > 0) are held out: {train, held out}. fraction in [0, 1); at least
/// one row must stay for training, else DataError.
std::pair<Dataset, Dataset> splitHoldout(const Dataset &d, double fraction,
                                         uint64_t seed);

/// Fisher-Yates with an unbiased bounded draw: the same order on every
/// platform for the same rng state (std::shuffle is implementation-defined).
void shuffleRows(std::vector<int64_t> &order, std::mt19937_64 &rng);

} // namespace nnc::runtime

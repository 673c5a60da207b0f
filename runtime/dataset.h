// A CSV file as float features (rows x numFeatures) plus regression targets
// or class ids; errors name file:line:col (DataError). loadDataset streams the
// CSV into a RowTable (a mapped data cache file, see data_cache.h): memory is
// the float data plus a bounded buffer, and a data set larger than memory
// works. A Dataset is a view: a subset of the table's rows (splitHoldout,
// takeRows) and a standardization applied as rows are gathered, never a copy.
// splitHoldout / shuffleRows use a portable Fisher-Yates over std::mt19937_64.
#pragma once
#include "runtime/data_cache.h"
#include "runtime/data_error.h"
#include "runtime/row_table.h"

#include <cstdint>
#include <memory>
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
  std::string inputName;                   // the model's input, for the count-mismatch message
  /// For prediction: a file without the label column is accepted (then every
  /// column, or the named features, are features), and a label column that
  /// is there is not read (an unseen class or a blank target is no error);
  /// there are no targets.
  bool labelOptional = false;
};

/// x' = (x - mean) / stddev per column, computed in double from float
/// statistics (see standardizer.h); empty = none.
struct ColumnScale {
  std::vector<float> mean, stddev;
  bool empty() const { return mean.empty(); }
};

struct Dataset {
  std::string path; // source file, for messages
  int64_t rows = 0, numFeatures = 0;
  std::vector<std::string> featureNames; // from the header row, else col1..colN
  bool hasHeader = false;
  std::string labelName;
  std::vector<std::string> classNames; // class id -> name

  std::shared_ptr<const RowTable> table; // null only for 0 rows
  std::vector<int64_t> rowIndex;         // table rows of this view; empty = all, in order
  std::vector<int32_t> classOfLabel;     // table label id -> class id; empty = same
  ColumnScale featureScale, targetScale; // applied by gather

  bool hasTargets() const { return table && table->target() != RowTarget::None; }
  bool hasLabels() const { return table && table->target() == RowTarget::ClassId; }
  bool hasRegressionTargets() const { return table && table->target() == RowTarget::Float; }

  /// Copies rows `which[0..n)` (indices into this view) scaled: features to
  /// `features` (n x numFeatures), targets to `targets` and class ids to
  /// `labels` where those are not null and the data has them.
  void gather(const int64_t *which, int64_t n, float *features, float *targets,
              int32_t *labels) const;
  /// gather of rows first..first+n-1.
  void gatherRange(int64_t first, int64_t n, float *features, float *targets,
                   int32_t *labels) const;
  /// Whole columns (small data sets, tests): rows x numFeatures, rows, rows.
  std::vector<float> featureMatrix() const;
  std::vector<float> targetVector() const;  // empty if no regression targets
  std::vector<int32_t> labelVector() const; // empty if no labels

  /// A data set in memory: features rows x numFeatures, targets or labels.
  static Dataset fromVectors(const std::vector<float> &features, int64_t numFeatures,
                             const std::vector<float> &targets = {},
                             const std::vector<int32_t> &labels = {});
};

/// Loads `path` as described by `spec`. Class names, when spec.classNames is
/// empty: the distinct labels sorted numerically if all are numbers, else
/// lexicographically (at most kMaxClasses). Non-numeric, NaN or inf
/// feature/target cells, unknown labels, ragged rows, missing columns (with a
/// did-you-mean) are errors. With the default label (last column) a first
/// column named label/target/class/species/y is an error too, unless the last
/// column has such a name: name the label explicitly.
Dataset loadDataset(const std::string &path, const DatasetSpec &spec,
                    const DataCacheOptions &cache = dataCacheOptionsFromEnvironment());
inline constexpr size_t kMaxClasses = 100000;

/// The given rows of `d` (a view; indices must be < d.rows).
Dataset takeRows(const Dataset &d, const std::vector<int64_t> &rowIndices);

/// Seeded shuffle, then the last round(fraction * rows) rows (at least 1 when
/// fraction > 0) are held out: {train, held out}. fraction in [0, 1); at least
/// one row must stay for training, else DataError.
std::pair<Dataset, Dataset> splitHoldout(const Dataset &d, double fraction, uint64_t seed);

/// Fisher-Yates with an unbiased bounded draw: the same order on every
/// platform for the same rng state (std::shuffle is implementation-defined).
void shuffleRows(std::vector<int64_t> &order, std::mt19937_64 &rng);

} // namespace nnc::runtime

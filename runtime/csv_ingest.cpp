#include "runtime/csv_ingest.h"

#include "runtime/csv_table.h"
#include "runtime/data_error.h"
#include "support/spelling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>

namespace nnc::runtime {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// "'a', 'b', 'c'", at most `limit` names then "and N more".
std::string nameList(const std::vector<std::string> &names, size_t limit = 10) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i)
    out += (i ? ", '" : "'") + displayCell(names[i]) + "'";
  if (names.size() > limit)
    out += fmt::format(" and {} more", names.size() - limit);
  return out;
}

std::string plural(int64_t n, const char *word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

bool looksLikeLabelName(const std::string &name) {
  static const char *const kNames[] = {"label", "labels", "target", "class", "species", "y"};
  std::string l = lower(name);
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char *k) { return l == k; });
}

const char *const kSeparatorHint = " (fields must be separated by ',', not ';' or tabs)";

std::string notANumberHint(std::string_view cell, bool isTarget) {
  std::string l = lower(cell);
  if (l.empty() || l == "na" || l == "n/a" || l == "null" || l == "none" || l == "?" || l == "-" ||
      l == "missing")
    return " (a missing value? remove or fill such rows first)";
  if (cell.find(';') != cell.npos || cell.find('\t') != cell.npos)
    return kSeparatorHint;
  if (cell.find(',') != cell.npos)
    return " (use '.' as the decimal point)";
  if (isTarget)
    return " (the target of a regression must be numeric; text labels need a "
           "classifier)";
  return "";
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// The streaming pass. Rows go to probe_ until the header is decided, then
/// each field straight into the record (no copy of the row; a cell that is
/// not a plain number is kept until the row is known to be as wide as it
/// should be, so a ragged row is reported as such).
class Ingest final : public CsvFieldSink {
public:
  Ingest(const std::string &path, const DatasetSpec &spec, const DataCacheOptions &opts,
         const std::string &key)
      : path_(path), spec_(spec), opts_(opts), key_(key) {}

  void field(std::string_view cell, size_t col, int64_t line) override {
    if (col >= kMaxCsvColumns) [[unlikely]] // refused before the row is collected or counted
      throw dataError(
          path_, line, static_cast<int64_t>(col) + 1,
          fmt::format("row has more than {} fields, the most nnc reads", kMaxCsvColumns));
    if (!writer_) {
      // Beyond the first row's width only counted: checkWidth refuses the row.
      if (probe_.empty() || col < probe_[0].size()) {
        probeRow_.emplace_back(cell);
        probeBytes_ += sizeof(std::string) + cell.size();
      }
      return;
    }
    if (col >= width_)
      return; // rowEnd reports the ragged row
    int32_t slot = slots_[col];
    if (slot < 0)
      return;
    if (slot == labelSlot_ && meta_.target == RowTarget::ClassId) {
      labelCell_.assign(cell);
      return;
    }
    float v;
    if (parseFiniteFloat(cell, v)) [[likely]]
      out()[slot] = v;
    else
      slowCell(cell, col, slot);
  }

  void rowEnd(size_t fields, int64_t line) override {
    if (!writer_) {
      probe_.push_back(std::move(probeRow_));
      probeRow_.clear();
      probeLines_.push_back(line);
      probeWidths_.push_back(fields);
      if (probe_.size() == kHeaderProbeRows ||
          (probe_.size() >= 2 && probeBytes_ >= kHeaderProbeBytes))
        start();
      return;
    }
    checkWidth(fields, line);
    if (pendingSlot_ >= 0) // throws the cell's error
      cellToFloat(pendingCell_, line, pendingCol_, pendingSlot_ == labelSlot_);
    if (meta_.target == RowTarget::ClassId) {
      int32_t id = labelId(labelCell_, line);
      std::memcpy(out() + labelSlot_, &id, 4);
    }
    writer_->append(record_.data());
  }

  CachedData finish() {
    if (!writer_) {
      if (probe_.empty())
        throw dataError(path_, "the file is empty");
      start();
    }
    if (writer_->rows() == 0)
      throw dataError(path_, "the file has a header but no data rows");
    return writer_->finish(std::move(meta_));
  }

private:
  /// Header, columns and layout from probe_, then the probed rows.
  void start() {
    width_ = probeWidths_[0];
    for (size_t i = 1; i < probe_.size(); ++i)
      checkWidth(probeWidths_[i], probeLines_[i]);
    meta_.hasHeader = firstRowIsHeader(probe_);
    for (size_t j = 0; j < width_; ++j) {
      std::string name = meta_.hasHeader ? probe_[0][j] : std::string();
      columns_.push_back(name.empty() ? fmt::format("col{}", j + 1) : name);
    }
    layout();
    slots_.assign(width_, -1);
    for (size_t k = 0; k < featureCols_.size(); ++k)
      slots_[featureCols_[k]] = static_cast<int32_t>(k);
    labelSlot_ = static_cast<int32_t>(featureCols_.size());
    if (meta_.target != RowTarget::None)
      slots_[labelCol_] = labelSlot_;
    size_t recordBytes = (featureCols_.size() + (meta_.target == RowTarget::None ? 0 : 1)) * 4;
    record_.assign(recordBytes, 0);
    writer_ = std::make_unique<DataCacheWriter>(opts_, key_, recordBytes);
    for (size_t i = meta_.hasHeader ? 1 : 0; i < probe_.size(); ++i) {
      for (size_t j = 0; j < probe_[i].size(); ++j)
        field(probe_[i][j], j, probeLines_[i]);
      rowEnd(probe_[i].size(), probeLines_[i]);
    }
    probe_ = {};
  }

  float *out() { return reinterpret_cast<float *>(record_.data()); }

  /// A cell from_chars does not take whole: a number parseNumber reads
  /// (spaces, '+'), else kept for rowEnd's error (the first by slot).
  void slowCell(std::string_view cell, size_t col, int32_t slot) {
    std::optional<double> v = parseNumber(cell);
    if (v && std::isfinite(*v) && std::abs(*v) <= std::numeric_limits<float>::max()) {
      out()[slot] = static_cast<float>(*v);
    } else if (pendingSlot_ < 0 || slot < pendingSlot_) {
      pendingSlot_ = slot;
      pendingCol_ = col;
      pendingCell_.assign(cell);
    }
  }

  void checkWidth(size_t n, int64_t line) const {
    if (n != width_)
      throw dataError(path_, line, 1, fmt::format("row has {} fields, expected {}", n, width_));
  }

  size_t findColumn(const std::string &name) const {
    std::vector<size_t> hits;
    for (size_t j = 0; j < columns_.size(); ++j)
      if (columns_[j] == name)
        hits.push_back(j);
    if (hits.size() == 1)
      return hits[0];
    if (hits.size() > 1)
      throw dataError(path_, fmt::format("column name '{}' is ambiguous: "
                                         "columns {} and {} both have it",
                                         displayCell(name), hits[0] + 1, hits[1] + 1));
    std::string msg = fmt::format("no column named '{}'", displayCell(name));
    std::string best = support::closestName(name, columns_, /*ignoreCase=*/true);
    if (!best.empty())
      msg += fmt::format(" (did you mean '{}'?)", displayCell(best));
    msg += meta_.hasHeader ? "; the columns are "
                           : "; the file has no header row, so the columns are ";
    msg += nameList(columns_);
    throw dataError(path_, msg);
  }

  /// Which columns are features and which is the label (old loadDataset).
  void layout() {
    size_t ncol = columns_.size();
    size_t labelCol = ncol - 1;
    bool noLabel = false;
    if (spec_.labelOptional) {
      if (!spec_.labelColumn.empty())
        noLabel = std::find(columns_.begin(), columns_.end(), spec_.labelColumn) == columns_.end();
      else if (spec_.featureColumns.empty())
        noLabel = spec_.expectedFeatures == static_cast<int64_t>(ncol);
      else
        noLabel = std::find(spec_.featureColumns.begin(), spec_.featureColumns.end(),
                            columns_[ncol - 1]) != spec_.featureColumns.end();
    }
    if (noLabel) {
      labelCol = ncol; // none
    } else if (!spec_.labelColumn.empty()) {
      labelCol = findColumn(spec_.labelColumn);
    } else if (meta_.hasHeader && ncol > 1 && looksLikeLabelName(columns_[0]) &&
               !looksLikeLabelName(columns_[ncol - 1])) {
      throw dataError(path_,
                      fmt::format("the label defaults to the last column '{}', "
                                  "but the first column is named '{}'; name the "
                                  "label column explicitly",
                                  displayCell(columns_[ncol - 1]), displayCell(columns_[0])));
    }
    if (spec_.featureColumns.empty()) {
      for (size_t j = 0; j < ncol; ++j)
        if (j != labelCol)
          featureCols_.push_back(j);
    } else {
      for (const auto &name : spec_.featureColumns) {
        size_t j = findColumn(name);
        if (j == labelCol)
          throw dataError(path_, fmt::format("column '{}' is the label; it cannot "
                                             "also be a feature",
                                             displayCell(name)));
        if (std::find(featureCols_.begin(), featureCols_.end(), j) != featureCols_.end())
          throw dataError(path_,
                          fmt::format("feature column '{}' is listed twice", displayCell(name)));
        featureCols_.push_back(j);
      }
    }
    auto nf = static_cast<int64_t>(featureCols_.size());
    // A ';'- or tab-separated file reads as one column.
    bool otherSeparator = ncol == 1 && probe_[0][0].find_first_of(";\t") != std::string::npos;
    std::string which;
    if (!spec_.featureColumns.empty())
      which = "the columns named as features";
    else if (noLabel)
      which = "all columns; no label column";
    else if (spec_.labelColumn.empty())
      which = fmt::format("all columns but the last, '{}'", displayCell(columns_[labelCol]));
    else
      which = fmt::format("all columns but the label '{}'", displayCell(columns_[labelCol]));
    if (spec_.expectedFeatures >= 0 && nf != spec_.expectedFeatures)
      throw dataError(path_, probeLines_[0], 1,
                      fmt::format("the model's input{}{} has {} but {} provides {} "
                                  "({}){}",
                                  spec_.inputName.empty() ? "" : " ", spec_.inputName,
                                  plural(spec_.expectedFeatures, "feature"), path_,
                                  plural(nf, "feature column"), which,
                                  otherSeparator ? kSeparatorHint : ""));
    if (nf == 0 && noLabel)
      throw dataError(path_, "no feature columns");
    if (nf == 0)
      throw dataError(path_, fmt::format("no feature columns: the file has only "
                                         "the label column '{}'{}",
                                         displayCell(columns_[labelCol]),
                                         otherSeparator ? kSeparatorHint : ""));
    meta_.numFeatures = nf;
    for (size_t j : featureCols_)
      meta_.featureNames.push_back(columns_[j]);
    if (!noLabel)
      meta_.labelName = columns_[labelCol];
    if (noLabel || spec_.labelOptional)
      meta_.target = RowTarget::None; // prediction: a label column present is not read
    else
      meta_.target = spec_.classification ? RowTarget::ClassId : RowTarget::Float;
    labelCol_ = labelCol;
    meta_.labelColumn = meta_.target == RowTarget::None ? 0 : static_cast<int64_t>(labelCol) + 1;
  }

  /// The cell as a finite float, else DataError at line:col.
  float cellToFloat(std::string_view cell, int64_t line, size_t col, bool isTarget) const {
    float f;
    if (parseFiniteFloat(cell, f)) [[likely]]
      return f;
    auto where = [&](const std::string &what) {
      return dataError(path_, line, static_cast<int64_t>(col) + 1, what);
    };
    std::optional<double> v = parseNumber(cell);
    if (!v)
      throw where(fmt::format("'{}' in column '{}' is not a number{}", displayCell(cell),
                              displayCell(columns_[col]), notANumberHint(cell, isTarget)));
    if (!std::isfinite(*v))
      throw where(fmt::format("'{}' in column '{}' is not a finite number", displayCell(cell),
                              displayCell(columns_[col])));
    if (std::abs(*v) > std::numeric_limits<float>::max())
      throw where(fmt::format("'{}' in column '{}' is too large for a 32-bit float",
                              displayCell(cell), displayCell(columns_[col])));
    return static_cast<float>(*v);
  }

  int32_t labelId(std::string_view cell, int64_t line) {
    if (cell.empty())
      throw dataError(path_, line, static_cast<int64_t>(labelCol_) + 1,
                      fmt::format("empty label in column '{}'", displayCell(columns_[labelCol_])));
    if (lastId_ >= 0 && cell == meta_.labelNames[lastId_])
      return lastId_;
    auto it = ids_.find(cell);
    if (it != ids_.end())
      return lastId_ = it->second;
    if (meta_.labelNames.size() >= kMaxClasses)
      throw dataError(path_, line, static_cast<int64_t>(labelCol_) + 1,
                      fmt::format("more than {} distinct labels in column '{}'; is it the "
                                  "label column?",
                                  kMaxClasses, displayCell(columns_[labelCol_])));
    auto id = static_cast<int32_t>(meta_.labelNames.size());
    meta_.labelNames.emplace_back(cell);
    meta_.labelLines.push_back(line);
    ids_.emplace(std::string(cell), id);
    return lastId_ = id;
  }

  const std::string &path_;
  const DatasetSpec &spec_;
  const DataCacheOptions &opts_;
  const std::string &key_;
  std::vector<std::vector<std::string>> probe_;
  std::vector<std::string> probeRow_;
  std::vector<int64_t> probeLines_;
  std::vector<size_t> probeWidths_; // fields of each probed row (kept: at most the first's)
  size_t probeBytes_ = 0;           // about what probe_ holds
  size_t width_ = 0, labelCol_ = 0;
  std::vector<std::string> columns_;
  std::vector<size_t> featureCols_;
  std::vector<int32_t> slots_; // column -> record slot: feature k, labelSlot_, or -1
  int32_t labelSlot_ = 0;
  std::string labelCell_;
  int32_t pendingSlot_ = -1; // a cell of this row that is not a number
  size_t pendingCol_ = 0;
  std::string pendingCell_;
  DataMeta meta_;
  std::vector<char> record_;
  std::unique_ptr<DataCacheWriter> writer_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  int32_t lastId_ = -1;
};

} // namespace

CachedData ingestCsv(const std::string &path, const DatasetSpec &spec, const DataCacheOptions &opts,
                     const std::string &key) {
  Ingest in(path, spec, opts, key);
  streamCsv(path, in);
  return in.finish();
}

} // namespace nnc::runtime

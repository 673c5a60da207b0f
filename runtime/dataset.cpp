#include "runtime/dataset.h"

#include "runtime/csv_table.h"
#include "runtime/data_error.h"
#include "support/spelling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
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

size_t findColumn(const CsvTable &t, const std::string &name) {
  std::vector<size_t> hits;
  for (size_t j = 0; j < t.columns.size(); ++j)
    if (t.columns[j] == name)
      hits.push_back(j);
  if (hits.size() == 1)
    return hits[0];
  if (hits.size() > 1)
    throw dataError(t.path,
                    fmt::format("column name '{}' is ambiguous: "
                                "columns {} and {} both have it",
                                displayCell(name), hits[0] + 1, hits[1] + 1));
  std::string msg = fmt::format("no column named '{}'", displayCell(name));
  std::string best = support::closestName(name, t.columns, /*ignoreCase=*/true);
  if (!best.empty())
    msg += fmt::format(" (did you mean '{}'?)", displayCell(best));
  msg += t.hasHeader ? "; the columns are "
                     : "; the file has no header row, "
                       "so the columns are ";
  msg += nameList(t.columns);
  throw dataError(t.path, msg);
}

bool looksLikeLabelName(const std::string &name) {
  static const char *const kNames[] = {"label", "labels",  "target",
                                       "class", "species", "y"};
  std::string l = lower(name);
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](const char *k) { return l == k; });
}

std::string notANumberHint(std::string_view cell, bool isTarget) {
  std::string l = lower(cell);
  if (l.empty() || l == "na" || l == "n/a" || l == "null" || l == "none" ||
      l == "?" || l == "-" || l == "missing")
    return " (a missing value? remove or fill such rows first)";
  if (cell.find(';') != cell.npos || cell.find('\t') != cell.npos)
    return " (fields must be separated by ',', not ';' or tabs)";
  if (cell.find(',') != cell.npos)
    return " (use '.' as the decimal point)";
  if (isTarget)
    return " (the target of a regression must be numeric; text labels need a "
           "classifier)";
  return "";
}

/// The cell as a finite float, else DataError at line:col.
float cellToFloat(const CsvTable &t, size_t row, size_t col, bool isTarget) {
  const std::string &cell = t.rows[row][col];
  auto where = [&](const std::string &what) {
    return dataError(t.path, t.lineOfRow[row], static_cast<int64_t>(col) + 1,
                     what);
  };
  std::optional<double> v = parseNumber(cell);
  if (!v)
    throw where(fmt::format("'{}' in column '{}' is not a number{}",
                            displayCell(cell), displayCell(t.columns[col]),
                            notANumberHint(cell, isTarget)));
  if (!std::isfinite(*v))
    throw where(fmt::format("'{}' in column '{}' is not a finite number",
                            displayCell(cell), displayCell(t.columns[col])));
  if (std::abs(*v) > std::numeric_limits<float>::max())
    throw where(
        fmt::format("'{}' in column '{}' is too large for a 32-bit float",
                    displayCell(cell), displayCell(t.columns[col])));
  return static_cast<float>(*v);
}

/// Distinct labels, numerically sorted if all are numbers, else by bytes.
std::vector<std::string> discoverClasses(const CsvTable &t, size_t col) {
  std::vector<std::string> names;
  {
    std::unordered_map<std::string_view, bool> seen;
    for (const auto &r : t.rows)
      if (seen.emplace(r[col], true).second)
        names.push_back(r[col]);
  }
  std::vector<std::pair<double, std::string>> numeric;
  for (const auto &n : names) {
    std::optional<double> v = parseNumber(n);
    if (!v || std::isnan(*v)) {
      std::sort(names.begin(), names.end());
      return names;
    }
    numeric.emplace_back(*v, n);
  }
  std::sort(numeric.begin(), numeric.end());
  for (size_t i = 0; i < names.size(); ++i)
    names[i] = std::move(numeric[i].second);
  return names;
}

void loadLabels(const CsvTable &t, size_t col, const DatasetSpec &spec,
                Dataset &d) {
  for (size_t i = 0; i < t.rows.size(); ++i)
    if (t.rows[i][col].empty())
      throw dataError(t.path, t.lineOfRow[i], static_cast<int64_t>(col) + 1,
                      fmt::format("empty label in column '{}'",
                                  displayCell(t.columns[col])));
  bool fixed = !spec.classNames.empty();
  d.classNames = fixed ? spec.classNames : discoverClasses(t, col);
  if (d.classNames.size() > static_cast<size_t>(INT32_MAX))
    throw dataError(t.path, "too many classes");
  std::unordered_map<std::string_view, int32_t> id;
  for (size_t k = 0; k < d.classNames.size(); ++k)
    if (!id.emplace(d.classNames[k], static_cast<int32_t>(k)).second)
      throw dataError(t.path, fmt::format("class name '{}' is given twice",
                                          displayCell(d.classNames[k])));
  d.labels.reserve(t.rows.size());
  for (size_t i = 0; i < t.rows.size(); ++i) {
    auto it = id.find(t.rows[i][col]);
    if (it == id.end())
      throw dataError(
          t.path, t.lineOfRow[i], static_cast<int64_t>(col) + 1,
          fmt::format("label '{}' in column '{}' is not one of the {} known "
                      "{} ({})",
                      displayCell(t.rows[i][col]), displayCell(t.columns[col]),
                      d.classNames.size(),
                      d.classNames.size() == 1 ? "class" : "classes",
                      nameList(d.classNames)));
    d.labels.push_back(it->second);
  }
}

} // namespace

Dataset loadDataset(const std::string &path, const DatasetSpec &spec) {
  if (!spec.classification && spec.targetWidth != 1)
    throw dataError(path, fmt::format("a regression target width of {} is not "
                                      "supported; it must be 1",
                                      spec.targetWidth));
  CsvTable t = readCsv(path);
  size_t ncol = t.columns.size();

  size_t labelCol = ncol - 1;
  bool noLabel = false;
  if (spec.labelOptional) {
    if (!spec.labelColumn.empty())
      noLabel = std::find(t.columns.begin(), t.columns.end(), spec.labelColumn) == t.columns.end();
    else if (spec.featureColumns.empty())
      noLabel = spec.expectedFeatures == (int64_t)ncol;
    else
      noLabel = std::find(spec.featureColumns.begin(), spec.featureColumns.end(),
                          t.columns[ncol - 1]) != spec.featureColumns.end();
  }
  if (noLabel) {
    labelCol = ncol; // none
  } else if (!spec.labelColumn.empty()) {
    labelCol = findColumn(t, spec.labelColumn);
  } else if (t.hasHeader && ncol > 1 && looksLikeLabelName(t.columns[0]) &&
             !looksLikeLabelName(t.columns[ncol - 1])) {
    throw dataError(path,
                    fmt::format("the label defaults to the last column '{}', "
                                "but the first column is named '{}'; name the "
                                "label column explicitly",
                                displayCell(t.columns[ncol - 1]),
                                displayCell(t.columns[0])));
  }

  std::vector<size_t> featureCols;
  if (spec.featureColumns.empty()) {
    for (size_t j = 0; j < ncol; ++j)
      if (j != labelCol)
        featureCols.push_back(j);
  } else {
    for (const auto &name : spec.featureColumns) {
      size_t j = findColumn(t, name);
      if (j == labelCol)
        throw dataError(path, fmt::format("column '{}' is the label; it cannot "
                                          "also be a feature",
                                          displayCell(name)));
      if (std::find(featureCols.begin(), featureCols.end(), j) !=
          featureCols.end())
        throw dataError(path, fmt::format("feature column '{}' is listed twice",
                                          displayCell(name)));
      featureCols.push_back(j);
    }
  }
  auto nf = static_cast<int64_t>(featureCols.size());
  std::string which;
  if (!spec.featureColumns.empty())
    which = "the columns named as features";
  else if (noLabel)
    which = "all columns; no label column";
  else if (spec.labelColumn.empty())
    which = fmt::format("all columns but the last, '{}'",
                        displayCell(t.columns[labelCol]));
  else
    which = fmt::format("all columns but the label '{}'",
                        displayCell(t.columns[labelCol]));
  if (spec.expectedFeatures >= 0 && nf != spec.expectedFeatures)
    throw dataError(
        path, fmt::format("the model's input{}{} has {} but {} provides {} "
                          "({})",
                          spec.inputName.empty() ? "" : " ", spec.inputName,
                          plural(spec.expectedFeatures, "feature"), path,
                          plural(nf, "feature column"), which));
  if (nf == 0 && noLabel)
    throw dataError(path, "no feature columns");
  if (nf == 0) {
    const std::string &only = t.columns[labelCol];
    bool otherSeparator = only.find_first_of(";\t") != std::string::npos;
    throw dataError(path, fmt::format("no feature columns: the file has only "
                                      "the label column '{}'{}",
                                      displayCell(only),
                                      otherSeparator
                                          ? " (fields must be separated by "
                                            "',', not ';' or tabs)"
                                          : ""));
  }

  Dataset d;
  d.path = path;
  d.rows = static_cast<int64_t>(t.rows.size());
  d.numFeatures = nf;
  d.hasHeader = t.hasHeader;
  if (!noLabel)
    d.labelName = t.columns[labelCol];
  for (size_t j : featureCols)
    d.featureNames.push_back(t.columns[j]);
  d.features.reserve(t.rows.size() * featureCols.size());
  for (size_t i = 0; i < t.rows.size(); ++i)
    for (size_t j : featureCols)
      d.features.push_back(cellToFloat(t, i, j, false));
  if (noLabel || spec.labelOptional) { // prediction: a label column present is not read
    d.classNames = spec.classNames;
  } else if (spec.classification) {
    loadLabels(t, labelCol, spec, d);
  } else {
    d.targets.reserve(t.rows.size());
    for (size_t i = 0; i < t.rows.size(); ++i)
      d.targets.push_back(cellToFloat(t, i, labelCol, true));
  }
  return d;
}

Dataset takeRows(const Dataset &d, const std::vector<int64_t> &rowIndices) {
  Dataset out;
  out.path = d.path;
  out.numFeatures = d.numFeatures;
  out.featureNames = d.featureNames;
  out.hasHeader = d.hasHeader;
  out.labelName = d.labelName;
  out.classNames = d.classNames;
  out.rows = static_cast<int64_t>(rowIndices.size());
  bool hasTargets = d.targets.size() == static_cast<size_t>(d.rows);
  bool hasLabels = d.labels.size() == static_cast<size_t>(d.rows);
  if (d.features.size() != static_cast<size_t>(d.rows * d.numFeatures))
    throw std::invalid_argument(
        "takeRows: features size is not rows x numFeatures");
  out.features.reserve(rowIndices.size() * d.numFeatures);
  for (int64_t r : rowIndices) {
    if (r < 0 || r >= d.rows)
      throw std::out_of_range(fmt::format("takeRows: row {} of {}", r, d.rows));
    auto first = d.features.begin() + r * d.numFeatures;
    out.features.insert(out.features.end(), first, first + d.numFeatures);
    if (hasTargets)
      out.targets.push_back(d.targets[r]);
    if (hasLabels)
      out.labels.push_back(d.labels[r]);
  }
  return out;
}

std::pair<Dataset, Dataset> splitHoldout(const Dataset &d, double fraction,
                                         uint64_t seed) {
  if (!(fraction >= 0 && fraction < 1))
    throw dataError(d.path, fmt::format("the validation fraction must be in "
                                        "[0, 1), not {}",
                                        fraction));
  auto held = static_cast<int64_t>(
      std::llround(fraction * static_cast<double>(d.rows)));
  if (fraction > 0 && held == 0)
    held = 1;
  if (held >= d.rows)
    throw dataError(d.path, fmt::format("cannot hold out {} of {} for "
                                        "validation: no rows would be left "
                                        "for training",
                                        held, plural(d.rows, "row")));
  std::vector<int64_t> order(d.rows);
  for (int64_t i = 0; i < d.rows; ++i)
    order[i] = i;
  std::mt19937_64 rng(seed);
  shuffleRows(order, rng);
  std::vector<int64_t> heldRows(order.end() - held, order.end());
  order.resize(order.size() - held);
  return {takeRows(d, order), takeRows(d, heldRows)};
}

void shuffleRows(std::vector<int64_t> &order, std::mt19937_64 &rng) {
  for (size_t i = order.size(); i > 1; --i) {
    // Uniform in [0, i): reject the 2^64 mod i lowest draws.
    uint64_t n = i, threshold = (0 - n) % n, r;
    do
      r = rng();
    while (r < threshold);
    std::swap(order[i - 1], order[r % n]);
  }
}

} // namespace nnc::runtime

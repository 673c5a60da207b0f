#include "runtime/dataset.h"

#include "runtime/csv_ingest.h"
#include "runtime/csv_table.h"
#include "runtime/data_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

namespace nnc::runtime {
namespace {

std::string plural(int64_t n, const char *word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

/// "'a', 'b', 'c'", at most 10 names then "and N more".
std::string nameList(const std::vector<std::string> &names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 10; ++i)
    out += (i ? ", '" : "'") + displayCell(names[i]) + "'";
  if (names.size() > 10)
    out += fmt::format(" and {} more", names.size() - 10);
  return out;
}

/// Distinct labels, numerically sorted if all are numbers, else by bytes.
std::vector<std::string> sortedClasses(std::vector<std::string> names) {
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

/// Class names and the table-id -> class-id map; unknown labels are errors
/// at their first occurrence.
void assignClasses(const DataMeta &m, const DatasetSpec &spec, Dataset &d) {
  bool fixed = !spec.classNames.empty();
  d.classNames = fixed ? spec.classNames : sortedClasses(m.labelNames);
  if (d.classNames.size() > static_cast<size_t>(INT32_MAX))
    throw dataError(d.path, "too many classes");
  std::unordered_map<std::string_view, int32_t> id;
  for (size_t k = 0; k < d.classNames.size(); ++k)
    if (!id.emplace(d.classNames[k], static_cast<int32_t>(k)).second)
      throw dataError(d.path,
                      fmt::format("class name '{}' is given twice", displayCell(d.classNames[k])));
  int64_t unknown = -1; // the label first seen earliest among unknown ones
  for (size_t k = 0; k < m.labelNames.size(); ++k) {
    auto it = id.find(m.labelNames[k]);
    d.classOfLabel.push_back(it == id.end() ? -1 : it->second);
    if (it == id.end() && (unknown < 0 || m.labelLines[k] < m.labelLines[unknown]))
      unknown = static_cast<int64_t>(k);
  }
  if (unknown >= 0)
    throw dataError(d.path, m.labelLines[unknown], m.labelColumn,
                    fmt::format("label '{}' in column '{}' is not one of the {} known {} ({})",
                                displayCell(m.labelNames[unknown]), displayCell(m.labelName),
                                d.classNames.size(), d.classNames.size() == 1 ? "class" : "classes",
                                nameList(d.classNames)));
}

/// What of the spec shapes the records (not classNames: ids are mapped later).
std::string specKey(const DatasetSpec &s) {
  std::string k =
      fmt::format("label={} class={} expect={} optional={} features=", s.labelColumn.size(),
                  s.classification, s.expectedFeatures, s.labelOptional);
  k += s.labelColumn + "\x1f";
  for (const auto &f : s.featureColumns)
    k += std::to_string(f.size()) + ":" + f;
  return k;
}

} // namespace

Dataset loadDataset(const std::string &path, const DatasetSpec &spec,
                    const DataCacheOptions &cache) {
  if (!spec.classification && spec.targetWidth != 1)
    throw dataError(path, fmt::format("a regression target width of {} is not "
                                      "supported; it must be 1",
                                      spec.targetWidth));
  uint64_t bytes = 0;
  std::string key = dataCacheKey(path, specKey(spec), bytes);
  if (bytes < cache.minBytes || cache.dir.empty())
    key.clear();
  std::optional<CachedData> c = openDataCache(cache, key);
  if (!c)
    c = ingestCsv(path, spec, cache, key);
  const DataMeta &m = c->meta;
  Dataset d;
  d.path = path;
  d.rows = m.rows;
  d.numFeatures = m.numFeatures;
  d.featureNames = m.featureNames;
  d.hasHeader = m.hasHeader;
  d.labelName = m.labelName;
  d.table = c->table;
  if (m.target == RowTarget::ClassId)
    assignClasses(m, spec, d);
  else
    d.classNames = spec.classNames;
  return d;
}

void Dataset::gather(const int64_t *which, int64_t n, float *features, float *targets,
                     int32_t *labels) const {
  if (n <= 0)
    return;
  const int64_t nf = numFeatures;
  const bool scaled = !featureScale.empty();
  // Scattered rows of a large mapped table are copied out (RowTable::readScatteredRows).
  const bool scattered = which[n - 1] - which[0] != n - 1;
  const bool copy = scattered && table->readScatteredRows();
  std::vector<char> buffer(copy ? table->recordBytes() : 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t r = which[k];
    if (r < 0 || r >= rows)
      throw std::out_of_range(fmt::format("Dataset::gather: row {} of {}", r, rows));
    int64_t t = rowIndex.empty() ? r : rowIndex[r];
    const char *rec = table->record(t);
    if (copy) {
      table->readRecord(t, buffer.data());
      rec = buffer.data();
    }
    const auto *src = reinterpret_cast<const float *>(rec);
    // The cache's records are not checksummed; the CSV's cells were finite.
    const int64_t width = nf + (table->target() == RowTarget::Float ? 1 : 0);
    for (int64_t j = 0; j < width; ++j)
      if (!std::isfinite(src[j])) [[unlikely]]
        throw dataError(path, fmt::format("the data cache file for this CSV is corrupt (a value "
                                          "that is not a finite number in data row {}); delete "
                                          "it and run again",
                                          t + 1));
    if (features) { // (an offset from a null pointer is undefined: UBSan)
      float *dst = features + k * nf;
      if (scaled)
        for (int64_t j = 0; j < nf; ++j)
          dst[j] = static_cast<float>((double(src[j]) - featureScale.mean[j]) /
                                      featureScale.stddev[j]);
      else
        std::memcpy(dst, src, nf * sizeof(float));
    }
    if (targets && table->target() == RowTarget::Float) {
      float v;
      std::memcpy(&v, src + nf, sizeof v);
      if (!targetScale.empty())
        v = static_cast<float>((double(v) - targetScale.mean[0]) / targetScale.stddev[0]);
      targets[k] = v;
    }
    if (labels && table->target() == RowTarget::ClassId) {
      int32_t id;
      std::memcpy(&id, src + nf, sizeof id);
      if (!classOfLabel.empty()) {
        if (id < 0 || static_cast<size_t>(id) >= classOfLabel.size())
          throw dataError(path, "the data cache file for this CSV is corrupt (a class id out "
                                "of range); delete it and run again");
        id = classOfLabel[id];
      }
      labels[k] = id;
    }
  }
  if (!copy)
    table->noteRowsRead(n);
}

void Dataset::gatherRange(int64_t first, int64_t n, float *features, float *targets,
                          int32_t *labels) const {
  constexpr int64_t kStep = 256;
  int64_t which[kStep];
  for (int64_t done = 0; done < n; done += kStep) {
    int64_t m = std::min(kStep, n - done);
    for (int64_t k = 0; k < m; ++k)
      which[k] = first + done + k;
    gather(which, m, features ? features + done * numFeatures : nullptr,
           targets ? targets + done : nullptr, labels ? labels + done : nullptr);
  }
}

std::vector<float> Dataset::featureMatrix() const {
  std::vector<float> out(static_cast<size_t>(rows * numFeatures));
  gatherRange(0, rows, out.data(), nullptr, nullptr);
  return out;
}

std::vector<float> Dataset::targetVector() const {
  if (!hasRegressionTargets())
    return {};
  std::vector<float> out(static_cast<size_t>(rows));
  gatherRange(0, rows, nullptr, out.data(), nullptr);
  return out;
}

std::vector<int32_t> Dataset::labelVector() const {
  if (!hasLabels())
    return {};
  std::vector<int32_t> out(static_cast<size_t>(rows));
  gatherRange(0, rows, nullptr, nullptr, out.data());
  return out;
}

Dataset Dataset::fromVectors(const std::vector<float> &features, int64_t numFeatures,
                             const std::vector<float> &targets,
                             const std::vector<int32_t> &labels) {
  Dataset d;
  d.table = std::make_shared<const RowTable>(
      RowTable::fromVectors(features, numFeatures, targets, labels));
  d.rows = d.table->rows();
  d.numFeatures = numFeatures;
  for (int64_t j = 0; j < numFeatures; ++j)
    d.featureNames.push_back(fmt::format("col{}", j + 1));
  return d;
}

Dataset takeRows(const Dataset &d, const std::vector<int64_t> &rowIndices) {
  Dataset out = d;
  out.rowIndex.clear();
  out.rowIndex.reserve(rowIndices.size());
  for (int64_t r : rowIndices) {
    if (r < 0 || r >= d.rows)
      throw std::out_of_range(fmt::format("takeRows: row {} of {}", r, d.rows));
    out.rowIndex.push_back(d.rowIndex.empty() ? r : d.rowIndex[r]);
  }
  out.rows = static_cast<int64_t>(rowIndices.size());
  return out;
}

std::pair<Dataset, Dataset> splitHoldout(const Dataset &d, double fraction, uint64_t seed) {
  if (!(fraction >= 0 && fraction < 1))
    throw dataError(d.path, fmt::format("the validation fraction must be in "
                                        "[0, 1), not {}",
                                        fraction));
  auto held = static_cast<int64_t>(std::llround(fraction * static_cast<double>(d.rows)));
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

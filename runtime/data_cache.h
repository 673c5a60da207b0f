// The binary form of a loaded CSV, written while the CSV streams in and then
// memory-mapped: a 4 KiB header, the RowTable records, then metadata (column
// names, label column, distinct labels with the line each first occurs on).
// Kept as $XDG_CACHE_HOME/nnc/data/<hash>.nncdata (else ~/.cache/nnc/...; mode 0600)
// when the CSV is at least minBytes, and reused while the CSV's path, size,
// mtime, ctime, inode and the data set spec are unchanged; smaller files (or
// when the cache directory is unusable) get an unnamed temporary file, so
// memory is the same either way. A cache that does not check out (magic,
// version, checksums of header and metadata, sizes, key) is ignored and
// rebuilt; it is published by an atomic rename of a complete file.
#pragma once
#include "runtime/row_table.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::runtime {

struct DataCacheOptions {
  std::string dir;       // empty: never keep a named cache
  uint64_t minBytes = 0; // keep a named cache for CSVs of at least this size
};

/// dir = $NNC_DATA_CACHE_DIR, else $XDG_CACHE_HOME/nnc/data, else
/// $HOME/.cache/nnc/data; NNC_DATA_CACHE=off disables it; minBytes 8 MiB.
DataCacheOptions dataCacheOptionsFromEnvironment();

struct DataMeta {
  int64_t rows = 0, numFeatures = 0;
  RowTarget target = RowTarget::None;
  bool hasHeader = false;
  std::string labelName;
  int64_t labelColumn = 0; // 1-based, 0 if none
  std::vector<std::string> featureNames;
  std::vector<std::string> labelNames; // distinct labels in order of appearance (= id)
  std::vector<int64_t> labelLines;     // line of each one's first occurrence
};

struct CachedData {
  DataMeta meta;
  std::shared_ptr<const RowTable> table;
};

/// The cache for `key` in opts.dir if it is there and valid, else nullopt.
std::optional<CachedData> openDataCache(const DataCacheOptions &opts, const std::string &key);

/// Collects records into a temporary file; finish() publishes it under `key`
/// (if `key` is not empty) and maps it. Destroyed unfinished, it removes its
/// file. Write errors are DataError naming the file.
class DataCacheWriter {
public:
  DataCacheWriter(const DataCacheOptions &opts, std::string key, size_t recordBytes);
  ~DataCacheWriter();
  DataCacheWriter(const DataCacheWriter &) = delete;
  DataCacheWriter &operator=(const DataCacheWriter &) = delete;

  void append(const char *record) {
    if (used_ + recordBytes_ > buffer_.size())
      flush();
    std::memcpy(buffer_.data() + used_, record, recordBytes_);
    used_ += recordBytes_;
    ++rows_;
  }
  int64_t rows() const { return rows_; }
  CachedData finish(DataMeta meta);

private:
  void flush();
  void writeAll(const void *p, size_t n, uint64_t at);
  std::string key_, dir_, tmpPath_; // tmpPath_ empty: unnamed file
  int fd_ = -1;
  size_t recordBytes_;
  std::vector<char> buffer_;
  size_t used_ = 0;
  uint64_t written_ = 0; // bytes of the file so far
  int64_t rows_ = 0;
};

/// The key of `path` (by its real path and stat fields) plus `spec`, or ""
/// if the file cannot be keyed (not a regular file).
std::string dataCacheKey(const std::string &path, const std::string &spec, uint64_t &fileBytes);

} // namespace nnc::runtime

// The rows of a data set as fixed-size records, each numFeatures float32
// features then (if any) one float32 target or one int32 class id: in memory,
// or memory-mapped from a data cache file (read-only, shared page cache, so a
// table larger than RAM works; see data_cache.h). Not thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace nnc::runtime {

enum class RowTarget : int32_t { None = 0, Float = 1, ClassId = 2 };

class RowTable {
public:
  /// Rows in memory: features rows x numFeatures, targets or labels (or
  /// neither) one per row. Sizes must agree (std::invalid_argument).
  static RowTable fromVectors(const std::vector<float> &features, int64_t numFeatures,
                              const std::vector<float> &targets,
                              const std::vector<int32_t> &labels);
  /// Takes ownership of a read-only mapping of `mapBytes` bytes at `map` of
  /// the file `fd` (duplicated, for readRecord) whose records start at
  /// `records`.
  static RowTable fromMapping(void *map, size_t mapBytes, int fd, const char *records, int64_t rows,
                              int64_t numFeatures, RowTarget target);
  RowTable(RowTable &&o) noexcept;
  RowTable &operator=(RowTable &&) = delete;
  RowTable(const RowTable &) = delete;
  ~RowTable();

  int64_t rows() const { return rows_; }
  int64_t numFeatures() const { return numFeatures_; }
  RowTarget target() const { return target_; }
  size_t recordBytes() const { return recordBytes_; }
  const char *record(int64_t row) const {
    return records_ + static_cast<size_t>(row) * recordBytes_;
  }
  const float *features(int64_t row) const { return reinterpret_cast<const float *>(record(row)); }
  float targetOf(int64_t row) const {
    float v;
    std::memcpy(&v, features(row) + numFeatures_, sizeof v);
    return v;
  }
  int32_t labelOf(int64_t row) const {
    int32_t v;
    std::memcpy(&v, features(row) + numFeatures_, sizeof v);
    return v;
  }
  bool mapped() const { return map_ != nullptr; }
  /// Rows read one by one in no order (a shuffled batch) are best copied
  /// with readRecord: on a mapping, each would map a whole page-cache folio
  /// (up to 2 MiB), so the resident set would grow to the table.
  bool readScatteredRows() const { return map_ && mapBytes_ > kResidentBytes; }
  /// Copies record `row` (recordBytes()) to `out` by pread (mapped) or memcpy.
  void readRecord(int64_t row, char *out) const;
  /// Accounts for `n` rows read in file order: a mapped table larger than
  /// kResidentBytes drops its page table entries every kResidentBytes / 2
  /// read, so this process's resident set stays bounded however large the
  /// data; the pages stay in the page cache.
  void noteRowsRead(int64_t n) const {
    if (!readScatteredRows())
      return;
    mappedSince_ += static_cast<size_t>(n) * recordBytes_;
    if (mappedSince_ >= kResidentBytes / 2) {
      mappedSince_ = 0;
      releasePages();
    }
  }
  static constexpr size_t kResidentBytes = size_t(128) << 20;

private:
  RowTable() = default;
  void releasePages() const;
  std::vector<char> memory_;
  void *map_ = nullptr;
  int fd_ = -1;
  size_t mapBytes_ = 0;
  const char *records_ = nullptr;
  int64_t rows_ = 0, numFeatures_ = 0;
  RowTarget target_ = RowTarget::None;
  size_t recordBytes_ = 0;
  mutable size_t mappedSince_ = 0;
};

} // namespace nnc::runtime

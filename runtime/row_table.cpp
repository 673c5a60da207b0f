#include "runtime/row_table.h"

#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <system_error>
#include <unistd.h>

namespace nnc::runtime {

RowTable RowTable::fromVectors(const std::vector<float> &features, int64_t numFeatures,
                               const std::vector<float> &targets,
                               const std::vector<int32_t> &labels) {
  if (numFeatures < 0 || (!targets.empty() && !labels.empty()))
    throw std::invalid_argument("RowTable: bad feature count or both targets and labels");
  RowTable t;
  t.numFeatures_ = numFeatures;
  t.target_ = !targets.empty()  ? RowTarget::Float
              : !labels.empty() ? RowTarget::ClassId
                                : RowTarget::None;
  size_t rows = numFeatures > 0 ? features.size() / static_cast<size_t>(numFeatures)
                                : std::max(targets.size(), labels.size());
  if (features.size() != rows * static_cast<size_t>(numFeatures) ||
      (!targets.empty() && targets.size() != rows) || (!labels.empty() && labels.size() != rows))
    throw std::invalid_argument("RowTable: vector sizes do not match rows x width");
  t.rows_ = static_cast<int64_t>(rows);
  t.recordBytes_ = (numFeatures + (t.target_ == RowTarget::None ? 0 : 1)) * sizeof(float);
  t.memory_.resize(rows * t.recordBytes_);
  for (size_t i = 0; i < rows; ++i) {
    char *rec = t.memory_.data() + i * t.recordBytes_;
    std::memcpy(rec, features.data() + i * numFeatures, numFeatures * sizeof(float));
    if (!targets.empty())
      std::memcpy(rec + numFeatures * sizeof(float), &targets[i], sizeof(float));
    if (!labels.empty())
      std::memcpy(rec + numFeatures * sizeof(float), &labels[i], sizeof(int32_t));
  }
  t.records_ = t.memory_.data();
  return t;
}

RowTable RowTable::fromMapping(void *map, size_t mapBytes, int fd, const char *records,
                               int64_t rows, int64_t numFeatures, RowTarget target) {
  RowTable t;
  t.fd_ = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (t.fd_ < 0) {
    munmap(map, mapBytes);
    throw std::system_error(errno, std::generic_category(), "cannot duplicate the data file");
  }
  t.map_ = map;
  t.mapBytes_ = mapBytes;
  t.records_ = records;
  t.rows_ = rows;
  t.numFeatures_ = numFeatures;
  t.target_ = target;
  t.recordBytes_ = (numFeatures + (target == RowTarget::None ? 0 : 1)) * sizeof(float);
  return t;
}

RowTable::RowTable(RowTable &&o) noexcept
    : memory_(std::move(o.memory_)), map_(o.map_), fd_(o.fd_), mapBytes_(o.mapBytes_),
      records_(o.records_), rows_(o.rows_), numFeatures_(o.numFeatures_), target_(o.target_),
      recordBytes_(o.recordBytes_), mappedSince_(o.mappedSince_) {
  o.map_ = nullptr;
  o.fd_ = -1;
  o.mapBytes_ = 0;
  if (!map_)
    records_ = memory_.data();
}

RowTable::~RowTable() {
  if (map_)
    munmap(map_, mapBytes_);
  if (fd_ >= 0)
    close(fd_);
}

void RowTable::readRecord(int64_t row, char *out) const {
  if (fd_ < 0) {
    std::memcpy(out, record(row), recordBytes_);
    return;
  }
  auto offset = static_cast<off_t>(record(row) - static_cast<const char *>(map_));
  size_t done = 0;
  while (done < recordBytes_) {
    ssize_t k = pread(fd_, out + done, recordBytes_ - done, offset + static_cast<off_t>(done));
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) { // the file shrank under us, or an I/O error: the mapping still reads
      std::memcpy(out, record(row), recordBytes_);
      return;
    }
    done += static_cast<size_t>(k);
  }
}

void RowTable::releasePages() const {
  if (map_)
    madvise(map_, mapBytes_, MADV_DONTNEED);
}

} // namespace nnc::runtime

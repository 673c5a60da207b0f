// CSV -> RowTable records in one streaming pass (loadDataset's first half):
// the first 101 rows (fewer if wide: kHeaderProbeBytes) decide the header
// and the columns (did-you-mean for a missing one), then every row is checked
// and parsed straight into a record of the data cache writer; a row of over
// kMaxCsvColumns fields is refused at its first field too many. Memory: the
// probed rows, one record, the writer's buffer and the distinct labels (at
// most kMaxClasses).
#pragma once
#include "runtime/data_cache.h"
#include "runtime/dataset.h"

#include <string>

namespace nnc::runtime {

/// Reads `path` as `spec` says into a data file (kept under `key` in
/// opts.dir if `key` is not empty). DataError at file:line:col.
CachedData ingestCsv(const std::string &path, const DatasetSpec &spec, const DataCacheOptions &opts,
                     const std::string &key);

} // namespace nnc::runtime

// nnc-bench --data FILE.csv: how fast nnc reads a CSV (runtime::loadDataset,
// last column the regression target) and in how much memory; the harness's
// `data` row sets it against NumPy's loadtxt and pandas' read_csv.
#include "bench.h"

#include "runtime/dataset.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sys/resource.h>

namespace nnc::bench {
namespace {

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double peakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

/// Reads every value once (as training does), so mapped pages are counted.
double touchAll(const runtime::Dataset &d) {
  std::vector<float> x(4096 * d.numFeatures), y(4096);
  double sum = 0;
  for (int64_t r = 0; r < d.rows; r += 4096) {
    int64_t n = std::min<int64_t>(4096, d.rows - r);
    d.gatherRange(r, n, x.data(), y.data(), nullptr);
    for (int64_t i = 0; i < n * d.numFeatures; ++i)
      sum += x[i];
  }
  return sum;
}

} // namespace

int runDataBench(const Options &o) {
  runtime::DataCacheOptions cache; // parse: no kept cache
  if (!o.dataCache.empty()) {
    cache.dir = o.dataCache;
    cache.minBytes = 0;
  }
  double before = peakRssMb();
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpuSeconds();
  runtime::Dataset d = runtime::loadDataset(o.dataPath, {}, cache);
  double cpu = cpuSeconds() - c0;
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double checksum = touchAll(d);
  double readSec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double mb = static_cast<double>(std::filesystem::file_size(o.dataPath)) / 1e6;
  nlohmann::ordered_json r;
  r["mode"] = "data";
  r["file"] = o.dataPath;
  r["file_mb"] = mb;
  r["rows"] = d.rows;
  r["columns"] = d.numFeatures + 1;
  r["float32_mb"] = d.rows * (d.numFeatures + 1) * 4 / 1e6;
  r["cached"] = !o.dataCache.empty();
  r["load_s"] = sec;
  r["load_cpu_s"] = cpu;
  r["read_s"] = readSec; // load and one pass over every value
  r["mb_per_s"] = mb / sec;
  r["mb_per_cpu_s"] = mb / cpu;
  r["rss_before_mb"] = before;
  r["peak_rss_mb"] = peakRssMb();
  r["checksum"] = checksum;
  if (o.json)
    std::cout << r.dump(2) << "\n";
  else
    std::cout << fmt::format("nnc-bench data {}: {:.1f} MB, {} rows x {} columns\n"
                             "load {:.3f} s ({:.3f} s CPU): {:.0f} MB/s ({:.0f} MB per CPU "
                             "second); with a pass over the values {:.3f} s; peak RSS {:.1f} "
                             "MB (before loading {:.1f} MB)\n",
                             o.dataPath, mb, d.rows, d.numFeatures + 1, sec, cpu, mb / sec,
                             mb / cpu, readSec, peakRssMb(), before);
  return 0;
}

} // namespace nnc::bench

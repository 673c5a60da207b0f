// Timing helpers of nnc-bench: a monotonic clock, the median, and the
// warm-up + calibration + repeats protocol every measurement uses.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace nnc::bench {

inline double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  if (v.empty())
    return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// `run(n)` performs n iterations (training steps, GEMM calls, ...).
using Body = std::function<void(int64_t n)>;

/// Warms up for about `warmup` seconds (at least two iterations), then
/// returns how many iterations take about `minTime` seconds (at least 1).
inline int64_t calibrate(const Body &run, double minTime, double warmup = 0.1) {
  run(1); // first touch of the buffers, lazy JIT materialization
  int64_t n = 1;
  double perIter = 0, spent = 0;
  while (true) {
    double t0 = now();
    run(n);
    double t = now() - t0;
    spent += t;
    perIter = t / (double)n;
    if (spent >= warmup && t >= 0.02)
      break;
    n *= 2;
  }
  return std::max<int64_t>(1, (int64_t)std::llround(minTime / std::max(perIter, 1e-9)));
}

/// One timed run of `n` iterations: seconds per iteration.
inline double timeRun(const Body &run, int64_t n) {
  double t0 = now();
  run(n);
  return (now() - t0) / (double)n;
}

/// Seconds per iteration of `repeats` timed runs of `n` iterations each.
inline std::vector<double> timeRuns(const Body &run, int64_t n, int repeats) {
  std::vector<double> ts;
  for (int r = 0; r < repeats; ++r)
    ts.push_back(timeRun(run, n));
  return ts;
}

} // namespace nnc::bench

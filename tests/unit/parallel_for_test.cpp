// runtime/parallel_for.h: every iteration of [0, count) runs exactly once,
// in min(threads, count) contiguous parts, for any count and thread count,
// over many back-to-back loops (workers spinning, sleeping and waking up),
// and from a second calling thread.
#include "runtime/parallel_for.h"

#include <atomic>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace {

struct Seen {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> parts{0};
  explicit Seen(int64_t n) : hits(n) {}
};

void mark(void **bindings, int64_t, void *, int64_t begin, int64_t end) {
  auto *s = reinterpret_cast<Seen *>(bindings);
  ASSERT_LT(begin, end);
  for (int64_t i = begin; i < end; ++i)
    s->hits[i].fetch_add(1);
  s->parts.fetch_add(1);
}

void runAndCheck(int64_t count, int64_t threads) {
  Seen s(std::max<int64_t>(count, 0));
  nnc_parallel_for(mark, reinterpret_cast<void **>(&s), 0, nullptr, count, threads);
  for (int64_t i = 0; i < count; ++i)
    ASSERT_EQ(s.hits[i].load(), 1) << "iteration " << i << " of " << count << ", " << threads << " threads";
  int64_t parts = count <= 0 ? 0 : std::min(count, std::max<int64_t>(threads, 1));
  ASSERT_EQ(s.parts.load(), parts) << count << " iterations, " << threads << " threads";
}

TEST(ParallelFor, EveryIterationOnce) {
  for (int64_t threads : {1, 2, 3, 4, 8})
    for (int64_t count : {0, 1, 2, 3, 5, 7, 64, 1000})
      runAndCheck(count, threads);
}

TEST(ParallelFor, ManyLoopsBackToBack) {
  for (int rep = 0; rep < 3000; ++rep)
    runAndCheck(1 + rep % 37, 2 + rep % 3);
}

TEST(ParallelFor, MorePartsThanTheLoopBefore) {
  // A worker that read the finished loop's claim and then the next loop's
  // part count must not claim a part of the next loop before it is
  // published (that part ran twice, 1 loop in ~10^5 before the fix).
  for (int rep = 0; rep < 200000; ++rep)
    runAndCheck(rep % 2 ? 3 : 2, rep % 2 ? 3 : 2);
}

TEST(ParallelFor, AfterWorkersFellAsleep) {
  for (int rep = 0; rep < 5; ++rep) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // longer than the workers spin
    runAndCheck(100, 2);
  }
}

TEST(ParallelFor, TwoCallingThreads) {
  // Two threads running kernels at once share the pool: loops take turns.
  auto calls = [] {
    for (int rep = 0; rep < 500; ++rep)
      runAndCheck(50 + rep % 13, 2);
  };
  std::thread other(calls);
  calls();
  other.join();
}

TEST(ParallelFor, AvailableThreads) { EXPECT_GE(nnc::runtime::availableThreads(), 1); }

} // namespace

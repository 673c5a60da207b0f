#include "runtime/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sched.h>
#include <system_error>
#include <thread>
#include <vector>

namespace {

#if defined(__x86_64__) || defined(__i386__)
inline void cpuRelax() { __builtin_ia32_pause(); }
#elif defined(__aarch64__)
inline void cpuRelax() { asm volatile("yield"); }
#else
inline void cpuRelax() {}
#endif

/// One loop at a time. `claim` packs the loop's generation (high 32 bits) and
/// the next unclaimed part (low 32 bits); a part is claimed by a CAS that also
/// checks the generation, so a thread that read the fields of an old loop
/// cannot claim a part of a new one. The fields of a loop are rewritten only
/// after all its parts are done, and only while `claim` is closed (part
/// kClosed, which no loop has): a thread that read the old claim and some of
/// the new fields (more parts than the old loop had) must not claim a part
/// with them before the new loop is published, or that part would run twice.
class Pool {
public:
  ~Pool() {
    stop_.store(true);
    claim_.fetch_add(uint64_t(1) << 32); // wakes every worker
    claim_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }

  void run(nnc_task_fn task, void **bindings, int64_t batch, void *workspace, int64_t count,
           int64_t parts) {
    std::lock_guard<std::mutex> one(runLock_); // one loop at a time
    grow((int)parts - 1);
    uint64_t gen = (claim_.load(std::memory_order_relaxed) >> 32) + 1;
    claim_.store((gen << 32) | kClosed); // no claim succeeds while the fields change
    // Release: a thread that reads a new field sees the closed claim (its
    // CAS against the old one fails).
    task_.store(task, std::memory_order_release);
    bindings_.store(bindings, std::memory_order_release);
    batch_.store(batch, std::memory_order_release);
    workspace_.store(workspace, std::memory_order_release);
    count_.store(count, std::memory_order_release);
    parts_.store(parts, std::memory_order_release);
    done_.store(0, std::memory_order_release);
    claim_.store(gen << 32); // publishes the fields (seq_cst, paired with sleepers_)
    if (sleepers_.load() > 0)
      claim_.notify_all();
    while (tryRunPart()) {
    }
    // Parts taken by workers: wait, yielding now and then in case one of
    // them waits for this CPU.
    for (int spins = 0; done_.load(std::memory_order_acquire) < parts; ++spins)
      if (spins % 1024 == 1023)
        sched_yield();
      else
        cpuRelax();
  }

private:
  /// Claims and runs one part of the current loop; false if none is left.
  bool tryRunPart() {
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      int64_t part = (int64_t)(c & 0xffffffffu);
      nnc_task_fn task = task_.load(std::memory_order_acquire);
      void **bindings = bindings_.load(std::memory_order_acquire);
      int64_t batch = batch_.load(std::memory_order_acquire);
      void *workspace = workspace_.load(std::memory_order_acquire);
      int64_t count = count_.load(std::memory_order_acquire), parts = parts_.load(std::memory_order_acquire);
      if (part >= parts || (c >> 32) == 0)
        return false;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel))
        continue; // c now holds the current value
      task(bindings, batch, workspace, count * part / parts, count * (part + 1) / parts);
      done_.fetch_add(1, std::memory_order_release);
      return true;
    }
  }

  /// Starts workers up to `workers`; if the system refuses a thread, the
  /// calling thread runs the parts no worker takes (never an exception into
  /// generated code).
  void grow(int workers) {
    while ((int)workers_.size() < workers && !noMoreThreads_) {
      try {
        workers_.emplace_back([this] { work(); });
      } catch (const std::system_error &) {
        noMoreThreads_ = true;
      }
    }
  }

  void work() {
    for (;;) {
      while (tryRunPart()) {
      }
      // Wait for the next loop: spin (~50 us), then sleep until claim_ changes.
      // stop_ is checked after `seen` is read: the destructor sets stop_
      // before it bumps claim_, so a `seen` that already holds the bump sees
      // stop_ set (checked before the load, the bump could fall in between
      // and the wait below would never end: a worker hung at exit, seen once
      // in CI's TSan tree in ~Pool's join).
      uint64_t seen = claim_.load();
      if (stop_.load())
        return;
      bool changed = false;
      for (int i = 0; i < 20000 && !changed; ++i) {
        cpuRelax();
        changed = claim_.load(std::memory_order_relaxed) != seen;
      }
      if (!changed) {
        sleepers_.fetch_add(1);
        claim_.wait(seen);
        sleepers_.fetch_sub(1);
      }
    }
  }

  static constexpr uint64_t kClosed = 0xffffffffu; // a part index no loop has
  std::atomic<uint64_t> claim_{0};
  std::atomic<nnc_task_fn> task_{nullptr};
  std::atomic<void **> bindings_{nullptr};
  std::atomic<int64_t> batch_{0}, count_{0}, parts_{0}, done_{0};
  std::atomic<void *> workspace_{nullptr};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex runLock_;
  std::vector<std::thread> workers_;
  bool noMoreThreads_ = false;
};

Pool &pool() {
  static Pool p;
  return p;
}

} // namespace

extern "C" void nnc_parallel_for(nnc_task_fn task, void **bindings, int64_t batch, void *workspace,
                                 int64_t count, int64_t threads) {
  int64_t parts = std::min(threads, count);
  if (parts <= 1) {
    if (count > 0)
      task(bindings, batch, workspace, 0, count);
    return;
  }
  pool().run(task, bindings, batch, workspace, count, parts);
}

namespace nnc::runtime {

int availableThreads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace nnc::runtime

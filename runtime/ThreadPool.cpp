#include "runtime/ThreadPool.h"

#include <algorithm>

#include "ir/Error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SIGMA_CPU_RELAX() _mm_pause()
#else
#define SIGMA_CPU_RELAX() ((void)0)
#endif

namespace sigma {

namespace {
// About 50 µs of spinning before a worker sleeps.
constexpr int kSpins = 20000;
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) fail("thread pool: {} threads (at least 1)", threads);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

// A few chunks per thread: enough for one thread to take over another's
// share when that one is late, few enough that each stays long.
int64_t ThreadPool::chunkCount(int threads, int64_t extent) { return std::min<int64_t>(4 * int64_t(threads), extent); }

std::pair<int64_t, int64_t> ThreadPool::chunk(int64_t c, int64_t chunks, int64_t extent) {
  // Balanced: chunk sizes differ by at most one iteration.
  return {c * extent / chunks, (c + 1) * extent / chunks};
}

void ThreadPool::runChunks(uint32_t generation, Task task, void* ctx, int64_t extent, int64_t chunks) {
  uint64_t claim = claims_.load(std::memory_order_acquire);
  for (;;) {
    if (uint32_t(claim >> 32) != generation || int64_t(claim & 0xffffffffu) >= chunks) return;
    if (!claims_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) continue;
    auto [begin, end] = chunk(int64_t(claim & 0xffffffffu), chunks, extent);
    task(ctx, begin, end);
    done_.fetch_add(1, std::memory_order_acq_rel);
    claim = claims_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(Task task, void* ctx, int64_t extent) {
  if (extent <= 0) return;
  if (workers_.empty() || extent == 1) {
    task(ctx, 0, extent);
    return;
  }
  const int64_t chunks = chunkCount(threads(), extent);
  uint32_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = task, ctx_ = ctx, extent_ = extent, chunks_ = chunks;
    generation = uint32_t(generation_.load() + 1);
    done_.store(0, std::memory_order_relaxed);
    claims_.store(uint64_t(generation) << 32, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runChunks(generation, task, ctx, extent, chunks);
  // Every chunk is claimed; wait for those other threads are still running.
  for (int i = 0; done_.load(std::memory_order_acquire) != chunks;)
    if (i < kSpins) ++i, SIGMA_CPU_RELAX();
    else std::this_thread::yield();  // (i stops counting: no overflow however long a chunk runs)
}

void ThreadPool::work() {
  uint64_t seen = 0;
  for (;;) {
    // Spin for the next job, then sleep until one is published.
    uint64_t now = generation_.load(std::memory_order_acquire);
    for (int i = 0; now == seen && i < kSpins; ++i) {
      SIGMA_CPU_RELAX();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
    }
    Task task;
    void* ctx;
    int64_t extent, chunks;
    {
      // The job and its generation together: a later job may have replaced
      // the one that woke this worker.
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_.load()) return;
      task = task_, ctx = ctx_, extent = extent_, chunks = chunks_;
      seen = generation_.load();
    }
    runChunks(uint32_t(seen), task, ctx, extent, chunks);
  }
}

void ThreadPool::parallelFor(void* pool, Task task, void* ctx, int64_t extent) {
  static_cast<ThreadPool*>(pool)->run(task, ctx, extent);
}

}  // namespace sigma

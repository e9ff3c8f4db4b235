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
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
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

int64_t ThreadPool::chunkCount(int threads, int64_t extent) { return std::min<int64_t>(threads, extent); }

std::pair<int64_t, int64_t> ThreadPool::chunk(int64_t c, int64_t chunks, int64_t extent) {
  // Balanced: chunk sizes differ by at most one iteration.
  return {c * extent / chunks, (c + 1) * extent / chunks};
}

void ThreadPool::run(Task task, void* ctx, int64_t extent) {
  if (extent <= 0) return;
  const int64_t chunks = chunkCount(threads(), extent);
  if (chunks == 1) {
    task(ctx, 0, extent);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = task, ctx_ = ctx, extent_ = extent, chunks_ = chunks;
    pending_.store(int(workers_.size()));
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  auto [begin, end] = chunk(0, chunks, extent);
  task(ctx, begin, end);
  // Spin, then yield: on a busy machine a worker may be waiting for a core.
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i)
    if (i < kSpins) SIGMA_CPU_RELAX();
    else std::this_thread::yield();
}

void ThreadPool::work(int index) {
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
      now = generation_.load();
    }
    seen = now;
    if (stop_.load()) return;
    Task task;
    void* ctx;
    int64_t extent, chunks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task = task_, ctx = ctx_, extent = extent_, chunks = chunks_;
    }
    if (index < chunks) {
      auto [begin, end] = chunk(index, chunks, extent);
      task(ctx, begin, end);
    }
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallelFor(void* pool, Task task, void* ctx, int64_t extent) {
  static_cast<ThreadPool*>(pool)->run(task, ctx, extent);
}

}  // namespace sigma

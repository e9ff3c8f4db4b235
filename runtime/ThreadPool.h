// The threads a compiled step runs its parallel loops on.
//
// A pool of `threads` threads in all: the caller of run() and threads - 1
// workers. run(task, ctx, extent) splits [0, extent) into min(threads,
// extent) contiguous chunks, fixed by (threads, extent) alone, runs chunk 0
// itself and one chunk on each worker, and returns when all are done. Since
// a parallel loop's iterations are independent (passes/ParallelizeLoops.h),
// the chunking never changes a result; it is fixed anyway so that runs are
// reproducible to the instruction.
//
// Workers spin briefly before they sleep: a training step runs a parallel
// loop every few hundred microseconds, and waking a sleeping thread costs
// tens of them. One run() at a time per pool (an Executable runs one step at
// a time); different pools are independent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace sigma {

class ThreadPool {
 public:
  using Task = void (*)(void* ctx, int64_t begin, int64_t end);

  explicit ThreadPool(int threads);  // threads >= 1; 1 runs everything on the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  void run(Task task, void* ctx, int64_t extent);

  // The callback compiled code calls (codegen/RuntimeABI.h): `pool` is a ThreadPool*.
  static void parallelFor(void* pool, Task task, void* ctx, int64_t extent);

  // The number of chunks and chunk c's range, as run() splits [0, extent).
  static int64_t chunkCount(int threads, int64_t extent);
  static std::pair<int64_t, int64_t> chunk(int64_t c, int64_t chunks, int64_t extent);

 private:
  void work(int index);  // worker `index` (from 1) runs chunk `index` of each job

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // The current job; a new generation number publishes it to the workers.
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  int64_t extent_ = 0, chunks_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  // workers still running the current job
  std::atomic<bool> stop_{false};
};

}  // namespace sigma

// The threads a compiled step runs its parallel loops on.
//
// A pool of `threads` threads in all: the caller of run() and threads - 1
// workers. run(task, ctx, extent) splits [0, extent) into
// min(4·threads, extent) contiguous chunks, fixed by (threads, extent)
// alone, and every thread, the caller included, claims chunks one at a time
// until none is left; run() returns when all are done. A worker that a busy
// machine has not scheduled yet therefore costs nothing: the caller runs its
// chunks. Which thread runs a chunk varies, but since a parallel loop's
// iterations are independent (passes/ParallelizeLoops.h) and write disjoint
// elements, results do not depend on it: the same bits on every run.
//
// Claims carry the job's generation (the high 32 bits of one atomic word),
// so a worker that wakes late for a job already finished cannot claim a
// chunk of the next one with the old job's task.
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
  void work();
  // Claims and runs chunks of job `generation` until none is left (or a
  // newer job has replaced it).
  void runChunks(uint32_t generation, Task task, void* ctx, int64_t extent, int64_t chunks);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // The current job; a new generation number publishes it to the workers.
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  int64_t extent_ = 0, chunks_ = 0;
  std::atomic<uint64_t> generation_{0};
  // generation << 32 | the next unclaimed chunk of the current job.
  std::atomic<uint64_t> claims_{0};
  std::atomic<int64_t> done_{0};  // chunks of the current job finished
  std::atomic<bool> stop_{false};
};

}  // namespace sigma

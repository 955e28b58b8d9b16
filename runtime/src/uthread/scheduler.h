// SPDX-License-Identifier: Apache-2.0
// The micro-thread scheduler of one instance's data-plane thread.
//
// Theory of operation: each packet (and each background task) runs in a micro-thread: a
// Boost.Context fiber on a pooled stack. A micro-thread runs until it finishes or until it must
// wait for something remote (an object transfer, a call's reply); then it parks itself under a
// typed WaitKey and control returns to the scheduler loop. When the awaited event arrives, the
// transport calls Wake(key) and the parked micro-threads become ready again, in the order they
// parked (FIFO per key — that is what keeps packets needing the same object in arrival order).
// The instance loop calls RunReady() before it takes new packets, so resumed work is never
// starved by new arrivals.
//
// Invariants:
//  - Single-threaded: every method is called from the owning data-plane thread.
//  - At most `max_fibers` micro-threads exist at once; TrySpawn refuses beyond that and the
//    instance stops taking packets (backpressure instead of an unbounded queue).
//  - A parked micro-thread is on exactly one wait list; a ready one on the ready queue; a
//    running one on neither. Parking and waking do not allocate in steady state (fiber records
//    and wait-list nodes are recycled).
//  - A micro-thread that ends with an exception (a call abandoned by the runtime) is counted and
//    its resources are released; it never takes the instance down.
//  - Destroying the scheduler resumes each parked micro-thread once more with an internal
//    exception, so destructors on its stack run through the same (sanitizer-annotated) switches
//    as normal execution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <boost/context/fiber.hpp>

#include "uthread/stack_pool.h"

namespace s6::uthread {

/// What a micro-thread waits for. Kinds keep ids of different spaces apart.
enum class WaitKind : uint8_t {
  kObject = 1,  ///< an object (id: object handle) to arrive or be released
  kReply = 2,   ///< a call's reply (id: request id)
  kTimer = 3,   ///< a timer (id: timer id)
  kOther = 4,
};

struct WaitKey {
  WaitKind kind = WaitKind::kOther;
  uint64_t id = 0;
  friend bool operator==(const WaitKey&, const WaitKey&) = default;
};

struct WaitKeyHash {
  std::size_t operator()(const WaitKey& k) const noexcept {
    return static_cast<std::size_t>((k.id * 0x9e3779b97f4a7c15ull) ^ static_cast<uint64_t>(k.kind));
  }
};

/// Counters, readable at any time (exported as JSON by the instance).
struct SchedulerStats {
  uint64_t spawned = 0;
  uint64_t completed = 0;
  uint64_t aborted = 0;  ///< ended by an exception
  uint64_t refused = 0;  ///< TrySpawn calls refused for backpressure
  uint64_t suspends = 0;
  uint64_t resumes = 0;
  uint64_t max_in_flight = 0;
};

class Scheduler {
 public:
  struct Options {
    /// Stack size of each micro-thread (rounded up to pages).
    std::size_t stack_size = 64 * 1024;
    /// Maximum number of micro-threads alive at once.
    uint32_t max_fibers = 1024;
    /// Stacks created (and their top `prewarm_bytes` touched) at construction.
    uint32_t prewarm_stacks = 0;
    std::size_t prewarm_bytes = 16 * 1024;
  };

  explicit Scheduler(Options options);
  Scheduler() : Scheduler(Options{}) {}
  /// Destroying the scheduler unwinds parked micro-threads (their destructors run).
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Creates a micro-thread running `fn` and queues it (it runs at the next RunReady).
  /// Returns false, without running `fn`, when `max_fibers` are already alive.
  bool TrySpawn(std::function<void()> fn);

  /// Runs the micro-threads that are ready when called; those made ready meanwhile wait for
  /// the next call (so a micro-thread that keeps yielding can't starve the loop's I/O).
  /// Returns how many were resumed. Must not be called from inside a micro-thread.
  std::size_t RunReady();

  /// From inside a micro-thread: parks it under `key` until Wake(key) / WakeOne(key).
  void Suspend(WaitKey key);
  /// From inside a micro-thread: lets the others run; it is resumed after those already ready.
  void Yield();

  /// Makes every micro-thread parked under `key` ready, in the order they parked.
  std::size_t Wake(WaitKey key);
  /// Makes the oldest micro-thread parked under `key` ready. Returns false if none was parked.
  bool WakeOne(WaitKey key);

  /// Whether the caller runs inside a micro-thread of this scheduler.
  bool InFiber() const { return current_ != nullptr; }
  /// Micro-threads alive (ready, parked or running).
  std::size_t in_flight() const { return in_flight_; }
  std::size_t ready() const { return ready_count_; }
  /// Parked micro-threads under `key`.
  std::size_t waiting(WaitKey key) const;
  const SchedulerStats& stats() const { return stats_; }
  const StackPool& stacks() const { return stacks_; }

 private:
  struct Fiber {
    boost::context::fiber context;  // the micro-thread, while it is not running
    boost::context::fiber caller;   // the scheduler loop, while the micro-thread runs
    std::function<void()> fn;
    Fiber* next = nullptr;  // ready queue or wait list
    bool done = false;
    bool unwinding = false;  // the scheduler is being destroyed: unwind at the next switch
    boost::context::stack_context stack;  // for sanitizer annotations
    void* asan_fake_stack = nullptr;
  };
  struct List {
    Fiber* head = nullptr;
    Fiber* tail = nullptr;
    std::size_t size = 0;
    void PushBack(Fiber* f);
    Fiber* PopFront();
  };
  using WaitMap = std::unordered_map<WaitKey, List, WaitKeyHash>;

  Fiber* NewFiber();
  void Resume(Fiber* f);
  void SwitchToScheduler();
  void MakeReady(Fiber* f);

  Options options_;
  StackPool stacks_;
  std::vector<std::unique_ptr<Fiber>> fibers_;  // owns every record
  std::vector<Fiber*> free_fibers_;
  List ready_;
  std::size_t ready_count_ = 0;
  WaitMap waits_;
  std::vector<WaitMap::node_type> spare_nodes_;  // recycled wait-map nodes
  Fiber* current_ = nullptr;
  // The scheduler loop's stack as AddressSanitizer knows it (learned on the first switch).
  const void* loop_stack_bottom_ = nullptr;
  std::size_t loop_stack_size_ = 0;
  void* loop_fake_stack_ = nullptr;
  std::size_t in_flight_ = 0;
  SchedulerStats stats_;
};

}  // namespace s6::uthread

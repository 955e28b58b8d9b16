// SPDX-License-Identifier: Apache-2.0
// File: objspace/timer_queue.h
//
// One-shot timers on an instance's clock: call timeouts, idle expiry, app timers, sleeps.
//
// Theory of operation: a binary min-heap of (deadline, sequence, callback); the sequence makes
// timers with equal deadlines fire in the order they were added. There is no cancellation:
// every callback re-checks the state it is about (a request that was answered, an object that
// moved away, a cancelled app timer) and does nothing when the timer is no longer wanted. That
// keeps the heap free of lookups and the callbacks the single source of truth. Callbacks run on
// the data-plane thread and may add timers (a periodic timer re-arms itself).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace s6::objspace {

class TimerQueue {
 public:
  /// Runs `fn` once the clock reaches `deadline_ns`.
  void Add(uint64_t deadline_ns, std::function<void()> fn) {
    heap_.push(Timer{deadline_ns, next_seq_++, std::move(fn)});
  }

  /// Runs every timer due at `now_ns` (including ones added by callbacks that are already due).
  /// Returns how many ran.
  std::size_t RunDue(uint64_t now_ns) {
    std::size_t n = 0;
    while (!heap_.empty() && heap_.top().deadline_ns <= now_ns) {
      std::function<void()> fn = std::move(const_cast<Timer&>(heap_.top()).fn);
      heap_.pop();
      fn();
      ++n;
    }
    return n;
  }

  /// Deadline of the earliest timer, or UINT64_MAX.
  uint64_t NextDeadline() const { return heap_.empty() ? UINT64_MAX : heap_.top().deadline_ns; }
  std::size_t size() const { return heap_.size(); }

 private:
  struct Timer {
    uint64_t deadline_ns;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const {
      return deadline_ns != o.deadline_ns ? deadline_ns > o.deadline_ns : seq > o.seq;
    }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace s6::objspace

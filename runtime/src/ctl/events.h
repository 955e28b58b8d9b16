// SPDX-License-Identifier: Apache-2.0
// File: ctl/events.h
//
// The scale events of a run and their queue.
//
// Theory of operation
// -------------------
// Events come from the schedule (--scale-out-at / --scale-in-at, seconds after traffic
// started) and from attached operators (`s6ctl scale-out|scale-in|kill`). Both go into one FIFO
// queue that the run's main loop drains one event at a time, so events never interleave: the
// scheduled ones sorted by time at the start, attached ones appended when they arrive (behind
// any scheduled event still waiting for its time). The queue is bounded so that an operator
// script in a loop cannot grow it without end. An event's window name (`KIND@T`) names its
// measurement window at s6-trafgen and in the summary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <s6/status.h>

namespace s6::ctl {

enum class EventKind { kScaleOut, kScaleIn, kKill };

/// "scale-out", "scale-in", "kill".
const char* KindName(EventKind kind);

struct Event {
  double at_s = 0;  ///< scheduled time, or when an attached request arrived
  EventKind kind = EventKind::kScaleOut;
  uint32_t target = 0;  ///< kKill: the instance
  std::string origin = "schedule";
};

/// "KIND@T" with T to 0.1 s.
std::string WindowName(const Event& e);

class EventQueue {
 public:
  static constexpr std::size_t kMaxQueued = 16;

  /// The schedule of a run, in time order (ties: scale-outs first, as given).
  void Schedule(const std::vector<double>& scale_out_at, const std::vector<double>& scale_in_at);
  /// Appends an attached request; ResourceExhausted when kMaxQueued are waiting. Returns the
  /// queue length with it.
  StatusOr<std::size_t> Append(Event e);
  /// The first event if its time has come (`now_s`, seconds after traffic started).
  std::optional<Event> PopDue(double now_s);

  std::size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  const std::deque<Event>& pending() const { return queue_; }

 private:
  std::deque<Event> queue_;
};

}  // namespace s6::ctl

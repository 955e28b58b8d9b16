// SPDX-License-Identifier: Apache-2.0
#include "ctl/events.h"

#include <algorithm>
#include <cstdio>

namespace s6::ctl {

const char* KindName(EventKind kind) {
  switch (kind) {
    case EventKind::kScaleOut:
      return "scale-out";
    case EventKind::kScaleIn:
      return "scale-in";
    case EventKind::kKill:
      return "kill";
  }
  return "?";
}

std::string WindowName(const Event& e) {
  char at[32];
  std::snprintf(at, sizeof at, "%.1f", e.at_s);
  return std::string(KindName(e.kind)) + "@" + at;
}

void EventQueue::Schedule(const std::vector<double>& scale_out_at,
                          const std::vector<double>& scale_in_at) {
  for (double t : scale_out_at) queue_.push_back(Event{t, EventKind::kScaleOut, 0, "schedule"});
  for (double t : scale_in_at) queue_.push_back(Event{t, EventKind::kScaleIn, 0, "schedule"});
  std::stable_sort(queue_.begin(), queue_.end(),
                   [](const Event& x, const Event& y) { return x.at_s < y.at_s; });
}

StatusOr<std::size_t> EventQueue::Append(Event e) {
  if (queue_.size() >= kMaxQueued) {
    return ResourceExhaustedError(std::to_string(kMaxQueued) + " scale events already queued");
  }
  queue_.push_back(std::move(e));
  return queue_.size();
}

std::optional<Event> EventQueue::PopDue(double now_s) {
  if (queue_.empty() || queue_.front().at_s > now_s) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

}  // namespace s6::ctl

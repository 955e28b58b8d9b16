// SPDX-License-Identifier: Apache-2.0
// The event queue: the schedule in time order, attached requests behind it, the bound, and
// events released only when their time has come.
#include "ctl/events.h"

#include <gtest/gtest.h>

namespace s6::ctl {
namespace {

TEST(EventsTest, ScheduleIsSortedAndReleasedOnTime) {
  EventQueue q;
  q.Schedule({5, 2}, {3});
  ASSERT_EQ(q.size(), 3u);
  EXPECT_FALSE(q.PopDue(1.9).has_value());
  std::optional<Event> e = q.PopDue(2.0);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, EventKind::kScaleOut);
  EXPECT_EQ(e->at_s, 2);
  EXPECT_EQ(e->origin, "schedule");
  EXPECT_FALSE(q.PopDue(2.5).has_value());
  e = q.PopDue(10);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, EventKind::kScaleIn);
  e = q.PopDue(10);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->at_s, 5);
  EXPECT_TRUE(q.empty());
}

TEST(EventsTest, AttachedEventsQueueBehindTheScheduleUpToTheBound) {
  EventQueue q;
  q.Schedule({8}, {});
  StatusOr<std::size_t> n = q.Append(Event{1.0, EventKind::kKill, 3, "attach"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  // FIFO: the attached kill waits for the scheduled scale-out at 8 s.
  EXPECT_FALSE(q.PopDue(5).has_value());
  for (std::size_t i = q.size(); i < EventQueue::kMaxQueued; ++i) {
    ASSERT_TRUE(q.Append(Event{1.0, EventKind::kScaleIn, 0, "attach"}).ok());
  }
  n = q.Append(Event{1.0, EventKind::kScaleIn, 0, "attach"});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(q.size(), EventQueue::kMaxQueued);
}

TEST(EventsTest, Names) {
  EXPECT_STREQ(KindName(EventKind::kScaleOut), "scale-out");
  EXPECT_STREQ(KindName(EventKind::kScaleIn), "scale-in");
  EXPECT_STREQ(KindName(EventKind::kKill), "kill");
  EXPECT_EQ(WindowName(Event{2.04, EventKind::kScaleOut, 0, "schedule"}), "scale-out@2.0");
  EXPECT_EQ(WindowName(Event{5.0, EventKind::kScaleIn, 0, "attach"}), "scale-in@5.0");
}

}  // namespace
}  // namespace s6::ctl

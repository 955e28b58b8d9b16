// SPDX-License-Identifier: Apache-2.0
// Live table and `s6ctl status` rendering: columns, rates between rows, the moving column,
// instances without stats yet, and the cluster row.
#include "ctl/table.h"

#include <gtest/gtest.h>

#include "runtime/ctl/sample_json.h"

namespace s6::ctl {
namespace {

InstanceStats Sample() { return *ParseInstanceStats(testdata::kInstanceStats, "instance 2"); }

TEST(LiveTableTest, HeaderAndRows) {
  EXPECT_EQ(LiveTable::Header(),
            "  t(s)  inst  rx pkt/s       fwd    held   homed    remote  fibers    moving\n");
  LiveTable t;
  InstanceStats s = Sample();
  // The first row has no previous count: its rate is the total so far.
  EXPECT_EQ(t.InstanceRow(1.04, 2, s),
            "   1.0     2     12000     11990     250    1201        42       4      12/0\n");
  s.received += 5000;
  s.incoming_left = 0;
  EXPECT_EQ(t.InstanceRow(2.0, 2, s),
            "   2.0     2      5000     11990     250    1201        42       4         -\n");
}

TEST(LiveTableTest, AnInstanceWithoutStatsShowsDashes) {
  LiveTable t;
  EXPECT_EQ(t.InstanceRow(0.5, 3, NotFoundError("cannot read 3.json")),
            "   0.5     3         -         -       -       -         -       -         -\n");
}

TEST(LiveTableTest, ClusterRow) {
  TrafgenInterval i;
  i.sent = 1001;
  i.received = 1000;
  i.throughput_pps = 10000;
  i.p99_us = 61.4;
  EXPECT_EQ(LiveTable::ClusterRow(3.0, i),
            "   3.0   all     10000   last 100 ms: sent 1001, back 1000, p99 61 us\n");
}

TEST(RenderStatusTest, VersionMembersQueueAndInstances) {
  std::vector<StatusRow> rows;
  rows.push_back(StatusRow{1, 4242, Sample()});
  rows.push_back(StatusRow{2, 4243, NotFoundError("starting")});
  const std::string s =
      RenderStatus(3, {static_cast<InstanceId>(1), static_cast<InstanceId>(2)}, 1, rows);
  EXPECT_EQ(s,
            "table v3, members 1,2, 1 event(s) queued\n"
            " inst      pid         rx    held   homed        v    moving\n"
            "    1     4242      12000     250    1201        3   12/0   \n"
            "    2     4243          -       -       -        -         -\n");
}

}  // namespace
}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// File: ctl/table.h
//
// What s6ctl shows while a cluster runs: the live table, and the text of `s6ctl status`.
//
// Theory of operation
// -------------------
// Rendering is separate from collecting (ctl/stats.h) and from printing: the functions here
// turn values into text and keep no other state than what a rate needs (the previous packet
// count of each instance), so tests compare strings. The live table has one row per running
// instance each second (packets/s, forwarded, SingleWriter objects held, objects homed, remote
// requests, micro-threads, slots still moving as incoming/outgoing or `-`) and a cluster row
// from s6-trafgen's newest interval. An instance whose stats cannot be read yet (it is
// starting) shows `-` in its columns rather than a made-up zero.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <s6/instance_id.h>
#include <s6/status.h>
#include "ctl/stats.h"

namespace s6::ctl {

class LiveTable {
 public:
  /// The column titles.
  static std::string Header();
  /// One row for instance `id` at `t_s` seconds; its packets/s is the change of its received
  /// count since the previous row for it (so rows are rendered once a second).
  std::string InstanceRow(double t_s, int id, const StatusOr<InstanceStats>& stats);
  /// The cluster row from trafgen's newest interval.
  static std::string ClusterRow(double t_s, const TrafgenInterval& interval);

 private:
  std::map<int, uint64_t> last_rx_;
};

/// One instance in `s6ctl status`.
struct StatusRow {
  int id = 0;
  pid_t pid = 0;
  StatusOr<InstanceStats> stats = NotFoundError("no stats");
};

/// The reply text of `s6ctl status` (after "ok "): the table version, members, the queue and a
/// line per running instance (inst pid rx held homed v moving).
std::string RenderStatus(uint64_t version, const std::vector<InstanceId>& members,
                         std::size_t queued, const std::vector<StatusRow>& rows);

}  // namespace s6::ctl

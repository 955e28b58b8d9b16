// SPDX-License-Identifier: Apache-2.0
// File: ctl/stats.h
//
// What s6ctl reads about a running cluster: each instance's stats file, and s6-trafgen's
// control status, interval lines and final summary.
//
// Theory of operation
// -------------------
// Instances write their stats JSON atomically (runtime/src/instance/instance.cc, every
// --stats-interval-ms); s6-trafgen answers `status` on its control socket, appends one JSON
// line per interval (--interval-json, flushed per line) and writes its summary at the end
// (--json). Each reader here parses one of these with nlohmann-json into a typed value, by
// key (key order is never relied on). Text that is not a JSON object is an error. Inside it, a
// value s6ctl decides on (trafgen's `sent`, a link's `up`) must be there: its absence is an
// error too; the counters s6ctl only displays or reports default to 0 with the reason kept in
// `problems` (JsonFields), so a half-changed writer shows up in the summary's errors rather than
// as a wrong number.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>
#include "ctl/json_fields.h"

namespace s6::ctl {

/// The whole content of `path`; NotFound when it cannot be opened.
StatusOr<std::string> ReadFile(const std::string& path);

/// An instance's stats file, the fields s6ctl shows and reports.
struct InstanceStats {
  uint64_t instance = 0;
  uint64_t received = 0;   ///< packets.received
  uint64_t forwarded = 0;  ///< packets.forwarded
  uint64_t aborted = 0;    ///< packets.aborted
  uint64_t sw_held = 0;    ///< space.sw_held
  uint64_t homed = 0;      ///< space.sw_homed + space.mw_homed
  uint64_t remote = 0;     ///< space.sw_acquires_sent + space.mw_strict_sent
  uint64_t fibers = 0;     ///< fibers.in_use
  uint64_t version = 0;    ///< migration.version
  uint64_t incoming_left = 0;
  uint64_t outgoing_left = 0;
  Json nf = Json::object();         ///< the NF's own stats, as written
  Json migration = Json::object();  ///< the migration object, as written
  std::vector<std::string> problems;
};
/// `source` names the stats in problems ("instance 2 stats").
StatusOr<InstanceStats> ParseInstanceStats(std::string_view text, const std::string& source);
StatusOr<InstanceStats> ReadInstanceStats(const std::string& path, const std::string& source);

/// s6-trafgen's reply to `status`.
struct TrafgenStatus {
  uint64_t sent = 0;
  std::map<uint32_t, bool> link_up;  ///< per declared link
};
StatusOr<TrafgenStatus> ParseTrafgenStatus(std::string_view reply);

/// One --interval-json line: the totals of one reporting interval.
struct TrafgenInterval {
  uint64_t t_ms = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  double throughput_pps = 0;
  double p99_us = 0;
};
StatusOr<TrafgenInterval> ParseTrafgenInterval(std::string_view line);
/// The newest complete line of the --interval-json file; NotFound before the first one.
StatusOr<TrafgenInterval> ReadLastTrafgenInterval(const std::string& path);

/// Latency percentiles in microseconds, and the object as trafgen wrote it.
struct Latency {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
  Json json = Json::object();
};

/// A measurement window of trafgen's summary.
struct TrafgenWindow {
  std::string name;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t lost = 0;
  Latency latency;
};

/// What one link of s6-trafgen never delivered to its instance.
struct TrafgenLink {
  uint32_t id = 0;
  uint64_t tx_dropped = 0;      ///< found the backlog full
  uint64_t backlog_unsent = 0;  ///< still waiting when the run ended
};

/// s6-trafgen's summary (--json), the fields s6ctl's summary is made of.
struct TrafgenSummary {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t lost = 0;
  uint64_t reordered = 0;
  uint64_t missteered = 0;
  uint64_t mapping_changes = 0;
  uint64_t shared_endpoints = 0;
  uint64_t tx_dropped = 0;      ///< refused at the links with the backlog full
  uint64_t backlog_unsent = 0;  ///< never left the links' backlogs
  uint64_t backlog_max = 0;
  double throughput_pps = 0;
  Latency latency;
  Json config = Json::object();
  std::vector<TrafgenWindow> windows;
  std::vector<TrafgenLink> links;
  std::vector<std::string> problems;

  /// The window called `name`, or nullptr.
  const TrafgenWindow* FindWindow(std::string_view name) const;
};
StatusOr<TrafgenSummary> ParseTrafgenSummary(std::string_view text);

}  // namespace s6::ctl

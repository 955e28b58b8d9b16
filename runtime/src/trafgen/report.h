// SPDX-License-Identifier: Apache-2.0
// File: trafgen/report.h
//
// The JSON s6-trafgen writes: latency percentiles, one line per reporting interval
// (--interval-json), measurement windows (summary), and what links look like to reports and
// control commands.
//
// Theory of operation: each report is built as a JSON value (nlohmann, insertion-ordered so a
// person reading a line sees totals before the per-link detail) and serialised by the caller,
// so strings are escaped and numbers formatted by the library, never by hand. Readers address
// fields by name and nesting, not by position. Latencies are microseconds with fractions (the
// histogram keeps nanoseconds); times are milliseconds since the start of sending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "trafgen/histogram.h"
#include "trafgen/traffic.h"

namespace s6::trafgen {

/// JSON values as s6-trafgen builds them: objects keep their members in insertion order.
using Json = nlohmann::ordered_json;

/// `j` as one line of text. Strings that are not valid UTF-8 (a window name is whatever a
/// controller sent) have the bad bytes replaced rather than failing the whole report.
std::string Dump(const Json& j);

/// {"p50":..,"p90":..,"p99":..,"p999":..,"max":..} in microseconds.
Json LatencyJson(const LatencyHistogram& h);

/// A link as reports and control commands see it.
struct LinkState {
  uint32_t id = 0;
  bool up = false;
  std::size_t backlog = 0;  ///< frames waiting for the link now
};

/// One --interval-json line: {"t_ms", the totals over `links` (sent, received, reordered,
/// throughput_pps, latency_us, backlog), "instances": {"ID": the same per link}}, with the
/// stats of the interval (links without traffic get zeros); `interval_s` is the interval's
/// length, for the rates.
Json IntervalJson(double t_ms, double interval_s,
                  const std::unordered_map<uint32_t, IntervalStats>& interval,
                  const std::vector<LinkState>& links);

/// The summary's "windows" array: [{name, start_ms, end_ms, closed_at_end, sent, received,
/// lost, latency_us}], times relative to `start_ns`.
Json WindowsJson(const std::vector<Window>& windows, uint64_t start_ns);

}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// File: trafgen/report.h
//
// The JSON s6-trafgen writes: latency percentiles, one line per reporting interval
// (--interval-json), measurement windows and per-link totals (summary), the control `status`.
//
// Theory of operation: plain string building with a fixed field order, flat where a reader
// parses with simple patterns (s6ctl takes the first "key":N of a text, so a summary keeps its
// run totals ahead of any nested per-link or per-window copies of the same names). Latencies
// are microseconds with fractions (the histogram keeps nanoseconds); times are milliseconds
// since the start of sending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trafgen/histogram.h"
#include "trafgen/traffic.h"

namespace s6::trafgen {

/// `s` as a JSON string literal (quotes and escapes included).
std::string JsonString(std::string_view s);

/// {"p50":..,"p90":..,"p99":..,"p999":..,"max":..} in microseconds.
std::string LatencyJson(const LatencyHistogram& h);

/// A link as reports and control commands see it.
struct LinkState {
  uint32_t id = 0;
  bool up = false;
  std::size_t backlog = 0;  ///< frames waiting for the link now
};

/// One --interval-json line (without the newline): totals over `links`, then each link, with
/// the stats of the interval (links without traffic get zeros); `interval_s` is the interval's
/// length, for the rates.
std::string IntervalJson(double t_ms, double interval_s,
                         const std::unordered_map<uint32_t, IntervalStats>& interval,
                         const std::vector<LinkState>& links);

/// The summary's "windows" array; times relative to `start_ns`.
std::string WindowsJson(const std::vector<Window>& windows, uint64_t start_ns);

}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// File: s6/stats.h
//
// Where a network function (and the runtime) reports its counters.
//
//   void MyNf::WriteStats(s6::StatsSink& out) const {
//     out.Counter("translated", translated_);
//     out.Gauge("flows_active", active_);
//     out.Group("drops", [&](s6::StatsSink& d) {
//       d.Counter("malformed", malformed_);
//       d.Counter("exhausted", exhausted_);
//     });
//   }
//
// Theory of operation: an NF describes its statistics as a tree of named values instead of
// formatting text, so the runtime decides the format: the instance's stats file and control
// replies are JSON objects (the NF's tree under "nf"), and other sinks (Prometheus text, a test
// recorder) can be added without touching any NF. Counters only grow; gauges are current
// levels; labels are short strings (a mode, a configured address). Names are
// [a-z0-9_]; a name written twice in one group keeps the last value. Called from the stats
// writer (a timer or a control request), never per packet.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace s6 {

class StatsSink {
 public:
  virtual ~StatsSink() = default;
  /// A monotonically growing count.
  virtual void Counter(std::string_view name, uint64_t value) = 0;
  /// A current level (may go down), e.g. objects held, a ratio.
  virtual void Gauge(std::string_view name, double value) = 0;
  /// A short text value, e.g. a mode or a configured address.
  virtual void Label(std::string_view name, std::string_view value) = 0;
  /// A nested group: `fill` writes its members into the sink it is given.
  virtual void Group(std::string_view name, const std::function<void(StatsSink&)>& fill) = 0;
};

/// Renders what `write` reports as one compact JSON object, e.g. for tests and offline tools.
std::string StatsToJson(const std::function<void(StatsSink&)>& write);

}  // namespace s6

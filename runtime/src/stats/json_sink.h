// SPDX-License-Identifier: Apache-2.0
// File: stats/json_sink.h
//
// The JSON form of s6::StatsSink: every value becomes a member of an nlohmann::json object,
// groups become nested objects. The runtime's own counters are written through the same sink,
// so the stats file, control replies and tests all see one format.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <s6/stats.h>

namespace s6::stats {

class JsonSink final : public StatsSink {
 public:
  /// Writes into `out` (made an object if it is null).
  explicit JsonSink(nlohmann::json& out);

  void Counter(std::string_view name, uint64_t value) override;
  void Gauge(std::string_view name, double value) override;
  void Label(std::string_view name, std::string_view value) override;
  void Group(std::string_view name, const std::function<void(StatsSink&)>& fill) override;

 private:
  nlohmann::json& out_;
};

}  // namespace s6::stats

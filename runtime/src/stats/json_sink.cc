// SPDX-License-Identifier: Apache-2.0
#include "stats/json_sink.h"

#include <cmath>

namespace s6::stats {

JsonSink::JsonSink(nlohmann::json& out) : out_(out) {
  if (out_.is_null()) out_ = nlohmann::json::object();
}

void JsonSink::Counter(std::string_view name, uint64_t value) { out_[std::string(name)] = value; }

void JsonSink::Gauge(std::string_view name, double value) {
  // Integral gauges stay integers in the JSON (unsigned when not negative, like counters), so
  // a reader need not round them; exact up to 2^53, as the double they came in.
  if (std::isfinite(value) && std::fabs(value) < 9.0e15 && value == std::trunc(value)) {
    if (value >= 0) {
      out_[std::string(name)] = static_cast<uint64_t>(value);
    } else {
      out_[std::string(name)] = static_cast<int64_t>(value);
    }
  } else {
    out_[std::string(name)] = value;
  }
}

void JsonSink::Label(std::string_view name, std::string_view value) {
  out_[std::string(name)] = std::string(value);
}

void JsonSink::Group(std::string_view name, const std::function<void(StatsSink&)>& fill) {
  nlohmann::json& child = out_[std::string(name)];
  JsonSink sink(child);
  fill(sink);
}

}  // namespace s6::stats

namespace s6 {

std::string StatsToJson(const std::function<void(StatsSink&)>& write) {
  nlohmann::json out = nlohmann::json::object();
  stats::JsonSink sink(out);
  write(sink);
  return out.dump();
}

}  // namespace s6

// SPDX-License-Identifier: Apache-2.0
#include "trafgen/report.h"

#include <cstdio>

namespace s6::trafgen {
namespace {

std::string Number(double v) { return std::to_string(v); }

std::string StatsFields(const IntervalStats& s, double interval_s, std::size_t backlog) {
  const double pps = interval_s > 0 ? static_cast<double>(s.received) / interval_s : 0.0;
  return "\"sent\":" + std::to_string(s.sent) + ",\"received\":" + std::to_string(s.received) +
         ",\"reordered\":" + std::to_string(s.reordered) + ",\"throughput_pps\":" + Number(pps) +
         ",\"latency_us\":" + LatencyJson(s.latency) + ",\"backlog\":" + std::to_string(backlog);
}

}  // namespace

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string LatencyJson(const LatencyHistogram& h) {
  auto us = [](uint64_t ns) { return Number(static_cast<double>(ns) / 1000.0); };
  return "{\"p50\":" + us(h.Percentile(0.5)) + ",\"p90\":" + us(h.Percentile(0.9)) +
         ",\"p99\":" + us(h.Percentile(0.99)) + ",\"p999\":" + us(h.Percentile(0.999)) +
         ",\"max\":" + us(h.max()) + "}";
}

std::string IntervalJson(double t_ms, double interval_s,
                         const std::unordered_map<uint32_t, IntervalStats>& interval,
                         const std::vector<LinkState>& links) {
  IntervalStats total;
  std::size_t backlog = 0;
  std::string per_link;
  for (const LinkState& l : links) {
    const auto it = interval.find(l.id);
    const IntervalStats none;
    const IntervalStats& s = it == interval.end() ? none : it->second;
    total.sent += s.sent;
    total.received += s.received;
    total.reordered += s.reordered;
    total.latency.Merge(s.latency);
    backlog += l.backlog;
    per_link += (per_link.empty() ? "" : ",") + std::string("\"") + std::to_string(l.id) + "\":{" +
                StatsFields(s, interval_s, l.backlog) + "}";
  }
  return "{\"t_ms\":" + std::to_string(static_cast<uint64_t>(t_ms)) + "," +
         StatsFields(total, interval_s, backlog) + ",\"instances\":{" + per_link + "}}";
}

std::string WindowsJson(const std::vector<Window>& windows, uint64_t start_ns) {
  auto ms = [start_ns](uint64_t ns) {
    return Number(ns > start_ns ? static_cast<double>(ns - start_ns) / 1e6 : 0.0);
  };
  std::string out = "[";
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const Window& w = windows[i];
    out += (i ? "," : "") + std::string("{\"name\":") + JsonString(w.name) +
           ",\"start_ms\":" + ms(w.start_ns) + ",\"end_ms\":" + ms(w.end_ns) +
           ",\"closed_at_end\":" + (w.closed_at_end ? "true" : "false") +
           ",\"sent\":" + std::to_string(w.sent) + ",\"received\":" + std::to_string(w.received) +
           ",\"lost\":" + std::to_string(w.lost()) + ",\"latency_us\":" + LatencyJson(w.latency) +
           "}";
  }
  return out + "]";
}

}  // namespace s6::trafgen

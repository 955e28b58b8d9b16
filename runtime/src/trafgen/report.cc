// SPDX-License-Identifier: Apache-2.0
#include "trafgen/report.h"

#include <string>

namespace s6::trafgen {
namespace {

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// The members every interval report has, for the totals and for each link.
void AddStats(Json& out, const IntervalStats& s, double interval_s, std::size_t backlog) {
  out["sent"] = s.sent;
  out["received"] = s.received;
  out["reordered"] = s.reordered;
  out["throughput_pps"] = interval_s > 0 ? static_cast<double>(s.received) / interval_s : 0.0;
  out["latency_us"] = LatencyJson(s.latency);
  out["backlog"] = backlog;
}

}  // namespace

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

Json LatencyJson(const LatencyHistogram& h) {
  return Json{{"p50", Us(h.Percentile(0.5))},
              {"p90", Us(h.Percentile(0.9))},
              {"p99", Us(h.Percentile(0.99))},
              {"p999", Us(h.Percentile(0.999))},
              {"max", Us(h.max())}};
}

Json IntervalJson(double t_ms, double interval_s,
                  const std::unordered_map<uint32_t, IntervalStats>& interval,
                  const std::vector<LinkState>& links) {
  IntervalStats total;
  std::size_t backlog = 0;
  Json per_link = Json::object();
  for (const LinkState& l : links) {
    const auto it = interval.find(l.id);
    const IntervalStats none;
    const IntervalStats& s = it == interval.end() ? none : it->second;
    total.sent += s.sent;
    total.received += s.received;
    total.reordered += s.reordered;
    total.latency.Merge(s.latency);
    backlog += l.backlog;
    Json& link = per_link[std::to_string(l.id)];
    link = Json::object();
    AddStats(link, s, interval_s, l.backlog);
  }
  Json out = {{"t_ms", static_cast<uint64_t>(t_ms)}};
  AddStats(out, total, interval_s, backlog);
  out["instances"] = std::move(per_link);
  return out;
}

Json WindowsJson(const std::vector<Window>& windows, uint64_t start_ns) {
  auto ms = [start_ns](uint64_t ns) {
    return ns > start_ns ? static_cast<double>(ns - start_ns) / 1e6 : 0.0;
  };
  Json out = Json::array();
  for (const Window& w : windows) {
    out.push_back(Json{{"name", w.name},
                       {"start_ms", ms(w.start_ns)},
                       {"end_ms", ms(w.end_ns)},
                       {"closed_at_end", w.closed_at_end},
                       {"sent", w.sent},
                       {"received", w.received},
                       {"lost", w.lost()},
                       {"latency_us", LatencyJson(w.latency)}});
  }
  return out;
}

}  // namespace s6::trafgen

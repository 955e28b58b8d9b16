// SPDX-License-Identifier: Apache-2.0
#include "trafgen/summary.h"

#include <algorithm>
#include <string>

namespace s6::trafgen {

Json SummaryJson(const RunSummary& run, const Config& config) {
  uint64_t tx_dropped = 0;
  uint64_t link_refusals = 0;
  uint64_t backlog_unsent = 0;
  std::size_t backlog_max = 0;
  Json links = Json::array();
  for (const LinkSummary& l : run.links) {
    tx_dropped += l.tx_dropped;
    link_refusals += l.link_refusals;
    backlog_unsent += l.backlog_unsent;
    backlog_max = std::max(backlog_max, l.backlog_max);
    links.push_back(Json{{"id", l.id},
                         {"active", l.active},
                         {"sent", l.sent},
                         {"received", l.received},
                         {"tx_dropped", l.tx_dropped},
                         {"backlog_unsent", l.backlog_unsent},
                         {"backlog_max", l.backlog_max}});
  }
  const bool replay = !config.pcap_path.empty();
  const IntervalStats& t = run.total;
  Json out;
  out["sent"] = t.sent;
  out["received"] = t.received;
  out["lost"] = run.lost;
  out["reordered"] = t.reordered;
  out["foreign"] = t.foreign;
  out["mapping_changes"] = t.mapping_changes;
  out["shared_endpoints"] = t.shared_endpoints;
  out["throughput_pps"] = static_cast<double>(t.received) / config.duration_s;
  out["latency_us"] = LatencyJson(t.latency);
  out["instances"] = run.links.size();
  out["flows_started"] = run.flows_started;
  out["missteered"] = run.missteered;
  out["tx_dropped"] = tx_dropped;
  out["alloc_failures"] = run.alloc_failures;
  out["backlog_max"] = backlog_max;
  out["backlog_unsent"] = backlog_unsent;
  out["link_refusals"] = link_refusals;
  out["unprobed"] = run.unprobed;
  out["pcap_skipped"] = run.pcap_skipped;
  out["pcap_loops"] = run.pcap_loops;
  out["config"] = Json{{"rate_pps", config.rate_pps},
                       {"flows", config.flows.concurrent_flows},
                       {"pkt_size", config.flows.frame_bytes},
                       {"duration_s", config.duration_s},
                       {"missteer", config.missteer},
                       {"arrival", std::string(ArrivalDistName(config.arrival))},
                       {"backlog", config.backlog_frames},
                       {"source", replay ? "pcap" : "synthetic"}};
  out["pcap_file"] = config.pcap_path;
  out["links"] = std::move(links);
  out["windows"] = WindowsJson(run.windows, run.start_ns);
  return out;
}

}  // namespace s6::trafgen

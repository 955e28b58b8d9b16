// SPDX-License-Identifier: Apache-2.0
// File: trafgen/summary.h
//
// The summary of an s6-trafgen run: what it did, as one JSON object (printed on stdout and
// written to --json).
//
// Theory of operation: the run loop hands over plain data (RunSummary: the tracker's totals and
// windows, each link's counts, the generator's counters) and SummaryJson turns it and the
// run's Config into the report, deriving the run-wide figures from the per-link ones (backlog
// refusals, unsent frames and device refusals summed, the backlog high-water mark as the
// maximum over links) and the throughput over the configured duration. Keeping that apart
// from the loop lets tests assemble a summary from chosen numbers.
//
// Members: sent, received, lost, reordered, foreign, mapping_changes, shared_endpoints,
// throughput_pps, latency_us, instances, flows_started, missteered, tx_dropped,
// alloc_failures, backlog_max, backlog_unsent, link_refusals, unprobed, pcap_skipped,
// pcap_loops, config {rate_pps, flows, pkt_size, duration_s, missteer, arrival, backlog,
// source}, pcap_file, links [{id, active, sent, received, tx_dropped, backlog_max}], windows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "trafgen/config.h"
#include "trafgen/report.h"
#include "trafgen/traffic.h"

namespace s6::trafgen {

/// One declared link at the end of a run.
struct LinkSummary {
  uint32_t id = 0;
  bool active = false;  ///< in the steering set when the run ended
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t tx_dropped = 0;         ///< frames that found the backlog full
  std::size_t backlog_max = 0;     ///< the backlog's high-water mark
  std::size_t backlog_unsent = 0;  ///< frames still waiting when the run ended
  uint64_t link_refusals = 0;      ///< transmit attempts the device refused (retried)
};

/// What a run produced, as the summary needs it.
struct RunSummary {
  IntervalStats total;
  uint64_t lost = 0;
  uint64_t unprobed = 0;
  std::vector<LinkSummary> links;  ///< in declaration order
  std::vector<Window> windows;
  uint64_t start_ns = 0;  ///< of sending; window times are relative to it
  uint64_t flows_started = 0;
  uint64_t missteered = 0;
  uint64_t alloc_failures = 0;
  uint64_t pcap_skipped = 0;
  uint64_t pcap_loops = 0;
};

/// The summary object of a run made with `config`.
Json SummaryJson(const RunSummary& run, const Config& config);

}  // namespace s6::trafgen

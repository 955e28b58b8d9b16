// SPDX-License-Identifier: Apache-2.0
// Sample JSON as the instances and s6-trafgen write it (same keys, realistic values), shared by
// the s6ctl unit tests.
#pragma once

namespace s6::ctl::testdata {

// runtime/src/instance/instance.cc: Instance::StatsJson (abridged groups keep their keys).
inline constexpr char kInstanceStats[] = R"({
  "instance": 2,
  "loop": {"iterations": 1000, "busy_iterations": 10, "max_iteration_ns": 5000},
  "packets": {"received": 12000, "forwarded": 11990, "dropped": 0, "consumed": 0, "aborted": 3,
              "in_flight": 2, "dwell_us": {"p50": 4, "p99": 30, "max": 90},
              "rx_port": {"rx_packets": 12000}, "tx_port": {"tx_packets": 11990}},
  "nf": {"translated": 11990, "flows_active": 250, "drops": {"malformed": 0}},
  "fibers": {"in_use": 4, "ready": 0, "spawned": 12000},
  "space": {"sw_local_hits": 9000, "sw_acquires_sent": 40, "mw_strict_sent": 2, "forwarded": 7,
            "sw_held": 250, "sw_homed": 1200, "mw_homed": 1},
  "migration": {"version": 3, "next_version": 0, "in_transition": 0, "departing": 0,
                "settled": 0, "incoming_left": 12, "outgoing_left": 0, "markers_missing": 0,
                "held": 250, "handbacks_pending": 0, "switched_at_ns": 100, "settled_at_ns": 0,
                "slots_in": 1365, "slots_out": 0, "objects_in": 400, "objects_out": 0,
                "pulls_on_demand": 20, "pulls_background": 1345, "queued": 5,
                "handbacks_sent": 0, "handbacks_taken": 0, "bad_slot_data": 0},
  "transport": {"messages_sent": 500}
})";

// s6-trafgen --json (runtime/src/trafgen/summary.cc), keys in another order than written.
inline constexpr char kTrafgenSummary[] = R"({
  "windows": [
    {"name": "scale-out@2.0", "start_ms": 1990, "end_ms": 2300, "closed_at_end": false,
     "sent": 3000, "received": 3000, "lost": 0,
     "latency_us": {"p50": 40.5, "p90": 80, "p99": 120.25, "p999": 300, "max": 900}},
    {"name": "scale-in@5.0", "start_ms": 5000, "end_ms": 5400, "closed_at_end": false,
     "sent": 4000, "received": 3999, "lost": 1,
     "latency_us": {"p50": 35, "p90": 70, "p99": 150, "p999": 200, "max": 700}}],
  "sent": 80000, "received": 79999, "lost": 1, "reordered": 4, "foreign": 0,
  "mapping_changes": 0, "shared_endpoints": 0, "throughput_pps": 9999.875,
  "latency_us": {"p50": 30, "p90": 60, "p99": 100, "p999": 250, "max": 900},
  "instances": 4, "flows_started": 3000, "missteered": 400, "tx_dropped": 6,
  "alloc_failures": 0, "backlog_max": 17, "backlog_unsent": 0, "link_refusals": 0,
  "unprobed": 0, "pcap_skipped": 0, "pcap_loops": 0,
  "config": {"rate_pps": 10000, "flows": 2000, "pkt_size": 128, "duration_s": 8,
             "missteer": 0, "arrival": "fixed", "backlog": 1024, "source": "synthetic"},
  "pcap_file": "", "links": []
})";

// s6-trafgen's control reply to `status` (runtime/src/trafgen/control.cc).
inline constexpr char kTrafgenStatus[] =
    R"({"t_ms":2500,"sent":25000,"received":24990,"lost_so_far":10,"backlog":0,"active":[1],)"
    R"("links":[{"id":1,"up":true,"active":true,"sent":25000,"received":24990,"backlog":0},)"
    R"({"id":2,"up":false,"active":false,"sent":0,"received":0,"backlog":0}]})";

// Two --interval-json lines (runtime/src/trafgen/report.cc) and the start of a third.
inline constexpr char kIntervals[] =
    R"({"t_ms":100,"sent":1000,"received":990,"reordered":0,"throughput_pps":9900,)"
    R"("latency_us":{"p50":20,"p90":40,"p99":60,"p999":80,"max":90},"backlog":0,"instances":{}})"
    "\n"
    R"({"t_ms":200,"sent":1001,"received":1000,"reordered":0,"throughput_pps":10000,)"
    R"("latency_us":{"p50":21,"p90":41,"p99":61.4,"p999":81,"max":91},"backlog":0,"instances":{}})"
    "\n"
    R"({"t_ms":300,"sent":99)";

}  // namespace s6::ctl::testdata

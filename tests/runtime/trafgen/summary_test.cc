// SPDX-License-Identifier: Apache-2.0
// The run summary: run totals from the tracker, run-wide backlog figures derived from the
// links' (sums, and the maximum for the high-water mark), throughput over the configured
// duration, the configuration echoed, each link and each window; strings are JSON-escaped.
#include "trafgen/summary.h"

#include <gtest/gtest.h>

#include <string>

namespace s6::trafgen {
namespace {

Config TwoLinks() {
  Config c;
  c.instances = {{1, "/a"}, {2, "/b"}};
  c.active = {1, 2};
  c.rate_pps = 2000;
  c.duration_s = 4;
  c.missteer = 0.05;
  c.arrival = ArrivalDist::kPareto;
  c.backlog_frames = 64;
  c.flows.concurrent_flows = 300;
  c.flows.frame_bytes = 200;
  return c;
}

RunSummary SampleRun() {
  RunSummary r;
  r.total.sent = 100;
  r.total.received = 98;
  r.total.reordered = 3;
  r.total.foreign = 1;
  r.total.mapping_changes = 2;
  r.total.shared_endpoints = 4;
  r.total.latency.Record(2000);
  r.total.latency.Record(4000);
  r.lost = 2;
  r.unprobed = 5;
  r.links = {{1, true, 60, 59, 7, 10, 2, 11}, {2, false, 40, 39, 1, 30, 3, 12}};
  Window w;
  w.name = "scale \"out\"";
  w.start_ns = 1'000'000 + 2'000'000;
  w.end_ns = 1'000'000 + 5'500'000;
  w.open = false;
  w.sent = 10;
  w.received = 9;
  w.latency.Record(3000);
  r.windows = {w};
  r.start_ns = 1'000'000;
  r.flows_started = 77;
  r.missteered = 6;
  r.alloc_failures = 8;
  return r;
}

TEST(SummaryTest, TotalsLinksConfigAndWindows) {
  const Json j = SummaryJson(SampleRun(), TwoLinks());
  // A round trip through text: what readers get.
  const nlohmann::json s = nlohmann::json::parse(Dump(j));
  EXPECT_EQ(s["sent"], 100);
  EXPECT_EQ(s["received"], 98);
  EXPECT_EQ(s["lost"], 2);
  EXPECT_EQ(s["reordered"], 3);
  EXPECT_EQ(s["foreign"], 1);
  EXPECT_EQ(s["mapping_changes"], 2);
  EXPECT_EQ(s["shared_endpoints"], 4);
  EXPECT_DOUBLE_EQ(s["throughput_pps"].get<double>(), 98.0 / 4);
  EXPECT_GT(s["latency_us"]["p50"].get<double>(), 1.9);
  EXPECT_LT(s["latency_us"]["p50"].get<double>(), 2.1);
  EXPECT_DOUBLE_EQ(s["latency_us"]["max"].get<double>(), 4.0);
  EXPECT_EQ(s["instances"], 2);
  EXPECT_EQ(s["flows_started"], 77);
  EXPECT_EQ(s["missteered"], 6);
  EXPECT_EQ(s["tx_dropped"], 8);  // 7 + 1
  EXPECT_EQ(s["alloc_failures"], 8);
  EXPECT_EQ(s["backlog_max"], 30);    // the larger of the two
  EXPECT_EQ(s["backlog_unsent"], 5);  // 2 + 3
  EXPECT_EQ(s["link_refusals"], 23);  // 11 + 12
  EXPECT_EQ(s["unprobed"], 5);
  EXPECT_EQ(s["pcap_skipped"], 0);
  EXPECT_EQ(s["pcap_loops"], 0);
  EXPECT_EQ(s["pcap_file"], "");

  const nlohmann::json& c = s["config"];
  EXPECT_EQ(c["rate_pps"], 2000.0);
  EXPECT_EQ(c["flows"], 300);
  EXPECT_EQ(c["pkt_size"], 200);
  EXPECT_EQ(c["duration_s"], 4.0);
  EXPECT_EQ(c["missteer"], 0.05);
  EXPECT_EQ(c["arrival"], "pareto");
  EXPECT_EQ(c["backlog"], 64);
  EXPECT_EQ(c["source"], "synthetic");

  ASSERT_EQ(s["links"].size(), 2u);
  EXPECT_EQ(s["links"][0], (nlohmann::json{{"id", 1},
                                           {"active", true},
                                           {"sent", 60},
                                           {"received", 59},
                                           {"tx_dropped", 7},
                                           {"backlog_unsent", 2},
                                           {"backlog_max", 10}}));
  EXPECT_EQ(s["links"][1]["id"], 2);
  EXPECT_EQ(s["links"][1]["active"], false);

  ASSERT_EQ(s["windows"].size(), 1u);
  const nlohmann::json& w = s["windows"][0];
  EXPECT_EQ(w["name"], "scale \"out\"");
  EXPECT_DOUBLE_EQ(w["start_ms"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(w["end_ms"].get<double>(), 5.5);
  EXPECT_EQ(w["closed_at_end"], false);
  EXPECT_EQ(w["sent"], 10);
  EXPECT_EQ(w["received"], 9);
  EXPECT_EQ(w["lost"], 1);
  EXPECT_DOUBLE_EQ(w["latency_us"]["max"].get<double>(), 3.0);
}

TEST(SummaryTest, ReplayRunsNameTheirCapture) {
  Config c = TwoLinks();
  c.pcap_path = "/data/odd \"name\"\n.pcap";
  RunSummary r = SampleRun();
  r.pcap_skipped = 3;
  r.pcap_loops = 21;
  const std::string text = Dump(SummaryJson(r, c));
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;  // one line, the newline escaped
  const nlohmann::json s = nlohmann::json::parse(text);
  EXPECT_EQ(s["config"]["source"], "pcap");
  EXPECT_EQ(s["pcap_file"], c.pcap_path);
  EXPECT_EQ(s["pcap_skipped"], 3);
  EXPECT_EQ(s["pcap_loops"], 21);
}

TEST(SummaryTest, NamesThatAreNotUtf8StillMakeAReport) {
  RunSummary r = SampleRun();
  r.windows[0].name = "bad\xff\xfe";
  const nlohmann::json s = nlohmann::json::parse(Dump(SummaryJson(r, TwoLinks())));
  EXPECT_EQ(s["windows"][0]["name"].get<std::string>().rfind("bad", 0), 0u);
}

}  // namespace
}  // namespace s6::trafgen

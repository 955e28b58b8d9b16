// SPDX-License-Identifier: Apache-2.0
// The run's summary from sample inputs: every key in order, events joined with their trafgen
// windows, totals and maxima, unreadable inputs reported as errors, and the printed text.
#include "ctl/summary.h"

#include <gtest/gtest.h>

#include "runtime/ctl/sample_json.h"

namespace s6::ctl {
namespace {

SummaryInputs Sample() {
  SummaryInputs in;
  in.mode = objspace::MigrationMode::kStopAndCopy;
  in.instances = 1;
  in.instances_at_end = 1;
  in.workdir = "/tmp/w";
  in.trafgen = ParseTrafgenSummary(testdata::kTrafgenSummary);
  in.instance_stats.emplace_back(1, ParseInstanceStats(testdata::kInstanceStats, "instance 1"));
  in.events.push_back(
      Json::parse(R"({"kind":"scale-out","origin":"schedule","at_s":2.01,"window":"scale-out@2.0",)"
                  R"("version":2,"from":[1],"to":[1,2],"slots_moved":2048,"objects_moved":900,)"
                  R"("handbacks":0,"pulls_on_demand":10,"pulls_background":2038,"queued":3,)"
                  R"("prepare_ms":1.5,"migration_ms":80.25,"total_ms":120})"));
  in.events.push_back(
      Json::parse(R"({"kind":"scale-in","origin":"attach","at_s":5.0,"window":"scale-in@5.0",)"
                  R"("version":3,"from":[1,2],"to":[1],"slots_moved":2048,"objects_moved":1000,)"
                  R"("handbacks":250,"pulls_on_demand":0,"pulls_background":2048,"queued":0,)"
                  R"("prepare_ms":1,"migration_ms":60,"total_ms":90})"));
  return in;
}

TEST(SummaryTest, KeysInOrder) {
  const Json s = BuildSummary(Sample());
  std::vector<std::string> keys;
  for (const auto& [k, v] : s.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"sent", "received", "lost", "throughput_pps",
                                            "latency_us", "instances", "instances_at_end",
                                            "state_lost", "errors", "scaling", "reordered",
                                            "missteered", "link_refused", "link_unsent",
                                            "backlog_max", "instance_stats", "config", "workdir"}));
}

TEST(SummaryTest, FromSampleInputs) {
  const Json s = BuildSummary(Sample());
  EXPECT_EQ(s["sent"], 80000);
  EXPECT_EQ(s["received"], 79999);
  EXPECT_EQ(s["lost"], 1);
  EXPECT_EQ(s["throughput_pps"], 9999.875);
  EXPECT_EQ(s["latency_us"]["p99"], 100);
  EXPECT_EQ(s["instances"], 1);
  EXPECT_EQ(s["instances_at_end"], 1);
  EXPECT_EQ(s["state_lost"], 0);
  // What did not get through is an error: such a run never passes as clean.
  EXPECT_EQ(s["errors"], Json::array({"1 packet lost: sent to the instances, never came back",
                                      "6 packets refused at the links"}));
  EXPECT_EQ(s["link_unsent"], 0);
  EXPECT_EQ(s["reordered"], 4);
  EXPECT_EQ(s["missteered"], 400);
  EXPECT_EQ(s["link_refused"], 6);
  EXPECT_EQ(s["backlog_max"], 17);
  EXPECT_EQ(s["config"]["rate_pps"], 10000);
  EXPECT_EQ(s["workdir"], "/tmp/w");
  const Json& stats = s["instance_stats"];
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0]["instance"], 1);
  EXPECT_EQ(stats[0]["nf"]["translated"], 11990);
  EXPECT_EQ(stats[0]["migration"]["objects_in"], 400);
  EXPECT_EQ(stats[0]["packets_aborted"], 3);

  const Json& scaling = s["scaling"];
  EXPECT_EQ(scaling["mode"], "stop-and-copy");
  EXPECT_EQ(scaling["objects_moved"], 1900);
  EXPECT_EQ(scaling["migration_ms"], 80.25);
  EXPECT_EQ(scaling["latency_us"], Json::parse(R"({"p50":40.5,"p99":150,"max":900})"));
  ASSERT_EQ(scaling["events"].size(), 2u);
  const Json& out = scaling["events"][0];
  EXPECT_EQ(out["kind"], "scale-out");
  EXPECT_EQ(out["slots_moved"], 2048);
  EXPECT_EQ(out["traffic"]["sent"], 3000);
  EXPECT_EQ(out["traffic"]["lost"], 0);
  EXPECT_EQ(out["traffic"]["latency_us"]["p99"], 120.25);
  EXPECT_EQ(scaling["events"][1]["traffic"]["lost"], 1);
}

TEST(SummaryTest, EachLossIsAnErrorThatSaysWhere) {
  SummaryInputs in = Sample();
  in.trafgen->lost = 0;
  in.trafgen->tx_dropped = 16573;
  in.trafgen->backlog_unsent = 40;
  in.trafgen->mapping_changes = 2;
  in.trafgen->links = {{1, 0, 0}, {2, 16573, 40}};
  const Json s = BuildSummary(in);
  EXPECT_EQ(s["errors"],
            Json::array({"16573 packets refused at instance 2's link: its backlog was full (the "
                         "instance stopped taking packets)",
                         "40 packets never left instance 2's link's backlog",
                         "2 flows lost their state: their translation changed mid-flow or was "
                         "shared"}));
  EXPECT_EQ(s["link_unsent"], 40);
  EXPECT_EQ(s["state_lost"], 2);

  in.trafgen->tx_dropped = 0;
  in.trafgen->backlog_unsent = 0;
  in.trafgen->mapping_changes = 0;
  in.trafgen->links = {{1, 0, 0}, {2, 0, 0}};
  EXPECT_EQ(BuildSummary(in)["errors"], Json::array());
}

TEST(SummaryTest, EventsWithoutAWindow) {
  SummaryInputs in = Sample();
  in.trafgen->lost = 0;
  in.trafgen->tx_dropped = 0;
  in.events.clear();
  // Failed before the switch: no window, and none expected.
  in.events.push_back(
      Json::parse(R"({"kind":"scale-out","origin":"schedule","at_s":1,"window":"scale-out@1.0",)"
                  R"("error":"no spare link"})"));
  in.events.push_back(
      Json::parse(R"({"kind":"kill","origin":"attach","at_s":1,"window":"kill@1.0","instance":2,)"
                  R"("note":"killed"})"));
  // Ran (it has a report) but trafgen has no window for it: an error.
  in.events.push_back(
      Json::parse(R"({"kind":"scale-in","origin":"schedule","at_s":7,"window":"scale-in@7.0",)"
                  R"("version":2,"objects_moved":5,"migration_ms":3})"));
  const Json s = BuildSummary(in);
  const Json& events = s["scaling"]["events"];
  EXPECT_TRUE(events[0]["traffic"].is_null());
  EXPECT_TRUE(events[1]["traffic"].is_null());
  EXPECT_TRUE(events[2]["traffic"].is_null());
  EXPECT_EQ(s["scaling"]["objects_moved"], 5);
  EXPECT_EQ(s["errors"], Json::array({"trafgen summary: no window scale-in@7.0"}));
}

TEST(SummaryTest, UnreadableInputsAreErrors) {
  SummaryInputs in = Sample();
  in.errors = {"instance 2 killed by the operator"};
  in.trafgen = NotFoundError("cannot read /tmp/w/trafgen.json");
  in.instance_stats.emplace_back(2, NotFoundError("cannot read /tmp/w/2.json"));
  Json stats = Json::parse(testdata::kInstanceStats);
  stats.erase("migration");
  in.instance_stats.emplace_back(3, ParseInstanceStats(stats.dump(), "instance 3 stats"));
  in.events.clear();
  const Json s = BuildSummary(in);
  // Unknown, not zero: a run without trafgen's result never reads as lossless.
  EXPECT_TRUE(s["sent"].is_null());
  EXPECT_TRUE(s["lost"].is_null());
  EXPECT_TRUE(s["state_lost"].is_null());
  EXPECT_EQ(SummaryText(s).substr(0, 50), "\nsummary: no traffic result from s6-trafgen, error");
  const Json& errors = s["errors"];
  ASSERT_GE(errors.size(), 4u);
  EXPECT_EQ(errors[0], "instance 2 killed by the operator");
  EXPECT_EQ(errors[1], "trafgen summary: NOT_FOUND: cannot read /tmp/w/trafgen.json");
  EXPECT_EQ(errors[2], "instance 2 stats: NOT_FOUND: cannot read /tmp/w/2.json");
  EXPECT_EQ(errors[3], "instance 3 stats: missing migration.version");
  EXPECT_EQ(s["instance_stats"].size(), 3u);
}

TEST(SummaryTest, Text) {
  const std::string text = SummaryText(BuildSummary(Sample()));
  EXPECT_EQ(text,
            "\nsummary: sent 80000, received 79999, lost 1, state_lost 0, refused at the links 6, "
            "9999.875 pkt/s, latency_us {\"p50\":30,\"p90\":60,\"p99\":100,\"p999\":250,\"max\":"
            "900}, errors 2\n"
            "scaling (stop-and-copy): 2 event(s), 1900 objects moved, migration max 80.2 ms, "
            "latency during migration p50 40 us, p99 150 us, max 900 us\n"
            "  error: 1 packet lost: sent to the instances, never came back\n"
            "  error: 6 packets refused at the links\n");
  SummaryInputs in = Sample();
  in.trafgen->lost = 0;
  in.trafgen->tx_dropped = 0;
  in.events.clear();
  in.errors = {"interrupted"};
  const std::string t2 = SummaryText(BuildSummary(in));
  EXPECT_EQ(t2.find("scaling"), std::string::npos);
  EXPECT_NE(t2.find("errors 1\n  error: interrupted\n"), std::string::npos) << t2;
}

}  // namespace
}  // namespace s6::ctl

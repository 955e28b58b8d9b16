// SPDX-License-Identifier: Apache-2.0
// Stats collection: an instance's stats file, trafgen's status reply, interval lines and
// summary, each read by key from sample JSON; missing and mistyped fields are counted, not
// silently zero; text that is not JSON is an error.
#include "ctl/stats.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/ctl/sample_json.h"

namespace s6::ctl {
namespace {

TEST(JsonFieldsTest, ReadsByPathAndCountsProblems) {
  const Json j = Json::parse(R"({"a":{"b":3,"f":2.5,"neg":-1,"s":"x","o":{"k":1}},"n":null})");
  JsonFields f(j, "sample");
  EXPECT_EQ(f.Count("a.b"), 3u);
  EXPECT_EQ(f.Count("a.f"), 2u);  // a float gauge, truncated
  EXPECT_EQ(f.Number("a.f"), 2.5);
  EXPECT_EQ(f.Object("a.o"), Json::parse(R"({"k":1})"));
  EXPECT_EQ(f.String("a.s"), "x");
  EXPECT_TRUE(f.problems().empty());
  EXPECT_EQ(f.Count("a.neg"), 0u);
  EXPECT_EQ(f.Count("a.s"), 0u);
  EXPECT_EQ(f.Count("missing.deep"), 0u);
  EXPECT_EQ(f.Object("n"), Json::object());
  EXPECT_EQ(f.Count("a.b.c"), 0u);  // through a number
  ASSERT_EQ(f.problems().size(), 5u);
  EXPECT_EQ(f.problems()[0], "sample: a.neg is a negative or huge number, want a count");
  EXPECT_EQ(f.problems()[1], "sample: a.s is string, want a count");
  EXPECT_EQ(f.problems()[2], "sample: missing missing.deep");
  EXPECT_EQ(f.problems()[3], "sample: n is null, want an object");
  EXPECT_EQ(f.problems()[4], "sample: missing a.b.c");
  EXPECT_EQ(f.Find("nope"), nullptr);
  EXPECT_EQ(f.problems().size(), 5u);  // Find never counts
}

TEST(InstanceStatsTest, ParsesTheSampleStatsFile) {
  const StatusOr<InstanceStats> s = ParseInstanceStats(testdata::kInstanceStats, "instance 2");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->problems.empty()) << s->problems.front();
  EXPECT_EQ(s->instance, 2u);
  EXPECT_EQ(s->received, 12000u);
  EXPECT_EQ(s->forwarded, 11990u);  // packets.forwarded, not space.forwarded
  EXPECT_EQ(s->aborted, 3u);
  EXPECT_EQ(s->sw_held, 250u);
  EXPECT_EQ(s->homed, 1201u);
  EXPECT_EQ(s->remote, 42u);
  EXPECT_EQ(s->fibers, 4u);
  EXPECT_EQ(s->version, 3u);
  EXPECT_EQ(s->incoming_left, 12u);
  EXPECT_EQ(s->outgoing_left, 0u);
  EXPECT_EQ(s->nf.at("flows_active"), 250);
  EXPECT_EQ(s->nf.at("drops").at("malformed"), 0);  // nested NF stats are kept whole
  EXPECT_EQ(s->migration.at("objects_in"), 400);
}

TEST(InstanceStatsTest, MissingAndMistypedFieldsAreProblems) {
  Json j = Json::parse(testdata::kInstanceStats);
  j.erase("nf");
  j["packets"]["received"] = "many";
  j["fibers"]["in_use"] = -2;
  const StatusOr<InstanceStats> s = ParseInstanceStats(j.dump(), "instance 2 stats");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->received, 0u);
  EXPECT_EQ(s->nf, Json::object());
  ASSERT_EQ(s->problems.size(), 3u);
  EXPECT_EQ(s->problems[0], "instance 2 stats: packets.received is string, want a count");
  EXPECT_NE(s->problems[1].find("fibers.in_use"), std::string::npos);
  EXPECT_EQ(s->problems[2], "instance 2 stats: missing nf");
}

TEST(InstanceStatsTest, NotJsonIsAnError) {
  EXPECT_FALSE(ParseInstanceStats("{\"instance\":", "x").ok());
  EXPECT_FALSE(ParseInstanceStats("[1,2]", "x").ok());
  EXPECT_FALSE(ParseInstanceStats("", "x").ok());
  const StatusOr<InstanceStats> s = ReadInstanceStats("/nonexistent/1.json", "instance 1 stats");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
}

TEST(TrafgenStatusTest, SentAndLinks) {
  const StatusOr<TrafgenStatus> s = ParseTrafgenStatus(testdata::kTrafgenStatus);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sent, 25000u);
  EXPECT_EQ(s->link_up, (std::map<uint32_t, bool>{{1, true}, {2, false}}));
  // s6ctl decides on these: without them the reply is an error, not zeros.
  EXPECT_FALSE(ParseTrafgenStatus(R"({"links":[]})").ok());
  EXPECT_FALSE(ParseTrafgenStatus(R"({"sent":1})").ok());
  EXPECT_FALSE(ParseTrafgenStatus(R"({"sent":1,"links":[{"id":1,"up":1}]})").ok());
  EXPECT_FALSE(ParseTrafgenStatus(R"({"sent":1,"links":[{"up":true}]})").ok());
  EXPECT_FALSE(ParseTrafgenStatus("error unknown command").ok());
}

TEST(TrafgenIntervalTest, TheNewestCompleteLine) {
  const std::string path = ::testing::TempDir() + "/s6-ctl-intervals-" + std::to_string(::getpid());
  EXPECT_EQ(ReadLastTrafgenInterval(path).status().code(), StatusCode::kNotFound);
  std::ofstream(path) << R"({"t_ms":100)";
  EXPECT_EQ(ReadLastTrafgenInterval(path).status().code(), StatusCode::kNotFound);
  std::ofstream(path) << testdata::kIntervals;
  const StatusOr<TrafgenInterval> i = ReadLastTrafgenInterval(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->t_ms, 200u);
  EXPECT_EQ(i->sent, 1001u);
  EXPECT_EQ(i->received, 1000u);
  EXPECT_EQ(i->throughput_pps, 10000);
  EXPECT_DOUBLE_EQ(i->p99_us, 61.4);
  EXPECT_FALSE(ParseTrafgenInterval(R"({"t_ms":1,"sent":1,"received":1})").ok());
}

TEST(TrafgenSummaryTest, ParsesTheSampleSummary) {
  const StatusOr<TrafgenSummary> s = ParseTrafgenSummary(testdata::kTrafgenSummary);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->problems.empty()) << s->problems.front();
  EXPECT_EQ(s->sent, 80000u);  // the run's, not a window's
  EXPECT_EQ(s->received, 79999u);
  EXPECT_EQ(s->lost, 1u);
  EXPECT_EQ(s->reordered, 4u);
  EXPECT_EQ(s->missteered, 400u);
  EXPECT_EQ(s->tx_dropped, 6u);
  EXPECT_EQ(s->backlog_max, 17u);
  EXPECT_EQ(s->throughput_pps, 9999.875);
  EXPECT_EQ(s->latency.p99, 100);
  EXPECT_EQ(s->latency.json.at("p999"), 250);
  EXPECT_EQ(s->config.at("source"), "synthetic");
  ASSERT_EQ(s->windows.size(), 2u);
  const TrafgenWindow* w = s->FindWindow("scale-in@5.0");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->sent, 4000u);
  EXPECT_EQ(w->lost, 1u);
  EXPECT_EQ(w->latency.max, 700);
  EXPECT_EQ(s->FindWindow("kill@1.0"), nullptr);
}

TEST(TrafgenSummaryTest, ProblemsAreCounted) {
  Json j = Json::parse(testdata::kTrafgenSummary);
  j.erase("lost");
  j["windows"][0]["latency_us"] = "fast";
  const StatusOr<TrafgenSummary> s = ParseTrafgenSummary(j.dump());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->lost, 0u);
  ASSERT_GE(s->problems.size(), 2u);
  EXPECT_EQ(s->problems[0], "trafgen summary: missing lost");
  EXPECT_NE(s->problems[1].find("latency_us"), std::string::npos);
  j.erase("windows");
  EXPECT_EQ(ParseTrafgenSummary(j.dump())->problems.back(),
            "trafgen summary: windows is not an array");
  EXPECT_FALSE(ParseTrafgenSummary("not json").ok());
}

}  // namespace
}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// s6-trafgen's command line: every option lands in its Config field, omitted ones keep their
// defaults (and --help shows them), --active defaults to every declared link and is sorted
// without repeats; a usage error is one line "s6-trafgen: WHY (see --help)" with exit status 2.
#include "trafgen/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace s6::trafgen {
namespace {

std::vector<std::string> Minimal() {
  return {"--instance", "1=/tmp/a.memif", "--rate", "1000", "--duration", "2"};
}

std::vector<std::string> With(std::vector<std::string> extra) {
  std::vector<std::string> args = Minimal();
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Expects `args` to be refused as a usage error, and returns the message.
std::string Refused(const std::vector<std::string>& args) {
  const CommandLine cl = ParseCommandLine(args);
  EXPECT_FALSE(cl.config.has_value());
  EXPECT_EQ(cl.exit_code, 2);
  EXPECT_EQ(cl.output.rfind("s6-trafgen: ", 0), 0u) << cl.output;
  EXPECT_EQ(std::count(cl.output.begin(), cl.output.end(), '\n'), 1) << cl.output;
  EXPECT_EQ(cl.output.back(), '\n');
  return cl.output;
}

TEST(ConfigTest, DefaultsForEverythingNotGiven) {
  const CommandLine cl = ParseCommandLine(Minimal());
  ASSERT_TRUE(cl.config.has_value()) << cl.output;
  const Config& c = *cl.config;
  ASSERT_EQ(c.instances.size(), 1u);
  EXPECT_EQ(c.instances[0].id, 1u);
  EXPECT_EQ(c.instances[0].socket, "/tmp/a.memif");
  EXPECT_EQ(c.active, (std::vector<uint32_t>{1}));
  EXPECT_EQ(c.rate_pps, 1000);
  EXPECT_EQ(c.duration_s, 2);
  const FlowConfig flows;
  EXPECT_EQ(c.flows.concurrent_flows, flows.concurrent_flows);
  EXPECT_EQ(c.flows.frame_bytes, flows.frame_bytes);
  EXPECT_EQ(c.flows.mean_flow_packets, flows.mean_flow_packets);
  EXPECT_EQ(c.flows.size_dist, SizeDist::kExponential);
  EXPECT_EQ(c.flows.tcp_fraction, flows.tcp_fraction);
  EXPECT_EQ(c.flows.seed, flows.seed);
  EXPECT_EQ(c.missteer, 0);
  EXPECT_EQ(c.arrival, ArrivalDist::kFixed);
  EXPECT_EQ(c.arrival_shape, 1.5);
  EXPECT_EQ(c.backlog_frames, 8192u);
  EXPECT_EQ(c.interval_ms, 100);
  EXPECT_EQ(c.drain_ms, 500);
  EXPECT_EQ(c.dpdk_memory_mb, 256);
  EXPECT_TRUE(c.pcap_path.empty());
  EXPECT_TRUE(c.control_endpoint.empty());
  EXPECT_TRUE(c.csv_path.empty());
  EXPECT_TRUE(c.interval_json_path.empty());
  EXPECT_TRUE(c.json_path.empty());
  EXPECT_TRUE(c.ready_path.empty());
  EXPECT_TRUE(c.log_level.empty());
}

TEST(ConfigTest, EveryOptionLandsInItsField) {
  const CommandLine cl =
      ParseCommandLine({"--instance",      "3=/s/3",   "--instance",      "1=/s/1",
                        "--instance",      "2=/s/2",   "--rate",          "50000.5",
                        "--duration",      "15",       "--flows",         "8000",
                        "--pkt-size",      "256",      "--flow-size",     "20",
                        "--dist",          "pareto",   "--arrival",       "exp",
                        "--arrival-shape", "2.5",      "--pcap",          "x.pcap",
                        "--tcp-fraction",  "0.25",     "--missteer",      "0.05",
                        "--backlog",       "16",       "--active",        "3,1,3",
                        "--control",       "ipc:///c", "--interval-ms",   "250",
                        "--csv",           "i.csv",    "--interval-json", "i.jsonl",
                        "--json",          "s.json",   "--ready-file",    "ready",
                        "--drain-ms",      "0",        "--seed",          "42",
                        "--dpdk-memory",   "128",      "--log-level",     "trafgen=debug"});
  ASSERT_TRUE(cl.config.has_value()) << cl.output;
  const Config& c = *cl.config;
  ASSERT_EQ(c.instances.size(), 3u);
  EXPECT_EQ(c.instances[0].id, 3u);  // declaration order: the memif device numbering
  EXPECT_EQ(c.instances[1].socket, "/s/1");
  EXPECT_EQ(c.instances[2].id, 2u);
  EXPECT_EQ(c.active, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(c.rate_pps, 50000.5);
  EXPECT_EQ(c.duration_s, 15);
  EXPECT_EQ(c.flows.concurrent_flows, 8000u);
  EXPECT_EQ(c.flows.frame_bytes, 256u);
  EXPECT_EQ(c.flows.mean_flow_packets, 20);
  EXPECT_EQ(c.flows.size_dist, SizeDist::kPareto);
  EXPECT_EQ(c.arrival, ArrivalDist::kExponential);
  EXPECT_EQ(c.arrival_shape, 2.5);
  EXPECT_EQ(c.pcap_path, "x.pcap");
  EXPECT_EQ(c.flows.tcp_fraction, 0.25);
  EXPECT_EQ(c.missteer, 0.05);
  EXPECT_EQ(c.backlog_frames, 16u);
  EXPECT_EQ(c.control_endpoint, "ipc:///c");
  EXPECT_EQ(c.interval_ms, 250);
  EXPECT_EQ(c.csv_path, "i.csv");
  EXPECT_EQ(c.interval_json_path, "i.jsonl");
  EXPECT_EQ(c.json_path, "s.json");
  EXPECT_EQ(c.ready_path, "ready");
  EXPECT_EQ(c.drain_ms, 0);
  EXPECT_EQ(c.flows.seed, 42u);
  EXPECT_EQ(c.dpdk_memory_mb, 128);
  EXPECT_EQ(c.log_level, "trafgen=debug");
}

TEST(ConfigTest, EveryDistributionName) {
  const std::pair<const char*, SizeDist> sizes[] = {{"fixed", SizeDist::kFixed},
                                                    {"uniform", SizeDist::kUniform},
                                                    {"exp", SizeDist::kExponential},
                                                    {"pareto", SizeDist::kPareto}};
  for (const auto& [name, dist] : sizes) {
    const CommandLine cl = ParseCommandLine(With({"--dist", name, "--arrival", name}));
    ASSERT_TRUE(cl.config.has_value()) << name << ": " << cl.output;
    EXPECT_EQ(cl.config->flows.size_dist, dist) << name;
    EXPECT_EQ(ArrivalDistName(cl.config->arrival), name);
    EXPECT_EQ(SizeDistName(dist), name);
  }
}

TEST(ConfigTest, HelpListsEveryOptionWithItsDefault) {
  const CommandLine cl = ParseCommandLine({"--help"});
  EXPECT_FALSE(cl.config.has_value());
  EXPECT_EQ(cl.exit_code, 0);
  for (const char* option :
       {"--instance",     "--rate",     "--duration",      "--flows",         "--pkt-size",
        "--flow-size",    "--dist",     "--arrival",       "--arrival-shape", "--pcap",
        "--tcp-fraction", "--missteer", "--backlog",       "--active",        "--control",
        "--interval-ms",  "--csv",      "--interval-json", "--json",          "--ready-file",
        "--drain-ms",     "--seed",     "--dpdk-memory",   "--log-level"}) {
    EXPECT_NE(cl.output.find(option), std::string::npos) << option << "\n" << cl.output;
  }
  for (const char* value : {"8192", "1000", "128", "500", "256", "1.5", "exp", "fixed"}) {
    EXPECT_NE(cl.output.find(value), std::string::npos) << value << "\n" << cl.output;
  }
  EXPECT_EQ(ParseCommandLine({"-h"}).exit_code, 0);
}

TEST(ConfigTest, UsageErrorsAreOneLineWithStatus2) {
  EXPECT_NE(Refused({"--rate", "1", "--duration", "1"}).find("--instance"), std::string::npos);
  EXPECT_NE(Refused({"--instance", "1=/a", "--duration", "1"}).find("--rate"), std::string::npos);
  EXPECT_NE(Refused({"--instance", "1=/a", "--rate", "1"}).find("--duration"), std::string::npos);
  EXPECT_NE(Refused(With({"--bogus", "1"})).find("--bogus"), std::string::npos);
  Refused(With({"--instance", "x=/b"}));
  Refused(With({"--instance", "/b"}));
  Refused(With({"--instance", "2="}));
  Refused(With({"--rate", "fast"}));
  Refused(With({"--rate", "0"}));
  Refused(With({"--duration", "-1"}));
  Refused(With({"--flows", "-5"}));
  Refused(With({"--pkt-size", "10"}));
  Refused(With({"--pkt-size", "1515"}));
  Refused(With({"--dist", "zipf"}));
  Refused(With({"--arrival", "poisson"}));
  Refused(With({"--arrival-shape", "1"}));
  Refused(With({"--missteer", "1.5"}));
  Refused(With({"--backlog", "0"}));
  Refused(With({"--interval-ms", "0"}));
  Refused(With({"--active", "1,,2"}));
  Refused(With({"--active", "one"}));
  Refused(With({"--seed"}));  // a value is missing
  EXPECT_NE(Refused(With({"--instance", "1=/b"})).find("instance 1 is declared twice"),
            std::string::npos);
  EXPECT_NE(Refused(With({"--active", "1,2"})).find("--active names undeclared instance 2"),
            std::string::npos);
}

}  // namespace
}  // namespace s6::trafgen

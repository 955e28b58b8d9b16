// SPDX-License-Identifier: Apache-2.0
// s6ctl's command line: every subcommand, defaults, the app's options after `--`, help text,
// and usage errors (one line, exit status 2).
#include "ctl/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace s6::ctl {
namespace {

using Args = std::vector<std::string>;

Args RunArgs(Args extra = {}) {
  Args a = {"run", "--app",   "nat",  "--instances", "2",   "--duration",
            "3",   "--flows", "2000", "--rate",      "5000"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void ExpectUsageError(const Args& args, const std::string& mentions) {
  const ParsedCommandLine p = ParseCommandLine(args);
  EXPECT_FALSE(p.config.has_value());
  EXPECT_EQ(p.exit_status, 2);
  EXPECT_EQ(p.err.find('\n'), std::string::npos) << p.err;
  EXPECT_EQ(p.err.rfind("s6ctl: ", 0), 0u) << p.err;
  EXPECT_NE(p.err.find(mentions), std::string::npos) << p.err;
}

TEST(OptionsTest, RunWithDefaults) {
  const ParsedCommandLine p = ParseCommandLine(RunArgs());
  ASSERT_TRUE(p.config.has_value()) << p.err;
  const Config& c = *p.config;
  EXPECT_EQ(c.command, Command::kRun);
  EXPECT_EQ(c.run.app, "nat");
  EXPECT_EQ(c.run.instances, 2);
  EXPECT_EQ(c.run.duration_s, 3);
  EXPECT_EQ(c.run.flows, 2000u);
  EXPECT_EQ(c.run.rate_pps, 5000u);
  EXPECT_EQ(c.run.pkt_size, 128u);
  EXPECT_EQ(c.run.flow_size, 50);
  EXPECT_EQ(c.run.missteer, 0);
  EXPECT_EQ(c.run.stats_interval_ms, 200);
  EXPECT_EQ(c.run.migration.mode, objspace::MigrationMode::kGradual);
  EXPECT_EQ(c.run.migration.slots_per_sec, 20000u);
  EXPECT_FALSE(c.run.quiet);
  EXPECT_TRUE(c.run.app_args.empty());
  EXPECT_EQ(c.run.MaxLinks(), 4);  // instances + scale-outs + 2
  EXPECT_EQ(c.run.AppName(), "nat");
}

TEST(OptionsTest, RunWithEveryOption) {
  const ParsedCommandLine p = ParseCommandLine(RunArgs({"--pkt-size",
                                                        "256",
                                                        "--flow-size",
                                                        "20",
                                                        "--missteer",
                                                        "0.05",
                                                        "--pcap",
                                                        "x.pcap",
                                                        "--arrival",
                                                        "pareto",
                                                        "--scale-out-at",
                                                        "1",
                                                        "--scale-out-at",
                                                        "2",
                                                        "--scale-in-at",
                                                        "2.5",
                                                        "--migration",
                                                        "stop-and-copy",
                                                        "--migration-rate",
                                                        "500",
                                                        "--max-instances",
                                                        "6",
                                                        "--stats-interval-ms",
                                                        "50",
                                                        "--summary-json",
                                                        "s.json",
                                                        "--csv",
                                                        "i.csv",
                                                        "--bin-dir",
                                                        "/opt/bin",
                                                        "--workdir",
                                                        "/tmp/w",
                                                        "--quiet",
                                                        "--log-level",
                                                        "ctl=debug",
                                                        "--",
                                                        "--public-ip",
                                                        "198.51.100.1",
                                                        "--quiet"}));
  ASSERT_TRUE(p.config.has_value()) << p.err;
  const RunOptions& r = p.config->run;
  EXPECT_EQ(r.pkt_size, 256u);
  EXPECT_EQ(r.flow_size, 20);
  EXPECT_DOUBLE_EQ(r.missteer, 0.05);
  EXPECT_EQ(r.pcap, "x.pcap");
  EXPECT_EQ(r.arrival, "pareto");
  EXPECT_EQ(r.scale_out_at, (std::vector<double>{1, 2}));
  EXPECT_EQ(r.scale_in_at, (std::vector<double>{2.5}));
  EXPECT_EQ(r.migration.mode, objspace::MigrationMode::kStopAndCopy);
  EXPECT_EQ(r.migration.slots_per_sec, 500u);
  EXPECT_EQ(r.max_instances, 6);
  EXPECT_EQ(r.MaxLinks(), 6);
  EXPECT_EQ(r.stats_interval_ms, 50);
  EXPECT_EQ(r.summary_json, "s.json");
  EXPECT_EQ(r.csv, "i.csv");
  EXPECT_EQ(r.bin_dir, "/opt/bin");
  EXPECT_EQ(r.workdir, "/tmp/w");
  EXPECT_TRUE(r.quiet);
  EXPECT_EQ(p.config->log_level, "ctl=debug");
  // After `--` everything is the app's, even what looks like s6ctl's own options.
  EXPECT_EQ(r.app_args, (std::vector<std::string>{"--public-ip", "198.51.100.1", "--quiet"}));
}

TEST(OptionsTest, AppBinaryInsteadOfApp) {
  const ParsedCommandLine p =
      ParseCommandLine({"run", "--app-binary", "/x/my-nf", "--instances", "1", "--duration", "1",
                        "--flows", "1", "--rate", "1"});
  ASSERT_TRUE(p.config.has_value()) << p.err;
  EXPECT_EQ(p.config->run.app_binary, "/x/my-nf");
  EXPECT_EQ(p.config->run.AppName(), "my-nf");
}

TEST(OptionsTest, AttachCommands) {
  ParsedCommandLine p = ParseCommandLine({"status"});
  ASSERT_TRUE(p.config.has_value()) << p.err;
  EXPECT_EQ(p.config->command, Command::kStatus);
  EXPECT_EQ(p.config->attach.workdir, "");
  p = ParseCommandLine({"scale-out", "--workdir", "/tmp/r"});
  ASSERT_TRUE(p.config.has_value()) << p.err;
  EXPECT_EQ(p.config->command, Command::kScaleOut);
  EXPECT_EQ(p.config->attach.workdir, "/tmp/r");
  p = ParseCommandLine({"scale-in"});
  ASSERT_TRUE(p.config.has_value()) << p.err;
  EXPECT_EQ(p.config->command, Command::kScaleIn);
  // kill ID, with the id before or after --workdir.
  p = ParseCommandLine({"kill", "7", "--workdir", "/tmp/r"});
  ASSERT_TRUE(p.config.has_value()) << p.err;
  EXPECT_EQ(p.config->command, Command::kKill);
  EXPECT_EQ(p.config->attach.kill_target, 7u);
  p = ParseCommandLine({"kill", "--workdir", "/tmp/r", "99"});
  ASSERT_TRUE(p.config.has_value()) << p.err;
  EXPECT_EQ(p.config->attach.kill_target, 99u);
}

TEST(OptionsTest, UsageErrorsAreOneLineWithStatus2) {
  ExpectUsageError({}, "subcommand");
  ExpectUsageError({"launch"}, "subcommand");
  ExpectUsageError(RunArgs({"--frobnicate"}), "--frobnicate");
  ExpectUsageError({"run", "--app", "nat", "--duration", "3", "--flows", "1", "--rate", "1"},
                   "--instances");
  ExpectUsageError(RunArgs({"--instances", "65"}), "--instances");
  ExpectUsageError(RunArgs({"--rate", "fast"}), "--rate");
  ExpectUsageError(RunArgs({"--migration", "teleport"}), "teleport");
  ExpectUsageError(RunArgs({"--migration-rate", "0"}), "--migration-rate");
  ExpectUsageError(RunArgs({"--stats-interval-ms", "5"}), "--stats-interval-ms");
  ExpectUsageError(RunArgs({"--arrival", "poisson"}), "poisson");
  ExpectUsageError(RunArgs({"--missteer", "1.5"}), "--missteer");
  ExpectUsageError(RunArgs({"--scale-out-at", "3"}), "--scale-out-at must be within the run");
  ExpectUsageError(RunArgs({"--scale-in-at", "-1"}), "--scale-in-at");
  ExpectUsageError(RunArgs({"--max-instances", "1"}), "--max-instances");
  ExpectUsageError(RunArgs({"--app-binary", "/bin/true"}), "--app");
  ExpectUsageError({"run", "--instances", "1", "--duration", "1", "--flows", "1", "--rate", "1"},
                   "--app or --app-binary is required");
  ExpectUsageError({"kill"}, "ID");
  ExpectUsageError({"kill", "x"}, "x");
  ExpectUsageError({"status", "extra"}, "extra");
  ExpectUsageError({"status", "--", "x"}, "only `run`");
}

TEST(OptionsTest, HelpListsEveryOptionWithItsDefault) {
  const ParsedCommandLine top = ParseCommandLine({"--help"});
  EXPECT_FALSE(top.config.has_value());
  EXPECT_EQ(top.exit_status, 0);
  EXPECT_TRUE(top.err.empty());
  const ParsedCommandLine run = ParseCommandLine({"run", "--help"});
  EXPECT_EQ(run.exit_status, 0);
  for (const char* opt : {"--app",
                          "--app-binary",
                          "--instances",
                          "--duration",
                          "--flows",
                          "--rate",
                          "--pkt-size",
                          "--flow-size",
                          "--missteer",
                          "--pcap",
                          "--arrival",
                          "--scale-out-at",
                          "--scale-in-at",
                          "--migration",
                          "--migration-rate",
                          "--max-instances",
                          "--stats-interval-ms",
                          "--summary-json",
                          "--csv",
                          "--bin-dir",
                          "--workdir",
                          "--quiet",
                          "--log-level"}) {
    EXPECT_NE(top.out.find(opt), std::string::npos) << opt << " missing in\n" << top.out;
    EXPECT_NE(run.out.find(opt), std::string::npos) << opt << " missing in\n" << run.out;
  }
  // The top-level help covers the attach commands too; defaults are shown.
  for (const char* sub : {"status", "scale-out", "scale-in", "kill"}) {
    EXPECT_NE(top.out.find(sub), std::string::npos) << sub;
  }
  for (const char* def : {"128", "50", "200", "20000", "gradual"}) {
    EXPECT_NE(run.out.find(def), std::string::npos) << def << " missing in\n" << run.out;
  }
  EXPECT_EQ(ParseCommandLine({"help"}).out, top.out);
}

TEST(OptionsTest, FormatNumberIsShortAndExact) {
  EXPECT_EQ(FormatNumber(50), "50");
  EXPECT_EQ(FormatNumber(0.05), "0.05");
  EXPECT_EQ(FormatNumber(3), "3");
  EXPECT_EQ(FormatNumber(2.5), "2.5");
}

}  // namespace
}  // namespace s6::ctl

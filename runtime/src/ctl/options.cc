// SPDX-License-Identifier: Apache-2.0
#include "ctl/options.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>

#include <CLI/CLI.hpp>

#include <s6/cli.h>
#include <s6/log.h>
#include "trafgen/traffic.h"

namespace s6::ctl {
namespace {

constexpr char kFooter[] =
    "Arguments after `--` are the app's own options, passed to every instance (for nat, default "
    "`--public-ip 203.0.113.7`).";

// Everything the CLI11 declarations bind to, before it becomes a Config.
struct Bindings {
  Config config;
  std::string migration_mode = "gradual";
};

void AddRunOptions(CLI::App& run, Bindings& b) {
  RunOptions& r = b.config.run;
  CLI::Option* app =
      run.add_option("--app", r.app,
                     "the network function: runs s6-NAME-instance (found beside s6ctl, in "
                     "--bin-dir, or on PATH)");
  CLI::Option* binary = run.add_option(
      "--app-binary", r.app_binary,
      "run this instance executable instead (an NF built against the installed package)");
  app->excludes(binary);
  run.add_option("--instances", r.instances, "instances at the start")
      ->required()
      ->check(cli::Count(1, 64, "instances"));
  run.add_option("--duration", r.duration_s, "seconds of traffic")
      ->required()
      ->check(cli::Real(0, trafgen::kMaxDurationS, "s", /*min_exclusive=*/true));
  run.add_option("--flows", r.flows, "concurrent flows")
      ->required()
      ->check(cli::Count(1, trafgen::kMaxFlows, "flows"));
  run.add_option("--rate", r.rate_pps, "packets per second")
      ->required()
      ->check(cli::Count(1, trafgen::kMaxRatePps, "packets/s"));
  run.add_option("--pkt-size", r.pkt_size, "frame size in bytes")
      ->check(cli::Count(trafgen::kMinFrame, trafgen::kMaxFrame, "bytes"))
      ->capture_default_str();
  run.add_option("--flow-size", r.flow_size, "mean flow size in packets")
      ->check(cli::Real(1, 1e9, "packets"))
      ->capture_default_str();
  run.add_option("--missteer", r.missteer, "fraction of packets sent to the wrong instance")
      ->check(cli::Real(0, 1))
      ->capture_default_str();
  run.add_option("--pcap", r.pcap,
                 "replay this capture instead of synthetic flows (default: none)");
  run.add_option("--pcap-loops", r.pcap_loops,
                 "passes over the --pcap capture, then stop sending (default: until --duration)")
      ->check(cli::Count(0, 1'000'000'000, "passes"));
  CLI::Option* merge = run.add_option(
      "--merge-log", r.merge_log,
      "after the run, merge the logs the instances wrote (a path with {id}) into --merged-log");
  CLI::Option* merged =
      run.add_option("--merged-log", r.merged_log, "where --merge-log's merge goes");
  merge->needs(merged);
  merged->needs(merge);
  run.add_option("--arrival", r.arrival,
                 "inter-arrival times: fixed|uniform|exp|pareto (default: s6-trafgen's)")
      ->check(CLI::IsMember({"fixed", "uniform", "exp", "pareto"}));
  run.add_option("--scale-out-at", r.scale_out_at,
                 "add an instance T seconds after traffic started (repeatable; default: none)")
      ->allow_extra_args(false)
      ->check(cli::Real(0, trafgen::kMaxDurationS, "s"));
  run.add_option("--scale-in-at", r.scale_in_at,
                 "remove the newest instance at T s (repeatable; default: none)")
      ->allow_extra_args(false)
      ->check(cli::Real(0, trafgen::kMaxDurationS, "s"));
  run.add_option("--migration", b.migration_mode, "how slots move: gradual|stop-and-copy")
      ->check(CLI::IsMember({"gradual", "stop-and-copy"}))
      ->capture_default_str();
  run.add_option("--migration-rate", r.migration.slots_per_sec,
                 "slots per second the background mover pulls (gradual)")
      ->check(cli::Count(1, UINT32_MAX, "slots/s"))
      ->capture_default_str();
  run.add_option("--max-instances", r.max_instances,
                 "trafgen links, i.e. most instances at once (0: --instances + scale-outs + 2)")
      ->check(cli::Count(0, 64, "instances"))
      ->capture_default_str();
  run.add_option("--stats-interval-ms", r.stats_interval_ms,
                 "how often instances write their stats files")
      ->check(cli::Count(10, 3600 * 1000, "ms"))
      ->capture_default_str();
  run.add_option("--summary-json", r.summary_json, "write the summary here (default: none)");
  run.add_option("--csv", r.csv, "s6-trafgen's per-interval CSV (default: DIR/intervals.csv)");
  run.add_option("--bin-dir", r.bin_dir,
                 "where to look for executables after s6ctl's own directory (default: none)");
  run.add_option("--workdir", r.workdir,
                 "logs, stats files and sockets of the run (default: /tmp/s6ctl-PID)");
  run.add_flag("--quiet", r.quiet, "no live table, only the summary");
  run.add_flag("--keep", r.keep,
               "keep the workdir as it is after the run (default: its sockets are removed, and "
               "a default workdir too when the run was clean)");
  run.footer(kFooter);
}

void AddAttachOptions(CLI::App& sub, Bindings& b) {
  sub.add_option("--workdir", b.config.attach.workdir,
                 "the run's directory (default: the latest run's, from /tmp/s6ctl-latest-UID)");
}

// CLI11's messages are one line already; keep it so whatever they contain.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

ParsedCommandLine UsageError(const std::string& why) {
  ParsedCommandLine p;
  p.exit_status = 2;
  p.err = "s6ctl: " + OneLine(why) + " (see --help)";
  return p;
}

// The checks that involve more than one option.
std::optional<std::string> CheckRun(const RunOptions& r) {
  if (r.app.empty() && r.app_binary.empty()) return "--app or --app-binary is required";
  for (double t : r.scale_out_at) {
    if (t < 0 || t >= r.duration_s) return "--scale-out-at must be within the run";
  }
  for (double t : r.scale_in_at) {
    if (t < 0 || t >= r.duration_s) return "--scale-in-at must be within the run";
  }
  if (r.max_instances != 0 && (r.max_instances < r.instances || r.max_instances > 64)) {
    return "--max-instances must be within --instances..64";
  }
  return std::nullopt;
}

}  // namespace

std::string RunOptions::AppName() const {
  if (!app.empty()) return app;
  return std::filesystem::path(app_binary).filename().string();
}

int RunOptions::MaxLinks() const {
  return max_instances != 0 ? max_instances : instances + static_cast<int>(scale_out_at.size()) + 2;
}

const char* MigrationModeName(objspace::MigrationMode mode) {
  return mode == objspace::MigrationMode::kGradual ? "gradual" : "stop-and-copy";
}

std::string FormatNumber(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args) {
  Bindings b;
  CLI::App app("s6ctl: starts and watches local S6 clusters, and scales them", "s6ctl");
  app.require_subcommand(1);
  app.add_option("--log-level", b.config.log_level, log::kLevelHelp);
  CLI::App* run = app.add_subcommand("run", "start a local cluster: s6-trafgen + N instances");
  CLI::App* status = app.add_subcommand("status", "attach: the running cluster's state");
  CLI::App* out = app.add_subcommand("scale-out", "attach: queue a scale-out");
  CLI::App* in = app.add_subcommand("scale-in", "attach: queue a scale-in (the newest instance)");
  CLI::App* kill = app.add_subcommand("kill", "attach: SIGKILL instance ID (no failover)");
  AddRunOptions(*run, b);
  for (CLI::App* sub : {run, status, out, in, kill}) {
    sub->add_option("--log-level", b.config.log_level, log::kLevelHelp);
  }
  for (CLI::App* sub : {status, out, in, kill}) AddAttachOptions(*sub, b);
  kill->add_option("ID", b.config.attach.kill_target, "the instance to kill")
      ->required()
      ->check(cli::Count(1, UINT32_MAX, "instance id"));

  // `s6ctl help` is what it always was: the full help.
  if (!args.empty() && args.front() == "help") {
    ParsedCommandLine p;
    p.out = app.help("", CLI::AppFormatMode::All);
    return p;
  }
  // Everything after the first `--` belongs to the app (only `run` has one).
  std::vector<std::string> mine = args;
  std::vector<std::string> app_args;
  if (const auto sep = std::find(mine.begin(), mine.end(), "--"); sep != mine.end()) {
    app_args.assign(sep + 1, mine.end());
    mine.erase(sep, mine.end());
  }
  std::reverse(mine.begin(), mine.end());  // CLI11 takes the arguments last-first
  try {
    app.parse(mine);
  } catch (const CLI::CallForHelp&) {
    ParsedCommandLine p;
    // Top level: every subcommand with its options; `run --help`: run's.
    p.out = app.help(
        "", app.get_subcommands().empty() ? CLI::AppFormatMode::All : CLI::AppFormatMode::Normal);
    return p;
  } catch (const CLI::CallForAllHelp&) {
    ParsedCommandLine p;
    p.out = app.help("", CLI::AppFormatMode::All);
    return p;
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }

  Config& c = b.config;
  if (run->parsed()) {
    c.command = Command::kRun;
    c.run.app_args = std::move(app_args);
    c.run.migration.mode = b.migration_mode == "stop-and-copy"
                               ? objspace::MigrationMode::kStopAndCopy
                               : objspace::MigrationMode::kGradual;
    if (const auto why = CheckRun(c.run)) return UsageError(*why);
  } else {
    if (!app_args.empty()) return UsageError("only `run` takes arguments after --");
    c.command = status->parsed() ? Command::kStatus
                : out->parsed()  ? Command::kScaleOut
                : in->parsed()   ? Command::kScaleIn
                                 : Command::kKill;
  }
  ParsedCommandLine p;
  p.config = std::move(c);
  return p;
}

}  // namespace s6::ctl

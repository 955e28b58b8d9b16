// SPDX-License-Identifier: Apache-2.0
#include "trafgen/config.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <s6/cli.h>
#include <s6/log.h>
#include <CLI/CLI.hpp>

namespace s6::trafgen {
namespace {

constexpr char kProgram[] = "s6-trafgen";

constexpr char kDescription[] =
    "s6-trafgen: the network, load balancer and clients in one DPDK process. Memif server of "
    "one link per instance; generates paced synthetic flows (or replays a capture), steers them "
    "to instances by rendezvous hashing, and reports sent, received, lost, reordered, "
    "throughput and latency per interval (CSV, JSON lines) and at the end (JSON on stdout).";

constexpr char kFooter[] =
    "Control commands (--control, ZeroMQ REP, one text frame each): steer ID [ID...], status, "
    "mark-begin NAME, mark-end NAME.\n"
    "Exit status: 0, 1 (runtime error), 2 (bad arguments, an unreadable capture).";

// The value of an unsigned decimal id, or nullopt if `s` is anything else.
std::optional<uint32_t> ParseId(std::string_view s) {
  uint32_t id = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return id;
}

// "ID=SOCKET" with a decimal ID and a non-empty socket path.
std::optional<InstanceLink> ParseInstance(std::string_view s) {
  const std::size_t eq = s.find('=');
  if (eq == std::string_view::npos || eq + 1 == s.size()) return std::nullopt;
  const std::optional<uint32_t> id = ParseId(s.substr(0, eq));
  if (!id) return std::nullopt;
  return InstanceLink{*id, std::string(s.substr(eq + 1))};
}

// "1,2,3" -> {1, 2, 3}; nullopt on anything else.
std::optional<std::vector<uint32_t>> ParseIds(std::string_view s) {
  std::vector<uint32_t> out;
  for (;;) {
    const std::size_t comma = s.find(',');
    const std::optional<uint32_t> id = ParseId(s.substr(0, comma));
    if (!id) return std::nullopt;
    out.push_back(*id);
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

const std::map<std::string, SizeDist>& SizeDists() {
  static const std::map<std::string, SizeDist> kDists = {{"fixed", SizeDist::kFixed},
                                                         {"uniform", SizeDist::kUniform},
                                                         {"exp", SizeDist::kExponential},
                                                         {"pareto", SizeDist::kPareto}};
  return kDists;
}

// Checks across options, once each option parsed on its own; fills in the default active set.
std::optional<std::string> Finish(Config& c) {
  std::set<uint32_t> declared;
  for (const InstanceLink& l : c.instances) {
    if (!declared.insert(l.id).second) {
      return "instance " + std::to_string(l.id) + " is declared twice";
    }
  }
  if (c.active.empty()) c.active.assign(declared.begin(), declared.end());
  for (uint32_t id : c.active) {
    if (declared.count(id) == 0) return "--active names undeclared instance " + std::to_string(id);
  }
  std::sort(c.active.begin(), c.active.end());
  c.active.erase(std::unique(c.active.begin(), c.active.end()), c.active.end());
  return std::nullopt;
}

CommandLine UsageError(std::string why) {
  // One line, whatever the parser's message looked like.
  std::replace(why.begin(), why.end(), '\n', ' ');
  return {std::nullopt, 2, std::string(kProgram) + ": " + why + " (see --help)\n"};
}

}  // namespace

std::string_view SizeDistName(SizeDist d) {
  for (const auto& [name, dist] : SizeDists()) {
    if (dist == d) return name;
  }
  return "?";
}

CommandLine ParseCommandLine(const std::vector<std::string>& args) {
  Config c;
  CLI::App app(kDescription, kProgram);
  app.footer(kFooter);
  app.option_defaults()->always_capture_default();
  app.get_formatter()->column_width(36);

  std::vector<std::string> instances;  // ID=SOCKET each, checked here, split below
  app.add_option("--instance", instances,
                 "a link: instance ID's memif socket (repeat for each instance)")
      ->type_name("ID=SOCKET")
      ->required()
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& s) {
            return ParseInstance(s) ? std::string() : "want ID=SOCKET, got '" + s + "'";
          },
          ""))
      ->default_str("");
  // Required options have no default to show.
  app.add_option("--rate", c.rate_pps, "packets per second")
      ->required()
      ->check(cli::Real(0, kMaxRatePps, "packets/s", /*min_exclusive=*/true))
      ->default_str("");
  app.add_option("--duration", c.duration_s, "seconds of sending")
      ->required()
      ->check(cli::Real(0, kMaxDurationS, "s", /*min_exclusive=*/true))
      ->default_str("");
  app.add_option("--flows", c.flows.concurrent_flows, "concurrent flows")
      ->check(cli::Count(1, kMaxFlows, "flows"));
  app.add_option("--pkt-size", c.flows.frame_bytes, "Ethernet frame bytes (synthetic flows)")
      ->check(cli::Count(kMinFrame, kMaxFrame, "bytes"));
  app.add_option("--flow-size", c.flows.mean_flow_packets, "mean flow size in packets")
      ->check(cli::Real(1, 1e9, "packets"));
  std::string dist(SizeDistName(c.flows.size_dist));
  app.add_option("--dist", dist, "flow sizes: fixed|uniform|exp|pareto")
      ->check(CLI::IsMember({"fixed", "uniform", "exp", "pareto"}));
  std::string arrival(ArrivalDistName(c.arrival));
  app.add_option("--arrival", arrival, "inter-arrival times: fixed|uniform|exp|pareto")
      ->check(CLI::IsMember({"fixed", "uniform", "exp", "pareto"}));
  app.add_option("--arrival-shape", c.arrival_shape, "Pareto shape of inter-arrival times, > 1")
      ->check(cli::Real(1, 1e6, "", /*min_exclusive=*/true));
  app.add_option("--pcap", c.pcap_path, "replay this capture instead of synthetic flows");
  app.add_option("--loops", c.pcap_loops,
                 "replay: passes over the capture, then stop sending (default: until --duration)")
      ->check(cli::Count(0, 1'000'000'000, "passes"));
  app.add_option("--tcp-fraction", c.flows.tcp_fraction, "fraction of new flows that are TCP")
      ->check(cli::Real(0, 1));
  app.add_option("--missteer", c.missteer, "fraction of packets sent to another instance")
      ->check(cli::Real(0, 1));
  app.add_option("--backlog", c.backlog_frames, "frames waiting per link")
      ->check(cli::Count(1, 1 << 20, "frames"));
  std::string active;
  app.add_option("--active", active, "instances steered to at the start (default: all)")
      ->type_name("ID[,ID...]")
      ->check(CLI::Validator(
          [](std::string& s) {
            return ParseIds(s) ? std::string() : "want ID[,ID...], got '" + s + "'";
          },
          ""));
  app.add_option("--control", c.control_endpoint,
                 "ZeroMQ endpoint of the control socket (ipc:// files are made owner-only)");
  app.add_option("--interval-ms", c.interval_ms, "reporting interval")
      ->check(cli::Count(1, 3600 * 1000, "ms"));
  app.add_option("--csv", c.csv_path, "per-interval CSV, one row per instance");
  app.add_option("--interval-json", c.interval_json_path, "per-interval JSON lines");
  app.add_option("--json", c.json_path, "the summary, also printed on stdout");
  app.add_option("--ready-file", c.ready_path, "written once every link listens");
  app.add_option("--drain-ms", c.drain_ms, "receiving after sending ended")
      ->check(cli::Count(0, 3600 * 1000, "ms"));
  app.add_option("--seed", c.flows.seed, "random seed of the run")
      ->check(cli::Count(0, UINT64_MAX));
  app.add_option("--dpdk-memory", c.dpdk_memory_mb, "DPDK memory in MB (no hugepages)")
      ->check(cli::Count(16, 1 << 20, "MB"));
  app.add_option("--log-level", c.log_level, s6::log::kLevelHelp);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last-first
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, app.help()};
  } catch (const CLI::CallForAllHelp&) {
    return {std::nullopt, 0, app.help()};
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }

  for (const std::string& s : instances) c.instances.push_back(*ParseInstance(s));
  if (!active.empty()) c.active = *ParseIds(active);
  c.flows.size_dist = SizeDists().at(dist);
  ParseArrivalDist(arrival, c.arrival);  // IsMember admitted only known names
  if (std::optional<std::string> why = Finish(c)) return UsageError(std::move(*why));
  return {std::move(c), 0, ""};
}

}  // namespace s6::trafgen

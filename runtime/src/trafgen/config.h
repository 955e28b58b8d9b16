// SPDX-License-Identifier: Apache-2.0
// File: trafgen/config.h
//
// s6-trafgen's command line: every option, parsed into one typed Config.
//
// Theory of operation: CLI11 declares each option bound to its Config field, so the field's
// initial value is the default `--help` shows; per-option checks (ranges, choices, ID=SOCKET)
// are CLI11 validators, and what spans several options (a link declared twice, --active naming
// an undeclared link) is checked once parsing succeeded. The outcome is data, not I/O: either a
// Config to run with or the exit status and text to print (help on stdout with status 0, a
// one-line usage error on stderr with status 2), so tests examine it without a process. The
// option names and meanings are a contract: s6ctl launches s6-trafgen with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trafgen/pacer.h"
#include "trafgen/traffic.h"

namespace s6::trafgen {

/// One declared link (--instance ID=SOCKET): the instance it leads to and its memif socket.
struct InstanceLink {
  uint32_t id = 0;
  std::string socket;
};

struct Config {
  /// Declared links, in command-line order (the memif device of link i is net_memif<i>).
  std::vector<InstanceLink> instances;
  /// The links steered to at the start: sorted, without repeats; all declared ones by default.
  std::vector<uint32_t> active;
  /// Synthetic flows (and the seed every random choice of the run derives from).
  FlowConfig flows;
  double rate_pps = 0;
  double duration_s = 0;
  double missteer = 0;
  ArrivalDist arrival = ArrivalDist::kFixed;
  double arrival_shape = 1.5;
  /// Replay this capture instead of synthetic flows (empty: synthetic).
  std::string pcap_path;
  /// Replay: passes over the capture before sending stops (0: loop until the duration ends).
  uint64_t pcap_loops = 0;
  std::size_t backlog_frames = 8192;
  std::string control_endpoint;
  int interval_ms = 100;
  int drain_ms = 500;
  std::string csv_path;
  std::string interval_json_path;
  std::string json_path;
  std::string ready_path;
  int dpdk_memory_mb = 256;
  /// --log-level: applied after $S6_LOG by the caller (s6::log::ConfigureFromEnv).
  std::string log_level;
};

/// What a command line asks for: run with `config`, or exit now with `exit_code` after
/// printing `output` (on stdout when the code is 0, on stderr otherwise).
struct CommandLine {
  std::optional<Config> config;
  int exit_code = 0;
  std::string output;
};

/// Parses `args` (argv without the program name).
CommandLine ParseCommandLine(const std::vector<std::string>& args);

std::string_view SizeDistName(SizeDist d);

}  // namespace s6::trafgen

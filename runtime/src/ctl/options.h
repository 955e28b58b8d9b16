// SPDX-License-Identifier: Apache-2.0
// File: ctl/options.h
//
// s6ctl's command line, parsed (CLI11) into one typed Config.
//
// Theory of operation
// -------------------
// `s6ctl run ...` starts a cluster; `s6ctl status|scale-out|scale-in|kill ID` attach to a
// running one. Every option is declared once, with its type, check and default, so `--help`
// (every subcommand's options, with defaults) and `run --help` are generated from the same
// declarations that parse. Parsing never prints or exits: it returns what to print and the
// exit status (0 after help; 2 on a usage error, whose message is one line), so tests can
// drive it with argument vectors. Arguments after the first `--` of `run` are the app's own
// options, handed to every instance unchanged; CLI11 never sees them. Checks that involve
// several options (an event time within the run, --max-instances against --instances) run
// after CLI11's per-option checks, with the same one-line error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "objspace/space_stats.h"

namespace s6::ctl {

enum class Command { kRun, kStatus, kScaleOut, kScaleIn, kKill };

/// `s6ctl run`: the cluster, its traffic, its scale events and where results go.
struct RunOptions {
  std::string app;         ///< NAME: runs s6-NAME-instance
  std::string app_binary;  ///< or this instance executable
  int instances = 0;
  double duration_s = 0;
  uint64_t flows = 0;
  uint64_t rate_pps = 0;
  uint32_t pkt_size = 128;
  double flow_size = 50;
  double missteer = 0;
  std::string pcap;
  uint64_t pcap_loops = 0;  ///< replay passes (0: until the duration ends)
  /// After the run: the per-instance logs (this pattern, "{id}" for the instance id) merged
  /// into merged_log, their common first line (a header) once. Both empty: no merge.
  std::string merge_log;
  std::string merged_log;
  std::string arrival;  ///< empty: trafgen's default
  std::vector<double> scale_out_at;
  std::vector<double> scale_in_at;
  objspace::MigrationOptions migration;
  int max_instances = 0;  ///< 0: instances + scale-outs + 2
  int stats_interval_ms = 200;
  std::string summary_json;
  std::string csv;
  std::string bin_dir;
  std::string workdir;  ///< empty: /tmp/s6ctl-PID
  bool quiet = false;
  bool keep = false;  ///< keep the workdir's sockets (and a default workdir) after the run
  std::vector<std::string> app_args;  ///< after `--`

  /// The app's name for messages: --app, or the file name of --app-binary.
  std::string AppName() const;
  /// How many trafgen links (possible instances) the run provides.
  int MaxLinks() const;
};

/// `s6ctl status|scale-out|scale-in|kill ID`.
struct AttachOptions {
  std::string workdir;  ///< empty: the latest run's
  uint32_t kill_target = 0;
};

struct Config {
  Command command = Command::kRun;
  RunOptions run;
  AttachOptions attach;
  std::string log_level;
};

/// What the command line asks for: a Config to run, or text to print and an exit status.
struct ParsedCommandLine {
  std::optional<Config> config;
  int exit_status = 0;
  std::string out;  ///< help text (stdout)
  std::string err;  ///< one line (stderr), on a usage error
};

/// Parses the arguments after argv[0].
ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args);

/// "gradual" or "stop-and-copy".
const char* MigrationModeName(objspace::MigrationMode mode);

/// A number as the tools take it on their command lines: the shortest form that reads back
/// exactly ("50", "0.05"), never std::to_string's fixed six decimals.
std::string FormatNumber(double v);

}  // namespace s6::ctl

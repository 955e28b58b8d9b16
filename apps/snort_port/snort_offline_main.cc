// SPDX-License-Identifier: Apache-2.0
// s6-snort: the Snort port over a capture, with Snort's command line where it applies.
//
//   s6-snort -c RULES [-c RULES...] -r FILE.pcap [-A fast|json|none] [-l DIR] [-S VAR=VALUE]
//            [--vars FILE] [--enable-all-rules] [-k none] [-q] [--stats-json FILE]
//            [--host-report FILE] [--naive-engine] [--log-level L]
//
// Reads pcap or pcapng (Ethernet, raw IP, Linux SLL and loopback link types; others are
// refused naming the link type). Alerts go to standard output, or with -l DIR to
// DIR/alert_fast.txt (alert_json.txt for -A json), appended as Snort does. The rule loading
// report (one warning per skipped rule, then the totals) goes to standard error; the counters
// as JSON unless -q — to standard output with -l, to standard error when the alerts take
// standard output — and to --stats-json. Checksums are
// never verified (Snort's -k none); -k none is accepted for compatibility. Every packet goes
// through the object space of one instance whose clock follows the capture; at the end,
// every open flow is flushed and inspected. Exit status: 0 ok, 1 runtime error, 2 usage or
// bad input.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include <s6/cli.h>
#include <s6/host.h>
#include <s6/log.h>
#include <s6/stats.h>

#include "snort_nf.h"

namespace {

constexpr const char* kProgram = "s6-snort";

struct Args {
  snort::SnortOptions nf;
  std::string pcap;
  std::string mode = "fast";
  std::string log_dir;
  std::string checksum_mode;
  std::string stats_json;
  std::string host_report;
  std::string log_level;
};

void AddFlags(CLI::App& app, Args& a) {
  app.add_option("-c,-R,--rules", a.nf.rule_files, "rules file (Snort 2.9 syntax); repeatable")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("-r", a.pcap, "read this capture (pcap or pcapng)")->required();
  app.add_option("-A", a.mode, "alert mode: fast, json or none")
      ->check(CLI::IsMember({"fast", "json", "none"}));
  app.add_option("-l", a.log_dir, "write alerts to alert_fast.txt / alert_json.txt here")
      ->check(CLI::ExistingDirectory);
  app.add_option("-S", a.nf.set_vars, "set a rule variable: NAME=VALUE");
  app.add_option("--vars", a.nf.var_file, "a file of `var|ipvar|portvar NAME VALUE` lines")
      ->check(CLI::ExistingFile);
  app.add_option("-k", a.checksum_mode, "checksum mode: only none (checksums are not verified)")
      ->check(CLI::IsMember({"none"}));
  app.add_flag("--enable-all-rules", a.nf.enable_all_rules,
               "also load the rules that are commented out in the rule files");
  app.add_flag("-q", a.nf.quiet, "quiet: no totals on stderr, no counters on stdout");
  app.add_option("--stats-json", a.stats_json, "also write the counters (JSON) here");
  app.add_option("--host-report", a.host_report,
                 "write each alerting host's counts (JSON) here at the end");
  app.add_flag("--naive-engine", a.nf.naive_engine,
               "verify every rule on every packet, no prefilter (the benchmark's baseline)");
  app.add_option("--event-queue", a.nf.max_queue, "events kept per packet (event_queue.max_queue)")
      ->check(s6::cli::Count(1, 1000, "events"));
  app.add_option("--event-log", a.nf.log_limit, "events logged per packet (event_queue.log)")
      ->check(s6::cli::Count(1, 1000, "events"));
  app.add_option("--log-level", a.log_level, s6::log::kLevelHelp);
}

nlohmann::json HostReport(snort::SnortNf& nf) {
  nlohmann::json hosts = nlohmann::json::object();
  for (const auto& [addr, h] : nf.LocalHosts()) {
    hosts[addr] = {{"alerts", h.alerts},
                   {"priority_1", h.by_priority[0]},
                   {"priority_2", h.by_priority[1]},
                   {"priority_3", h.by_priority[2]},
                   {"other_priority", h.by_priority[3]},
                   {"distinct_sids", h.distinct_sids},
                   {"first_ns", h.first_ns},
                   {"last_ns", h.last_ns}};
  }
  return hosts;
}

bool WriteJson(const std::string& path, const nlohmann::json& j) {
  std::ofstream f(path);
  f << j.dump() << "\n";
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  CLI::App app("s6-snort: a signature IDS over a capture, reading Snort rules", kProgram);
  AddFlags(app, a);
  if (std::optional<int> exit = s6::host::ParseCommandLine(app, argc, argv, a.log_level)) {
    return *exit;
  }
  if (a.mode != "none") {
    a.nf.format =
        a.mode == "json" ? snort::AlertOutput::Format::kJson : snort::AlertOutput::Format::kFast;
    a.nf.alert_path = a.log_dir.empty() ? "-"
                                        : (std::filesystem::path(a.log_dir) /
                                           (a.mode == "json" ? "alert_json.txt" : "alert_fast.txt"))
                                              .string();
  }
  nlohmann::json counters, hosts;
  s6::Status alerts_written = s6::OkStatus();
  // Packet processing time: from the NF's creation (rules compiled) to the end of the capture.
  using Clock = std::chrono::steady_clock;
  Clock::time_point created, ended;
  s6::host::NfDefinition def = snort::SnortDefinition(a.nf);
  def.create = [&created, create = def.create](s6::Space& space) {
    auto nf = create(space);
    created = Clock::now();
    return nf;
  };
  s6::host::CaptureOptions run;
  run.pcap_in = a.pcap;
  run.at_end = [&](s6::NetworkFunction& fn) {
    ended = Clock::now();
    counters =
        nlohmann::json::parse(s6::StatsToJson([&fn](s6::StatsSink& s) { fn.WriteStats(s); }));
    auto& nf = static_cast<snort::SnortNf&>(fn);
    alerts_written = nf.FlushAlerts();
    if (!a.host_report.empty()) hosts = HostReport(nf);
  };
  const s6::StatusOr<s6::host::CaptureCounts> n = s6::host::RunCapture(def, run);
  if (!n.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, n.status().message().c_str());
    return n.status().code() == s6::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (!alerts_written.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, alerts_written.message().c_str());
    return 1;
  }
  const nlohmann::json out = {{"capture", a.pcap},
                              {"packets_read", n->read},
                              {"too_short", n->too_short},
                              {"processing_ns", (ended - created).count()},
                              {"snort", counters}};
  if (!a.nf.quiet) std::fprintf(a.log_dir.empty() ? stderr : stdout, "%s\n", out.dump().c_str());
  if (!a.stats_json.empty() && !WriteJson(a.stats_json, out)) {
    std::fprintf(stderr, "%s: cannot write '%s'\n", kProgram, a.stats_json.c_str());
    return 1;
  }
  if (!a.host_report.empty() && !WriteJson(a.host_report, hosts)) {
    std::fprintf(stderr, "%s: cannot write '%s'\n", kProgram, a.host_report.c_str());
    return 1;
  }
  return 0;
}

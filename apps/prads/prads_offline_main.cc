// SPDX-License-Identifier: Apache-2.0
// s6-prads: PRADS over a capture, with PRADS's own command line.
//
//   s6-prads -r FILE.pcap [-l LOG] [-c CONF] [-a NETS] [-XFRMSAKUTtI...] [-v] [-q]
//            [--stats-json FILE] [--sig-dir DIR] [--any-link] [--log-level L]
//
// Reads pcap or pcapng; appends asset records to LOG in PRADS's format (the header only for a
// new file); prints PRADS's statistics as JSON ("prads": {...}) on stdout. Every packet goes
// through the object space of one instance whose clock follows the capture. A capture whose
// link type is not Ethernet is refused (PRADS reads every frame as Ethernet and finds nothing
// in it) unless --any-link decodes it. Options PRADS has but an offline run cannot use
// (-i, -D, -f, -B, -P/-H DHCP, -b filters, -Z/-O/-x/-L connection output) are refused with a
// message. Exit status: 0 ok, 1 runtime error, 2 usage or bad input.
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include <s6/host.h>
#include <s6/log.h>
#include <s6/stats.h>

#include "prads.h"

namespace {

constexpr const char* kProgram = "s6-prads";

struct Args {
  prads::PradsOptions nf;
  std::string pcap;
  std::string stats_json;
  std::string log_level;
  int verbose = 0;
  bool keep_privileges = false;
};

bool IsPcapng(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  return f.read(magic, 4) && std::memcmp(magic, "\x0a\x0d\x0d\x0a", 4) == 0;
}

void AddPradsFlags(CLI::App& app, Args& a) {
  app.add_option("-r", a.pcap, "read this capture (pcap or pcapng)")->required();
  app.add_option("-l", a.nf.asset_log, "append asset records to this file")->capture_default_str();
  app.add_option("-c", a.nf.config_path, "prads.conf")->capture_default_str();
  app.add_option("-a", a.nf.home_nets, "home nets, e.g. 192.168.0.0/25,10.0.0.0/255.0.0.0");
  app.add_flag("-v", a.verbose, "verbose: list every signature file's load report");
  app.add_flag("-q", a.nf.quiet, "quiet: no statistics on stdout, no load counts on stderr");
  app.add_flag("-d", a.keep_privileges, "accepted (an offline run drops no privileges)");
  // PRADS's flag pickers, applied in command-line order after the config file.
  const char* picks[][2] = {{"X", "clear all detectors"},
                            {"F", "FIN"},
                            {"R", "RST"},
                            {"M", "MAC and ARP"},
                            {"S", "SYN"},
                            {"A", "stray ACK"},
                            {"K", "SYN+ACK"},
                            {"U", "UDP services"},
                            {"T", "TCP servers"},
                            {"t", "TCP clients"},
                            {"I", "ICMP (no effect, as in PRADS)"}};
  for (const auto& [letter, what] : picks) {
    const char ch = letter[0];
    app.add_flag_callback(
           std::string("-") + letter, [&a, ch] { a.nf.flag_picks += ch; },
           std::string("flag picker: ") + what)
        ->trigger_on_parse()
        ->group("PRADS flag pickers");
  }
  for (const char* refused : {"-i", "-b", "-u", "-g", "-p", "-f", "-C", "-s", "-L"}) {
    app.add_option_function<std::string>(
           refused,
           [refused](const std::string&) {
             throw CLI::ValidationError(std::string(refused),
                                        "is a live-capture or daemon option; s6-prads reads "
                                        "captures (run s6-prads-instance under s6ctl instead)");
           },
           "not for offline runs")
        ->group("");
  }
  for (const char* refused : {"-D", "-B", "-P", "-H", "-Z", "-O", "-x"}) {
    app.add_flag_callback(
           refused,
           [refused] {
             throw CLI::ValidationError(std::string(refused),
                                        "is not supported by s6-prads (daemon mode, DHCP "
                                        "fingerprints and connection logs are not ported)");
           },
           "not supported")
        ->group("");
  }
  app.add_option("--stats-json", a.stats_json, "also write the statistics (JSON) here");
  app.add_option("--sig-dir", a.nf.sig_dir, "signature directory (default: the config's)");
  app.add_flag("--expire", a.nf.expire,
               "expire connections and assets on the capture's clock (prads -r does not)");
  app.add_flag("--any-link", a.nf.any_link,
               "decode raw-IP, SLL and loopback captures (PRADS reads only Ethernet)");
  app.add_option("--log-level", a.log_level, s6::log::kLevelHelp);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.nf.expire = false;  // as prads -r (see Prads::Setup::expire)
  a.nf.asset_log = "/var/log/prads-asset.log";
  a.nf.config_path = "/etc/prads/prads.conf";
  CLI::App app("s6-prads: passive asset detection over a capture, PRADS 0.3.3 compatible",
               kProgram);
  AddPradsFlags(app, a);
  if (std::optional<int> exit = s6::host::ParseCommandLine(app, argc, argv, a.log_level)) {
    return *exit;
  }
  if (app.count("-c") == 0 && !std::filesystem::exists(a.nf.config_path)) {
    a.nf.config_path.clear();  // no prads.conf installed: PRADS's defaults, as prads does
  }
  // Reproduce the ICMP fingerprint's first field as Debian's prads prints it for these
  // arguments (see ipfp.h: it is a buffer address in prads).
  a.nf.icmp_frame_addr_low =
      prads::DebianPradsFrameAddrLow(a.pcap.size(), a.nf.asset_log.size(), IsPcapng(a.pcap));

  nlohmann::json prads_stats;
  s6::host::CaptureOptions run;
  run.pcap_in = a.pcap;
  run.on_open = [&a](int linktype) -> s6::Status {
    if (linktype == DLT_EN10MB || a.nf.any_link) return s6::OkStatus();
    const char* name = pcap_datalink_val_to_name(linktype);
    return s6::InvalidArgumentError(
        "'" + a.pcap + "': link type " + std::to_string(linktype) + " (" +
        (name != nullptr ? name : "unknown") +
        ") is not Ethernet; PRADS reads every frame as Ethernet and finds no assets in it. Use "
        "--any-link to decode it.");
  };
  run.at_end = [&](s6::NetworkFunction& nf) {
    prads_stats =
        nlohmann::json::parse(s6::StatsToJson([&nf](s6::StatsSink& s) { nf.WriteStats(s); }));
  };
  const s6::StatusOr<s6::host::CaptureCounts> n =
      s6::host::RunCapture(prads::PradsDefinition(a.nf), run);
  if (!n.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, n.status().message().c_str());
    return n.status().code() == s6::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const nlohmann::json out = {{"capture", a.pcap},
                              {"packets_read", n->read},
                              {"too_short", n->too_short},
                              {"prads", prads_stats}};
  if (!a.nf.quiet) std::printf("%s\n", out.dump(a.verbose > 0 ? 2 : -1).c_str());
  if (!a.stats_json.empty()) {
    std::ofstream f(a.stats_json);
    f << out.dump() << "\n";
    if (!f) {
      std::fprintf(stderr, "%s: cannot write '%s'\n", kProgram, a.stats_json.c_str());
      return 1;
    }
  }
  return 0;
}

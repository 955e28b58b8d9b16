// SPDX-License-Identifier: Apache-2.0
// Theory of operation: everything around the NF that runs once per process — the asset log
// file, the configuration (prads.conf, then PRADS's command-line flag pickers, then our
// overrides), the signature databases (loaded once, shared read-only by every packet), and the
// host's NfDefinition for s6-prads-instance.
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "prads.h"

namespace prads {

s6::StatusOr<std::unique_ptr<AssetLog>> AssetLog::Open(const std::string& path) {
  std::error_code ec;
  const bool fresh =
      !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    return s6::InvalidArgumentError("cannot open asset log '" + path +
                                    "': " + std::strerror(errno));
  }
  std::unique_ptr<AssetLog> log(new AssetLog(f));
  if (fresh) {
    std::fputs(kHeader, f);
    std::fputc('\n', f);
    std::fflush(f);
  }
  return log;
}

AssetLog::~AssetLog() { std::fclose(file_); }

void AssetLog::Write(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
  ++lines_;
}

s6::StatusOr<std::shared_ptr<const Databases>> Databases::Load(const PradsConfig& config) {
  std::vector<LoadReport> reports;
  TcpOsDatabase::Paths tcp = TcpOsDatabase::DefaultPaths(config.sig_dir);
  tcp.syn = config.SynFile();
  tcp.synack = config.SynAckFile();
  tcp.ack = config.AckFile();
  tcp.fin = config.FinFile();
  tcp.rst = config.RstFile();
  S6_ASSIGN_OR_RETURN(TcpOsDatabase tcp_os, TcpOsDatabase::Load(tcp, &reports));
  const ServiceDatabase::Paths svc{config.ServTcpFile(), config.CliTcpFile(), config.ServUdpFile()};
  S6_ASSIGN_OR_RETURN(ServiceDatabase services, ServiceDatabase::Load(svc, &reports));
  LoadReport mac_report;
  S6_ASSIGN_OR_RETURN(MacDatabase mac, MacDatabase::Load(config.MacFile(), &mac_report));
  reports.push_back(std::move(mac_report));
  return std::make_shared<const Databases>(
      Databases{std::move(tcp_os), std::move(services), std::move(mac), std::move(reports)});
}

void ApplyFlagPicks(std::string_view picks, PradsConfig& c) {
  for (const char ch : picks) {
    switch (ch) {
      case 'X':  // clear every detector, then pick
        c.os_syn = c.os_synack = c.os_ack = c.os_fin = c.os_rst = c.os_udp = c.os_icmp = false;
        c.arp = c.mac = c.service_tcp = c.client_tcp = c.service_udp = false;
        break;
      case 'F':
        c.os_fin = true;
        break;
      case 'R':
        c.os_rst = true;
        break;
      case 'M':
        c.mac = c.arp = true;
        break;
      case 'S':
        c.os_syn = true;
        break;
      case 'A':
        c.os_ack = true;
        break;
      case 'K':
        c.os_synack = true;
        break;
      case 'U':
        c.service_udp = true;
        break;
      case 'T':
        c.service_tcp = true;
        break;
      case 't':
        c.client_tcp = true;
        break;
      default:  // 'I' sets PRADS's CS_ICMP, which no detector reads
        break;
    }
  }
}

s6::StatusOr<Prads::Setup> LoadSetup(const PradsOptions& o, uint32_t instance_id,
                                     std::string_view program) {
  Prads::Setup setup;
  std::vector<std::string> warnings;
  if (o.config_path.empty()) {
    setup.config = ParseConfigText("", "defaults", &warnings);
  } else {
    S6_ASSIGN_OR_RETURN(setup.config, LoadConfig(o.config_path, &warnings));
  }
  for (const std::string& w : warnings) {
    std::fprintf(stderr, "%.*s: %s\n", int(program.size()), program.data(), w.c_str());
  }
  ApplyFlagPicks(o.flag_picks, setup.config);
  if (!o.home_nets.empty()) {
    std::vector<std::string> problems;
    setup.config.home_nets = HomeNets::Parse(o.home_nets, &problems);
    if (!problems.empty()) return s6::InvalidArgumentError("home nets: " + problems.front());
  }
  if (!o.sig_dir.empty()) setup.config.sig_dir = o.sig_dir;
  S6_ASSIGN_OR_RETURN(setup.db, Databases::Load(setup.config));
  for (const LoadReport& r : setup.db->reports) {
    if (!o.quiet || r.skipped != 0) {
      std::fprintf(stderr, "%.*s: %s: loaded %zu, skipped %zu\n", int(program.size()),
                   program.data(), r.file.c_str(), r.loaded, r.skipped);
    }
    for (const std::string& e : r.errors) std::fprintf(stderr, "  %s\n", e.c_str());
  }
  if (!o.asset_log.empty()) {
    std::string path = o.asset_log;
    if (const size_t at = path.find("{id}"); at != std::string::npos) {
      path.replace(at, 4, std::to_string(instance_id));
    }
    S6_ASSIGN_OR_RETURN(setup.log, AssetLog::Open(path));
  }
  setup.any_link = o.any_link;
  setup.icmp_frame_addr_low = o.icmp_frame_addr_low;
  setup.expire = o.expire;
  return setup;
}

s6::host::NfDefinition PradsDefinition(PradsOptions& o) {
  return {
      .name = "prads",
      .description = "passive asset detection (PRADS 0.3.3's detectors and asset log) on S6",
      .add_options =
          [&o](CLI::App& app) {
            app.add_option("-c,--config", o.config_path, "prads.conf (default: PRADS's defaults)");
            app.add_option("-l,--asset-log", o.asset_log,
                           "append asset records here; {id} becomes the instance id");
            app.add_option("--sig-dir", o.sig_dir,
                           "signature files' directory (default: the config's, /etc/prads)");
            app.add_option("-a,--home-nets", o.home_nets,
                           "home networks, e.g. 192.168.0.0/24,10.0.0.0/255.0.0.0");
            app.add_flag("--any-link", o.any_link,
                         "decode raw-IP, SLL and loopback frames (PRADS reads only Ethernet)");
            app.add_option("--flags", o.flag_picks,
                           "PRADS's flag pickers applied after the config, e.g. XSKFRAMUTt");
          },
      .validate = nullptr,
      .create = [&o](s6::Space& space) -> s6::StatusOr<std::unique_ptr<s6::NetworkFunction>> {
        S6_ASSIGN_OR_RETURN(Prads::Setup setup, LoadSetup(o, s6::ToUint(space.self()), "s6-prads"));
        return std::unique_ptr<s6::NetworkFunction>(
            std::make_unique<Prads>(space, std::move(setup)));
      }};
}

}  // namespace prads

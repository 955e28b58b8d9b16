// SPDX-License-Identifier: Apache-2.0
// s6-trafgen: the network, load balancer and clients in one DPDK process. It is the memif
// server of one link per instance, generates synthetic flows (or replays a capture) at a paced
// rate, steers each flow to an instance by rendezvous hashing (optionally mis-steering a
// fraction of packets), timestamps every packet, receives what the instances forward back and
// reports per interval (CSV, JSON lines) and at the end (JSON): sent, received, lost,
// reordered, throughput, latency percentiles, per instance and in total.
//
//   s6-trafgen --instance 1=/tmp/s6-1.memif --instance 2=/tmp/s6-2.memif --rate 50000
//              --flows 8000 --duration 15 [--pcap FILE] [--control ENDPOINT] ...
//   s6-trafgen --help   (every option with its default)
//
// Theory of operation: this file only wires the units of runtime/src/trafgen together, in the
// order their failures must be reported: the command line (trafgen/config.h) and the log
// levels; the capture (trafgen/pcap_replay.h) and the control socket (trafgen/control.h),
// before DPDK starts, because a bad file or endpoint is the operator's error; the memif links
// (trafgen/dpdk_links.h); the run (trafgen/run.h); the summary (trafgen/summary.h), printed on
// stdout and written to --json.
//
// Exit status 0, 1 (runtime error), 2 (bad arguments, an unreadable capture or endpoint).
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <s6/log.h>
#include "trafgen/config.h"
#include "trafgen/control.h"
#include "trafgen/dpdk_links.h"
#include "trafgen/pcap_replay.h"
#include "trafgen/report.h"
#include "trafgen/run.h"
#include "trafgen/summary.h"

int main(int argc, char** argv) {
  namespace tg = s6::trafgen;
  const tg::CommandLine cl = tg::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!cl.config) {
    std::fputs(cl.output.c_str(), cl.exit_code == 0 ? stdout : stderr);
    return cl.exit_code;
  }
  const tg::Config& config = *cl.config;
  if (const s6::Status st = s6::log::ConfigureFromEnv(config.log_level); !st.ok()) {
    std::fprintf(stderr, "s6-trafgen: %s\n", st.message().c_str());
    return 2;
  }
  const std::shared_ptr<spdlog::logger> log = s6::log::Get("trafgen");

  std::optional<tg::PcapReplay> replay;
  if (!config.pcap_path.empty()) {
    s6::StatusOr<tg::PcapReplay> r = tg::PcapReplay::Load(config.pcap_path);
    if (!r.ok()) {
      log->error("{}", r.status().message());
      return 2;
    }
    if (r->empty()) {
      log->error("'{}' holds no IPv4 TCP/UDP/ICMP packet to replay ({} skipped)", config.pcap_path,
                 r->skipped());
      return 2;
    }
    log->info("replaying {}: {} packets in {} flows ({} skipped)", config.pcap_path, r->packets(),
              r->flows(), r->skipped());
    replay.emplace(std::move(*r));
  }
  std::unique_ptr<tg::ControlSocket> control;
  if (!config.control_endpoint.empty()) {
    auto c = tg::ControlSocket::Bind(config.control_endpoint);
    if (!c.ok()) {
      log->error("{}", c.status().message());
      return 2;
    }
    control = std::move(*c);
    log->info("control socket at {}", control->endpoint());
  }

  auto links = tg::DpdkLinks::Open(config);
  if (!links.ok()) {
    log->error("{}", links.status().ToString());
    return 1;
  }
  tg::RunLoop loop(config, (*links)->links(), std::move(replay), control.get());
  const s6::StatusOr<tg::RunSummary> run = loop.Run();
  if (!run.ok()) {
    log->error("{}", run.status().ToString());
    return 1;
  }
  const std::string summary = tg::Dump(tg::SummaryJson(*run, config));
  std::printf("%s\n", summary.c_str());
  if (!config.json_path.empty() && !(std::ofstream(config.json_path) << summary << "\n")) {
    log->error("cannot write --json '{}'", config.json_path);
    return 1;
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// File: host/offline.cc — s6::host::OfflineMain (see s6/host.h).
//
// Theory of operation: one instance with no peers (every slot homed here) and a manual clock
// that follows the capture's timestamps; each packet runs in its own micro-thread, and the
// loop is driven until that packet's Process returned, so packets are handled strictly in
// capture order (an offline run is a reference, comparable packet for packet). Frames keep
// their link-layer prefix (Linux SLL, loopback) in the output; the NF sees the bytes from the
// Ethernet or IPv4 header on (s6::net::LinkLayerFor decides which).
#include <pcap/pcap.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <s6/clock.h>
#include <s6/host.h>
#include <s6/log.h>
#include <s6/net.h>
#include "host/cli.h"
#include "instance/instance.h"
#include "stats/json_sink.h"

namespace s6::host {
namespace {

struct OfflineArgs {
  std::string pcap_in;
  std::string pcap_out;
  std::string stats_json;
  std::string log_level;
};

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

struct Counts {
  uint64_t read = 0;
  uint64_t written = 0;
  uint64_t dropped = 0;
  uint64_t consumed = 0;
  uint64_t too_short = 0;
};

// Runs one packet through the NF to completion; false when it could not (no micro-thread, or
// it never finished: an NF waiting on something an offline run never delivers).
bool ProcessOne(Instance& inst, NetworkFunction& nf, Packet& pkt, Verdict& verdict) {
  bool done = false;
  if (!inst.Spawn([&] {
        verdict = nf.Process(pkt, inst);
        done = true;
      })) {
    return false;
  }
  for (int spins = 0; !done && spins < 1'000'000; ++spins) inst.RunOnce(0);
  return done;
}

}  // namespace

int OfflineMain(int argc, char** argv, const NfDefinition& nf) {
  OfflineArgs a;
  CLI::App app(nf.description.empty() ? "an S6 network function over a capture" : nf.description,
               ProgramName(argc, argv, "s6-" + nf.name));
  app.add_option("--pcap-in", a.pcap_in, "capture to read")->required();
  app.add_option("--pcap-out", a.pcap_out, "capture of what the NF forwards")->required();
  app.add_option("--stats-json", a.stats_json, "also write the counters (JSON) here");
  AddLogLevelOption(app, a.log_level);
  if (nf.add_options) nf.add_options(*app.add_option_group(nf.name + " options"));
  const std::string program = app.get_name();
  if (std::optional<int> exit = ParseCommandLine(app, argc, argv, a.log_level)) return *exit;
  if (nf.validate) {
    if (const Status st = nf.validate(); !st.ok()) {
      std::fprintf(stderr, "%s: %s (see --help)\n", program.c_str(), st.message().c_str());
      return 2;
    }
  }
  const std::shared_ptr<spdlog::logger> log = log::Get("host");

  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> in(pcap_open_offline(a.pcap_in.c_str(), err));
  if (!in) {
    std::fprintf(stderr, "%s: cannot read '%s': %s\n", program.c_str(), a.pcap_in.c_str(), err);
    return 2;
  }
  const StatusOr<net::LinkLayer> link = net::LinkLayerFor(pcap_datalink(in.get()));
  if (!link.ok()) {
    std::fprintf(stderr, "%s: '%s': %s\n", program.c_str(), a.pcap_in.c_str(),
                 link.status().message().c_str());
    return 2;
  }
  std::unique_ptr<pcap_t, PcapCloser> dead(pcap_open_dead(link->linktype, 65535));
  std::unique_ptr<pcap_dumper_t, DumperCloser> out(pcap_dump_open(dead.get(), a.pcap_out.c_str()));
  if (!out) {
    std::fprintf(stderr, "%s: cannot write '%s': %s\n", program.c_str(), a.pcap_out.c_str(),
                 pcap_geterr(dead.get()));
    return 2;
  }

  ManualClock clock(0);
  Instance::Options io;
  io.id = InstanceId{1};
  io.endpoint = "inproc://s6-offline";
  io.clock = &clock;
  Instance inst(io);
  StatusOr<std::unique_ptr<NetworkFunction>> created = nf.create(inst.space());
  if (!created.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), created.status().message().c_str());
    return 2;
  }
  NetworkFunction& fn = **created;
  if (const Status st = inst.Start(); !st.ok()) {
    log->error("start: {}", st.ToString());
    return 1;
  }

  Counts n;
  std::vector<uint8_t> buf;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(in.get(), &hdr, &data)) == 1) {
    ++n.read;
    const uint64_t ts =
        uint64_t(hdr->ts.tv_sec) * 1'000'000'000ull + uint64_t(hdr->ts.tv_usec) * 1000ull;
    if (ts > clock.NowNs()) clock.Advance(std::chrono::nanoseconds(ts - clock.NowNs()));
    if (hdr->caplen < link->skip) {
      ++n.too_short;
      continue;
    }
    buf.assign(data, data + hdr->caplen);
    Packet pkt;
    pkt.data = buf.data() + link->skip;
    pkt.len = static_cast<uint32_t>(hdr->caplen - link->skip);
    pkt.capacity = pkt.len;
    pkt.ethernet = link->ethernet;
    pkt.rx_ns = ts;
    Verdict verdict = Verdict::kDrop;
    if (!ProcessOne(inst, fn, pkt, verdict)) {
      log->error("packet {} did not finish (no micro-thread, or it waits forever)", n.read);
      return 1;
    }
    switch (verdict) {
      case Verdict::kForward: {
        pcap_pkthdr h = *hdr;
        if (link->skip + pkt.len != h.caplen) {  // the NF resized the packet
          h.len = h.len - h.caplen + link->skip + pkt.len;
          h.caplen = link->skip + pkt.len;
        }
        pcap_dump(reinterpret_cast<u_char*>(out.get()), &h, buf.data());
        ++n.written;
        break;
      }
      case Verdict::kDrop:
        ++n.dropped;
        break;
      case Verdict::kConsumed:
        ++n.consumed;
        break;
    }
  }
  if (rc == -1) {
    std::fprintf(stderr, "%s: reading '%s': %s\n", program.c_str(), a.pcap_in.c_str(),
                 pcap_geterr(in.get()));
    return 2;
  }
  nlohmann::json stats = {{"packets_read", n.read},
                          {"packets_written", n.written},
                          {"packets_dropped", n.dropped},
                          {"packets_consumed", n.consumed},
                          {"too_short", n.too_short}};
  stats::JsonSink sink(stats);
  sink.Group(nf.name, [&fn](StatsSink& g) { fn.WriteStats(g); });
  const std::string text = stats.dump();
  std::printf("%s\n", text.c_str());
  if (!a.stats_json.empty()) {
    std::ofstream f(a.stats_json);
    f << text << "\n";
    if (!f) {
      log->error("cannot write '{}'", a.stats_json);
      return 1;
    }
  }
  return 0;
}

}  // namespace s6::host

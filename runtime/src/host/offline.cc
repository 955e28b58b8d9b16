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

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
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

// Runs one packet through the NF to completion; false when it could not (no micro-thread, or
// it never finished: an NF waiting on something an offline run never delivers).
// Runs `fn` in a micro-thread of `inst` to completion (false if it never finished).
bool RunToCompletion(Instance& inst, const std::function<void()>& fn) {
  bool done = false;
  if (!inst.Spawn([&] {
        fn();
        done = true;
      })) {
    return false;
  }
  for (int spins = 0; !done && spins < 1'000'000; ++spins) inst.RunOnce(0);
  return done;
}

bool ProcessOne(Instance& inst, NetworkFunction& nf, Packet& pkt, Verdict& verdict) {
  return RunToCompletion(inst, [&] { verdict = nf.Process(pkt, inst); });
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
  // Outputs that would destroy an input, or each other, are refused before anything runs.
  Status usable = CheckOutputPath("--pcap-out", a.pcap_out, {a.pcap_in});
  if (usable.ok() && !a.stats_json.empty()) {
    usable = CheckOutputPath("--stats-json", a.stats_json, {a.pcap_in});
    if (usable.ok() && a.stats_json == a.pcap_out) {
      usable = InvalidArgumentError("--stats-json: '" + a.stats_json + "' is also --pcap-out");
    }
  }
  if (!usable.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), usable.message().c_str());
    return 2;
  }

  std::unique_ptr<pcap_t, PcapCloser> dead;
  std::unique_ptr<pcap_dumper_t, DumperCloser> out;
  CaptureOptions run;
  run.pcap_in = a.pcap_in;
  run.on_open = [&](int linktype) -> Status {
    dead.reset(pcap_open_dead(linktype, 65535));
    out.reset(pcap_dump_open(dead.get(), a.pcap_out.c_str()));
    if (!out) {
      return InvalidArgumentError("cannot write '" + a.pcap_out + "': " + pcap_geterr(dead.get()));
    }
    return OkStatus();
  };
  run.on_forward = [&](std::span<const uint8_t> frame, uint64_t ts_ns, uint32_t wire_len) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(ts_ns / 1'000'000'000ull);
    h.ts.tv_usec = static_cast<suseconds_t>(ts_ns % 1'000'000'000ull / 1000);
    h.caplen = static_cast<uint32_t>(frame.size());
    h.len = wire_len;
    pcap_dump(reinterpret_cast<u_char*>(out.get()), &h, frame.data());
  };
  std::string nf_stats;
  run.at_end = [&](NetworkFunction& fn) {
    nf_stats = StatsToJson([&fn](StatsSink& g) { fn.WriteStats(g); });
  };
  const StatusOr<CaptureCounts> n = RunCapture(nf, run);
  // pcap_dump reports nothing: a failed write (a full disk) shows in the stream's error flag.
  if (out && (pcap_dump_flush(out.get()) != 0 || std::ferror(pcap_dump_file(out.get())) != 0)) {
    log->error("cannot write '{}': {}", a.pcap_out, std::strerror(errno));
    return 1;
  }
  if (!n.ok()) {
    const bool usage = n.status().code() == StatusCode::kInvalidArgument;
    if (usage) {
      std::fprintf(stderr, "%s: %s\n", program.c_str(), n.status().message().c_str());
    } else {
      log->error("{}", n.status().message());
    }
    return usage ? 2 : 1;
  }
  nlohmann::json stats = {
      {"packets_read", n->read},       {"packets_written", n->forwarded},
      {"packets_dropped", n->dropped}, {"packets_consumed", n->consumed},
      {"too_short", n->too_short},     {nf.name, nlohmann::json::parse(nf_stats)}};
  const std::string text = stats.dump();
  std::printf("%s\n", text.c_str());
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    log->error("cannot write the counters to standard output: {}", std::strerror(errno));
    return 1;
  }
  if (!a.stats_json.empty()) {
    if (const Status st = WriteFileChecked(a.stats_json, text + "\n"); !st.ok()) {
      log->error("{}", st.message());
      return 1;
    }
  }
  return 0;
}

StatusOr<CaptureCounts> RunCapture(const NfDefinition& nf, const CaptureOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> in(pcap_open_offline(options.pcap_in.c_str(), err));
  if (!in) return InvalidArgumentError("cannot read '" + options.pcap_in + "': " + err);
  const StatusOr<net::LinkLayer> link = net::LinkLayerFor(pcap_datalink(in.get()));
  if (!link.ok()) {
    return InvalidArgumentError("'" + options.pcap_in + "': " + link.status().message());
  }
  if (options.on_open) S6_RETURN_IF_ERROR(options.on_open(link->linktype));

  ManualClock clock(0);
  Instance::Options io;
  io.id = InstanceId{1};
  io.endpoint = "inproc://s6-offline";
  io.clock = &clock;
  // No peers and no control socket: the transport has nothing to deliver, so polling it
  // (system calls) once per packet would only cost time.
  io.transport_poll_interval_ns = 10'000'000;
  Instance inst(io);
  StatusOr<std::unique_ptr<NetworkFunction>> created = nf.create(inst.space());
  if (!created.ok()) return InvalidArgumentError(created.status().message());
  NetworkFunction& fn = **created;
  if (const Status st = inst.Start(); !st.ok()) return InternalError("start: " + st.ToString());

  CaptureCounts n;
  std::vector<uint8_t> buf;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(in.get(), &hdr, &data)) == 1) {
    ++n.read;
    // A corrupt microsecond field (>= 10^6) must not move the packet into a later second.
    const uint64_t usec = std::min<uint64_t>(uint64_t(hdr->ts.tv_usec), 999'999);
    const uint64_t ts = uint64_t(hdr->ts.tv_sec) * 1'000'000'000ull + usec * 1000ull;
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
    pkt.capture_ns = ts;
    Verdict verdict = Verdict::kDrop;
    if (!ProcessOne(inst, fn, pkt, verdict)) {
      return InternalError("packet " + std::to_string(n.read) +
                           " did not finish (no micro-thread, or it waits forever)");
    }
    switch (verdict) {
      case Verdict::kForward: {
        ++n.forwarded;
        if (options.on_forward) {
          const uint32_t caplen = link->skip + pkt.len;  // the NF may have resized the packet
          options.on_forward({buf.data(), caplen}, ts, hdr->len - hdr->caplen + caplen);
        }
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
    return InvalidArgumentError("reading '" + options.pcap_in + "': " + pcap_geterr(in.get()));
  }
  if (!RunToCompletion(inst, [&] { fn.Finish(inst); })) {
    return InternalError("the NF's end-of-capture work did not finish");
  }
  if (options.at_end) options.at_end(fn);
  return n;
}

}  // namespace s6::host

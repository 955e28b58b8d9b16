// SPDX-License-Identifier: Apache-2.0
// s6-nat: the NAT network function, offline. Reads a capture, translates every inside->outside
// TCP/UDP/ICMP-echo packet (and replies to translated flows) in order, and writes what the NAT
// forwards to another capture; prints the NAT's counters as JSON.
//
//   s6-nat --pcap-in IN --pcap-out OUT --public-ip A.B.C.D [--public-ip ...] [--inside CIDR]...
//          [--port-range LO-HI] [--shards N] [--stats-json FILE]
//
// The instance clock follows the capture's timestamps, so idle timeouts expire as they would
// have live. Link types: Ethernet, raw IPv4, Linux cooked (SLL), BSD loopback; others are
// refused with a clear message. Exit status: 0 ok, 1 runtime error, 2 usage or bad input file.
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <s6/clock.h>
#include "instance/instance.h"
#include "nat.h"

namespace {

constexpr char kUsage[] =
    "usage: s6-nat --pcap-in IN --pcap-out OUT --public-ip A.B.C.D [--public-ip ...]\n"
    "              [--inside CIDR]... [--port-range LO-HI] [--shards N] [--stats-json FILE]\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "s6-nat: %s\n%s", why.c_str(), kUsage);
  return 2;
}

struct LinkType {
  std::size_t l3_offset;  // bytes before the (Ethernet or IP) header the NAT sees
  bool ethernet;
};

bool LinkFor(int dlt, LinkType& out) {
  switch (dlt) {
    case DLT_EN10MB:
      out = {0, true};
      return true;
    case DLT_RAW:  // 12 here; the other numberings of "raw IP" below
    case 14:
    case 101:
      out = {0, false};
      return true;
    case DLT_LINUX_SLL:
      out = {16, false};
      return true;
    case DLT_NULL:
    case DLT_LOOP:
      out = {4, false};
      return true;
    default:
      return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string in_path;
  std::string out_path;
  std::string stats_path;
  std::vector<std::string> nat_args;  // the NAT's own options (ParseNatArgs)
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return Usage(std::string(a) + " needs a value");
    const std::string v = argv[++i];
    if (a == "--pcap-in") {
      in_path = v;
    } else if (a == "--pcap-out") {
      out_path = v;
    } else if (a == "--stats-json") {
      stats_path = v;
    } else {
      nat_args.emplace_back(a);
      nat_args.push_back(v);
    }
  }
  if (in_path.empty() || out_path.empty()) return Usage("--pcap-in and --pcap-out are required");
  const s6::StatusOr<nat::NatConfig> parsed = nat::ParseNatArgs(nat_args);
  if (!parsed.ok()) return Usage(parsed.status().message());
  const nat::NatConfig& config = *parsed;

  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> in(pcap_open_offline(in_path.c_str(), err),
                                                pcap_close);
  if (!in) return Usage("cannot read '" + in_path + "': " + err);
  LinkType link{};
  const int dlt = pcap_datalink(in.get());
  if (!LinkFor(dlt, link)) {
    return Usage("'" + in_path + "': link type " + std::to_string(dlt) + " (" +
                 (pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?") +
                 ") is not supported (Ethernet, raw IP, Linux SLL, loopback are)");
  }
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(dlt, 65535), pcap_close);
  std::unique_ptr<pcap_dumper_t, void (*)(pcap_dumper_t*)> out(
      pcap_dump_open(dead.get(), out_path.c_str()), pcap_dump_close);
  if (!out) return Usage("cannot write '" + out_path + "': " + pcap_geterr(dead.get()));

  s6::ManualClock clock(0);
  s6::Instance::Options io;
  io.id = s6::InstanceId{1};
  io.endpoint = "inproc://s6-nat-offline";
  io.clock = &clock;
  s6::Instance inst(io);
  nat::Nat nf(inst.space(), config);
  if (const s6::Status st = inst.Start(); !st.ok()) {
    std::fprintf(stderr, "s6-nat: %s\n", st.ToString().c_str());
    return 1;
  }

  uint64_t read = 0;
  uint64_t written = 0;
  uint64_t too_short = 0;
  std::vector<uint8_t> buf;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(in.get(), &hdr, &data)) == 1) {
    ++read;
    const uint64_t ts =
        uint64_t(hdr->ts.tv_sec) * 1'000'000'000ull + uint64_t(hdr->ts.tv_usec) * 1000ull;
    if (ts > clock.NowNs()) clock.Advance(std::chrono::nanoseconds(ts - clock.NowNs()));
    if (hdr->caplen < link.l3_offset) {
      ++too_short;
      continue;
    }
    buf.assign(data, data + hdr->caplen);
    s6::Packet pkt;
    pkt.data = buf.data() + link.l3_offset;
    pkt.len = static_cast<uint32_t>(hdr->caplen - link.l3_offset);
    pkt.capacity = pkt.len;
    pkt.ethernet = link.ethernet;
    pkt.rx_ns = ts;
    bool done = false;
    s6::Verdict verdict = s6::Verdict::kDrop;
    if (!inst.Spawn([&] {
          verdict = nf.Process(pkt, inst);
          done = true;
        })) {
      std::fprintf(stderr, "s6-nat: no micro-thread available\n");
      return 1;
    }
    for (int spins = 0; !done && spins < 1'000'000; ++spins) inst.RunOnce(0);
    if (!done) {
      std::fprintf(stderr, "s6-nat: packet %llu did not finish\n",
                   static_cast<unsigned long long>(read));
      return 1;
    }
    if (verdict == s6::Verdict::kForward) {
      pcap_dump(reinterpret_cast<u_char*>(out.get()), hdr, buf.data());
      ++written;
    }
  }
  if (rc == -1) {
    std::fprintf(stderr, "s6-nat: reading '%s': %s\n", in_path.c_str(), pcap_geterr(in.get()));
    return 2;
  }
  const std::string json = "{\"packets_read\":" + std::to_string(read) +
                           ",\"packets_written\":" + std::to_string(written) +
                           ",\"too_short\":" + std::to_string(too_short) +
                           ",\"nat\":" + nf.StatsJson() + "}";
  std::printf("%s\n", json.c_str());
  if (!stats_path.empty()) {
    std::ofstream f(stats_path);
    f << json << "\n";
    if (!f) {
      std::fprintf(stderr, "s6-nat: cannot write '%s'\n", stats_path.c_str());
      return 1;
    }
  }
  return 0;
}

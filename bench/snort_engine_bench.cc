// SPDX-License-Identifier: Apache-2.0
// s6-snort-engine-bench: the Snort port's engine with its Hyperscan prefilter next to the naive
// engine (every rule verified on every packet), in the same run, on the same payloads.
//
//   s6-snort-engine-bench RULES CAPTURE... [--uncomment] [--max-packets N]
//
// Every TCP/UDP payload of the captures (Ethernet, IPv4/IPv6, one VLAN tag) becomes one
// inspection with pkt_data = raw_data = the payload, to a server port of the rule set's choice
// (the packet's own ports). HTTP buffers are not filled here (that is the NF's job), so rules
// that need them are never candidates in either engine. Prints the configuration, packets/s
// and Mbit/s of each engine, the alerts of each (they must agree) and the ratio, as JSON.
#include <pcap/pcap.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine.h"

namespace {

struct Payload {
  snort::PacketHeader header;
  snort::PacketFacts facts;
  std::string bytes;
};

uint16_t Be16(const u_char* p) { return uint16_t(p[0] << 8 | p[1]); }

bool Decode(const u_char* f, uint32_t len, Payload* out) {
  if (len < 14) return false;
  uint32_t off = 14;
  uint16_t type = Be16(f + 12);
  if (type == 0x8100 && len >= 18) {
    type = Be16(f + 16);
    off = 18;
  }
  uint8_t proto = 0;
  uint32_t l4 = 0, end = len;
  if (type == 0x0800 && len >= off + 20) {
    const uint32_t ihl = (f[off] & 0x0f) * 4u;
    end = std::min<uint32_t>(len, off + Be16(f + off + 2));
    proto = f[off + 9];
    std::memcpy(out->header.src.data(), f + off + 12, 4);
    std::memcpy(out->header.dst.data(), f + off + 16, 4);
    out->facts.ttl = f[off + 8];
    l4 = off + ihl;
  } else if (type == 0x86dd && len >= off + 40) {
    out->header.v6 = true;
    end = std::min<uint32_t>(len, off + 40 + Be16(f + off + 4));
    proto = f[off + 6];
    std::memcpy(out->header.src.data(), f + off + 8, 16);
    std::memcpy(out->header.dst.data(), f + off + 24, 16);
    out->facts.ttl = f[off + 7];
    l4 = off + 40;
  } else {
    return false;
  }
  uint32_t data = 0;
  if (proto == 6 && end >= l4 + 20) {
    out->header.protocol = snort::Protocol::kTcp;
    out->facts.has_tcp = true;
    out->facts.tcp_flags = f[l4 + 13];
    data = l4 + (f[l4 + 12] >> 4) * 4u;
  } else if (proto == 17 && end >= l4 + 8) {
    out->header.protocol = snort::Protocol::kUdp;
    data = l4 + 8;
  } else {
    return false;
  }
  if (data >= end) return false;
  out->header.src_port = Be16(f + l4);
  out->header.dst_port = Be16(f + l4 + 2);
  out->facts.ip_proto = proto;
  out->facts.dsize = end - data;
  out->facts.established = true;
  out->facts.direction = snort::FlowDirection::kFromClient;
  out->bytes.assign(reinterpret_cast<const char*>(f + data), end - data);
  return true;
}

struct Run {
  double seconds = 0;
  uint64_t alerts = 0;
  uint64_t candidates = 0;
};

Run Measure(snort::Engine& e, const std::vector<Payload>& payloads, int passes) {
  Run r;
  const uint64_t candidates_before = e.stats().candidates;  // the stats sum over runs
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < passes; ++k) {
    for (const Payload& p : payloads) {
      snort::Buffers b;
      b.pkt_data = b.raw_data = p.bytes;
      snort::FlowBits bits;
      r.alerts += e.Inspect(p.header, b, p.facts, "", &bits).size();
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.candidates = e.stats().candidates - candidates_before;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s RULES CAPTURE... [--uncomment] [--max-packets N]\n", argv[0]);
    return 2;
  }
  bool uncomment = false;
  size_t max_packets = 200000;
  std::vector<std::string> captures;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--uncomment") {
      uncomment = true;
    } else if (a == "--max-packets" && i + 1 < argc) {
      max_packets = std::stoul(argv[++i]);
    } else {
      captures.push_back(a);
    }
  }
  snort::LoadReport rep;
  snort::ParseOptions po;
  po.uncomment_rules = uncomment;
  auto rules = snort::LoadRules(argv[1], snort::Variables(), po, &rep);
  if (!rules.ok()) {
    std::fprintf(stderr, "%s\n", rules.status().ToString().c_str());
    return 2;
  }
  std::vector<Payload> payloads;
  uint64_t bytes = 0;
  for (const std::string& path : captures) {
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr || pcap_datalink(p) != DLT_EN10MB) {
      if (p != nullptr) pcap_close(p);
      continue;
    }
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    while (payloads.size() < max_packets && pcap_next_ex(p, &h, &d) == 1) {
      Payload pl;
      if (Decode(d, h->caplen, &pl)) {
        bytes += h->caplen;
        payloads.push_back(std::move(pl));
      }
    }
    pcap_close(p);
  }
  auto pre = snort::Engine::Create(*rules, snort::Engine::Mode::kPrefilter);
  auto naive = snort::Engine::Create(*std::move(rules), snort::Engine::Mode::kNaive);
  if (!pre.ok() || !naive.ok()) {
    std::fprintf(stderr, "engine: %s\n",
                 (pre.ok() ? naive.status() : pre.status()).ToString().c_str());
    return 1;
  }
  const Run n = Measure(*naive, payloads, 1);
  // The prefilter engine repeats its pass until it has run about as long, for a stable rate.
  int passes = 1;
  Run f = Measure(*pre, payloads, 1);
  if (f.seconds > 0 && f.seconds < n.seconds / 2) {
    passes = int(std::min(50.0, n.seconds / f.seconds));
    f = Measure(*pre, payloads, passes);
  }
  const double pkts = double(payloads.size());
  const nlohmann::json out = {{"config",
                               {{"rules", argv[1]},
                                {"rules_loaded", rep.loaded},
                                {"rules_skipped", rep.skipped},
                                {"uncommented", uncomment},
                                {"captures", captures.size()},
                                {"payloads", payloads.size()},
                                {"bytes", bytes}}},
                              {"prefilter",
                               {{"pps", pkts * passes / f.seconds},
                                {"mbps", double(bytes) * 8 * passes / f.seconds / 1e6},
                                {"alerts_per_pass", f.alerts / uint64_t(passes)},
                                {"candidates_per_packet", double(f.candidates) / (pkts * passes)},
                                {"always_evaluated_rules", pre->always_evaluated()}}},
                              {"naive",
                               {{"pps", pkts / n.seconds},
                                {"mbps", double(bytes) * 8 / n.seconds / 1e6},
                                {"alerts", n.alerts},
                                {"candidates_per_packet", double(n.candidates) / pkts}}},
                              {"ratio", n.seconds / (f.seconds / passes)},
                              {"same_alerts", n.alerts == f.alerts / uint64_t(passes)}};
  std::printf("%s\n", out.dump(2).c_str());
  return n.alerts == f.alerts / uint64_t(passes) ? 0 : 1;
}

// SPDX-License-Identifier: Apache-2.0
#include "trafgen/pcap_replay.h"

#include <pcap/pcap.h>

#include <cstring>
#include <map>
#include <memory>
#include <tuple>

#include <s6/net.h>

namespace s6::trafgen {
namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

}  // namespace

StatusOr<PcapReplay> PcapReplay::Load(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> in(pcap_open_offline(path.c_str(), err));
  if (in == nullptr) return InvalidArgumentError("cannot read capture '" + path + "': " + err);
  // Link types are s6::net's one list; a capture of another kind replays nothing (every packet
  // counted as skipped).
  const StatusOr<net::LinkLayer> link = net::LinkLayerFor(pcap_datalink(in.get()));
  PcapReplay r;
  std::map<net::FiveTuple, uint32_t> flow_of;
  std::vector<uint32_t> next_seq;
  std::vector<std::size_t> last_of;  // per flow: index of its latest packet
  for (;;) {
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    const int rc = pcap_next_ex(in.get(), &h, &d);
    if (rc == PCAP_ERROR_BREAK) break;  // the end of the file
    if (rc != 1) {
      return InvalidArgumentError("capture '" + path + "' is malformed after " +
                                  std::to_string(r.packets_.size() + r.skipped_) +
                                  " packets: " + pcap_geterr(in.get()));
    }
    if (!link.ok() || h->caplen < link->skip) {
      ++r.skipped_;
      continue;
    }
    Packet pkt;
    const uint32_t caplen = h->caplen - link->skip;
    if (link->ethernet) {
      pkt.frame.assign(d, d + h->caplen);
    } else {
      // Raw IPv4 (after any SLL or loopback header): an Ethernet header in front, as the links
      // carry Ethernet frames.
      pkt.frame.assign(14 + caplen, 0);
      pkt.frame[0] = 0x02;  // locally administered unicast MACs, as synthetic frames have
      pkt.frame[6] = 0x02;
      pkt.frame[11] = 1;
      net::Store16(pkt.frame.data() + 12, net::kEtherTypeIpv4);
      std::memcpy(pkt.frame.data() + 14, d + link->skip, caplen);
    }
    net::Ipv4Packet ip;
    const bool ok =
        h->caplen == h->len && net::ParseIpv4(pkt.frame, true, ip) == net::ParseError::kOk &&
        !ip.first_fragment_of_many &&
        (ip.proto == net::kProtoTcp || ip.proto == net::kProtoUdp || ip.proto == net::kProtoIcmp) &&
        ip.l3 + ip.l3_len <= kMaxFrame;
    if (!ok) {
      ++r.skipped_;
      continue;
    }
    pkt.frame.resize(ip.l3 + ip.l3_len);  // padding or an old trailer goes
    pkt.capture_ns = uint64_t(h->ts.tv_sec) * 1'000'000'000ull + uint64_t(h->ts.tv_usec) * 1000ull;
    pkt.tuple = net::TupleOf(ip);
    pkt.tcp_flags = ip.tcp_flags;
    const auto [it, fresh] = flow_of.emplace(pkt.tuple, r.flows_);
    if (fresh) {
      ++r.flows_;
      next_seq.push_back(0);
      last_of.push_back(0);
    }
    pkt.flow = it->second;
    pkt.seq = next_seq[pkt.flow]++;
    last_of[pkt.flow] = r.packets_.size();
    r.packets_.push_back(std::move(pkt));
  }
  for (std::size_t i : last_of) r.packets_[i].last = true;
  return r;
}

GenPacket PcapReplay::Next() {
  S6_CHECK(!packets_.empty());
  const Packet& pkt = packets_[next_];
  GenPacket p;
  p.tuple = pkt.tuple;
  p.flow = static_cast<uint32_t>(loop_ * flows_ + pkt.flow);
  p.seq = pkt.seq;
  p.last = pkt.last;
  p.index = static_cast<uint32_t>(next_);
  p.tcp_flags = pkt.tcp_flags;
  if (++next_ == packets_.size()) {
    next_ = 0;
    ++loop_;
  }
  return p;
}

uint32_t PcapReplay::Build(const GenPacket& p, uint64_t tx_ns, uint8_t* out, bool& probed) const {
  S6_CHECK(p.index < packets_.size());
  const std::vector<uint8_t>& frame = packets_[p.index].frame;
  std::memcpy(out, frame.data(), frame.size());
  const auto len = static_cast<uint32_t>(frame.size());
  probed = true;  // Load keeps datagrams of at most kMaxFrame: the trailer always fits
  WriteProbe(Probe{p.flow, p.seq, tx_ns}, out + len);
  net::WriteCaptureTime(out + len + kProbeBytes, packets_[p.index].capture_ns);
  return len + kProbeBytes + net::kCaptureTimeBytes;
}

uint64_t PcapReplay::flows_started() const {
  if (packets_.empty()) return 0;
  // Flows of finished loops, plus those of the current loop that have had a packet.
  uint64_t current = 0;
  std::vector<bool> seen(flows_, false);
  for (std::size_t i = 0; i < next_; ++i) {
    if (!seen[packets_[i].flow]) {
      seen[packets_[i].flow] = true;
      ++current;
    }
  }
  return loop_ * flows_ + current;
}

}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's frame decoding (prads.c: prepare_eth, check_vlan,
// prepare_ip4/ip6, prepare_ip4ip/ip6ip, prepare_gre, prepare_tcp/udp/icmp/other), counted the
// same way, with bounds. Where PRADS would read past the captured bytes (a truncated header, an
// IHL below 5, a TCP data offset beyond the capture) the frame is counted as malformed and
// dropped instead (a TCP data offset that points outside the header is kept: PRADS uses it and
// the detectors bound their reads). PRADS's own oddities that change no memory safety are kept on
// purpose, because the asset log must match it: IP-in-IP is recognised by protocol 94 (not 4) and
// 41, GRE payloads are never decoded, IPv6 extension headers make a packet "other transport",
// non-first IPv4 fragments are parsed as if they carried a transport header, and the QinQ test
// compares the ethertype with 0x9100|0x9200|0x9300|0x88a8 (= 0x9ba8), exactly as PRADS does.
#include "packet.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <s6/net.h>

namespace prads {
namespace {

using s6::net::Load16;

constexpr uint32_t kEthHeaderLen = 14;
constexpr uint32_t kSnapLength = 1604;  // PRADS's SNAPLENGTH: end_ptr never goes further
constexpr uint16_t kEthIpv4 = s6::net::kEtherTypeIpv4;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthArp = 0x0806;
constexpr uint16_t kEthVlan = s6::net::kEtherTypeVlan;
constexpr uint16_t kEthQinQPrads = 0x9100 | 0x9200 | 0x9300 | 0x88a8;
constexpr uint8_t kIpProtoIp4Prads = 94;  // PRADS's IP_PROTO_IP4
constexpr uint8_t kIpProtoIp6 = 41;
constexpr uint8_t kIpProtoGre = 47;
constexpr uint8_t kIpProtoIcmp6 = 58;
constexpr int kMaxTunnelDepth = 4;

struct Decoder {
  const uint8_t* cap_end;  // packet + caplen: nothing is read at or beyond this
  PacketCounters& counters;
  PacketView& view;

  DecodeResult Malformed() {
    ++counters.malformed;
    return DecodeResult::kMalformed;
  }

  DecodeResult Ip4(const uint8_t* ip, int depth);
  DecodeResult Ip6(const uint8_t* ip, int depth);
  DecodeResult Transport(const uint8_t* l4, uint8_t proto, int depth);
};

DecodeResult Decoder::Ip4(const uint8_t* ip, int depth) {
  ++counters.ip4_recv;
  if (cap_end - ip < 20) return Malformed();
  const uint32_t hlen = (ip[0] & 0x0f) * 4u;
  const uint32_t total = Load16(ip + 2);
  if (hlen < 20 || cap_end - ip < static_cast<std::ptrdiff_t>(hlen) || total < hlen) {
    return Malformed();
  }
  view.af = 4;
  view.ip4 = ip;
  view.ip6 = nullptr;
  view.ip_hlen = hlen;
  view.ip_end = std::min(ip + total, cap_end);
  view.ttl = ip[8];
  view.src = IpAddr{4, {}};
  view.dst = IpAddr{4, {}};
  std::memcpy(view.src.bytes.data(), ip + 12, 4);
  std::memcpy(view.dst.bytes.data(), ip + 16, 4);
  const uint8_t proto = ip[9];
  view.proto = proto;
  if (proto == kIpProtoIp4Prads || proto == kIpProtoIp6) {
    ++counters.ip4ip_recv;
    if (depth >= kMaxTunnelDepth) return Malformed();
    view.vlan = 0;  // PRADS decodes the inner packet from a zeroed packetinfo
    return proto == kIpProtoIp4Prads ? Ip4(ip + hlen, depth + 1) : Ip6(ip + hlen, depth + 1);
  }
  return Transport(ip + hlen, proto, depth);
}

DecodeResult Decoder::Ip6(const uint8_t* ip, int depth) {
  ++counters.ip6_recv;
  if (cap_end - ip < 40) return Malformed();
  view.af = 6;
  view.ip6 = ip;
  view.ip4 = nullptr;
  view.ip_hlen = 40;
  view.ip_end = std::min(ip + 40 + Load16(ip + 4), cap_end);
  view.ttl = ip[7];
  view.src = IpAddr{6, {}};
  view.dst = IpAddr{6, {}};
  std::memcpy(view.src.bytes.data(), ip + 8, 16);
  std::memcpy(view.dst.bytes.data(), ip + 24, 16);
  const uint8_t next = ip[6];
  view.proto = next;
  if (next == kIpProtoIp4Prads || next == kIpProtoIp6) {
    ++counters.ip6ip_recv;
    if (depth >= kMaxTunnelDepth) return Malformed();
    view.vlan = 0;
    return next == kIpProtoIp4Prads ? Ip4(ip + 40, depth + 1) : Ip6(ip + 40, depth + 1);
  }
  return Transport(ip + 40, next, depth);  // GRE over IPv6 is "other" in PRADS
}

DecodeResult Decoder::Transport(const uint8_t* l4, uint8_t proto, int /*depth*/) {
  view.l4 = l4;
  view.sport = view.dport = 0;
  view.tcp_flags = 0;
  view.payload = nullptr;
  view.plen = 0;
  const uint8_t* ip_end = view.ip_end;
  const bool v6 = view.af == 6;
  if (proto == s6::net::kProtoTcp) {
    ++counters.tcp_recv;
    if (cap_end - l4 < 20) return Malformed();
    // PRADS trusts the data offset: below 20 its "payload" starts inside the header, beyond
    // the capture it is empty. Both are kept (the detectors bound every read).
    const uint32_t off = (l4[12] >> 4) * 4u;
    view.sport = Load16(l4);
    view.dport = Load16(l4 + 2);
    view.tcp_flags = l4[13];
    view.payload = std::min(l4 + off, cap_end);
  } else if (proto == s6::net::kProtoUdp) {
    ++counters.udp_recv;
    if (cap_end - l4 < 8) return Malformed();
    view.sport = Load16(l4);
    view.dport = Load16(l4 + 2);
    view.payload = l4 + 8;
  } else if ((!v6 && proto == s6::net::kProtoIcmp) || (v6 && proto == kIpProtoIcmp6)) {
    ++counters.icmp_recv;
    if (cap_end - l4 < 4) return Malformed();
    view.payload = l4 + 4;
  } else if (!v6 && proto == kIpProtoGre) {
    ++counters.gre_recv;
    if (cap_end - l4 < 4) return Malformed();
  } else {
    ++counters.othert_recv;
  }
  if (view.payload != nullptr) {
    view.plen = view.payload < ip_end ? static_cast<uint32_t>(ip_end - view.payload) : 0;
    view.payload = std::min(view.payload, ip_end);
  }
  return DecodeResult::kIp;
}

}  // namespace

std::string FormatIp(const IpAddr& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip.family == 6) {
    inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, ip.bytes.data(), buf, sizeof buf);
  }
  return buf;
}

DecodeResult DecodeEthernet(std::span<const uint8_t> frame, uint32_t wire_len, int64_t ts_sec,
                            PacketCounters& counters, PacketView& view) {
  view = PacketView{};
  ++counters.got_packets;
  const uint32_t caplen = static_cast<uint32_t>(frame.size());
  view.packet = frame.data();
  view.caplen = caplen;
  view.wire_len = wire_len;
  view.end = frame.data() + std::min({caplen, wire_len, kSnapLength});
  view.ts_sec = ts_sec;
  Decoder d{frame.data() + caplen, counters, view};
  if (caplen < kEthHeaderLen) {
    ++counters.otherl_recv;  // PRADS: no Ethernet header, so "other link"
    return d.Malformed();
  }
  ++counters.eth_recv;
  const uint8_t* p = frame.data();
  view.eth_type = Load16(p + 12);
  view.eth_hlen = kEthHeaderLen;
  if (view.eth_type == kEthVlan) {
    ++counters.vlan_recv;
    if (caplen < kEthHeaderLen + 4) return d.Malformed();
    view.vlan = Load16(p + 14);
    view.eth_type = Load16(p + 16);
    view.eth_hlen += 4;
  } else if (view.eth_type == kEthQinQPrads) {
    if (caplen < kEthHeaderLen + 8) return d.Malformed();
    view.eth_type = Load16(p + 20);  // PRADS keeps the outer id separately and never prints it
    view.eth_hlen += 8;
  }
  const uint8_t* l3 = p + view.eth_hlen;
  switch (view.eth_type) {
    case kEthIpv4:
      return d.Ip4(l3, 0);
    case kEthIpv6:
      return d.Ip6(l3, 0);
    case kEthArp:
      ++counters.arp_recv;
      if (d.cap_end - l3 < 28) return d.Malformed();
      view.arp = l3;
      return DecodeResult::kArp;
    default:
      ++counters.otherl_recv;
      return DecodeResult::kOther;
  }
}

DecodeResult DecodeRawIp(std::span<const uint8_t> datagram, int64_t ts_sec,
                         PacketCounters& counters, PacketView& view) {
  view = PacketView{};
  ++counters.got_packets;
  const uint32_t caplen = static_cast<uint32_t>(datagram.size());
  view.packet = datagram.data();
  view.caplen = view.wire_len = caplen;
  view.end = datagram.data() + std::min(caplen, kSnapLength);
  view.ts_sec = ts_sec;
  Decoder d{datagram.data() + caplen, counters, view};
  const int version = caplen > 0 ? datagram[0] >> 4 : 0;
  if (version == 4) {
    view.eth_type = kEthIpv4;
    return d.Ip4(datagram.data(), 0);
  }
  if (version == 6) {
    view.eth_type = kEthIpv6;
    return d.Ip6(datagram.data(), 0);
  }
  ++counters.otherl_recv;
  return d.Malformed();
}

}  // namespace prads

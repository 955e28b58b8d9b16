// SPDX-License-Identifier: Apache-2.0
// Builds Ethernet/IPv4/TCP|UDP|ICMP frames with correct checksums for the NAT tests.
#pragma once

#include <cstdint>
#include <vector>

#include <s6/net.h>

namespace nattest {

struct Spec {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;  // ICMP: the echo identifier
  uint16_t dport = 0;
  uint8_t proto = s6::net::kProtoTcp;
  uint8_t tcp_flags = s6::net::kTcpAck;
  uint8_t icmp_type = s6::net::kIcmpEchoRequest;
  std::vector<uint8_t> payload = std::vector<uint8_t>(5, 'x');
  bool udp_zero_checksum = false;
};

inline std::vector<uint8_t> Build(const Spec& s) {
  using namespace s6::net;
  const std::size_t l4_hdr = s.proto == kProtoTcp ? 20 : 8;
  const std::size_t l4_len = l4_hdr + s.payload.size();
  std::vector<uint8_t> f(14 + 20 + l4_len, 0);
  Store16(f.data() + 12, kEtherTypeIpv4);
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  Store16(ip + 2, static_cast<uint16_t>(20 + l4_len));
  Store16(ip + 4, 0x1234);
  ip[8] = 64;
  ip[9] = s.proto;
  Store32(ip + 12, s.src);
  Store32(ip + 16, s.dst);
  Store16(ip + 10, InternetChecksum(ip, 20));
  uint8_t* l4 = ip + 20;
  std::copy(s.payload.begin(), s.payload.end(), l4 + l4_hdr);
  Ipv4Packet p;
  p.l3 = 14;
  p.l4 = 34;
  p.l3_len = 20 + l4_len;
  p.proto = s.proto;
  p.src = s.src;
  p.dst = s.dst;
  if (s.proto == kProtoTcp) {
    Store16(l4, s.sport);
    Store16(l4 + 2, s.dport);
    Store32(l4 + 4, 1000);
    l4[12] = 5 << 4;
    l4[13] = s.tcp_flags;
    Store16(l4 + 14, 65535);
    Store16(l4 + 16, InternetChecksum(l4, l4_len, PseudoHeaderSum(p)));
  } else if (s.proto == kProtoUdp) {
    Store16(l4, s.sport);
    Store16(l4 + 2, s.dport);
    Store16(l4 + 4, static_cast<uint16_t>(l4_len));
    if (!s.udp_zero_checksum) {
      uint16_t c = InternetChecksum(l4, l4_len, PseudoHeaderSum(p));
      Store16(l4 + 6, c == 0 ? 0xffff : c);
    }
  } else {
    l4[0] = s.icmp_type;
    Store16(l4 + 4, s.sport);
    Store16(l4 + 6, 1);  // sequence
    Store16(l4 + 2, InternetChecksum(l4, l4_len));
  }
  return f;
}

inline uint32_t Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

}  // namespace nattest

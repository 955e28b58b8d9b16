// SPDX-License-Identifier: Apache-2.0
// The frame decoder: what PRADS's prepare_* functions would see, bounded; counted as PRADS
// counts; malformed frames counted and dropped at every truncation.
#include "packet.h"

#include <gtest/gtest.h>

#include <vector>

namespace prads {
namespace {

std::vector<uint8_t> Eth(uint16_t type, std::vector<uint8_t> body) {
  std::vector<uint8_t> f = {
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, uint8_t(type >> 8), uint8_t(type)};
  f.insert(f.end(), body.begin(), body.end());
  return f;
}

std::vector<uint8_t> Ip4(uint8_t proto, std::vector<uint8_t> l4, uint16_t extra_total = 0) {
  const uint16_t total = uint16_t(20 + l4.size() + extra_total);
  std::vector<uint8_t> ip = {0x45,
                             0,
                             uint8_t(total >> 8),
                             uint8_t(total),
                             0,
                             1,
                             0x40,
                             0,
                             64,
                             proto,
                             0,
                             0,
                             192,
                             0,
                             2,
                             1,
                             192,
                             0,
                             2,
                             2};
  ip.insert(ip.end(), l4.begin(), l4.end());
  return ip;
}

std::vector<uint8_t> Tcp(uint8_t flags, std::vector<uint8_t> payload, uint8_t offset_words = 5) {
  std::vector<uint8_t> t = {0x9c,  0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, uint8_t(offset_words << 4),
                            flags, 0x20, 0, 0,  0, 0, 0};
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

DecodeResult Decode(const std::vector<uint8_t>& f, PacketCounters& c, PacketView& v) {
  return DecodeEthernet(f, uint32_t(f.size()), 1700000000, c, v);
}

TEST(PacketTest, Ipv4TcpPayloadEndsAtTheIpTotalLengthNotAtThePadding) {
  std::vector<uint8_t> f = Eth(0x0800, Ip4(6, Tcp(0x18, {'a', 'b', 'c'})));
  f.insert(f.end(), 20, 0xee);  // Ethernet padding, or s6-trafgen's trailer
  PacketCounters c;
  PacketView v;
  ASSERT_EQ(Decode(f, c, v), DecodeResult::kIp);
  EXPECT_EQ(v.af, 4);
  EXPECT_EQ(v.proto, 6);
  EXPECT_EQ(v.sport, 40000);
  EXPECT_EQ(v.dport, 80);
  EXPECT_EQ(v.tcp_flags, 0x18);
  EXPECT_EQ(v.ttl, 64);
  EXPECT_EQ(v.plen, 3u);
  EXPECT_EQ(std::string(v.payload, v.payload + v.plen), "abc");
  EXPECT_EQ(FormatIp(v.src), "192.0.2.1");
  EXPECT_EQ(v.ts_sec, 1700000000);
  EXPECT_EQ(c.got_packets, 1u);
  EXPECT_EQ(c.eth_recv, 1u);
  EXPECT_EQ(c.ip4_recv, 1u);
  EXPECT_EQ(c.tcp_recv, 1u);
  EXPECT_EQ(c.malformed, 0u);
}

TEST(PacketTest, VlanTagIsPrintedWholeAndPradsQinQTestIsKept) {
  std::vector<uint8_t> body = {0x20, 0x64, 0x08, 0x00};  // TCI: priority 1, id 100
  const std::vector<uint8_t> ip = Ip4(17, {0, 53, 0, 53, 0, 8, 0, 0});
  body.insert(body.end(), ip.begin(), ip.end());
  PacketCounters c;
  PacketView v;
  ASSERT_EQ(Decode(Eth(0x8100, body), c, v), DecodeResult::kIp);
  EXPECT_EQ(v.vlan, 0x2064);  // PRADS prints the whole tag, priority bits included
  EXPECT_EQ(c.vlan_recv, 1u);
  EXPECT_EQ(c.udp_recv, 1u);
  // 802.1ad (0x88a8) is not what PRADS's QinQ test compares with: "other link".
  EXPECT_EQ(Decode(Eth(0x88a8, body), c, v), DecodeResult::kOther);
  EXPECT_EQ(c.otherl_recv, 1u);
}

TEST(PacketTest, Ipv6AndItsExtensionHeadersAsPradsSeesThem) {
  std::vector<uint8_t> ip6 = {0x60, 0, 0, 0, 0, 20, 6, 64};
  for (int i = 0; i < 32; ++i) ip6.push_back(uint8_t(i == 15 || i == 31 ? i : 0));
  const std::vector<uint8_t> tcp = Tcp(0x02, {});
  std::vector<uint8_t> body = ip6;
  body.insert(body.end(), tcp.begin(), tcp.end());
  PacketCounters c;
  PacketView v;
  ASSERT_EQ(Decode(Eth(0x86dd, body), c, v), DecodeResult::kIp);
  EXPECT_EQ(v.af, 6);
  EXPECT_EQ(v.proto, 6);
  EXPECT_EQ(v.ttl, 64);
  EXPECT_EQ(FormatIp(v.src), "::f");
  body[6] = 0;  // a hop-by-hop header first: PRADS calls it "other transport"
  ASSERT_EQ(Decode(Eth(0x86dd, body), c, v), DecodeResult::kIp);
  EXPECT_EQ(c.othert_recv, 1u);
  EXPECT_EQ(v.l4, v.ip6 + 40);
}

TEST(PacketTest, TunnelsFollowPradsProtocolNumbers) {
  PacketCounters c;
  PacketView v;
  // Protocol 94 (PRADS's IP_PROTO_IP4) carries the inner IPv4 packet: that one is decoded.
  std::vector<uint8_t> inner = Ip4(6, Tcp(0x02, {}));
  inner[15] = 77;  // inner source 192.0.2.77
  ASSERT_EQ(Decode(Eth(0x0800, Ip4(94, inner)), c, v), DecodeResult::kIp);
  EXPECT_EQ(FormatIp(v.src), "192.0.2.77");
  EXPECT_EQ(v.vlan, 0);
  EXPECT_EQ(c.ip4ip_recv, 1u);
  // Protocol 4 is not a tunnel to PRADS; GRE is counted and its payload left alone.
  ASSERT_EQ(Decode(Eth(0x0800, Ip4(4, inner)), c, v), DecodeResult::kIp);
  EXPECT_EQ(c.othert_recv, 1u);
  ASSERT_EQ(Decode(Eth(0x0800, Ip4(47, {0, 0, 0x08, 0})), c, v), DecodeResult::kIp);
  EXPECT_EQ(v.proto, 47);
  EXPECT_EQ(c.gre_recv, 1u);
}

TEST(PacketTest, ArpNeedsItsWholeBody) {
  std::vector<uint8_t> arp(28, 0);
  arp[7] = 2;
  PacketCounters c;
  PacketView v;
  ASSERT_EQ(Decode(Eth(0x0806, arp), c, v), DecodeResult::kArp);
  EXPECT_NE(v.arp, nullptr);
  arp.resize(27);
  EXPECT_EQ(Decode(Eth(0x0806, arp), c, v), DecodeResult::kMalformed);
  EXPECT_EQ(c.arp_recv, 2u);
  EXPECT_EQ(c.malformed, 1u);
}

TEST(PacketTest, ATcpDataOffsetOutsideTheHeaderIsKeptAndBounded) {
  PacketCounters c;
  PacketView v;
  // Offset 2 words (8 bytes): PRADS's payload starts inside the header.
  ASSERT_EQ(Decode(Eth(0x0800, Ip4(6, Tcp(0x02, {}, 2))), c, v), DecodeResult::kIp);
  EXPECT_EQ(v.plen, 12u);
  // Offset 15 words (60 bytes) with 20 captured: no payload, nothing read past the frame.
  ASSERT_EQ(Decode(Eth(0x0800, Ip4(6, Tcp(0x02, {}, 15))), c, v), DecodeResult::kIp);
  EXPECT_EQ(v.plen, 0u);
  EXPECT_LE(v.payload, v.packet + v.caplen);
}

TEST(PacketTest, EveryTruncationIsMalformedOrBoundedNeverOutOfTheFrame) {
  const std::vector<uint8_t> full = Eth(0x0800, Ip4(6, Tcp(0x18, {'G', 'E', 'T', ' ', '/'})));
  for (size_t len = 0; len < full.size(); ++len) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + long(len));
    PacketCounters c;
    PacketView v;
    const DecodeResult r = Decode(cut, c, v);
    if (len < 14 + 20 + 20) {
      EXPECT_EQ(r, DecodeResult::kMalformed) << len;
      EXPECT_EQ(c.malformed, 1u) << len;
    } else {
      ASSERT_EQ(r, DecodeResult::kIp) << len;
      EXPECT_LE(v.payload + v.plen, cut.data() + cut.size()) << len;
      EXPECT_EQ(v.plen, len - 54) << len;
    }
  }
}

TEST(PacketTest, AnIhlBelowFiveOrATotalLengthBelowTheHeaderIsMalformed) {
  PacketCounters c;
  PacketView v;
  std::vector<uint8_t> ip = Ip4(6, Tcp(0x02, {}));
  ip[0] = 0x44;
  EXPECT_EQ(Decode(Eth(0x0800, ip), c, v), DecodeResult::kMalformed);
  ip[0] = 0x45;
  ip[2] = 0;
  ip[3] = 10;
  EXPECT_EQ(Decode(Eth(0x0800, ip), c, v), DecodeResult::kMalformed);
  EXPECT_EQ(c.malformed, 2u);
}

TEST(PacketTest, RawIpIsDecodedByItsVersion) {
  PacketCounters c;
  PacketView v;
  const std::vector<uint8_t> ip = Ip4(6, Tcp(0x02, {}));
  ASSERT_EQ(DecodeRawIp(ip, 5, c, v), DecodeResult::kIp);
  EXPECT_EQ(v.af, 4);
  EXPECT_EQ(v.sport, 40000);
  const std::vector<uint8_t> junk = {0x10, 1, 2};
  EXPECT_EQ(DecodeRawIp(junk, 5, c, v), DecodeResult::kMalformed);
}

}  // namespace
}  // namespace prads

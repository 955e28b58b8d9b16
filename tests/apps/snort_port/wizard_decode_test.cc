// SPDX-License-Identifier: Apache-2.0
// Service identification (the binder's ports, the wizard's spells and hexes across segments,
// giving up) and the packet decoder (VLAN tags, IPv6 extension headers, fragments, bounds).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "decode.h"
#include "wizard.h"

namespace snort {
namespace {

TEST(WizardTest, BinderPortsNameServicesTheWizardCannot) {
  EXPECT_EQ(ServiceForPort(17, 53), "dns");
  EXPECT_EQ(ServiceForPort(6, 53), "dns");
  EXPECT_EQ(ServiceForPort(6, 111), "sunrpc");
  EXPECT_EQ(ServiceForPort(17, 111), "");
  EXPECT_EQ(ServiceForPort(6, 80), "");  // http is the wizard's
}

TEST(WizardTest, SpellsMatchTheStartOfASideAcrossSegments) {
  WizardState w;
  EXPECT_EQ(WizardFeed(w, true, true, "GE"), "");  // could still be GET
  EXPECT_FALSE(w.done);
  EXPECT_EQ(WizardFeed(w, true, true, "T / HTTP/1.1\r\n"), "http");
  EXPECT_TRUE(w.done);
  EXPECT_EQ(w.seen[0], "GET / HTTP/1.1\r\n");  // the caller replays these octets

  WizardState ftp;  // a glob over the banner, case-insensitive
  EXPECT_EQ(WizardFeed(ftp, false, true, "220 ProFtpd 1.3 Server ready\r\n"), "ftp");

  WizardState ssl;  // a hex, from either side
  EXPECT_EQ(WizardFeed(ssl, true, true, std::string("\x16\x03\x01\x02\x00", 5)), "ssl");

  WizardState imap;  // "** OK": a literal '*'
  EXPECT_EQ(WizardFeed(imap, false, true, "* OK IMAP4rev1 ready\r\n"), "imap");
  WizardState not_imap;
  EXPECT_EQ(WizardFeed(not_imap, false, true, "** OK"), "");

  WizardState telnet;
  EXPECT_EQ(WizardFeed(telnet, false, true, std::string("\xff\xfd\x18", 3)), "telnet");
}

TEST(WizardTest, GivesUpWhenNoSpellCanMatchEitherSide) {
  WizardState w;
  EXPECT_EQ(WizardFeed(w, false, true, "welcome"), "");  // no server spell starts so
  EXPECT_TRUE(w.side_done[1]);
  EXPECT_FALSE(w.done);  // "* * HTTP/" may still match what the client sends
  EXPECT_EQ(WizardFeed(w, true, true, "hello there"), "");
  EXPECT_FALSE(w.done);
  EXPECT_EQ(WizardFeed(w, true, true, std::string(kMaxSearchBytes, 'x')), "");
  EXPECT_TRUE(w.done);  // the search depth is spent
  EXPECT_TRUE(w.seen[0].empty());
  EXPECT_EQ(WizardFeed(w, true, true, "GET / HTTP/1.0\r\n"), "");  // too late
}

TEST(WizardTest, UdpIsDecidedOnTheFirstPacket) {
  WizardState w;
  EXPECT_EQ(WizardFeed(w, true, false, "INVITE sip:bob@example.com SIP/2.0\r\n"), "sip");
  WizardState other;
  EXPECT_EQ(WizardFeed(other, true, false, "xyz"), "");
  EXPECT_TRUE(other.done);
  WizardState tcp_only;  // http spells are for TCP only
  EXPECT_EQ(WizardFeed(tcp_only, true, false, "GET / HTTP/1.1\r\n"), "");
}

std::vector<uint8_t> Frame(const std::vector<uint8_t>& l3, uint16_t ethertype,
                           std::vector<uint16_t> vlans = {}) {
  std::vector<uint8_t> f(12, 0);
  for (uint16_t v : vlans) {
    f.insert(f.end(), {0x81, 0x00, uint8_t(v >> 8), uint8_t(v)});
  }
  f.push_back(uint8_t(ethertype >> 8));
  f.push_back(uint8_t(ethertype));
  f.insert(f.end(), l3.begin(), l3.end());
  return f;
}

std::vector<uint8_t> Ipv4Udp(const std::string& payload, uint16_t frag = 0, size_t pad = 0) {
  std::vector<uint8_t> p(20 + 8 + payload.size() + pad, 0);
  const size_t total = 20 + 8 + payload.size();
  p[0] = 0x45;
  p[2] = uint8_t(total >> 8);
  p[3] = uint8_t(total);
  p[6] = uint8_t(frag >> 8);
  p[7] = uint8_t(frag);
  p[8] = 9;
  p[9] = 17;
  p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
  p[20] = 0x12, p[21] = 0x34, p[22] = 0x00, p[23] = 53;
  p[24] = uint8_t((8 + payload.size()) >> 8);
  p[25] = uint8_t(8 + payload.size());
  std::memcpy(p.data() + 28, payload.data(), payload.size());
  return p;
}

TEST(DecodeTest, Ipv4UdpBehindVlanTagsEndsAtTheIpLength) {
  DecodedPacket d;
  const auto f = Frame(Ipv4Udp("query", 0, 6), 0x0800, {10, 20});
  ASSERT_EQ(Decode(f, true, &d), DecodeStatus::kOk);
  EXPECT_EQ(d.vlan, 20);
  EXPECT_EQ(d.header.protocol, Protocol::kUdp);
  EXPECT_EQ(d.header.dst_port, 53);
  EXPECT_EQ(d.payload, "query");  // the 6 trailer bytes are not payload
  EXPECT_EQ(d.facts.dsize, 5u);
  EXPECT_EQ(d.facts.ttl, 9);
}

TEST(DecodeTest, FragmentsAndTruncationsAreNotInspectedAsTransport) {
  DecodedPacket d;
  ASSERT_EQ(Decode(Frame(Ipv4Udp("x", 0x0010), 0x0800), true, &d), DecodeStatus::kOk);
  EXPECT_TRUE(d.fragment);
  EXPECT_EQ(d.header.protocol, Protocol::kIp);
  std::vector<uint8_t> f = Frame(Ipv4Udp("abc"), 0x0800);
  for (size_t len = 0; len < 14 + 28; ++len) {  // every cut inside the headers
    EXPECT_EQ(Decode({f.data(), len}, true, &d), DecodeStatus::kMalformed) << len;
  }
  EXPECT_EQ(Decode(Frame({}, 0x0806), true, &d), DecodeStatus::kNotIp);
  // A datagram cut by the capture's snaplen is not decoded (as Snort).
  f = Frame(Ipv4Udp("abcdef"), 0x0800);
  f.resize(f.size() - 2);
  EXPECT_EQ(Decode(f, true, &d), DecodeStatus::kMalformed);
  // A UDP length that disagrees with the IP length: an IP packet.
  f = Frame(Ipv4Udp("abcdef"), 0x0800);
  f[14 + 25] = 9;
  ASSERT_EQ(Decode(f, true, &d), DecodeStatus::kOk);
  EXPECT_EQ(d.header.protocol, Protocol::kIp);
  EXPECT_EQ(d.payload.size(), 8u + 6u);
}

TEST(DecodeTest, Ipv6ExtensionHeadersAreSkipped) {
  std::vector<uint8_t> ip(40, 0);
  ip[0] = 0x60;
  ip[6] = 0;  // hop-by-hop
  ip[7] = 64;
  ip[23] = 1;
  ip[39] = 2;
  std::vector<uint8_t> hbh = {58, 0, 1, 4, 0, 0, 0, 0};  // next: ICMPv6
  std::vector<uint8_t> icmp = {128, 0, 0, 0, 0x12, 0x34, 0, 7, 'p', 'i', 'n', 'g'};
  ip.insert(ip.end(), hbh.begin(), hbh.end());
  ip.insert(ip.end(), icmp.begin(), icmp.end());
  ip[5] = uint8_t(hbh.size() + icmp.size());
  DecodedPacket d;
  ASSERT_EQ(Decode(Frame(ip, 0x86dd), true, &d), DecodeStatus::kOk);
  EXPECT_TRUE(d.header.v6);
  EXPECT_EQ(d.header.protocol, Protocol::kIcmp);
  EXPECT_EQ(d.facts.icmp_type, 128);
  EXPECT_EQ(d.facts.icmp_id, 0x1234);
  EXPECT_EQ(d.facts.icmp_seq, 7);
  EXPECT_EQ(d.payload, "ping");
}

}  // namespace
}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// s6/net.h: parsing rejects every malformed shape, and incremental checksum updates agree with
// a full recomputation on random packets and random rewrites (RFC 1624 corner cases included).
#include <s6/net.h>

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include <s6/key.h>

#include <random>
#include <vector>

#include "packet_builder.h"

namespace {

using namespace s6::net;
using nattest::Build;
using nattest::Ip;
using nattest::Spec;

TEST(NetTest, ParsesTcpUdpIcmpAndVerifiesChecksums) {
  for (uint8_t proto : {kProtoTcp, kProtoUdp, kProtoIcmp}) {
    Spec s{Ip(10, 0, 0, 1), Ip(8, 8, 8, 8), 1234, 80, proto};
    auto f = Build(s);
    Ipv4Packet p;
    ASSERT_EQ(ParseIpv4(f, true, p), ParseError::kOk) << int(proto);
    EXPECT_EQ(p.src, s.src);
    EXPECT_EQ(p.dst, s.dst);
    EXPECT_EQ(p.sport, 1234);
    if (proto != kProtoIcmp) {
      EXPECT_EQ(p.dport, 80);
    }
    EXPECT_TRUE(ChecksumsValid(f, p));
    f.back() ^= 1;  // payload corruption breaks the transport checksum
    EXPECT_FALSE(ChecksumsValid(f, p));
  }
}

TEST(NetTest, RejectsMalformedFrames) {
  const auto good = Build({Ip(10, 0, 0, 1), Ip(8, 8, 8, 8), 1234, 80});
  Ipv4Packet p;
  for (std::size_t n = 0; n < good.size(); ++n) {
    const ParseError e = ParseIpv4({good.data(), n}, true, p);
    EXPECT_NE(e, ParseError::kOk) << "length " << n;
  }
  auto bad_ihl = good;
  bad_ihl[14] = 0x44;
  EXPECT_EQ(ParseIpv4(bad_ihl, true, p), ParseError::kBadHeader);
  auto bad_sum = good;
  bad_sum[14 + 8] = 1;  // TTL changed, checksum not
  EXPECT_EQ(ParseIpv4(bad_sum, true, p), ParseError::kBadChecksum);
  auto frag = good;
  Store16(frag.data() + 14 + 6, 0x0010);  // fragment offset 16
  Store16(frag.data() + 14 + 10, 0);
  Store16(frag.data() + 14 + 10, InternetChecksum(frag.data() + 14, 20));
  EXPECT_EQ(ParseIpv4(frag, true, p), ParseError::kFragment);
  auto arp = good;
  Store16(arp.data() + 12, 0x0806);
  EXPECT_EQ(ParseIpv4(arp, true, p), ParseError::kNotIpv4);
  auto short_tcp = good;
  short_tcp[14 + 20 + 12] = 0xf0;  // data offset 60 > segment
  EXPECT_EQ(ParseIpv4(short_tcp, true, p), ParseError::kShortL4);
  // Raw IPv4 (no Ethernet header) parses too.
  EXPECT_EQ(ParseIpv4({good.data() + 14, good.size() - 14}, false, p), ParseError::kOk);
}

TEST(NetTest, IncrementalUpdatesMatchFullRecomputation) {
  std::mt19937_64 rng(1624);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> data(2 + 2 * (rng() % 40));
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    if (i % 7 == 0) std::fill(data.begin(), data.end(), i % 2 ? 0xff : 0x00);  // corner cases
    const uint16_t before = InternetChecksum(data.data(), data.size());
    const std::size_t at = 2 * (rng() % (data.size() / 2));
    const uint16_t old_word = Load16(data.data() + at);
    const uint16_t new_word = i % 5 == 0 ? uint16_t(~old_word) : static_cast<uint16_t>(rng());
    Store16(data.data() + at, new_word);
    const uint16_t full = InternetChecksum(data.data(), data.size());
    const uint16_t inc = ChecksumAdjust16(before, old_word, new_word);
    // 0x0000 and 0xffff are the same one's-complement value; a receiver accepts either.
    const bool same = inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff);
    ASSERT_TRUE(same) << "iteration " << i << " inc " << inc << " full " << full;
  }
}

TEST(NetTest, Ipv4AddressText) {
  uint32_t ip = 0;
  EXPECT_TRUE(ParseIpv4Address("192.168.1.254", ip));
  EXPECT_EQ(ip, Ip(192, 168, 1, 254));
  EXPECT_EQ(FormatIpv4(ip), "192.168.1.254");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 "}) {
    EXPECT_FALSE(ParseIpv4Address(bad, ip)) << bad;
  }
}

TEST(NetTest, FiveTupleIsTheFlowKey) {
  const FiveTuple t{Ip(10, 0, 0, 1), Ip(192, 0, 2, 9), 1234, 80, kProtoTcp};
  EXPECT_EQ(t.Reversed(), (FiveTuple{Ip(192, 0, 2, 9), Ip(10, 0, 0, 1), 80, 1234, kProtoTcp}));
  EXPECT_EQ(t.Reversed().Reversed(), t);
  EXPECT_EQ(FormatTuple(t), "tcp 10.0.0.1:1234 > 192.0.2.9:80");
  // A codec like any s6c-encoded struct: canonical bytes, exact round trip, stable key hash.
  const s6::ByteBuffer bytes = s6::EncodeToBuffer(t);
  EXPECT_EQ(bytes.size(), s6::Codec<FiveTuple>::kMinSize);
  FiveTuple back;
  ASSERT_TRUE(s6::DecodeExact(bytes.data(), bytes.size(), back));
  EXPECT_EQ(back, t);
  EXPECT_FALSE(s6::DecodeExact(bytes.data(), bytes.size() - 1, back)) << "truncated";
  EXPECT_EQ(s6::KeyHash(t), s6::KeyHash(FiveTuple(t)));
  EXPECT_NE(s6::KeyHash(t), s6::KeyHash(t.Reversed()));
}

TEST(NetTest, TupleOfAParsedPacket) {
  const std::vector<uint8_t> f =
      nattest::Build({.src = Ip(10, 0, 0, 1), .dst = Ip(192, 0, 2, 9), .sport = 1234, .dport = 80});
  Ipv4Packet p;
  ASSERT_EQ(ParseIpv4(f, true, p), ParseError::kOk);
  EXPECT_EQ(TupleOf(p), (FiveTuple{Ip(10, 0, 0, 1), Ip(192, 0, 2, 9), 1234, 80, kProtoTcp}));
}

TEST(NetTest, LinkLayersAcceptedInOnePlace) {
  struct Case {
    int linktype;
    uint32_t skip;
    bool ethernet;
  };
  for (const Case c : {Case{DLT_EN10MB, 0, true}, Case{DLT_RAW, 0, false}, Case{101, 0, false},
                       Case{DLT_IPV4, 0, false}, Case{DLT_LINUX_SLL, 16, false},
                       Case{DLT_NULL, 4, false}, Case{DLT_LOOP, 4, false}}) {
    const s6::StatusOr<LinkLayer> l = LinkLayerFor(c.linktype);
    ASSERT_TRUE(l.ok()) << c.linktype;
    EXPECT_EQ(l->skip, c.skip) << c.linktype;
    EXPECT_EQ(l->ethernet, c.ethernet) << c.linktype;
    EXPECT_EQ(l->linktype, c.linktype);
  }
  const s6::StatusOr<LinkLayer> wifi = LinkLayerFor(DLT_IEEE802_11_RADIO);
  ASSERT_FALSE(wifi.ok());
  EXPECT_NE(wifi.status().message().find("127"), std::string::npos) << wifi.status();
  EXPECT_NE(wifi.status().message().find("not supported"), std::string::npos) << wifi.status();
}

}  // namespace

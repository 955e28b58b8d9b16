// SPDX-License-Identifier: Apache-2.0
// s6-nat offline on real captures (tests/data/pcaps, from nDPI): runs the binary, then walks
// its input and output side by side and checks every packet: translated inside->outside
// packets carry the public address and a port from the range, keep destination and payload,
// keep valid checksums valid; each inside flow keeps one port and no two flows share one;
// everything else is forwarded byte for byte or (malformed) dropped.
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <s6/net.h>
#include "nat.h"
#include "util/capture.h"

namespace {

namespace net = s6::net;

std::vector<s6test::CapturedFrame> ReadAll(const std::string& path, int* dlt) {
  *dlt = -1;
  std::vector<s6test::CapturedFrame> out = s6test::ReadCapture(path, dlt);
  EXPECT_NE(*dlt, -1) << "cannot open " << path;
  return out;
}

bool IsInside(uint32_t ip) {
  const nat::NatConfig defaults;
  for (const nat::Cidr& c : defaults.inside) {
    if (c.Contains(ip)) return true;
  }
  return false;
}

void CheckCapture(const std::string& name) {
  const std::string in = std::string(S6_TEST_PCAPS) + "/" + name;
  const std::string dir = ::testing::TempDir() + "s6-nat-offline-" + name;
  std::filesystem::create_directories(dir);
  const std::string out = dir + "/out.pcap";
  const std::string cmd = std::string(S6_NAT_BIN) + " --pcap-in " + in + " --pcap-out " + out +
                          " --public-ip 203.0.113.7 --port-range 40000-49999 --stats-json " + dir +
                          "/stats.json > " + dir + "/stdout.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  int dlt_in = 0;
  int dlt_out = 0;
  const auto input = ReadAll(in, &dlt_in);
  const auto output = ReadAll(out, &dlt_out);
  ASSERT_EQ(dlt_in, DLT_EN10MB);
  ASSERT_EQ(dlt_out, DLT_EN10MB);
  const uint32_t kPublic = (203u << 24) | (113u << 8) | 7u;

  std::map<std::vector<uint32_t>, uint16_t> mapping;  // inside 5-tuple -> public port
  std::set<uint16_t> used;
  std::size_t o = 0;
  std::size_t translated = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto& f = input[i].bytes;
    net::Ipv4Packet p;
    const net::ParseError e = net::ParseIpv4(f, true, p);
    if (e != net::ParseError::kOk && e != net::ParseError::kNotIpv4) continue;  // dropped
    const bool outbound = e == net::ParseError::kOk && IsInside(p.src) && !IsInside(p.dst);
    const bool translatable =
        outbound && (p.proto == net::kProtoTcp || p.proto == net::kProtoUdp ||
                     (p.proto == net::kProtoIcmp && p.icmp_type == net::kIcmpEchoRequest));
    if (outbound && !translatable) continue;  // dropped, never forwarded untranslated
    ASSERT_LT(o, output.size()) << "packet " << i << " missing from the output";
    const auto& g = output[o++].bytes;
    if (!translatable) {
      EXPECT_EQ(g, f) << "packet " << i << " should pass unchanged";
      continue;
    }
    ++translated;
    net::Ipv4Packet q;
    ASSERT_EQ(net::ParseIpv4(g, true, q), net::ParseError::kOk) << "packet " << i;
    EXPECT_EQ(q.src, kPublic) << "packet " << i;
    EXPECT_EQ(q.dst, p.dst);
    EXPECT_EQ(q.dport, p.dport);
    EXPECT_GE(q.sport, 40000);
    EXPECT_LE(q.sport, 49999);
    EXPECT_EQ(g.size(), f.size());
    // Every byte other than the rewritten fields is unchanged (headers and payload).
    std::vector<bool> may_change(g.size(), false);
    auto mark = [&may_change](std::size_t at, std::size_t n) {
      for (std::size_t k = at; k < at + n && k < may_change.size(); ++k) may_change[k] = true;
    };
    mark(q.l3 + 10, 2);  // IPv4 checksum
    mark(q.l3 + 12, 4);  // source address
    if (q.proto == net::kProtoIcmp) {
      mark(q.l4 + 2, 4);  // checksum, identifier
    } else {
      mark(q.l4, 2);                                         // source port
      mark(q.l4 + (q.proto == net::kProtoTcp ? 16 : 6), 2);  // checksum
    }
    for (std::size_t k = 0; k < g.size(); ++k) {
      if (!may_change[k] && g[k] != f[k]) {
        ADD_FAILURE() << "packet " << i << ": byte " << k << " changed";
        break;
      }
    }
    EXPECT_EQ(net::ChecksumsValid(g, q), net::ChecksumsValid(f, p)) << "packet " << i;
    const std::vector<uint32_t> key = {p.src, p.dst, p.sport,
                                       p.proto == net::kProtoIcmp ? 0u : p.dport, p.proto};
    auto [it, fresh] = mapping.emplace(key, q.sport);
    if (fresh) {
      EXPECT_TRUE(used.insert(q.sport).second) << "port " << q.sport << " given to two flows";
    } else {
      EXPECT_EQ(it->second, q.sport) << "flow changed its port at packet " << i;
    }
  }
  EXPECT_EQ(o, output.size()) << "the output has packets the input does not explain";
  EXPECT_GT(translated, 100u);
  EXPECT_GT(mapping.size(), 20u);
}

TEST(NatOfflineTest, EaqCapture) { CheckCapture("EAQ.pcap"); }
TEST(NatOfflineTest, WhatsappCapture) { CheckCapture("whatsapp.pcap"); }

TEST(NatOfflineTest, BadArgumentsAndFilesAreClearErrors) {
  const std::string bin = S6_NAT_BIN;
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " --pcap-in /nonexistent --pcap-out /tmp/x.pcap "
                                           "--public-ip 1.2.3.4 2>/dev/null")
                                        .c_str())),
            2);
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " --pcap-in a --pcap-out b --public-ip 1.2.3 "
                                           "2>/dev/null")
                                        .c_str())),
            2);
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " --bogus 2>/dev/null").c_str())), 2);
}

}  // namespace

// SPDX-License-Identifier: Apache-2.0
// pcap replay: the vendored captures replay in file order with their bytes intact and a trailer
// after the datagram — the probe, which ReadProbe finds (also after NAT-style in-place
// rewriting), and the packet's capture time, which net::ReadCaptureTime finds — flows are numbered
// per 5-tuple and fresh in every loop with consecutive sequences; raw IPv4 captures get an Ethernet
// header; other link types, non-IPv4 frames, other protocols, cut or oversized packets are skipped;
// unreadable files are errors.
#include "trafgen/pcap_replay.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <s6/net.h>
#include "util/capture.h"

namespace s6::trafgen {
namespace {

const std::string kPcaps = S6_TEST_PCAPS;

// The capture's frames as libpcap reads them.
std::vector<std::vector<uint8_t>> ReadAll(const std::string& path) {
  int linktype = -1;
  std::vector<std::vector<uint8_t>> out;
  for (s6test::CapturedFrame& f : s6test::ReadCapture(path, &linktype)) {
    out.push_back(std::move(f.bytes));
  }
  EXPECT_NE(linktype, -1) << "cannot open " << path;
  return out;
}

// Writes `frames` as a capture of link type `dlt`; `wire_len` > 0 claims that original length.
void WritePcap(const std::string& path, int dlt, const std::vector<std::vector<uint8_t>>& frames,
               uint32_t wire_len = 0) {
  pcap_t* dead = pcap_open_dead(dlt, 65535);
  pcap_dumper_t* out = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(out, nullptr) << pcap_geterr(dead);
  for (const auto& f : frames) {
    pcap_pkthdr h{};
    h.caplen = static_cast<uint32_t>(f.size());
    h.len = wire_len > 0 ? wire_len : h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(out), &h, f.data());
  }
  pcap_dump_close(out);
  pcap_close(dead);
}

std::vector<uint8_t> SyntheticFrame(uint8_t proto, uint32_t frame_bytes = 128, int i = 0) {
  FlowConfig c;
  c.concurrent_flows = 1;
  c.frame_bytes = frame_bytes;
  c.tcp_fraction = proto == net::kProtoTcp ? 1 : 0;
  c.seed = static_cast<uint64_t>(i + 1);
  FlowGenerator g(c);
  std::vector<uint8_t> f(frame_bytes);
  g.Build(g.Next(), 0, f.data());
  return f;
}

// A UDP frame with no probe of ours: the payload zeroed (UDP checksum 0: none).
std::vector<uint8_t> PlainUdpFrame(uint32_t frame_bytes) {
  std::vector<uint8_t> f = SyntheticFrame(net::kProtoUdp, frame_bytes);
  std::fill(f.begin() + 14 + 20 + 8, f.end(), 0);
  net::Store16(f.data() + 14 + 20 + 6, 0);
  return f;
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/s6_pcap_replay_" + std::to_string(::getpid()) + "_" + name;
}

TEST(PcapReplayTest, ReplaysTheCaptureIntactWithATrailerProbe) {
  for (const char* file : {"EAQ.pcap", "whatsapp.pcap"}) {
    SCOPED_TRACE(file);
    const std::string path = kPcaps + "/" + file;
    auto r = PcapReplay::Load(path);
    ASSERT_TRUE(r.ok()) << r.status();
    // EAQ holds three 2818-byte frames (captured before segmentation offload split them): a
    // link can't carry them. Everything else is Ethernet, IPv4 TCP/UDP, unpadded.
    std::vector<std::vector<uint8_t>> original;
    uint64_t oversize = 0;
    for (auto& f : ReadAll(path)) {
      if (f.size() > kMaxFrame) {
        ++oversize;
      } else {
        original.push_back(std::move(f));
      }
    }
    EXPECT_EQ(oversize, std::string(file) == "EAQ.pcap" ? 3u : 0u);
    EXPECT_EQ(r->skipped(), oversize);
    ASSERT_EQ(r->packets(), original.size());
    const std::vector<s6test::CapturedFrame> captured = s6test::ReadCapture(path);
    std::vector<uint64_t> capture_ns;
    for (const auto& f : captured) {
      if (f.bytes.size() <= kMaxFrame) capture_ns.push_back(f.ts_ns);
    }
    std::vector<uint8_t> out(kMaxReplayFrame);
    for (std::size_t i = 0; i < original.size(); ++i) {
      const GenPacket p = r->Next();
      ASSERT_EQ(p.index, i);  // file order
      bool probed = false;
      const uint32_t len = r->Build(p, 5000 + i, out.data(), probed);
      const std::vector<uint8_t>& want = original[i];
      ASSERT_TRUE(probed);
      ASSERT_EQ(len, want.size() + kProbeBytes + net::kCaptureTimeBytes);
      EXPECT_EQ(net::ReadCaptureTime({out.data(), len}), capture_ns[i]) << "packet " << i;
      ASSERT_TRUE(std::equal(want.begin(), want.end(), out.begin())) << "packet " << i;
      net::Ipv4Packet ip;
      ASSERT_EQ(net::ParseIpv4({out.data(), len}, true, ip), net::ParseError::kOk);
      EXPECT_EQ(ip.src, p.tuple.src_ip);
      EXPECT_EQ(ip.sport, p.tuple.src_port);
      EXPECT_EQ(ip.proto, p.tuple.proto);
      EXPECT_EQ(ip.tcp_flags, p.tcp_flags);
      Probe probe;
      ASSERT_TRUE(ReadProbe(out.data(), len, probe)) << "packet " << i;
      EXPECT_EQ(probe.flow, p.flow);
      EXPECT_EQ(probe.seq, p.seq);
      EXPECT_EQ(probe.tx_ns, 5000u + i);
      // Without the trailer there is no capture time.
      EXPECT_EQ(net::ReadCaptureTime({out.data(), uint32_t(want.size())}), 0u);
    }
  }
}

TEST(PcapReplayTest, FlowsPerFiveTupleFreshInEveryLoop) {
  auto r = PcapReplay::Load(kPcaps + "/whatsapp.pcap");
  ASSERT_TRUE(r.ok()) << r.status();
  const std::size_t n = r->packets();
  std::set<std::tuple<uint32_t, uint32_t, uint16_t, uint16_t, uint8_t>> tuples;
  for (int loop = 0; loop < 3; ++loop) {
    std::map<std::tuple<uint32_t, uint32_t, uint16_t, uint16_t, uint8_t>, uint32_t> flow_of;
    std::map<uint32_t, uint32_t> next_seq;
    std::map<uint32_t, bool> ended;
    EXPECT_EQ(r->loops(), static_cast<uint64_t>(loop));
    for (std::size_t i = 0; i < n; ++i) {
      const GenPacket p = r->Next();
      const auto key = std::make_tuple(p.tuple.src_ip, p.tuple.dst_ip, p.tuple.src_port,
                                       p.tuple.dst_port, p.tuple.proto);
      tuples.insert(key);
      const auto [it, fresh] = flow_of.emplace(key, p.flow);
      EXPECT_EQ(it->second, p.flow) << "one 5-tuple, one flow within a loop";
      // Loop L's flows are L * flows + [0, flows): never a flow of an earlier loop.
      EXPECT_GE(p.flow, loop * r->flows());
      EXPECT_LT(p.flow, (loop + 1) * r->flows());
      EXPECT_EQ(p.seq, next_seq[p.flow]++);
      EXPECT_FALSE(ended[p.flow]) << "a packet after the flow's last";
      if (p.last) ended[p.flow] = true;
    }
    EXPECT_EQ(flow_of.size(), r->flows());
    for (const auto& [flow, e] : ended) EXPECT_TRUE(e) << "flow " << flow << " never ended";
    EXPECT_EQ(r->flows_started(), (loop + 1) * uint64_t{r->flows()});
  }
  EXPECT_EQ(tuples.size(), r->flows());
  EXPECT_EQ(r->loops(), 3u);
}

TEST(PcapReplayTest, TheTrailerSurvivesInPlaceRewritingAndPayloadProbesStillRead) {
  auto r = PcapReplay::Load(kPcaps + "/EAQ.pcap");
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<uint8_t> out(kMaxReplayFrame);
  bool probed = false;
  const GenPacket p = r->Next();
  const uint32_t len = r->Build(p, 777, out.data(), probed);
  ASSERT_TRUE(probed);
  // What a NAT does: new source address and port, checksums fixed, frame length kept.
  net::Ipv4Packet ip;
  ASSERT_EQ(net::ParseIpv4({out.data(), len}, true, ip), net::ParseError::kOk);
  net::Store32(out.data() + ip.l3 + 12, 0xcb007107);  // 203.0.113.7
  net::Store16(out.data() + ip.l4, 40000);
  net::Store16(out.data() + ip.l3 + 10, 0);
  net::Store16(out.data() + ip.l3 + 10, net::InternetChecksum(out.data() + ip.l3, 20));
  Probe probe;
  ASSERT_TRUE(ReadProbe(out.data(), len, probe));
  EXPECT_EQ(probe.flow, p.flow);
  EXPECT_EQ(probe.tx_ns, 777u);
  // A frame cut back to its datagram has no probe at all.
  EXPECT_FALSE(ReadProbe(out.data(), len - kProbeBytes, probe));

  // Synthetic frames: the probe in the payload, whatever follows the datagram.
  std::vector<uint8_t> syn = SyntheticFrame(net::kProtoUdp);
  syn.resize(syn.size() + 30, 0xab);
  ASSERT_TRUE(ReadProbe(syn.data(), static_cast<uint32_t>(syn.size()), probe));
  EXPECT_EQ(probe.tx_ns, 0u);
}

TEST(PcapReplayTest, RawIpv4GetsAnEthernetHeaderAndTheRestIsSkipped) {
  std::vector<std::vector<uint8_t>> datagrams;
  for (uint8_t proto : {net::kProtoTcp, net::kProtoUdp}) {
    const std::vector<uint8_t> f = SyntheticFrame(proto);
    datagrams.emplace_back(f.begin() + 14, f.end());
  }
  std::vector<uint8_t> v6(60, 0);
  v6[0] = 0x60;
  datagrams.push_back(v6);  // IPv6: skipped
  std::vector<uint8_t> gre = datagrams[1];
  gre[9] = 47;  // GRE: skipped
  net::Store16(gre.data() + 10, 0);
  net::Store16(gre.data() + 10, net::InternetChecksum(gre.data(), 20));
  datagrams.push_back(gre);
  const std::string path = TempPath("raw.pcap");
  WritePcap(path, DLT_RAW, datagrams);
  auto r = PcapReplay::Load(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->packets(), 2u);
  EXPECT_EQ(r->skipped(), 2u);
  std::vector<uint8_t> out(kMaxReplayFrame);
  for (std::size_t i = 0; i < 2; ++i) {
    bool probed = false;
    const uint32_t len = r->Build(r->Next(), 1, out.data(), probed);
    ASSERT_TRUE(probed);
    ASSERT_EQ(len, 14 + datagrams[i].size() + kProbeBytes + net::kCaptureTimeBytes);
    EXPECT_EQ(net::Load16(out.data() + 12), net::kEtherTypeIpv4);
    EXPECT_TRUE(std::equal(datagrams[i].begin(), datagrams[i].end(), out.begin() + 14));
    Probe probe;
    EXPECT_TRUE(ReadProbe(out.data(), len, probe));
  }
  std::filesystem::remove(path);
}

TEST(PcapReplayTest, EthernetCapturesSkipWhatALinkCannotCarry) {
  std::vector<std::vector<uint8_t>> frames;
  frames.push_back(SyntheticFrame(net::kProtoTcp));  // kept
  std::vector<uint8_t> arp(60, 0);
  net::Store16(arp.data() + 12, 0x0806);
  frames.push_back(arp);  // not IPv4: skipped
  std::vector<uint8_t> padded = SyntheticFrame(net::kProtoUdp, 80);
  padded.resize(100, 0xee);  // padding after the datagram: kept, the padding cut off
  frames.push_back(padded);
  std::vector<uint8_t> vlan = SyntheticFrame(net::kProtoUdp);
  vlan.insert(vlan.begin() + 12, {0x81, 0x00, 0x00, 0x05});  // VLAN 5: kept, tag and all
  frames.push_back(vlan);
  std::vector<uint8_t> cut = SyntheticFrame(net::kProtoTcp, 200);
  cut.resize(120);  // shorter than its IPv4 total length: skipped
  frames.push_back(cut);
  frames.push_back(SyntheticFrame(net::kProtoUdp, kMaxFrame + 60));  // over 1514: skipped
  frames.push_back(PlainUdpFrame(1500));  // kept, and its trailer goes beyond 1514 bytes
  const std::string path = TempPath("eth.pcap");
  WritePcap(path, DLT_EN10MB, frames);
  auto r = PcapReplay::Load(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->packets(), 4u);
  EXPECT_EQ(r->skipped(), 3u);
  std::vector<uint8_t> out(kMaxReplayFrame);
  bool probed = false;
  r->Next();
  constexpr uint32_t kTrailer = kProbeBytes + net::kCaptureTimeBytes;
  EXPECT_EQ(r->Build(r->Next(), 1, out.data(), probed), 80 + kTrailer);
  Probe probe;
  EXPECT_TRUE(ReadProbe(out.data(), 80 + kTrailer, probe));
  const uint32_t vlen = r->Build(r->Next(), 1, out.data(), probed);
  EXPECT_EQ(vlen, vlan.size() + kTrailer);
  EXPECT_TRUE(ReadProbe(out.data(), vlen, probe));
  EXPECT_EQ(r->Build(r->Next(), 1, out.data(), probed), 1500u + kTrailer);
  EXPECT_TRUE(probed);
  EXPECT_TRUE(ReadProbe(out.data(), 1500 + kTrailer, probe));
  EXPECT_TRUE(std::equal(frames.back().begin(), frames.back().end(), out.begin()));

  // A capture whose snap length cut the packets: skipped.
  WritePcap(path, DLT_EN10MB, {SyntheticFrame(net::kProtoTcp)}, 1000);
  r = PcapReplay::Load(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(r->skipped(), 1u);

  // A link type s6::net::LinkLayerFor refuses: every packet skipped, nothing to replay.
  WritePcap(path, DLT_IEEE802_11_RADIO, {std::vector<uint8_t>(80, 0), std::vector<uint8_t>(90, 0)});
  r = PcapReplay::Load(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(r->skipped(), 2u);
  std::filesystem::remove(path);
}

TEST(PcapReplayTest, UnreadableFilesAreErrors) {
  EXPECT_FALSE(PcapReplay::Load(TempPath("does-not-exist.pcap")).ok());
  const std::string path = TempPath("bad.pcap");
  std::ofstream(path) << "this is not a capture file, not even close\n";
  auto r = PcapReplay::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status();

  // A real capture cut in the middle of a record: an error, not a shorter replay.
  std::ifstream in(kPcaps + "/EAQ.pcap", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2 + 7);
  r = PcapReplay::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("malformed"), std::string::npos) << r.status();
  std::filesystem::remove(path);
}

TEST(PcapReplayTest, TrackerMatchesEveryReplayedPacketFullSizedOnesToo) {
  // whatsapp.pcap plus one 1500-byte frame: its trailer makes it longer than 1514 bytes,
  // which the links carry (their buffers hold kMaxReplayFrame).
  std::vector<std::vector<uint8_t>> frames = ReadAll(kPcaps + "/whatsapp.pcap");
  frames.push_back(PlainUdpFrame(1500));
  const std::string path = TempPath("unprobed.pcap");
  WritePcap(path, DLT_EN10MB, frames);
  auto r = PcapReplay::Load(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->packets(), frames.size());
  Tracker t(/*check_shared_endpoints=*/false);
  std::vector<uint8_t> out(kMaxReplayFrame);
  uint64_t probed_n = 0;
  for (std::size_t i = 0; i < 2 * r->packets(); ++i) {  // two loops
    bool probed = false;
    const uint32_t len = r->Build(r->Next(), 1000 * i, out.data(), probed);
    if (probed) {
      t.OnSent(1, 1000 * i);
      ++probed_n;
    } else {
      t.OnSentUnprobed();
    }
    t.OnReceived(1, out.data(), len, 1000 * i + 250);
  }
  EXPECT_EQ(probed_n, 2 * r->packets());
  EXPECT_EQ(t.total().sent, probed_n);
  EXPECT_EQ(t.total().received, probed_n);
  EXPECT_EQ(t.lost(), 0u);
  EXPECT_EQ(t.unprobed(), 0u);
  EXPECT_EQ(t.total().foreign, 0u);
  EXPECT_EQ(t.total().reordered, 0u);  // the second loop's flows are new flows
  EXPECT_EQ(t.total().mapping_changes, 0u);
  EXPECT_EQ(t.total().shared_endpoints, 0u);
  EXPECT_EQ(t.total().latency.max(), 250u);
}

}  // namespace
}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// TcpOsDatabase against Debian's real signature files and real prads's output. The frames below
// are byte-for-byte copies of packets from prads_crafted.pcap and the nDPI captures, and each
// expected string is the bracket text Debian's prads 0.3.3 logged for that packet (the crafted
// pcap's assets.log and the reference logs of the nDPI corpus).
#include "os_tcp.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "packet.h"

namespace prads {
namespace {

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

/// A frame and its decoded view (the view points into `bytes`).
struct Frame {
  std::vector<uint8_t> bytes;
  PacketView view;
};

/// Decodes `hex` as an Ethernet frame; `wire_len` 0 means "as captured".
Frame Decode(std::string_view hex, uint32_t wire_len = 0) {
  Frame f;
  f.bytes = Hex(hex);
  PacketCounters counters;
  const DecodeResult r = DecodeEthernet(
      f.bytes, wire_len ? wire_len : static_cast<uint32_t>(f.bytes.size()), 0, counters, f.view);
  EXPECT_EQ(r, DecodeResult::kIp);
  return f;
}

const TcpOsDatabase& RealDb() {
  static const TcpOsDatabase db = [] {
    std::vector<LoadReport> reports;
    auto loaded = TcpOsDatabase::Load(TcpOsDatabase::DefaultPaths(S6_PRADS_ETC), &reports);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return std::move(loaded).value();
  }();
  return db;
}

std::string Info(const TcpOsDatabase& db, const PacketView& v, Detection d) {
  const std::optional<OsHit> hit = db.Fingerprint(v, d);
  return hit ? hit->info : "(none)";
}

// prads_crafted.pcap frames.
constexpr std::string_view kSyn4 =
    "001b21aabbcc000c2911223308004500003c109240003e06a80bc000020ac00002149c400050000003e8000000"
    "00a00216d02a570000020405b40402080a0001e2400000000001030307";
constexpr std::string_view kSynAck4 =
    "000c29112233001b21aabbcc08004500003c000040004006b69dc0000214c000020a00509c40000013880000"
    "03e9a01216a038b10000020405b40402080a000bde310001e24001030307";
constexpr std::string_view kAck4 =
    "001b21aabbcc000c29112233080045000028000140003e06b8b0c000020ac00002149c400050000003e90000"
    "13895010002e77850000";
// The server's HTTP response (PSH+ACK), captured here without its 112 payload bytes.
constexpr std::string_view kAckPsh4Headers =
    "000c29112233001b21aabbcc080045000098000140004006b640c0000214c000020a00509c40000013890000"
    "04335018002ee33d0000";
constexpr std::string_view kFin4 =
    "001b21aabbcc000c29112233080045000028000140003e06b8b0c000020ac00002149c40005000000433000"
    "013f95011002e76ca0000";
constexpr std::string_view kRst4 =
    "000c29112233001b21aabbcc080045000028000140004006b6b0c0000214c000020a00509c40000013f90000"
    "04345014000076f40000";
constexpr std::string_view kSynWin4 =
    "001b21aabbcc005056010203080045000030030940007d06768cc000021ec0000214040100160000002a0000"
    "00007002fffffaab0000020405b401010402";
constexpr std::string_view kSynAckUnknown4 =
    "005056010203001b21aabbcc080045000030000040004006b695c0000214c000021e00160401000023280000"
    "002b701216a0c0d20000020405b401010402";
constexpr std::string_view kSyn6 =
    "001b21aabbcc000c2911223386dd600000000028064020010db800000000000000000000001020010db80000"
    "000000000000000000209c4201bb00000bb800000000a002168049cf0000020405a00402080a0001e26c0000"
    "000001030307";

TEST(TcpOsLoad, DebianFilesLoadCompletely) {
  std::vector<LoadReport> reports;
  auto db = TcpOsDatabase::Load(TcpOsDatabase::DefaultPaths(S6_PRADS_ETC), &reports);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(reports.size(), 5u);
  const std::string dir = S6_PRADS_ETC;
  EXPECT_EQ(reports[0].file, dir + "/tcp-syn.fp");
  EXPECT_EQ(reports[2].file, dir + "/tcp-stray-ack.fp");
  for (const LoadReport& r : reports) {
    EXPECT_GT(r.loaded, 0u) << r.file;
    EXPECT_EQ(r.skipped, 0u) << r.file;
    EXPECT_TRUE(r.errors.empty()) << r.file << ": " << r.errors.front();
  }
  const TcpSignatureTable* syn = db->table(Detection::kSyn);
  ASSERT_NE(syn, nullptr);
  EXPECT_EQ(syn->signatures().size(), reports[0].loaded);
  EXPECT_EQ(db->table(Detection::kUdp), nullptr);
}

TEST(TcpOsLoad, MissingFileFails) {
  TcpOsDatabase::Paths paths = TcpOsDatabase::DefaultPaths(S6_PRADS_ETC);
  paths.fin = "/nonexistent/tcp-fin.fp";
  std::vector<LoadReport> reports;
  auto db = TcpOsDatabase::Load(paths, &reports);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().ToString().find("/nonexistent/tcp-fin.fp"), std::string::npos);
}

TEST(TcpOsLoad, DefaultPathsArePradsNames) {
  const TcpOsDatabase::Paths p = TcpOsDatabase::DefaultPaths("/x");
  EXPECT_EQ(p.syn, "/x/tcp-syn.fp");
  EXPECT_EQ(p.synack, "/x/tcp-synack.fp");
  EXPECT_EQ(p.ack, "/x/tcp-stray-ack.fp");
  EXPECT_EQ(p.fin, "/x/tcp-fin.fp");
  EXPECT_EQ(p.rst, "/x/tcp-rst.fp");
  EXPECT_EQ(p.mtu, "/x/mtu.sig");
}

TEST(TcpOsLoad, BadLinesAreReportedAndSkipped) {
  const std::string long_comment = "#" + std::string(1100, 'x');  // fgets splits it in two
  const std::string text =
      "# header\n"                                                    // 1
      "\n"                                                            // 2
      "S4:64:1:60:M*,S,T,N,W*:.:Linux:good one\n"                     // 3
      "garbage line\n"                                                // 4
      "S4:64:1:60:M*,S,T,N,W*:.:@:empty genre\n"                      // 5
      "S:64:1:60:.:.:OS:bad S\n"                                      // 6
      "%0:64:1:60:.:.:OS:zero modulo\n"                               // 7
      "8192:64:1:60:M1460,Q:.:OS:bad option\n"                        // 8
      "8192:64:1:60:T5:.:OS:bogus timestamp\n"                        // 9
      "8192:64:1:60:W:.:OS:bad W\n"                                   // 10
      "8192:64:1:60:M%0:.:OS:null MSS modulo\n"                       // 11
      "8192:64:1:60:?x:.:OS:bad ?\n"                                  // 12
      "8192:64:1:60:N,N,N,N,N,N,N,N,N,N,N,N,N,N,N,N:.:OS:too many\n"  // 13
      "8192:64:1:60:.:E:OS:obsolete E\n"                              // 14
      "8192:64:1:60:.:ZY:OS:bad quirk\n"                              // 15
      "  8192:64:1:60:.:Z:-*@OS:blanks and prefixes are fine  \n"     // 16
      "8192:64:1:60:.:Z:OS:\n"                                        // 17
      + long_comment +
      "\n"                                          // 18 and 19
      "8192:64:1:60:.:Z:OS:after the long line\n";  // 20
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("os_tcp_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tcp-syn.fp").string();
  std::ofstream(path) << text;

  TcpOsDatabase::Paths paths;  // only SYN is loaded
  paths.syn = path;
  std::vector<LoadReport> reports;
  auto db = TcpOsDatabase::Load(paths, &reports);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(reports.size(), 1u);
  const LoadReport& r = reports[0];
  EXPECT_EQ(r.file, path);
  EXPECT_EQ(r.loaded, 3u);
  const std::vector<std::string> expected = {
      path + ":4: syntax error",
      path + ":5: empty OS genre",
      path + ":6: bad Snn value in WSS",
      path + ":7: null modulo for window size",
      path + ":8: unknown TCP option 'Q'",
      path + ":9: bogus Tstamp specification",
      path + ":10: incorrect W value",
      path + ":11: null modulo for MSS",
      path + ":12: bogus ?nn value",
      path + ":13: too many TCP options",
      path + ":14: quirk 'E' is obsolete (append E to the options)",
      path + ":15: bad quirk 'Y'",
      path + ":17: syntax error",
      path + ":19: syntax error",
  };
  EXPECT_EQ(r.errors, expected);
  EXPECT_EQ(r.skipped, expected.size());

  const std::vector<TcpSignature>& sigs = db->table(Detection::kSyn)->signatures();
  ASSERT_EQ(sigs.size(), 3u);
  EXPECT_EQ(sigs[0].line, 3u);
  EXPECT_EQ(sigs[0].desc, "good one");
  EXPECT_EQ(sigs[1].os, "OS");
  EXPECT_TRUE(sigs[1].userland && sigs[1].no_detail && sigs[1].generic);
  EXPECT_EQ(sigs[1].desc, "blanks and prefixes are fine");
  EXPECT_EQ(sigs[2].line, 20u);
  EXPECT_FALSE(db->table(Detection::kSynAck)->loaded());
}

TEST(TcpOsLoad, FieldsFollowCSemantics) {
  LoadReport r;
  const TcpSignatureTable t = TcpSignatureTable::Parse(
      "S4:300:1:*:M*,S,T0,N,W%2,?30:.:A:b\n"
      "T12:64:0:52:M%8,E,E:P:A:c\n"
      "%8:64:1:60:.:!D:A:d\n",
      "f", &r);
  ASSERT_EQ(t.signatures().size(), 3u) << (r.errors.empty() ? "" : r.errors[0]);
  const TcpSignature& a = t.signatures()[0];
  EXPECT_EQ(a.wsize_mod, 2);
  EXPECT_EQ(a.wsize, 4);
  EXPECT_EQ(a.ttl, 300 - 256);  // stored in a uint8_t
  EXPECT_EQ(a.size, 0);
  EXPECT_TRUE(a.zero_stamp);  // "T0"
  EXPECT_EQ(a.optcnt, 6);
  EXPECT_EQ(a.opt[5], 30);
  EXPECT_EQ(a.mss_mod, 1);
  EXPECT_EQ(a.wsc_mod, 1);
  EXPECT_EQ(a.wsc, 2);
  EXPECT_EQ(a.bucket, ((0u << 2) ^ (6u << 1) ^ 1u ^ 0u) % 241);
  const TcpSignature& b = t.signatures()[1];
  EXPECT_EQ(b.wsize_mod, 3);
  EXPECT_EQ(b.wsize, 12);
  EXPECT_TRUE(b.zero_stamp);  // no timestamp option at all
  EXPECT_EQ(b.optcnt, 3);
  EXPECT_EQ(b.mss, 8);
  EXPECT_EQ(b.quirks, 0x1u);
  const TcpSignature& c = t.signatures()[2];
  EXPECT_EQ(c.wsize_mod, 1);
  EXPECT_EQ(c.wsize, 8);
  EXPECT_EQ(c.quirks, 0x200u | 0x100u);
}

TEST(TcpOsLink, BuiltInMtuTable) {
  EXPECT_EQ(TcpLinkName(1460), "ethernet/modem");
  EXPECT_EQ(TcpLinkName(1420), "3G WAN");  // only in PRADS's compiled-in table, not mtu.sig
  EXPECT_EQ(TcpLinkName(1368), "virtualization");
  EXPECT_EQ(TcpLinkName(216), "radio modem");
  EXPECT_EQ(TcpLinkName(100), "unknown-140");
  EXPECT_EQ(TcpLinkName(1220), "unknown-1260");
  EXPECT_EQ(TcpLinkName(65495), "unknown-65535");
  EXPECT_EQ(TcpLinkName(65535), "unknown-39");  // PRADS adds 40 in 16 bits
}

// Each expectation is a line of prads_crafted.pcap's reference assets.log.
TEST(TcpOsFingerprint, CraftedIpv4MatchesRealPrads) {
  const TcpOsDatabase& db = RealDb();
  EXPECT_EQ(Info(db, Decode(kSyn4).view, Detection::kSyn),
            "S4:62:1:60:M1460,S,T,N,W7:.:Linux:2.6 (newer, 7):link:ethernet/modem:uptime:0hrs");
  EXPECT_EQ(Info(db, Decode(kSynAck4).view, Detection::kSynAck),
            "5792:64:1:60:M1460,S,T,N,W7:ZAT:Linux:2.6 (newer, 7):link:ethernet/modem:uptime:2hrs");
  EXPECT_EQ(Info(db, Decode(kAck4).view, Detection::kAck), "46:62:1:0:.:A:Windows:XP");
  EXPECT_EQ(Info(db, Decode(kAckPsh4Headers, 166).view, Detection::kAck),
            "46:64:1:0:.:A:Windows:XP");
  EXPECT_EQ(Info(db, Decode(kFin4).view, Detection::kFin), "46:62:1:40:.:AFN:unknown:unknown");
  EXPECT_EQ(Info(db, Decode(kRst4).view, Detection::kRst),
            "0:64:1:40:.:KA:Windows:Win2K (UC)/Win7/2008R2");
  EXPECT_EQ(Info(db, Decode(kSynWin4).view, Detection::kSyn),
            "65535:125:1:48:M1460,N,N,S:.:Windows:2000 SP4, XP SP1+:link:ethernet/modem");
  EXPECT_EQ(Info(db, Decode(kSynAckUnknown4).view, Detection::kSynAck),
            "5792:64:1:48:M1460,N,N,S:ZA:unknown:unknown:link:ethernet/modem");
}

TEST(TcpOsFingerprint, CraftedIpv6MatchesRealPrads) {
  EXPECT_EQ(Info(RealDb(), Decode(kSyn6).view, Detection::kSyn),
            "S4:64:1:40:M1440,S,T,N,W7:Z:Linux:2.6 (newer, 7) IPv6:link:IPv6/IPIP:uptime:0hrs");
}

// Frames of the nDPI corpus and the lines real prads logged for them (all.conf reference logs).
TEST(TcpOsFingerprint, CorpusIpv6MatchesRealPrads) {
  const TcpOsDatabase& db = RealDb();
  // ftp_failed.pcap, 2a00:800:1010::1 port 21.
  EXPECT_EQ(Info(db,
                 Decode("64006a6335ccf4b52ffcaff086dd600b598e0028063a2a000800101000000000000000"
                        "0000012a000d400001000301920012019300110015aeb47015066c993741b6a012ffff"
                        "36e90000020405a00402080a56d348c396055ea20103030e")
                     .view,
                 Detection::kSynAck),
            "65535:58:1:40:M1440,S,T,N,W14:ATL:unknown:unknown:link:IPv6/IPIP:uptime:4046hrs");
  EXPECT_EQ(Info(db,
                 Decode("64006a6335ccf4b52ffcaff086dd600b598e0020063a2a000800101000000000000000"
                        "0000012a000d400001000301920012019300110015aeb4701506dd993741ce80110200"
                        "3fea00000101080a56d34fce96057acc")
                     .view,
                 Detection::kFin),
            "512:58:1:32:N,N,T:ATFNL:unknown:unknown:uptime:4046hrs");
  // reddit.pcap: a stray ACK from 64:ff9b::df9:21c6 port 443, a RST from port 40030.
  EXPECT_EQ(Info(db,
                 Decode("e442a6e563f2aadb03afc96486dd600000000020063d0064ff9b0000000000000000"
                        "0df921c62a01cb0120498b07991dec8528dff62901bba9e41a8fab857901e417801"
                        "00b307a3600000101080ac2d73c884bfa6270")
                     .view,
                 Detection::kAck),
            "2864:61:1:0:N,N,T:ZAT:Linux:2.6:uptime:9080hrs");
  EXPECT_EQ(Info(db,
                 Decode("aadb03afc964e442a6e563f286dd600c4446001406402a01cb0120498b07991dec85"
                        "28dff6292a0014504007080a000000000000200a9c5e01bbe29adbcc00000000500400"
                        "0067f40000")
                     .view,
                 Detection::kRst),
            "0:64:1:20:.:L:unknown:unknown");
}

TEST(TcpOsFingerprint, CorpusIpv4OdditiesMatchRealPrads) {
  const TcpOsDatabase& db = RealDb();
  // 1kxun.pcap: EOL padding is parsed as more options, with 'P' (data past EOL).
  EXPECT_EQ(Info(db,
                 Decode("001023e000a060c54705bc8c08004500004093f040004006ad1bc0a80510c0a8734b"
                        "d17701bb1e01e11500000000b002ffff389d0000020405b4010303050101080a1a0f"
                        "185b0000000004020000")
                     .view,
                 Detection::kSyn),
            "65535:64:1:64:M1460,N,W5,N,N,T,S,E,E:P:unknown:unknown:link:ethernet/modem:"
            "uptime:1214hrs");
  // ieee_c37118.pcap: a FIN matching a signature.
  EXPECT_EQ(Info(db,
                 Decode("0030a7000d3a00096b937b83080045000034e44840004006d425c0a80014c0a800f1"
                        "8fe31268080d85dbd97baee78011006c3ab000000101080a02c46afa71a02154")
                     .view,
                 Detection::kFin),
            "108:64:1:52:N,N,T:ATFN:Linux:2.6:uptime:128hrs");
  // discord.pcap: DF clear and a DF-clear signature: printed with DF 0.
  EXPECT_EQ(Info(db,
                 Decode("0800275bf98652540012350208004500002c01860000400649afa29f80e90a00020f"
                        "01bba75200290401865df3096012ffff41e00000020405b4")
                     .view,
                 Detection::kSynAck),
            "65535:64:0:44:M1460:A:Tru64:5.0 (2):link:ethernet/modem");
  // 1kxun.pcap: DF clear, no signature: PRADS retried with DF=1 and printed that.
  EXPECT_EQ(Info(db,
                 Decode("001c428e70314c5e0cea0365080045000034737d0000700640f7daf487aac0a87308"
                        "238bc1c72882c4627cb72d7f801240001c4a0000020405b40103030001010402")
                     .view,
                 Detection::kSynAck),
            "16384:112:1:52:M1460,N,W0,N,N,S:A:unknown:unknown:link:ethernet/modem");
  // fuzz-2006-06-26-2594.pcap: garbage TCP header, option kind 0xaa with length 0xaa: broken.
  const std::string garbage = "00e0ed016ebd003054003456080045100063790b4000390670e893ea01" +
                              std::string(168, 'a');  // 113 bytes
  EXPECT_EQ(Info(db, Decode(garbage).view, Detection::kSyn),
            "43690:57:1:99:.:QUXAFD!:unknown:unknown");
}

// fuzz-2006-09-29-28586.pcap frame 27: a data offset of 40 in a frame that ends 6 bytes into
// the options. PRADS logged it (its reads stay inside the capture); the decoder refuses the frame,
// so the view is built by hand here to show Fingerprint handles it.
TEST(TcpOsFingerprint, DataOffsetPastCaptureEndIsBroken) {
  std::vector<uint8_t> bytes =
      Hex("080020b25d7b00508b93937c080045000028004b400080069c4aac140305ac14030d0a290050e44b");
  bytes.resize(60, 0xaa);
  PacketView v;
  v.packet = bytes.data();
  v.end = bytes.data() + bytes.size();
  v.caplen = v.wire_len = 60;
  v.af = 4;
  v.ip4 = bytes.data() + 14;
  v.ip_end = bytes.data() + 54;
  v.ip_hlen = 20;
  v.proto = 6;
  v.l4 = bytes.data() + 34;
  v.tcp_flags = 0xaa;
  EXPECT_EQ(Info(RealDb(), v, Detection::kSyn), "43690:128:1:40:.:UXAF!:unknown:unknown");
}

TEST(TcpOsFingerprint, DataOffsetBelowTwentyMeansDataAndNoOptions) {
  // kSynWin4 with the data offset set to 4 words (16 bytes) after decoding (the decoder would
  // refuse it): PRADS's option length is -4, which it takes for data after the header.
  Frame f = Decode(kSynWin4);
  f.bytes[46] = 0x40;
  EXPECT_EQ(Info(RealDb(), f.view, Detection::kSyn), "65535:125:1:48:.:D:unknown:unknown");
}

TEST(TcpOsFingerprint, SameSignatureSameIdentity) {
  const TcpOsDatabase& db = RealDb();
  // prads_crafted.pcap's second SYN from 192.0.2.10 (another port): same signature.
  const Frame again = Decode(
      "001b21aabbcc000c2911223308004500003c000140003e06b89cc000020ac00002149c410019000007d000"
      "000000a00216d026a50000020405b40402080a0001e2400000000001030307");
  const Frame first = Decode(kSyn4);
  const std::optional<OsHit> a = db.Fingerprint(first.view, Detection::kSyn);
  const std::optional<OsHit> b = db.Fingerprint(again.view, Detection::kSyn);
  const std::optional<OsHit> c = db.Fingerprint(Decode(kSynWin4).view, Detection::kSyn);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->identity, b->identity);
  EXPECT_NE(a->identity, c->identity);
  EXPECT_NE(a->identity, "unknown");
  EXPECT_EQ(a->detection, Detection::kSyn);
  EXPECT_EQ(a->uptime, 0x0001e240u);  // the packet's TSval
  EXPECT_EQ(c->uptime, 0u);

  const std::optional<OsHit> u1 = db.Fingerprint(Decode(kSynAckUnknown4).view, Detection::kSynAck);
  const std::optional<OsHit> u2 = db.Fingerprint(Decode(kSyn4).view, Detection::kSynAck);
  ASSERT_TRUE(u1 && u2);
  EXPECT_NE(u1->info, u2->info);
  EXPECT_EQ(u1->identity, "unknown");  // PRADS's NULL os/desc: all unknowns are one identity
  EXPECT_EQ(u2->identity, "unknown");
}

TEST(TcpOsFingerprint, NonTcpDetectionsAndViewsGiveNothing) {
  const Frame f = Decode(kSyn4);
  EXPECT_FALSE(RealDb().Fingerprint(f.view, Detection::kUdp));
  EXPECT_FALSE(RealDb().Fingerprint(f.view, Detection::kIcmp));
  PacketView udp = f.view;
  udp.proto = 17;
  EXPECT_FALSE(RealDb().Fingerprint(udp, Detection::kSyn));
  EXPECT_FALSE(RealDb().Fingerprint(PacketView{}, Detection::kSyn));
}

TcpOsDatabase SynOnly(std::string_view text) {
  LoadReport r;
  TcpSignatureTable syn = TcpSignatureTable::Parse(text, "test", &r);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  return TcpOsDatabase::FromTables(std::move(syn), {}, {}, {}, {});
}

/// kSyn4 with `payload` zero bytes appended (and the IP length grown to match).
Frame SynWithPayload(std::size_t payload) {
  Frame f;
  f.bytes = Hex(kSyn4);
  f.bytes.resize(f.bytes.size() + payload, 0);
  const std::size_t ip_len = f.bytes.size() - 14;
  f.bytes[16] = static_cast<uint8_t>(ip_len >> 8);
  f.bytes[17] = static_cast<uint8_t>(ip_len);
  PacketCounters counters;
  EXPECT_EQ(DecodeEthernet(f.bytes, static_cast<uint32_t>(f.bytes.size()), 0, counters, f.view),
            DecodeResult::kIp);
  return f;
}

TEST(TcpOsMatch, FirstMatchInBucketOrderWins) {
  const TcpOsDatabase db = SynOnly(
      "S4:64:1:60:M*,S,T,N,W*:.:First:a\n"
      "S4:64:1:60:M*,S,T,N,W*:.:Second:b\n");
  const std::optional<OsHit> hit = db.Fingerprint(Decode(kSyn4).view, Detection::kSyn);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->identity, "SYN#0");
  EXPECT_NE(hit->info.find(":First:a:"), std::string::npos);
}

// A '*' size is hashed as size 0, so PRADS finds it only from packets whose own (size, options,
// quirks, DF) hash lands in the same one of 241 buckets: 369 does, 370 does not.
TEST(TcpOsMatch, WildcardSizeOnlyFoundThroughItsBucket) {
  const TcpOsDatabase db = SynOnly("*:64:1:*:M*,S,T,N,W*:D:Star:any\n");
  EXPECT_EQ(Info(db, SynWithPayload(369 - 60).view, Detection::kSyn),
            "S4:62:1:*(369):M1460,S,T,N,W7:D:Star:any:link:ethernet/modem:uptime:0hrs");
  EXPECT_EQ(Info(db, SynWithPayload(370 - 60).view, Detection::kSyn),
            "S4:62:1:*(370):M1460,S,T,N,W7:D:unknown:unknown:link:ethernet/modem:uptime:0hrs");
}

TEST(TcpOsMatch, TtlAboveSignatureNeverMatches) {
  EXPECT_NE(Info(SynOnly("S4:62:1:60:M*,S,T,N,W*:.:A:b\n"), Decode(kSyn4).view, Detection::kSyn)
                .find(":A:b:"),
            std::string::npos);
  EXPECT_NE(Info(SynOnly("S4:61:1:60:M*,S,T,N,W*:.:A:b\n"), Decode(kSyn4).view, Detection::kSyn)
                .find(":unknown:unknown:"),
            std::string::npos);
}

TEST(TcpOsMatch, UnloadedTableSkipsTheDfRetry) {
  // 1kxun.pcap's DF-clear SYN+ACK: an empty table still retries with DF=1 (printed 1); a table
  // PRADS never loaded is never searched, so DF stays 0.
  const std::string_view hex =
      "001c428e70314c5e0cea0365080045000034737d0000700640f7daf487aac0a87308238bc1c72882c462"
      "7cb72d7f801240001c4a0000020405b40103030001010402";
  LoadReport r;
  const TcpOsDatabase empty =
      TcpOsDatabase::FromTables({}, TcpSignatureTable::Parse("", "empty", &r), {}, {}, {});
  const TcpOsDatabase none = TcpOsDatabase::FromTables({}, {}, {}, {}, {});
  EXPECT_EQ(Info(empty, Decode(hex).view, Detection::kSynAck),
            "16384:112:1:52:M1460,N,W0,N,N,S:A:unknown:unknown:link:ethernet/modem");
  EXPECT_EQ(Info(none, Decode(hex).view, Detection::kSynAck),
            "16384:112:0:52:M1460,N,W0,N,N,S:A:unknown:unknown:link:ethernet/modem");
}

/// kSyn4 captured only up to `caplen` bytes (the wire length stays 74): a view as a decoder that
/// accepted the cut TCP header would build it.
struct CutFrame {
  std::vector<uint8_t> bytes;
  PacketView view;
};
CutFrame CutSyn(std::size_t caplen) {
  CutFrame c;
  c.bytes = Hex(kSyn4);
  c.bytes.resize(caplen);
  c.bytes.shrink_to_fit();
  PacketView& v = c.view;
  v.packet = c.bytes.data();
  v.end = c.bytes.data() + caplen;
  v.caplen = static_cast<uint32_t>(caplen);
  v.wire_len = 74;
  v.af = 4;
  v.ip4 = c.bytes.data() + 14;
  v.ip_end = v.end;
  v.ip_hlen = 20;
  v.proto = 6;
  v.l4 = c.bytes.data() + 34;
  v.tcp_flags = 0x02;
  return c;
}

// Options cut by the capture end: parsing stops at the last whole option and says '!'.
TEST(TcpOsOptions, CutOptionsAreBroken) {
  const struct {
    std::size_t caplen;
    std::string info;
  } cases[] = {
      {54, "S4:62:1:60:.:!:unknown:unknown"},
      {57, "S4:62:1:60:.:!:unknown:unknown"},
      {58, "S4:62:1:60:M1460:!:unknown:unknown:link:ethernet/modem"},
      {60, "S4:62:1:60:M1460,S:!:unknown:unknown:link:ethernet/modem"},
      {69, "S4:62:1:60:M1460,S:!:unknown:unknown:link:ethernet/modem"},
      {70, "S4:62:1:60:M1460,S,T:!:unknown:unknown:link:ethernet/modem:uptime:0hrs"},
      {73, "S4:62:1:60:M1460,S,T,N:!:unknown:unknown:link:ethernet/modem:uptime:0hrs"},
      {74, "S4:62:1:60:M1460,S,T,N,W7:.:Linux:2.6 (newer, 7):link:ethernet/modem:uptime:0hrs"},
  };
  for (const auto& c : cases) {
    const CutFrame f = CutSyn(c.caplen);
    EXPECT_EQ(Info(RealDb(), f.view, Detection::kSyn), c.info) << "caplen " << c.caplen;
  }
  // No whole TCP header: nothing (PRADS would read past the capture).
  EXPECT_FALSE(RealDb().Fingerprint(CutSyn(53).view, Detection::kSyn));
}

/// kSyn4 with its options replaced by `opt_hex` (a multiple of 4 bytes), lengths adjusted.
std::string SynWithOptions(std::string_view opt_hex) {
  Frame f;
  f.bytes = Hex(kSyn4);
  f.bytes.resize(54);
  const std::vector<uint8_t> opts = Hex(opt_hex);
  f.bytes.insert(f.bytes.end(), opts.begin(), opts.end());
  const std::size_t ip_len = f.bytes.size() - 14;
  f.bytes[16] = static_cast<uint8_t>(ip_len >> 8);
  f.bytes[17] = static_cast<uint8_t>(ip_len);
  f.bytes[46] = static_cast<uint8_t>(((20 + opts.size()) / 4) << 4);
  PacketCounters counters;
  EXPECT_EQ(DecodeEthernet(f.bytes, static_cast<uint32_t>(f.bytes.size()), 0, counters, f.view),
            DecodeResult::kIp);
  return Info(RealDb(), f.view, Detection::kSyn);
}

TEST(TcpOsOptions, TextForms) {
  // Padding EOLs are options too, with 'P' while bytes follow them.
  EXPECT_EQ(SynWithOptions("01000000"), "S4:62:1:44:N,E,E,E:P:unknown:unknown");
  EXPECT_EQ(SynWithOptions("00000000"), "S4:62:1:44:E,E,E,E:P:unknown:unknown");
  EXPECT_EQ(SynWithOptions("04020000"), "S4:62:1:44:S,E,E:P:unknown:unknown");
  EXPECT_EQ(SynWithOptions("01010101"), "S4:62:1:44:N,N,N,N:.:unknown:unknown");
  EXPECT_EQ(SynWithOptions("01010402"), "S4:62:1:44:N,N,S:.:unknown:unknown");
  EXPECT_EQ(SynWithOptions("0101010100000000"), "S4:62:1:48:N,N,N,N,E,E,E,E:P:unknown:unknown");
  // A zero TSval prints "T0" and gives no uptime.
  EXPECT_EQ(SynWithOptions("080a00000000000000000101"), "S4:62:1:52:T0,N,N:.:unknown:unknown");
  // An unknown kind is "?n" and skips its length.
  EXPECT_EQ(SynWithOptions("1e0401010101"
                           "0000"),
            "S4:62:1:48:?30,N,N,E,E:P:unknown:unknown");
  // Length 0: broken, nothing counted.
  EXPECT_EQ(SynWithOptions("fe000000"), "S4:62:1:44:.:!:unknown:unknown");
  // 15 options are "broken" even when more follow or none do.
  EXPECT_EQ(SynWithOptions("01010101010101010101010101010101"),
            "S4:62:1:56:N,N,N,N,N,N,N,N,N,N,N,N,N,N,N:!:unknown:unknown");
  // A lone one-letter option gets PRADS's "." (its "shorter than 2 characters" test).
  EXPECT_EQ(SynWithOptions("01fe0000"), "S4:62:1:44:N.:!:unknown:unknown");
  EXPECT_EQ(SynWithOptions("0402fe00"), "S4:62:1:44:S.:!:unknown:unknown");
  // An MSS alone (no dot); a window that is no multiple of the MSS but of 1460 is still "S4".
  EXPECT_EQ(SynWithOptions("020405b4"),
            "S4:62:1:44:M1460:.:Linux:2.6? (barebone, rare!):link:ethernet/modem");
  EXPECT_EQ(SynWithOptions("020405dc01030300"),
            "S4:62:1:48:M1500,N,W0:.:unknown:unknown:link:unknown-1540");
}

// Random and mutated frames, each in a buffer of exactly its size (so a sanitizer build sees
// any read past the end): Fingerprint never reads outside the view and always yields a well
// formed fingerprint when the TCP header is there.
TEST(TcpOsFuzz, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  const std::vector<std::vector<uint8_t>> seeds = {Hex(kSyn4), Hex(kSynAck4), Hex(kSyn6),
                                                   Hex(kRst4), Hex(kSynWin4)};
  const Detection dets[] = {Detection::kSyn, Detection::kSynAck, Detection::kAck, Detection::kFin,
                            Detection::kRst};
  std::size_t hits = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> frame = seeds[iter % seeds.size()];
    const int mutations = 1 + static_cast<int>(rng() % 8);
    for (int m = 0; m < mutations; ++m) {
      // Mostly the TCP header and options; sometimes anywhere.
      const std::size_t lo = (rng() % 4 == 0) ? 0 : std::min<std::size_t>(34, frame.size() - 1);
      frame[lo + rng() % (frame.size() - lo)] = static_cast<uint8_t>(rng());
    }
    if (rng() % 3 == 0) frame.resize(rng() % (frame.size() + 1));
    if (rng() % 5 == 0) {
      frame.resize(frame.size() + rng() % 40);
      for (std::size_t i = 0; i < frame.size(); ++i) frame[i] ^= (rng() % 7 == 0) ? 0xff : 0;
    }
    frame.shrink_to_fit();
    PacketView v;
    PacketCounters counters;
    if (DecodeEthernet(frame, static_cast<uint32_t>(frame.size()), 0, counters, v) !=
            DecodeResult::kIp ||
        v.proto != 6) {
      continue;
    }
    for (const Detection d : dets) {
      const std::optional<OsHit> hit = RealDb().Fingerprint(v, d);
      if (!hit) continue;
      ++hits;
      ASSERT_FALSE(hit->identity.empty());
      ASSERT_GE(std::count(hit->info.begin(), hit->info.end(), ':'), 7) << hit->info;
    }
  }
  EXPECT_GT(hits, 1000u);

  // Hand-built views whose TCP header sits anywhere in a random buffer, cut anywhere.
  for (int iter = 0; iter < 5000; ++iter) {
    std::vector<uint8_t> buf(20 + rng() % 100);
    for (uint8_t& b : buf) b = static_cast<uint8_t>(rng());
    buf[0] = static_cast<uint8_t>(0x45 + rng() % 11);
    PacketView v;
    v.packet = buf.data();
    v.end = buf.data() + buf.size();
    v.caplen = static_cast<uint32_t>(buf.size());
    v.wire_len = static_cast<uint32_t>(buf.size() + rng() % 3000);
    v.af = 4;
    v.ip4 = buf.data();
    v.ip_end = v.end;
    v.proto = 6;
    v.l4 = buf.data() + rng() % buf.size();
    for (const Detection d : dets) (void)RealDb().Fingerprint(v, d);
  }
}

}  // namespace
}  // namespace prads

// SPDX-License-Identifier: Apache-2.0
// Tests for PRADS's MAC vendor table (mac.h), ICMP/UDP fingerprints (ipfp.h) and prads.conf /
// home_nets (config.h). Expected values come from Debian's prads 0.3.3 itself: the crafted
// capture's reference log (/tmp/pr/assets.log), the reference logs of the nDPI corpus, and runs
// of the real binary on small captures with one home_nets or config line each (recorded below).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "ipfp.h"
#include "mac.h"
#include "packet.h"

namespace prads {
namespace {

const std::string kEtc = S6_PRADS_ETC;

std::array<uint8_t, 6> Mac(const char* text) {
  unsigned b[6] = {};
  EXPECT_EQ(std::sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]), 6);
  std::array<uint8_t, 6> m{};
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(b[i]);
  return m;
}

std::string VendorOf(const MacDatabase& db, const char* mac) {
  const std::array<uint8_t, 6> m = Mac(mac);
  const std::string* v = db.Vendor(m);
  return v != nullptr ? *v : "(none)";
}

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

IpAddr Ip(const char* text) {
  IpAddr ip;
  if (std::string_view(text).find(':') != std::string_view::npos) {
    ip.family = 6;
    EXPECT_EQ(inet_pton(AF_INET6, text, ip.bytes.data()), 1) << text;
  } else {
    ip.family = 4;
    EXPECT_EQ(inet_pton(AF_INET, text, ip.bytes.data()), 1) << text;
  }
  return ip;
}

// ---------------------------------------------------------------------------------------------
// MAC vendors

class RealMacSig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto db = MacDatabase::Load(kEtc + "/mac.sig", &report_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = new MacDatabase(std::move(db).value());
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static MacDatabase* db_;
  static LoadReport report_;
};
MacDatabase* RealMacSig::db_ = nullptr;
LoadReport RealMacSig::report_;

TEST_F(RealMacSig, LoadsEveryEntryLine) {
  // 17495 lines, of which 17384 are entries (the rest comments and blanks); PRADS loads them all.
  EXPECT_EQ(report_.loaded, 17384u);
  EXPECT_EQ(report_.skipped, 0u);
  EXPECT_TRUE(report_.errors.empty()) << report_.errors.front();
  EXPECT_EQ(db_->size(), report_.loaded);
}

TEST_F(RealMacSig, CraftedArpSenderIsIntel) {
  // /tmp/pr/assets.log: 192.0.2.20,0,0,0,ARP,[00:1B:21:AA:BB:CC,(IntelCorpo)],0,1700000000
  EXPECT_EQ(VendorOf(*db_, "00:1B:21:AA:BB:CC"), "IntelCorpo");
  EXPECT_EQ(FormatMac(Mac("00:1b:21:aa:bb:cc")), "00:1B:21:AA:BB:CC");
}

TEST_F(RealMacSig, VendorIsTheFirstWordOnly) {
  // "01-80-C2-00-00-0F	Nearest non-TPMR bridge": PRADS keeps "%127s", i.e. "Nearest".
  EXPECT_EQ(VendorOf(*db_, "01:80:C2:00:00:0F"), "Nearest");
  // Vendors seen in the nDPI reference logs.
  EXPECT_EQ(VendorOf(*db_, "00:0C:29:CB:E3:82"), "Vmware");
  EXPECT_EQ(VendorOf(*db_, "00:12:79:80:69:60"), "HewlettPac");
  EXPECT_EQ(VendorOf(*db_, "00:30:54:00:34:56"), "CastlenetT");
  // ...and MACs PRADS printed without a vendor.
  EXPECT_EQ(VendorOf(*db_, "18:81:0E:46:8E:C8"), "(none)");
  EXPECT_EQ(VendorOf(*db_, "4E:5E:92:29:22:86"), "(none)");
}

TEST_F(RealMacSig, MaskedEntries) {
  // 00:50:C2:00:10:00/36 JmbsDevelo: found through the 5-byte bucket when byte 4 is exactly 0x10.
  EXPECT_EQ(VendorOf(*db_, "00:50:C2:00:10:05"), "JmbsDevelo");
  // ...but 00:50:C2:00:1F:FF lands in the 3/4-byte bucket of "00:50:C2 IeeeRegist" first: PRADS
  // reports the registration authority, not the /36 owner (true of 4900 of 10776 probes).
  EXPECT_EQ(VendorOf(*db_, "00:50:C2:00:1F:FF"), "IeeeRegist");
  // 00:50:C2:00:00:00/36 TLS shares IeeeRegist's bucket and comes after it in the file.
  EXPECT_EQ(VendorOf(*db_, "00:50:C2:00:00:05"), "IeeeRegist");
  // 01-00-5E/25 IPv4mcast: the 25th bit must be 0.
  EXPECT_EQ(VendorOf(*db_, "01:00:5E:01:02:03"), "IPv4mcast");
  EXPECT_EQ(VendorOf(*db_, "01:00:5E:81:02:03"), "(none)");
  // 33-33-00-00-00-00/16 IPv6mcast, 00-00-5E-00-01/40, 00-00-0C-07-AC/40, 01-80-C2-00-00-00/44.
  EXPECT_EQ(VendorOf(*db_, "33:33:00:00:00:01"), "IPv6mcast");
  EXPECT_EQ(VendorOf(*db_, "00:00:5E:00:01:07"), "IETF-VRRP-virtual-router-VRID");
  EXPECT_EQ(VendorOf(*db_, "00:00:0C:07:AC:01"), "All-HSRP-routers");
  EXPECT_EQ(VendorOf(*db_, "01:80:C2:00:00:00"), "Spanning-tree-(for-bridges)");
  EXPECT_EQ(VendorOf(*db_, "FF:FF:FF:FF:FF:FF"), "Broadcast");
}

TEST(MacDatabase, ParsesSyntaxLikeLoadMac) {
  // Expected vendors checked against PRADS's own load_mac/match_mac compiled from mac.c.
  LoadReport r;
  const MacDatabase db = MacDatabase::Parse(
      "# comment\n"
      "\n"
      "   \t# indented comment\n"
      "00:11:22\tAcme   # Acme Inc.\n"
      "00-AA-BB-C0/28  Nibble\n"
      "  0a:0b:0c:0d:0e:0f Exact trailing words\n"
      "01:02:03\n"
      "11:22:33/292 Wrapped\n"
      "12:34:56/4 Short\n",
      "t.sig", &r);
  ASSERT_EQ(r.skipped, 0u) << r.errors.front();
  ASSERT_EQ(db.size(), 6u);
  EXPECT_EQ(r.loaded, 6u);
  const std::vector<MacEntry>& e = db.entries();
  EXPECT_EQ(e[0].vendor, "Acme");
  EXPECT_EQ(e[0].octets, 3);
  EXPECT_EQ(e[0].mask, 24);
  EXPECT_EQ(e[0].line, 4u);
  EXPECT_EQ(e[1].mask, 28);
  EXPECT_EQ(e[1].octets, 4);
  EXPECT_EQ(e[2].vendor, "Exact");
  EXPECT_EQ(e[2].mask, 48);
  EXPECT_EQ(e[3].vendor, "");  // loaded with an empty vendor, as PRADS does
  // "/292": strtol gives 292 (36 as a uint8_t), then PRADS steps over "/2" and reads "92" as a
  // 4th address byte.
  EXPECT_EQ(e[4].octets, 4);
  EXPECT_EQ(e[4].bytes[3], 0x92);
  EXPECT_EQ(e[4].mask, 36);
  EXPECT_EQ(e[5].mask, 4);  // a mask shorter than the bytes given
  EXPECT_EQ(VendorOf(db, "00:11:22:33:44:55"), "Acme");
  EXPECT_EQ(VendorOf(db, "00:AA:BB:C0:00:01"), "Nibble");
  // Inside 00:AA:BB:C0/28 but hashed far from the entry's bucket: PRADS does not find it.
  EXPECT_EQ(VendorOf(db, "00:AA:BB:CF:00:01"), "(none)");
  EXPECT_EQ(VendorOf(db, "00:AA:BB:D0:00:01"), "(none)");
  EXPECT_EQ(VendorOf(db, "0A:0B:0C:0D:0E:0F"), "Exact");
  EXPECT_EQ(VendorOf(db, "0A:0B:0C:0D:0E:0E"), "(none)");
  EXPECT_EQ(VendorOf(db, "01:02:03:04:05:06"), "");
  EXPECT_EQ(VendorOf(db, "11:22:33:92:0F:00"), "Wrapped");
  EXPECT_EQ(VendorOf(db, "11:22:33:92:10:00"), "(none)");
  EXPECT_EQ(VendorOf(db, "12:34:56:00:00:00"), "Short");
  EXPECT_EQ(VendorOf(db, "1F:00:00:00:00:00"), "(none)");  // matches /4, never reached
}

TEST(MacDatabase, DitchAndChainOrder) {
  // Both entries hash like AA:BB:CC:01:0D (bytes AA BB CC 01 0D 00), 24 buckets after the bucket
  // of AA:BB:CC. Checked against PRADS's match_mac compiled from mac.c.
  const MacDatabase db = MacDatabase::Parse(
      "AA:BB:CC:01:0D:00/24 Far\n"
      "AA:BB:CC:01:0D:00/40 Near\n",
      "d.sig", nullptr);
  // No bucket of this MAC holds a match; the 255 buckets after its 3-byte bucket ("the
  // ditch") include the entries' bucket.
  EXPECT_EQ(VendorOf(db, "AA:BB:CC:55:66:77"), "Far");
  // The 5-byte bucket is the entries' bucket: the first matching entry of the chain wins, even
  // though "Near" is more specific.
  EXPECT_EQ(VendorOf(db, "AA:BB:CC:01:0D:77"), "Far");
  EXPECT_EQ(VendorOf(db, "AA:BB:CD:00:00:00"), "(none)");
  EXPECT_EQ(PradsMacHash(Mac("AA:BB:CC:01:0D:00")),
            (PradsMacHash(std::array<uint8_t, 3>{0xAA, 0xBB, 0xCC}) + 24) % MacDatabase::kHashSize);
}

TEST(MacDatabase, BadLinesAreSkippedWithFileAndLine) {
  LoadReport r;
  const MacDatabase db = MacDatabase::Parse(
      "00:11:22 Good\n"
      "hello world\n"
      "00:11:22:33:44:55:66 TooLong\n"
      "00:11:22/56 WideMask\n"
      "00:11:23 AlsoGood\n",
      "bad.sig", &r);
  EXPECT_EQ(r.file, "bad.sig");
  EXPECT_EQ(r.loaded, 2u);
  EXPECT_EQ(r.skipped, 3u);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].rfind("bad.sig:2: ", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[1].rfind("bad.sig:3: ", 0), 0u) << r.errors[1];
  EXPECT_EQ(r.errors[2].rfind("bad.sig:4: ", 0), 0u) << r.errors[2];
  EXPECT_EQ(VendorOf(db, "00:11:23:00:00:00"), "AlsoGood");
}

TEST(MacDatabase, LongVendorIsCutAt127AndLongLinesSplitLikeFgets) {
  const std::string vendor(200, 'v');
  LoadReport r;
  const MacDatabase db = MacDatabase::Parse(
      "00:11:22 " + vendor + "\n" + "00:11:33 " + std::string(1100, 'w') + "\n", "long.sig", &r);
  ASSERT_GE(db.size(), 1u);
  EXPECT_EQ(db.entries()[0].vendor, std::string(127, 'v'));
  // The 1109-byte line is two fgets chunks: "00:11:33 www..." and "www...\n". The second has
  // no hex pair ('w' is no digit), so it has no address and is reported, as line 3.
  EXPECT_EQ(db.size(), 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rfind("long.sig:3: ", 0), 0u) << r.errors[0];
}

TEST(MacDatabase, MissingFileIsAnError) {
  LoadReport r;
  EXPECT_FALSE(MacDatabase::Load("/nonexistent/mac.sig", &r).ok());
  const MacDatabase empty = MacDatabase::Parse("", "empty", nullptr);
  EXPECT_EQ(VendorOf(empty, "00:11:22:33:44:55"), "(none)");
}

// ---------------------------------------------------------------------------------------------
// ICMP / UDP fingerprints

// Frames 18 and 20 of prads_crafted.pcap (DNS query and echo request from 192.0.2.10).
constexpr std::string_view kCraftedUdp =
    "001b21aabbcc000c2911223308004500003a000100004011f693c000020ac0000214cf0800350026c7f0abcd01"
    "000001000000000000076578616d706c6504746573740000010001";
constexpr std::string_view kCraftedIcmp =
    "001b21aabbcc000c2911223308004500004c000140004001b691c000020ac000021408000cfb00010001080909"
    "0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

struct Decoded {
  std::vector<uint8_t> bytes;
  PacketView view;
  DecodeResult result = DecodeResult::kMalformed;
};

Decoded Decode(std::vector<uint8_t> bytes, uint32_t wire_len = 0) {
  Decoded d;
  d.bytes = std::move(bytes);
  PacketCounters counters;
  d.result =
      DecodeEthernet(d.bytes, wire_len != 0 ? wire_len : static_cast<uint32_t>(d.bytes.size()),
                     1700000000, counters, d.view);
  return d;
}

TEST(Ipfp, NormalizeTtl) {
  EXPECT_EQ(NormalizeTtl(0), 32);
  EXPECT_EQ(NormalizeTtl(32), 32);
  EXPECT_EQ(NormalizeTtl(33), 64);
  EXPECT_EQ(NormalizeTtl(64), 64);
  EXPECT_EQ(NormalizeTtl(65), 128);
  EXPECT_EQ(NormalizeTtl(128), 128);
  EXPECT_EQ(NormalizeTtl(129), 255);
  EXPECT_EQ(NormalizeTtl(255), 255);
}

TEST(Ipfp, CraftedIcmpMatchesReference) {
  Decoded d = Decode(Hex(kCraftedIcmp));
  ASSERT_EQ(d.result, DecodeResult::kIp);
  const std::optional<OsHit> hit = FingerprintIcmp(d.view);
  ASSERT_TRUE(hit.has_value());
  // /tmp/pr/assets.log: 192.0.2.10,0,0,1,ICMP,[170:8:0:64:1:0:76:64:I:unknown:unknown],0,...
  EXPECT_EQ(hit->detection, Detection::kIcmp);
  EXPECT_EQ(hit->identity, "170:8:0:64:1:0:76:64:I");
  EXPECT_EQ(hit->info, "170:8:0:64:1:0:76:64:I:unknown:unknown");
  EXPECT_EQ(hit->uptime, 0u);
  // idata is an address: another run of prads puts the buffer elsewhere.
  EXPECT_EQ(FingerprintIcmp(d.view, 208)->identity, "42:8:0:64:1:0:76:64:I");
}

TEST(Ipfp, CraftedUdpMatchesReference) {
  Decoded d = Decode(Hex(kCraftedUdp));
  ASSERT_EQ(d.result, DecodeResult::kIp);
  const std::optional<OsHit> hit = FingerprintUdp(d.view);
  ASSERT_TRUE(hit.has_value());
  // /tmp/pr/assets.log: 192.0.2.10,0,0,17,UDP,[20:64:0:0:0:0:I:unknown:unknown],0,1700000000
  EXPECT_EQ(hit->detection, Detection::kUdp);
  EXPECT_EQ(hit->identity, "20:64:0:0:0:0:I");
  EXPECT_EQ(hit->info, "20:64:0:0:0:0:I:unknown:unknown");
  EXPECT_FALSE(FingerprintIcmp(d.view).has_value());  // not ICMP
}

// Builds Ethernet + IPv4 (with `opt_words` words of NOP options) + `l4`.
std::vector<uint8_t> Ip4Frame(uint8_t proto, uint8_t ttl, uint16_t id, uint16_t frag, uint8_t tos,
                              int opt_words, const std::vector<uint8_t>& l4, bool vlan = false) {
  std::vector<uint8_t> f = Hex("001b21aabbcc000c29112233");
  if (vlan) {
    for (uint8_t b : {0x81, 0x00, 0x00, 0x07}) f.push_back(b);
  }
  f.push_back(0x08);
  f.push_back(0x00);
  const uint16_t hlen = static_cast<uint16_t>(20 + 4 * opt_words);
  const uint16_t total = static_cast<uint16_t>(hlen + l4.size());
  const std::vector<uint8_t> ip = {static_cast<uint8_t>(0x40 | (hlen / 4)),
                                   tos,
                                   static_cast<uint8_t>(total >> 8),
                                   static_cast<uint8_t>(total),
                                   static_cast<uint8_t>(id >> 8),
                                   static_cast<uint8_t>(id),
                                   static_cast<uint8_t>(frag >> 8),
                                   static_cast<uint8_t>(frag),
                                   ttl,
                                   proto,
                                   0,
                                   0,
                                   192,
                                   0,
                                   2,
                                   10,
                                   192,
                                   0,
                                   2,
                                   20};
  f.insert(f.end(), ip.begin(), ip.end());
  for (int i = 0; i < 4 * opt_words; ++i) f.push_back(1);
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

TEST(Ipfp, IcmpFieldsAndQuirks) {
  const std::vector<uint8_t> unreachable(8 + 28, 0);  // type 0 placeholder, patched below
  std::vector<uint8_t> l4 = unreachable;
  l4[0] = 3;
  l4[1] = 3;
  // Zero id, TTL 250, no DF, TOS 0xb8 (never printed), one option word, 9 bytes of padding
  // after the datagram (in the frame, not in ip_len).
  std::vector<uint8_t> f = Ip4Frame(1, 250, 0, 0, 0xb8, 1, l4);
  const std::size_t datagram_end = f.size();
  f.resize(f.size() + 9, 0);
  Decoded d = Decode(f);
  ASSERT_EQ(d.result, DecodeResult::kIp);
  const std::optional<OsHit> hit = FingerprintIcmp(d.view, 0);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->identity, std::to_string(datagram_end % 256) + ":3:3:255:0:4:60:0:ZI");
  // Fragment offset bits and DF, read as a little-endian integer: 0x4005 -> bytes 40 05 -> 1344.
  Decoded frag = Decode(Ip4Frame(1, 64, 7, 0x4005, 0, 0, l4));
  EXPECT_EQ(FingerprintIcmp(frag.view, 0)->identity, "70:3:3:64:1:0:56:1344:I");
  // A VLAN tag moves the datagram's end by 4 bytes, hence idata.
  Decoded tagged = Decode(Ip4Frame(1, 64, 7, 0x4000, 0, 0, l4, /*vlan=*/true));
  ASSERT_EQ(tagged.result, DecodeResult::kIp);
  EXPECT_EQ(FingerprintIcmp(tagged.view, 0)->identity, "74:3:3:64:1:0:56:64:I");
}

TEST(Ipfp, IdataUsesTheWireLengthWhenShorterThanIpLen) {
  // ip_len says 76 but the frame on the wire had only 60 bytes: end_ptr = frame + 60.
  std::vector<uint8_t> f = Hex(kCraftedIcmp);
  f.resize(60);
  Decoded d = Decode(f, 60);
  ASSERT_EQ(d.result, DecodeResult::kIp);
  EXPECT_EQ(FingerprintIcmp(d.view, kPradsFrameAddrLow)->identity, "140:8:0:64:1:0:76:64:I");
}

TEST(Ipfp, UdpFieldsAndQuirks) {
  const std::vector<uint8_t> udp = Hex("cf08003500080000");
  Decoded d = Decode(Ip4Frame(17, 60, 9, 0x4000, 136, 0, udp));
  ASSERT_EQ(d.result, DecodeResult::kIp);
  EXPECT_EQ(FingerprintUdp(d.view)->info, "20:64:1:0:64:136:I:unknown:unknown");
  Decoded z = Decode(Ip4Frame(17, 30, 0, 0, 192, 2, udp));
  EXPECT_EQ(FingerprintUdp(z.view)->identity, "20:32:0:8:0:192:ZI");
  EXPECT_FALSE(FingerprintIcmp(z.view).has_value());
}

TEST(Ipfp, Icmp6AndUdp6RecordNothing) {
  // IPv6 echo request: fp_icmp6 only prints to stdout.
  const std::vector<uint8_t> f = Hex(
      "001b21aabbcc000c2911223386dd6000000000083a4020010db800000000000000000000001020010db8000000"
      "0000000000000000208000000000010001");
  Decoded d = Decode(f);
  ASSERT_EQ(d.result, DecodeResult::kIp);
  EXPECT_FALSE(FingerprintIcmp(d.view).has_value());
  EXPECT_FALSE(FingerprintUdp(d.view).has_value());
}

TEST(Ipfp, TruncatedAndHostileFramesNeverCrash) {
  const std::vector<std::vector<uint8_t>> frames = {
      Hex(kCraftedIcmp), Hex(kCraftedUdp),
      Ip4Frame(1, 64, 0, 0, 0, 10, std::vector<uint8_t>(8, 0xff)),
      Ip4Frame(17, 64, 0, 0, 0, 10, std::vector<uint8_t>(8, 0xff))};
  int fingerprinted = 0;
  for (const std::vector<uint8_t>& full : frames) {
    for (std::size_t len = 0; len <= full.size(); ++len) {
      for (uint32_t wire :
           {static_cast<uint32_t>(len), static_cast<uint32_t>(full.size()), 0u, 65535u}) {
        std::vector<uint8_t> f(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
        PacketCounters counters;
        PacketView view;
        if (DecodeEthernet(f, wire, 0, counters, view) != DecodeResult::kIp) continue;
        fingerprinted += FingerprintIcmp(view).has_value() + FingerprintUdp(view).has_value();
      }
    }
  }
  EXPECT_GT(fingerprinted, 0);
  // A view whose pointers claim more than was captured.
  std::vector<uint8_t> f = Hex(kCraftedIcmp);
  PacketView v;
  v.packet = f.data();
  v.end = f.data() + 20;  // the IP header starts at 14: not captured
  v.ip4 = f.data() + 14;
  v.af = 4;
  v.proto = 1;
  v.wire_len = 90;
  EXPECT_FALSE(FingerprintIcmp(v).has_value());
  EXPECT_FALSE(FingerprintUdp(v).has_value());
  // IHL below 5 (a view not built by DecodeEthernet): PRADS's "B0rked packet" return.
  f[14] = 0x44;
  v.end = f.data() + f.size();
  EXPECT_FALSE(FingerprintIcmp(v).has_value());
  // ip_len below 20: the IP header ends past end_ptr.
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 19;
  EXPECT_FALSE(FingerprintIcmp(v).has_value());
  // ICMP header not captured.
  f[17] = 76;
  v.end = f.data() + 35;
  EXPECT_FALSE(FingerprintIcmp(v).has_value());
  v.end = f.data() + 36;
  EXPECT_TRUE(FingerprintIcmp(v).has_value());
}

TEST(Ipfp, DebianFrameAddressModelMatchesReferenceRuns) {
  // prads -r /work/shared/data/pcaps/ndpi/<f> -l all/<f>.log -c all.conf (see
  // /tmp/prads-ref/run.sh): idata - 14 - ip_len observed in the reference logs.
  const std::string dir = "/work/shared/data/pcaps/ndpi/";
  auto base = [&](const std::string& f, bool pcapng) {
    return DebianPradsFrameAddrLow((dir + f).size(), ("all/" + f + ".log").size(), pcapng);
  };
  EXPECT_EQ(base("gnutella.pcap", false), 80);
  EXPECT_EQ(base("teams.pcap", false), 80);
  EXPECT_EQ(base("anyconnect-vpn.pcap", false), 112);
  EXPECT_EQ(base("dos_win98_smb_netbeui.pcap", false), 112);
  EXPECT_EQ(base("alexa-app.pcapng", true), 140);
  EXPECT_EQ(base("zoom.pcap", true), 108);  // a pcapng file despite its name
  EXPECT_EQ(base("malware.pcap", true), 108);
  // Measured directly: prads -r c.pcap -l a.log gives 42 for the crafted echo request.
  EXPECT_EQ(DebianPradsFrameAddrLow(6, 5, false), 208);
}

// ---------------------------------------------------------------------------------------------
// prads.conf

TEST(Config, DefaultsArePrads) {
  const PradsConfig c;
  EXPECT_FALSE(c.arp);
  EXPECT_TRUE(c.service_tcp);
  EXPECT_TRUE(c.client_tcp);
  EXPECT_TRUE(c.service_udp);
  EXPECT_TRUE(c.os_syn);
  EXPECT_TRUE(c.os_synack);
  EXPECT_FALSE(c.os_ack);
  EXPECT_TRUE(c.os_rst);
  EXPECT_TRUE(c.os_fin);
  EXPECT_FALSE(c.os_udp);
  EXPECT_FALSE(c.os_icmp);
  EXPECT_TRUE(c.mac);
  EXPECT_FALSE(c.daemon);
  EXPECT_EQ(c.user, "1");
  EXPECT_EQ(c.group, "1");
  EXPECT_EQ(c.bpfilter, "");
  EXPECT_EQ(c.asset_log, "/var/log/prads-asset.log");
  EXPECT_FALSE(c.pid_file.has_value());
  EXPECT_EQ(c.MacFile(), "/etc/prads/mac.sig");
  EXPECT_EQ(c.ServTcpFile(), "/etc/prads/tcp-service.sig");
  EXPECT_EQ(c.CliTcpFile(), "/etc/prads/tcp-clients.sig");
  EXPECT_EQ(c.ServUdpFile(), "/etc/prads/udp-service.sig");
  EXPECT_EQ(c.SynFile(), "/etc/prads/tcp-syn.fp");
  EXPECT_EQ(c.AckFile(), "/etc/prads/tcp-stray-ack.fp");
  EXPECT_EQ(c.home_nets_text, "0.0.0.0/0,::/0");
  EXPECT_TRUE(c.home_nets.Contains(Ip("203.0.113.9")));
  EXPECT_TRUE(c.home_nets.Contains(Ip("2001:db8::9")));
}

TEST(Config, DebianPradsConfIsAllComments) {
  std::vector<std::string> warnings;
  auto c = LoadConfig(kEtc + "/prads.conf", &warnings);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_FALSE(c->arp);
  EXPECT_FALSE(c->os_ack);
  EXPECT_TRUE(c->os_syn);
  EXPECT_FALSE(LoadConfig("/nonexistent/prads.conf", &warnings).ok());
}

TEST(Config, AllConfTurnsDetectorsOn) {
  // /tmp/prads-ref/all.conf, the configuration of the "all detectors" reference logs.
  std::vector<std::string> warnings;
  const PradsConfig c = ParseConfigText(
      "arp=1\nos_icmp=1\nos_udp=1\nos_ack_fingerprint=1\nservice_udp=1\n", "all.conf", &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(c.arp);
  EXPECT_TRUE(c.os_icmp);
  EXPECT_TRUE(c.os_udp);
  EXPECT_TRUE(c.os_ack);
  EXPECT_TRUE(c.service_udp);
  EXPECT_TRUE(c.os_syn);  // untouched defaults stay
  EXPECT_TRUE(c.mac);
}

// Each case was run through Debian's prads on prads_crafted.pcap (which has an ARP reply):
// `on` says whether it logged the ARP record.
TEST(Config, SyntaxAsPradsReadsIt) {
  struct Case {
    std::string text;
    bool on;
    bool warns;
  };
  const Case cases[] = {
      {"arp = 1", false, true},       {"ARP=1", true, false},     {"arp= 1 ", true, false},
      {"arp=1 # c", true, false},     {"  arp=1", false, true},   {"arp=true", false, true},
      {"arp=1\r", true, false},       {"arp=\"1\"", false, true}, {"#arp=1", false, false},
      {"arp=1\narp=0", false, false}, {"arp=10", true, true},     {"arp\t=1", false, true},
      {"Arp=1#x", true, false},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    const PradsConfig config = ParseConfigText(c.text, "k.conf", &warnings);
    EXPECT_EQ(config.arp, c.on) << c.text;
    EXPECT_EQ(!warnings.empty(), c.warns) << c.text << (warnings.empty() ? "" : warnings.front());
  }
}

TEST(Config, ValuesAndStickySwitches) {
  std::vector<std::string> warnings;
  const PradsConfig c = ParseConfigText(
      "daemon=1\n"
      "daemon=0\n"
      "ringbuffer=1\n"
      "ringbuffer=0\n"
      "mac=0\n"
      "os_syn_fingerprint=0\n"
      "asset_log=  /tmp/a b.log \t\n"
      "mac_file=/opt/mac.sig\n"
      "sig_file_serv_udp=\n"
      "bpfilter=src net 10.0.0.0 mask 255.0.0.0 # comment\n"
      "user=daemon\n"
      "interface=eth0\n"
      "output=none\n",
      "v.conf", &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_TRUE(c.daemon);  // PRADS sets daemon only while it is off
  EXPECT_TRUE(c.ringbuffer);
  EXPECT_FALSE(c.mac);
  EXPECT_FALSE(c.os_syn);
  EXPECT_EQ(c.asset_log, "/tmp/a b.log");
  EXPECT_EQ(c.MacFile(), "/opt/mac.sig");
  EXPECT_EQ(c.ServUdpFile(), "");  // set, to nothing: PRADS would fail to open ""
  EXPECT_EQ(c.bpfilter, "src net 10.0.0.0 mask 255.0.0.0");
  EXPECT_EQ(c.user, "daemon");
  EXPECT_EQ(c.interface, "eth0");
  EXPECT_EQ(c.output, "none");
}

TEST(Config, BadLinesAreReportedWithTheirLineNumber) {
  std::vector<std::string> warnings;
  const PradsConfig c = ParseConfigText(
      "# PRADS config\n"
      "arp=1\n"
      "sig_file_syn=/etc/prads/os.fp\n"
      "just some words\n"
      "os_icmp=yes\n",
      "bad.conf", &warnings);
  EXPECT_TRUE(c.arp);
  EXPECT_FALSE(c.os_icmp);  // "yes" does not start with '1'
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0].rfind("bad.conf:3: unknown key 'sig_file_syn'", 0), 0u) << warnings[0];
  EXPECT_EQ(warnings[1].rfind("bad.conf:4: ", 0), 0u) << warnings[1];
  EXPECT_EQ(warnings[2].rfind("bad.conf:5: ", 0), 0u) << warnings[2];
}

// ---------------------------------------------------------------------------------------------
// home_nets: expectations recorded from Debian's prads (a SYN from each address; logged or not).

bool Home(const std::string& nets, const char* ip) {
  return HomeNets::Parse(nets, nullptr).Contains(Ip(ip));
}

TEST(HomeNets, Ipv4) {
  const std::string nets = "10.0.0.0/8,192.168.0.0/255.255.0.0,172.16.0.0/12";
  EXPECT_TRUE(Home(nets, "10.1.2.3"));
  EXPECT_TRUE(Home(nets, "192.168.2.1"));
  EXPECT_TRUE(Home(nets, "172.31.255.255"));
  EXPECT_FALSE(Home(nets, "172.32.0.1"));
  EXPECT_FALSE(Home(nets, "11.0.0.1"));
  EXPECT_FALSE(Home(nets, "2001:db8::1"));  // no IPv6 network given
  EXPECT_TRUE(Home("0.0.0.0/0", "255.255.255.255"));
  EXPECT_FALSE(Home("0.0.0.0/0", "::1"));
  // /40 wraps to /8 (x86 shift); "-8" is 4294967288, which wraps to /24.
  EXPECT_TRUE(Home("10.0.0.0/40", "10.1.2.3"));
  EXPECT_FALSE(Home("10.0.0.0/40", "11.0.0.1"));
  EXPECT_TRUE(Home("10.0.0.0/-8", "10.0.0.200"));
  EXPECT_FALSE(Home("10.0.0.0/-8", "10.1.2.3"));
}

TEST(HomeNets, Ipv6ComparisonQuirk) {
  // Matches unless some bit differs in both 64-bit halves of (ip & mask) ^ net.
  EXPECT_TRUE(Home("2001:db8::/32", "fe80::1"));  // every IPv6 address
  EXPECT_TRUE(Home("2001:db8::1/128", "2001:db9::1"));
  EXPECT_TRUE(Home("2001:db8::1/128", "fe80::2"));
  EXPECT_FALSE(Home("2001:db8::1/128", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(Home("2001:db8::1/128", "::2001:db8:0:0"));
  EXPECT_TRUE(Home("::1/128", "::2001:db8:0:0"));
  EXPECT_TRUE(Home("1234:5678:9abc:def0:1234:5678:9abc:def0/128",
                   "1234:5678:9abc:def0:1234:5678:9abc:def0"));
  EXPECT_FALSE(Home("1234:5678:9abc:def0:1234:5678:9abc:def0/128", "fe80::1"));
  // CIDR masks are byte-swapped per 32-bit word (/100: the last word's mask is 00 00 00 f0).
  EXPECT_TRUE(Home("2001:db8::1/100", "b800:1cff:2000:b8:2000:0:2000:0"));
  EXPECT_FALSE(Home("2001:db8::1/100", "2001::db8:0:1"));
  EXPECT_TRUE(Home("ffff:ffff:ffff:ffff::1/96", "2001:db8:0:1:2001:db8::"));
  EXPECT_FALSE(Home("ffff:ffff:ffff:ffff::1/96", "fe80::1"));
  EXPECT_FALSE(Home("::/0", "10.0.0.1"));
}

TEST(HomeNets, BadValues) {
  std::vector<std::string> problems;
  // A blank after the comma: PRADS stops parsing at " 192.168.0.0".
  HomeNets n = HomeNets::Parse("10.0.0.0/8, 192.168.0.0/16", &problems);
  EXPECT_EQ(n.nets().size(), 1u);
  EXPECT_TRUE(n.Contains(Ip("10.1.2.3")));
  EXPECT_FALSE(n.Contains(Ip("192.168.1.1")));
  EXPECT_EQ(problems.size(), 1u);
  // The first address does not parse ("192.168.1.1,10.0.0.0"): nothing is home.
  problems.clear();
  n = HomeNets::Parse("192.168.1.1,10.0.0.0/8", &problems);
  EXPECT_TRUE(n.nets().empty());
  EXPECT_FALSE(n.Contains(Ip("10.1.2.3")));
  EXPECT_FALSE(problems.empty());
  // Empty: nothing is home.
  problems.clear();
  EXPECT_FALSE(HomeNets::Parse("", &problems).Contains(Ip("10.1.2.3")));
  EXPECT_EQ(problems.size(), 1u);
  // Masks PRADS cannot parse (it would use uninitialised memory): skipped, the rest kept.
  problems.clear();
  n = HomeNets::Parse("10.0.0.0/abc,2001:db8::/129,192.168.0.0/255.255.0.x,172.16.0.0/12",
                      &problems);
  EXPECT_EQ(n.nets().size(), 1u);
  EXPECT_EQ(problems.size(), 3u);
  EXPECT_TRUE(n.Contains(Ip("172.16.1.1")));
  // An entry without a mask is ignored.
  problems.clear();
  n = HomeNets::Parse("10.0.0.0/8,192.168.0.0", &problems);
  EXPECT_EQ(n.nets().size(), 1u);
  EXPECT_EQ(problems.size(), 1u);
  // At most 128 networks.
  std::string many;
  for (int i = 0; i < 130; ++i)
    many += (i ? "," : "") + std::string("10.0.0.") + std::to_string(i) + "/32";
  problems.clear();
  n = HomeNets::Parse(many, &problems);
  EXPECT_EQ(n.nets().size(), HomeNets::kMaxNets);
  EXPECT_EQ(problems.size(), 1u);
  EXPECT_TRUE(n.Contains(Ip("10.0.0.127")));
  EXPECT_FALSE(n.Contains(Ip("10.0.0.128")));
}

TEST(HomeNets, InConfigTheLastOneWinsAndProblemsNameItsLine) {
  std::vector<std::string> warnings;
  const PradsConfig c = ParseConfigText(
      "home_nets=10.0.0.0/8\n"
      "arp=1\n"
      "home_nets=192.168.0.0/16,2001:db8::/ffff:ffff::, 172.16.0.0/12\n",
      "h.conf", &warnings);
  EXPECT_EQ(c.home_nets_text, "192.168.0.0/16,2001:db8::/ffff:ffff::, 172.16.0.0/12");
  EXPECT_FALSE(c.home_nets.Contains(Ip("10.1.2.3")));
  EXPECT_TRUE(c.home_nets.Contains(Ip("192.168.1.1")));
  EXPECT_FALSE(c.home_nets.Contains(Ip("172.16.1.1")));
  EXPECT_TRUE(c.home_nets.Contains(Ip("fe80::1")));  // the IPv6 quirk again
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("h.conf:3: home_nets: ", 0), 0u) << warnings[0];
}

}  // namespace
}  // namespace prads

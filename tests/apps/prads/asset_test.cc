// SPDX-License-Identifier: Apache-2.0
// The asset table's rules (PRADS 0.3.3's assets.c), on the Asset object itself: when a record
// is new, when it changed, what the log line says, and what expires.
#include <gtest/gtest.h>

#include "detection.h"
#include "prads_state.h"

namespace prads {
namespace {

HostKey V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  HostKey k;
  k.family = 4;
  k.addr = {a, b, c, d};
  return k;
}

OsUpdate Syn(std::string identity, std::string info, int64_t ts, uint8_t ttl = 62) {
  OsUpdate u;
  u.detection = static_cast<uint8_t>(Detection::kSyn);
  u.identity = std::move(identity);
  u.info = std::move(info);
  u.port = 40000;
  u.ttl = ttl;
  u.ts = ts;
  return u;
}

ServiceUpdate Server(std::string service, std::string app, int64_t ts, uint16_t port = 80) {
  ServiceUpdate u;
  u.port = port;
  u.proto = 6;
  u.role = static_cast<uint8_t>(Role::kServer);
  u.service = std::move(service);
  u.application = std::move(app);
  u.ttl = 64;
  u.ts = ts;
  return u;
}

TEST(AssetTest, NewOsFingerprintIsLoggedOnceWithDistanceAndTime) {
  Asset a;
  const HostKey k = V4(192, 0, 2, 10);
  const LogLine first = a.UpdateOs(k, Syn("SYN#31", "S4:62:1:60:M1460:.:Linux:2.6", 100));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.text, "192.0.2.10,0,40000,6,SYN,[S4:62:1:60:M1460:.:Linux:2.6],2,100");
  // The same signature again (even from another port, later) is known: nothing to log.
  OsUpdate again = Syn("SYN#31", "whatever", 200);
  again.port = 40001;
  EXPECT_EQ(a.UpdateOs(k, again).text, "");
  ASSERT_EQ(a.os().size(), 1u);
  EXPECT_EQ(a.os()[0].port, 40001);
  EXPECT_EQ(a.os()[0].last_seen, 200);
  // Another signature, or the same identity under another detection, is new.
  EXPECT_TRUE(a.UpdateOs(k, Syn("SYN#32", "x", 300)).created);
  OsUpdate fin = Syn("SYN#31", "y", 300);
  fin.detection = static_cast<uint8_t>(Detection::kFin);
  EXPECT_EQ(a.UpdateOs(k, fin).text, "192.0.2.10,0,40000,6,FIN,[y],2,300");
}

TEST(AssetTest, UdpAndIcmpRecordsUseTheirProtocolAndPortZero) {
  Asset a;
  OsUpdate u;
  u.detection = static_cast<uint8_t>(Detection::kIcmp);
  u.identity = u.info = "170:8:0:64:1:0:76:64:I:unknown:unknown";
  u.ttl = 64;
  u.ts = 5;
  EXPECT_EQ(a.UpdateOs(V4(10, 0, 0, 1), u).text,
            "10.0.0.1,0,0,1,ICMP,[170:8:0:64:1:0:76:64:I:unknown:unknown],0,5");
}

TEST(AssetTest, ServiceIsLoggedWhenNewAndWhenAPortGuessIsIdentified) {
  Asset a;
  const HostKey k = V4(192, 0, 2, 20);
  EXPECT_EQ(a.UpdateService(k, Server("unknown", "@www", 10)).text,
            "192.0.2.20,0,80,6,SERVER,[unknown:@www],0,10");
  // A real identification replaces the "@" guess at once, and is logged (as changed).
  const LogLine changed = a.UpdateService(k, Server("http", "nginx", 11));
  EXPECT_FALSE(changed.created);
  EXPECT_EQ(changed.text, "192.0.2.20,0,80,6,SERVER,[http:nginx],0,11");
  // The same again: nothing. A guess after an identification: never replaces it.
  EXPECT_EQ(a.UpdateService(k, Server("http", "nginx", 12)).text, "");
  EXPECT_EQ(a.UpdateService(k, Server("unknown", "@www", 13)).text, "");
  // Another port is another record.
  EXPECT_TRUE(a.UpdateService(k, Server("ssh", "OpenSSH", 14, 22)).created);
}

TEST(AssetTest, ADisagreeingServiceReplacesOnlyAfterMoreThan200Sightings) {
  Asset a;
  const HostKey k = V4(192, 0, 2, 21);
  ASSERT_TRUE(a.UpdateService(k, Server("http", "Apache", 1)).created);
  for (int i = 0; i <= 200; ++i) {
    ASSERT_EQ(a.UpdateService(k, Server("http", "nginx", 2 + i)).text, "") << i;
  }
  EXPECT_EQ(a.UpdateService(k, Server("http", "nginx", 500)).text,
            "192.0.2.21,0,80,6,SERVER,[http:nginx],0,500");
  // An agreeing sighting resets the count.
  ASSERT_EQ(a.UpdateService(k, Server("http", "Apache", 501)).text, "");
  EXPECT_EQ(a.UpdateService(k, Server("http", "nginx", 502)).text, "");
}

TEST(AssetTest, ClientRecordsNameTheServerPortAndKeepTheirFirstRole) {
  Asset a;
  const HostKey k = V4(192, 0, 2, 10);
  ServiceUpdate c = Server("http", "Wget/1.21.3", 7);
  c.role = static_cast<uint8_t>(Role::kClient);
  c.ttl = 62;
  EXPECT_EQ(a.UpdateService(k, c).text, "192.0.2.10,0,80,6,CLIENT,[http:Wget/1.21.3],2,7");
  // PRADS matches records on port and protocol only: a server on 80 updates the client record.
  EXPECT_EQ(a.UpdateService(k, Server("unknown", "@www", 8)).text, "");
}

TEST(AssetTest, ArpLogsEachNewMacButLooksTheVendorUpOnce) {
  Asset a;
  const HostKey k = V4(192, 0, 2, 20);
  const std::array<uint8_t, 6> m1 = {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc};
  const std::array<uint8_t, 6> m2 = {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcd};
  EXPECT_EQ(a.UpdateArp(k, m1, "IntelCorpo", 0, 9).text,
            "192.0.2.20,0,0,0,ARP,[00:1B:21:AA:BB:CC,(IntelCorpo)],0,9");
  EXPECT_EQ(a.UpdateArp(k, m1, "IntelCorpo", 0, 10).text, "");
  EXPECT_EQ(a.UpdateArp(k, m2, "Other", 0, 11).text,
            "192.0.2.20,0,0,0,ARP,[00:1B:21:AA:BB:CD,(IntelCorpo)],0,11");
  Asset b;
  EXPECT_EQ(b.UpdateArp(V4(10, 0, 0, 9), m1, "", 0, 1).text,
            "10.0.0.9,0,0,0,ARP,[00:1B:21:AA:BB:CC],0,1");
}

TEST(AssetTest, TheLineCarriesTheHostsCurrentVlanAndIpv6Text) {
  Asset a;
  HostKey k;
  k.family = 6;
  k.addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  a.Touch(k, 7, 1);
  EXPECT_EQ(a.UpdateOs(k, Syn("unknown", "i", 2, 64)).text, "2001:db8::10,7,40000,6,SYN,[i],0,2");
}

TEST(AssetTest, ResetForgetsEverySoRecordsAreLoggedAgain) {
  Asset a;
  const HostKey k = V4(10, 1, 1, 1);
  ASSERT_TRUE(a.UpdateOs(k, Syn("SYN#1", "x", 1)).created);
  ASSERT_EQ(a.UpdateOs(k, Syn("SYN#1", "x", 2)).text, "");
  a.Reset(k, 0, 3);
  EXPECT_TRUE(a.UpdateOs(k, Syn("SYN#1", "x", 4)).created);
}

TEST(AssetTest, ExpiryDropsOldRecordsOfRecentAssetsAndWholeIdleAssets) {
  Asset a;
  const HostKey k = V4(10, 1, 1, 2);
  a.UpdateOs(k, Syn("SYN#1", "old", 0));
  a.UpdateOs(k, Syn("SYN#2", "new", 86400));
  EXPECT_FALSE(a.Expire(86430, 86400));  // the asset was seen 30 s ago: keep it
  ASSERT_EQ(a.os().size(), 1u);          // ... but its record from t=0 is too old
  EXPECT_EQ(a.os()[0].identity, "SYN#2");
  EXPECT_TRUE(a.Expire(86400 * 2, 86400));
}

}  // namespace
}  // namespace prads

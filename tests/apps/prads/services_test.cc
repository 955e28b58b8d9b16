// SPDX-License-Identifier: Apache-2.0
// ServiceDatabase (PRADS servicefp/) against the real /etc/prads signature files and crafted
// signature texts. Expected strings come from Debian prads's own logs: prads_crafted.pcap's
// reference output and the nDPI-corpus reference logs (/tmp/prads-ref), with the payloads that
// produced them copied here.
#include "services.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace prads {
namespace {

using namespace std::string_literals;

const ServiceDatabase& RealDb() {
  static const ServiceDatabase db = [] {
    auto loaded = ServiceDatabase::Load(ServiceDatabase::DefaultPaths(S6_PRADS_ETC), nullptr);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return std::move(loaded).value();
  }();
  return db;
}

// A hand-made view of a transport payload (the detectors read only these fields).
PacketView View(const std::string& payload, uint16_t sport, uint16_t dport, uint8_t af = 4,
                uint8_t proto = 6) {
  PacketView v;
  v.af = af;
  v.proto = proto;
  v.sport = sport;
  v.dport = dport;
  v.payload = reinterpret_cast<const uint8_t*>(payload.data());
  v.plen = static_cast<uint32_t>(payload.size());
  v.ip_end = v.payload + v.plen;
  v.end = v.ip_end;
  return v;
}

struct Hit {
  Role role;
  std::string service, application;
  friend bool operator==(const Hit&, const Hit&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Hit& h) {
    return os << "{" << static_cast<int>(h.role) << "," << h.service << ":" << h.application << "}";
  }
};
std::vector<Hit> Hits(const std::vector<ServiceHit>& hits) {
  std::vector<Hit> out;
  for (const ServiceHit& h : hits) out.push_back({h.role, h.service, h.application});
  return out;
}

// The application PRADS logs for a payload, or "" when nothing is reported.
std::string Server(const ServiceDatabase& db, const std::string& payload, uint16_t sport = 9999,
                   uint8_t af = 4) {
  uint8_t check = 0;
  auto hits = db.ServerTcp(View(payload, sport, 40000, af), Role::kServer, check);
  return hits.empty() ? "" : hits[0].service + ":" + hits[0].application;
}
std::string Client(const ServiceDatabase& db, const std::string& payload, uint16_t dport = 9999,
                   uint8_t af = 4) {
  uint8_t check = 0;
  auto hits = db.ClientTcp(View(payload, 40000, dport, af), Role::kClient, check);
  return hits.empty() ? "" : hits[0].service + ":" + hits[0].application;
}

ServiceDatabase FromText(std::string_view tcp_service, std::string_view tcp_clients = "",
                         std::string_view udp_service = "",
                         std::vector<LoadReport>* reports = nullptr) {
  return ServiceDatabase::Parse({"tcp.sig", "cli.sig", "udp.sig"},
                                {tcp_service, tcp_clients, udp_service}, reports);
}

// ---- Loading -----------------------------------------------------------------------------------

TEST(ServiceDatabaseLoad, RealFilesLoadEverySignature) {
  std::vector<LoadReport> reports;
  auto db = ServiceDatabase::Load(ServiceDatabase::DefaultPaths(S6_PRADS_ETC), &reports);
  ASSERT_TRUE(db.ok()) << db.status();
  // Non-comment lines of the Debian files (`grep -vc '^#\|^$'`); prads 0.3.3 prints no compile
  // error for any of them when it starts.
  EXPECT_EQ(db->tcp_service_size(), 126u);
  EXPECT_EQ(db->tcp_clients_size(), 11u);
  EXPECT_EQ(db->udp_service_size(), 4u);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].file, S6_PRADS_ETC "/tcp-service.sig");  // PRADS's loading order
  EXPECT_EQ(reports[1].file, S6_PRADS_ETC "/udp-service.sig");
  EXPECT_EQ(reports[2].file, S6_PRADS_ETC "/tcp-clients.sig");
  for (const LoadReport& r : reports) {
    EXPECT_EQ(r.skipped, 0u) << r.file;
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  }
  EXPECT_EQ(reports[0].loaded, 126u);
}

TEST(ServiceDatabaseLoad, DefaultPaths) {
  auto p = ServiceDatabase::DefaultPaths("/x/");
  EXPECT_EQ(p.tcp_service, "/x/tcp-service.sig");
  EXPECT_EQ(p.tcp_clients, "/x/tcp-clients.sig");
  EXPECT_EQ(p.udp_service, "/x/udp-service.sig");
  EXPECT_EQ(ServiceDatabase::DefaultPaths().tcp_service, "/etc/prads/tcp-service.sig");
}

TEST(ServiceDatabaseLoad, MissingFileIsAnError) {
  auto paths = ServiceDatabase::DefaultPaths(S6_PRADS_ETC);
  paths.udp_service = "/nonexistent/udp-service.sig";
  auto db = ServiceDatabase::Load(paths, nullptr);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("/nonexistent/udp-service.sig"), std::string::npos);
}

TEST(ServiceDatabaseLoad, EmptyPathLoadsNothing) {
  std::vector<LoadReport> reports;
  auto db = ServiceDatabase::Load({S6_PRADS_ETC "/tcp-service.sig", "", ""}, &reports);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(reports.size(), 1u);
  EXPECT_EQ(db->tcp_clients_size(), 0u);
  EXPECT_EQ(db->udp_service_size(), 0u);
  EXPECT_GT(db->tcp_service_size(), 0u);
}

TEST(ServiceDatabaseLoad, BadLinesAreSkippedAndReported) {
  std::vector<LoadReport> reports;
  const std::string text =
      "# comment\n"                  // 1: ignored
      "\n"                           // 2: ignored
      "a,v/Good/1//,good\n"          // 3
      "b,v/NoRegex/1//\n"            // 4: two fields
      "c,v/Title,slashes/x//,re\n"   // 5: title "v/Title" has 2 parts (',' is not escapable)
      "d,v/Bad///,(unclosed\n"       // 6: does not compile
      "e,v/Commas///,x,y{1,2}\n"     // 7: the regex is "x,y{1,2}"
      "\r\n"                         // 8: a CRLF blank line is a line of one field
      "f,v/Crlf///,crlf\r\n"         // 9: good, the regex ends in '\r'
      "g,v/Unknown escape///,\\j\n"  // 10: PCRE1 takes \j as 'j'
      "h,x/Any prefix/2,z\n";        // 11: 3 title parts, "x" ignored
  FromText(text, "", "", &reports);
  ASSERT_EQ(reports.size(), 3u);
  const LoadReport& r = reports[0];
  EXPECT_EQ(r.file, "tcp.sig");
  EXPECT_EQ(r.loaded, 5u);
  EXPECT_EQ(r.skipped, 4u);
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].rfind("tcp.sig:4: fewer than 3 comma-separated fields", 0), 0u)
      << r.errors[0];
  EXPECT_EQ(r.errors[1].rfind("tcp.sig:5: title \"v/Title\" has fewer than 3", 0), 0u)
      << r.errors[1];
  EXPECT_EQ(r.errors[2].rfind("tcp.sig:6: regex does not compile: ", 0), 0u) << r.errors[2];
  EXPECT_NE(r.errors[2].find("at offset 9"), std::string::npos) << r.errors[2];
  EXPECT_EQ(r.errors[3].rfind("tcp.sig:8: fewer than 3", 0), 0u) << r.errors[3];
  EXPECT_EQ(reports[1].file, "udp.sig");
  EXPECT_EQ(reports[2].file, "cli.sig");
  EXPECT_EQ(reports[1].loaded + reports[2].loaded + reports[1].skipped + reports[2].skipped, 0u);
}

TEST(ServiceDatabaseLoad, RegexKeepsCommasAndCarriageReturns) {
  auto db = FromText(
      "e,v/Commas///,x,y{1,2}z\n"
      "f,v/Crlf///,crlf\r\n");
  EXPECT_EQ(Server(db, "....x,yyz......"), "e:Commas");
  EXPECT_EQ(Server(db, "....crlf......."), "");  // the regex is "crlf\r"
  EXPECT_EQ(Server(db, "....crlf\r......"), "f:Crlf");
}

TEST(ServiceDatabaseLoad, UnknownLetterEscapeIsTheLetter) {
  std::vector<LoadReport> reports;
  auto db = FromText("g,v/J///,a\\jb[\\q]\n", "", "", &reports);
  EXPECT_EQ(reports[0].skipped, 0u);
  EXPECT_EQ(Server(db, "0123456ajbq"), "g:J");
}

// ---- Application text (get_app_name) ----------------------------------------------------------

TEST(ServiceApplication, TitleComposition) {
  auto db = FromText(
      "a,v/App/Ver/Info/,^A\n"
      "b,v/App//Info/,^B\n"
      "c,v/App/Ver//,^C\n"
      "d,v/App///,^D\n"
      "e,v/App/Ver,^E\n"             // no info part at all
      "f,v/App/Ver/Info,^F\n"        // no trailing '/'
      "g,v/App/Ver/Info/more/,^G\n"  // parts after info ignored
      "h,v//$1/$2/,^H(.)(.)\n"
      "i,v/App/\0x//,^I\n"s);  // a NUL: the version is not empty, but its C string is
  EXPECT_EQ(Server(db, "A........."), "a:App Ver (Info)");
  EXPECT_EQ(Server(db, "B........."), "b:App (Info)");
  EXPECT_EQ(Server(db, "C........."), "c:App Ver");
  EXPECT_EQ(Server(db, "D........."), "d:App");
  EXPECT_EQ(Server(db, "E........."), "e:App Ver");
  EXPECT_EQ(Server(db, "F........."), "f:App Ver (Info)");
  EXPECT_EQ(Server(db, "G........."), "g:App Ver (Info)");
  EXPECT_EQ(Server(db, "Hxy......."), "h: x (y)");
  EXPECT_EQ(Server(db, "I........."), "i:App ");
}

TEST(ServiceApplication, DollarSubstitutionQuirks) {
  auto db = FromText(
      "a,v/$0///,^a(b)(c)?\n"      // $0: the whole match
      "b,v/[$12]///,^b(x)\n"       // group 12 (none: "") then a literal '2'
      "c,v/[$2]///,^c(x)\n"        // a group the match did not report: ""
      "d,v/[$2]///,^d(x)(y)?\n"    // an unset group (rc 2): ""
      "e,v/[$1]///,^e(x)?(y)\n"    // an unset group inside rc: ""
      "f,v/[$x1]///,^f(z)\n"       // "$x": atoi("x1") is 0 (the whole match), 'x' skipped
      "g,v/[$ 1]///,^g(z)\n"       // atoi skips the space: group 1, then "1" literally
      "h,v/[$1]///,^h(.*)!\n"      // a group is copied up to its first NUL
      "i,v/($1)/$1/$1/,^i(.)\n");  // substitution in every part
  EXPECT_EQ(Server(db, "abc......."), "a:abc");
  EXPECT_EQ(Server(db, "ab........"), "a:ab");
  EXPECT_EQ(Server(db, "bx........"), "b:[2]");
  EXPECT_EQ(Server(db, "cx........"), "c:[]");
  EXPECT_EQ(Server(db, "dx........"), "d:[]");
  EXPECT_EQ(Server(db, "ey........"), "e:[]");
  EXPECT_EQ(Server(db, "fz........"), "f:[fz1]");
  EXPECT_EQ(Server(db, "gz........"), "g:[z1]");
  EXPECT_EQ(Server(db, "hab\0cd!..."s), "h:[ab]");
  EXPECT_EQ(Server(db, "iq........"), "i:(q) q (q)");
}

TEST(ServiceApplication, FixedBufferLimits) {
  const std::string app(120, 'A'), ver(40, 'V'), info(120, 'I');
  auto db = FromText("a,v/" + app + "/" + ver + "/" + info + "/,^a\n" + "b,v/$1$1$1///,^b(.*)\n");
  EXPECT_EQ(Server(db, "a........."), "a:" + std::string(100, 'A') + " " + std::string(25, 'V') +
                                          " (" + std::string(100, 'I') + ")");
  const std::string big = "b" + std::string(590, 'x');
  EXPECT_EQ(Server(db, big), "b:" + std::string(511, 'x'));  // get_app_name's 512-byte buffer
}

// ---- The crafted capture's expected records (prads_crafted.pcap reference log) ----------------

TEST(ServiceDetection, CraftedHttp) {
  const auto& db = RealDb();
  EXPECT_EQ(Server(db,
                   "HTTP/1.1 200 OK\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nServer: "
                   "Apache/2.2.12 (Ubuntu)\r\nContent-Length: 5\r\n\r\nhello",
                   80),
            "http:Apache 2.2.12 (Ubuntu)");
  EXPECT_EQ(Client(db,
                   "GET / HTTP/1.1\r\nHost: 192.0.2.20\r\nUser-Agent: Wget/1.21.3\r\nAccept: "
                   "*/*\r\n\r\n",
                   80),
            "http:Wget/1.21.3");
}

TEST(ServiceDetection, CraftedSshAndSmtp) {
  const auto& db = RealDb();
  EXPECT_EQ(Server(db, "SSH-2.0-OpenSSH_5.1p1 Debian-5ubuntu1\r\n", 22),
            "ssh:OpenSSH 5.1p1 (Protocol 2.0)");
  EXPECT_EQ(Client(db, "SSH-2.0-PuTTY_Release_0.60\r\n", 22),
            "ssh:PuTTY Release_0.60 (Protocol 2.0)");
  EXPECT_EQ(Server(db, "220 mx.example.test ESMTP Postfix\r\n", 25),
            "smtp:Postfix SMTP (mx.example.test)");
}

const std::string kDnsQuery =
    "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07"
    "example\x04test\x00\x00\x01\x00\x01"s;
const std::string kDnsReply =
    "\xab\xcd\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07"
    "example\x04test\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x01,\x00\x04\xc0\x00\x02"
    "\x14"s;

TEST(ServiceDetection, CraftedDns) {
  const auto& db = RealDb();
  uint8_t check = 0;
  EXPECT_EQ(Hits(db.Udp(View(kDnsQuery, 40001, 53, 4, 17), Role::kClient, check)),
            (std::vector<Hit>{{Role::kClient, "unknown", "@domain"}}));
  EXPECT_EQ(check, kCxtClientUnknownSet);
  EXPECT_EQ(Hits(db.Udp(View(kDnsReply, 53, 40001, 4, 17), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "domain", "DNS SQR No Error"}}));
  EXPECT_EQ(check, kCxtClientUnknownSet | kCxtServiceDontCheck);
}

// ---- More strings from the nDPI-corpus reference logs (payloads from those captures) ----------

TEST(ServiceDetection, RealServerBanners) {
  const auto& db = RealDb();
  EXPECT_EQ(Server(db,
                   "220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 "
                   "08:20:11 -0400\r\n"),
            "smtp:Sendmail SMTP 8.8.7/8.8.7 (pigeon.eyrie.af.mil)");
  EXPECT_EQ(Server(db,
                   "220-gator4223.hostgator.com ESMTP Exim 4.93 #2 Fri, 05 Mar 2021 "
                   "04:01:45 -0600\r\n220-We do not authorize the use of this system\r\n"),
            "smtp:Exim 4.93 (gator4223.hostgator.com)");
  EXPECT_EQ(Server(db, "220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"),
            "smtp:Generic SMTP s4si9696358qcc.63 (mx.google.com)");
  EXPECT_EQ(Server(db, "220 (vsFTPd 3.0.3)\r\n"), "ftp:vsFTPd 3.0.3");
  EXPECT_EQ(Server(db, "220 ProFTPD Server In ECI Telecom (ntp,ecitele.cCm) \r\n"),
            "ftp:ProFTPD Server");
  EXPECT_EQ(Server(db, "RFB 004.001\n"), "vnc:VNC (Protocol 004.001)");
  EXPECT_EQ(Server(db, "# munin node at kibana-node01\n"), "munin:Munin Node kibana-node01");
  EXPECT_EQ(Server(db, "SSH-1.99-OpenSSH_4.3\n"), "ssh:OpenSSH 4.3 (Protocol 1.99)");
  EXPECT_EQ(Server(db, "HTTP/1.1 200 OK\r\nServer: Apache-Coyote/1.1\r\nContent-Length: 0\r\n"),
            "http:Apache Coyote 1.1");
  EXPECT_EQ(Server(db,
                   "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/html\r\nServer: "
                   "Microsoft-IIS/10.0\r\nPersistent-Auth: true\r\n"),
            "http:Microsoft-IIS 10.0");
  EXPECT_EQ(Server(db, "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: x\r\n"), "http:Server: nginx");
  EXPECT_EQ(Server(db, "HTTP/1.1 200 OK\r\nServer: nginx/1.10.3\r\nDate: x\r\n"),
            "http:nginx 1.10.3");
  // TLS 1.0 ServerHello; SMB negotiate response.
  EXPECT_EQ(Server(db, "\x16\x03\x01\x00\x51\x02\x00\x00\x4d\x03\x01\x55\x66\x77\x88"s),
            "ssl:Generic TLS 1.0 SSL");
  EXPECT_EQ(Server(db, "\x00\x00\x00\x55\xffSMBr\x00\x00\x00\x00\x88"s), "smb:Windows SMB");
}

TEST(ServiceDetection, RealClientStrings) {
  const auto& db = RealDb();
  // "(.*)[+-](.*)\r" takes the last '+' or '-': "linux-gnu)" becomes "linux (gnu))".
  EXPECT_EQ(Client(db, "GET / HTTP/1.0\r\nUser-Agent: Wget/1.16.3 (linux-gnu)\r\nAccept: */*\r\n"),
            "http:Wget/1.16.3 (linux (gnu))");
  EXPECT_EQ(Client(db, "GET / HTTP/1.1\r\nUser-Agent: curl/7.68.0\r\nAccept: */*\r\n"),
            "http:curl/7.68.0");
  EXPECT_EQ(Client(db, "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5\r\n"),
            "ssh:OpenSSH 8.2p1 (Protocol 2.0)");
  // TLS 1.0 ClientHello record.
  EXPECT_EQ(Client(db, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x01\xaa\xbb"s),
            "ssl:TLS 1.0 Client Hello");
}

// ---- Detector control flow (tcps.c / tcpc.c / udps.c) ----------------------------------------

TEST(ServiceDetection, MatchSetsCheckBitAndStopsFurtherMatching) {
  const auto& db = RealDb();
  const std::string banner = "SSH-2.0-OpenSSH_5.1p1 Debian-5ubuntu1\r\n";
  uint8_t check = 0;
  EXPECT_EQ(db.ServerTcp(View(banner, 22, 40000), Role::kServer, check).size(), 1u);
  EXPECT_EQ(check, kCxtServiceDontCheck);
  EXPECT_TRUE(db.ServerTcp(View(banner, 22, 40000), Role::kServer, check).empty());
  // The client side of the same connection still runs.
  EXPECT_EQ(
      db.ClientTcp(View("SSH-2.0-PuTTY_Release_0.60\r\n", 40000, 22), Role::kClient, check).size(),
      1u);
  EXPECT_EQ(check, kCxtServiceDontCheck | kCxtClientDontCheck);
  EXPECT_TRUE(db.ClientTcp(View("SSH-2.0-PuTTY_Release_0.60\r\n", 40000, 22), Role::kClient, check)
                  .empty());
  uint8_t blocked = kCxtDontCheckServer;
  EXPECT_TRUE(db.ServerTcp(View(banner, 22, 40000), Role::kServer, blocked).empty());
  blocked = kCxtDontCheckClient;
  EXPECT_TRUE(db.ClientTcp(View(banner, 40000, 22), Role::kClient, blocked).empty());
}

TEST(ServiceDetection, RoleGuards) {
  const auto& db = RealDb();
  const std::string banner = "SSH-2.0-OpenSSH_5.1p1 Debian-5ubuntu1\r\n";
  for (Role r : {Role::kNone, Role::kClient}) {
    uint8_t check = 0;
    EXPECT_TRUE(db.ServerTcp(View(banner, 22, 40000), r, check).empty());
    EXPECT_EQ(check, 0);
  }
  for (Role r : {Role::kNone, Role::kServer}) {
    uint8_t check = 0;
    EXPECT_TRUE(db.ClientTcp(View(banner, 40000, 22), r, check).empty());
  }
}

TEST(ServiceDetection, TcpKnownPortFallbackOnce) {
  const auto& db = RealDb();
  const std::string noise = "0123456789abcdef";
  uint8_t check = 0;
  EXPECT_EQ(Hits(db.ServerTcp(View(noise, 443, 40000), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "unknown", "@https"}}));
  EXPECT_EQ(check, kCxtServiceUnknownSet);
  EXPECT_TRUE(db.ServerTcp(View(noise, 443, 40000), Role::kServer, check).empty());
  // A later signature match is still looked for.
  EXPECT_EQ(Hits(db.ServerTcp(View("\x16\x03\x01\x00\x51\x02\x00\x00\x4d\x03\x01\x55"s, 443, 40000),
                              Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "ssl", "Generic TLS 1.0 SSL"}}));
  EXPECT_EQ(check, kCxtServiceUnknownSet | kCxtServiceDontCheck);

  // The client fallback names the destination port; the server's its source port.
  uint8_t ccheck = 0;
  EXPECT_EQ(Hits(db.ClientTcp(View(noise, 443, 3306), Role::kClient, ccheck)),
            (std::vector<Hit>{{Role::kClient, "unknown", "@mysql"}}));
  EXPECT_EQ(ccheck, kCxtClientUnknownSet);
  ccheck = 0;
  EXPECT_TRUE(db.ClientTcp(View(noise, 443, 40000), Role::kClient, ccheck).empty());
  EXPECT_EQ(ccheck, 0);
  // 53 is a UDP-only name in PRADS's table.
  uint8_t scheck = 0;
  EXPECT_TRUE(db.ServerTcp(View(noise, 53, 40000), Role::kServer, scheck).empty());
}

TEST(ServiceDetection, PayloadMinimum) {
  const auto& db = RealDb();
  uint8_t check = 0;
  EXPECT_TRUE(db.ServerTcp(View("SSH-2.0-x", 22, 40000), Role::kServer, check).empty());  // 9
  EXPECT_TRUE(db.ClientTcp(View("SSH-2.0-x", 40000, 22), Role::kClient, check).empty());
  EXPECT_EQ(check, 0);
  EXPECT_EQ(Hits(db.ServerTcp(View("SSH-2.0-xy", 22, 40000), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "unknown", "@ssh"}}));
  EXPECT_TRUE(db.Udp(View("\x81\x80\x00\x01"s, 53, 40000, 4, 17), Role::kServer, check).empty());
  EXPECT_EQ(Hits(db.Udp(View("\x81\x80\x00\x01\x00"s, 53, 40000, 4, 17), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "domain", "DNS SQR No Error"}}));
  EXPECT_TRUE(db.ServerTcp(View("", 22, 40000), Role::kServer, check).empty());
}

TEST(ServiceDetection, PayloadWindows) {
  auto db = FromText("s,v/S///,MARK\n", "c,v/C///,MARK\n", "u,v/U///,MARK\n");
  const std::string far = std::string(597, '.') + "MARK";   // ends at byte 601
  const std::string near = std::string(596, '.') + "MARK";  // ends at byte 600
  EXPECT_EQ(Server(db, near), "s:S");
  EXPECT_EQ(Server(db, far), "");
  EXPECT_EQ(Server(db, far, 9999, 6), "");  // service_tcp6: 600 too
  EXPECT_EQ(Client(db, near), "c:C");
  EXPECT_EQ(Client(db, far), "");
  EXPECT_EQ(Client(db, far, 9999, 6), "c:C");  // client_tcp6 uses the whole payload
  uint8_t check = 0;
  EXPECT_EQ(db.Udp(View(far, 9999, 9998, 4, 17), Role::kServer, check).size(), 1u);  // all
}

TEST(ServiceDetection, Ipv6UdpUsesTheEmptyClientList) {
  const auto& db = RealDb();
  uint8_t check = 0;
  // The DNS reply signature is never tried on IPv6: only the port name is logged.
  EXPECT_EQ(Hits(db.Udp(View(kDnsReply, 53, 40001, 6, 17), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "unknown", "@domain"}}));
  EXPECT_EQ(check, kCxtServiceUnknownSet);
  check = 0;
  EXPECT_TRUE(db.Udp(View(kDnsReply, 5000, 40001, 6, 17), Role::kServer, check).empty());
  EXPECT_EQ(check, 0);
}

TEST(ServiceDetection, UdpFallbackReversesTheConnection) {
  const auto& db = RealDb();
  const std::string noise = "0123456789";
  // A "client" packet from a known port: PRADS reverses the connection and logs a server.
  uint8_t check = kCxtDontCheckServer | kCxtServiceUnknownSet;
  EXPECT_EQ(Hits(db.Udp(View(noise, 123, 40000, 4, 17), Role::kClient, check)),
            (std::vector<Hit>{{Role::kServer, "unknown", "@ntp"}}));
  EXPECT_EQ(check, kCxtClientUnknownSet);  // reset, then the client bit
  // A "server" packet to a known port: logged as a client.
  check = kCxtClientUnknownSet;
  EXPECT_EQ(Hits(db.Udp(View(noise, 40000, 161, 4, 17), Role::kServer, check)),
            (std::vector<Hit>{{Role::kClient, "unknown", "@snmp"}}));
  EXPECT_EQ(check, kCxtServiceUnknownSet);
  // Known destination wins for clients, known source for servers; no reversal then.
  check = 0;
  EXPECT_EQ(Hits(db.Udp(View(noise, 514, 161, 4, 17), Role::kClient, check)),
            (std::vector<Hit>{{Role::kClient, "unknown", "@snmp"}}));
  check = 0;
  EXPECT_EQ(Hits(db.Udp(View(noise, 514, 161, 4, 17), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "unknown", "@syslog"}}));
  // Once the bit for the role is set, no more fallback; the other role's bit does not matter.
  check = kCxtClientUnknownSet;
  EXPECT_TRUE(db.Udp(View(noise, 40000, 53, 4, 17), Role::kClient, check).empty());
  // No role (a connection's first packet): no fallback.
  check = 0;
  EXPECT_TRUE(db.Udp(View(noise, 40000, 53, 4, 17), Role::kNone, check).empty());
}

TEST(ServiceDetection, UdpSignaturesRunUntilBothDontCheckBitsAreSet) {
  const auto& db = RealDb();
  uint8_t check = 0;
  // No role: the signature still runs (and the hit carries no role).
  EXPECT_EQ(Hits(db.Udp(View(kDnsReply, 53, 40001, 4, 17), Role::kNone, check)),
            (std::vector<Hit>{{Role::kNone, "domain", "DNS SQR No Error"}}));
  EXPECT_EQ(check, kCxtServiceDontCheck);
  EXPECT_EQ(db.Udp(View(kDnsReply, 53, 40001, 4, 17), Role::kServer, check).size(), 1u);
  check = kCxtServiceDontCheck | kCxtClientDontCheck;
  EXPECT_TRUE(db.Udp(View(kDnsReply, 53, 40001, 4, 17), Role::kServer, check).empty());
}

TEST(ServiceDetection, MatchErrorCountsAsMatchExceptForServers) {
  // A catastrophic regex hits PCRE's match limit: client_tcp and service_udp test rc != -1, so
  // the error is a match (and $1 of an error is ""); service_tcp tests rc >= 0.
  const std::string sig = "x,v/Err/$1//,(a+)+[bc]\n";
  auto db = FromText(sig, sig, sig);
  const std::string payload = std::string(28, 'a') + "!";
  EXPECT_EQ(Client(db, payload), "x:Err ");  // the version "$1" is not empty: "Err "
  EXPECT_EQ(Server(db, payload), "");
  uint8_t check = 0;
  EXPECT_EQ(Hits(db.Udp(View(payload, 9999, 9998, 4, 17), Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "x", "Err "}}));
}

TEST(ServiceDetection, FirstSignatureInFileOrderWins) {
  auto db = FromText("one,v/First///,abc\ntwo,v/Second///,abcdef\n");
  EXPECT_EQ(Server(db, "xxabcdefxx"), "one:First");
}

TEST(ServiceKnownPorts, PradsTable) {
  const auto& db = RealDb();
  EXPECT_EQ(db.KnownPort(6, 22), "@ssh");
  EXPECT_EQ(db.KnownPort(17, 22), "");
  EXPECT_EQ(db.KnownPort(17, 53), "@domain");
  EXPECT_EQ(db.KnownPort(6, 53), "");
  EXPECT_EQ(db.KnownPort(6, 80), "@www");
  EXPECT_EQ(db.KnownPort(6, 161), "@snmp");
  EXPECT_EQ(db.KnownPort(17, 161), "@snmp");
  EXPECT_EQ(db.KnownPort(17, 1194), "@openvpn");
  EXPECT_EQ(db.KnownPort(6, 6667), "@irc");
  EXPECT_EQ(db.KnownPort(6, 8080), "");
  EXPECT_EQ(db.KnownPort(1, 22), "");
  EXPECT_EQ(db.KnownPort(6, 65535), "");
}

TEST(ServiceDatabaseMove, MovedDatabaseStillMatches) {
  auto db = FromText("s,v/S///,MARK\n");
  ServiceDatabase moved = std::move(db);
  EXPECT_EQ(Server(moved, "....MARK...."), "s:S");
  ServiceDatabase other = FromText("");
  other = std::move(moved);
  EXPECT_EQ(Server(other, "....MARK...."), "s:S");
}

// ---- Through the packet decoder ---------------------------------------------------------------

// Ethernet + IPv4 (no options) + TCP (no options) or UDP + payload + `trailer` bytes after the
// datagram (Ethernet padding or capture metadata: never payload).
std::vector<uint8_t> Frame4(uint8_t proto, uint16_t sport, uint16_t dport, const std::string& data,
                            std::size_t trailer) {
  const std::size_t l4 = proto == 6 ? 20 : 8;
  const std::size_t total = 20 + l4 + data.size();
  std::vector<uint8_t> f(14, 0);
  f[12] = 0x08;
  const uint8_t ip[20] = {0x45,
                          0,
                          static_cast<uint8_t>(total >> 8),
                          static_cast<uint8_t>(total),
                          0,
                          0,
                          0x40,
                          0,
                          64,
                          proto,
                          0,
                          0,
                          192,
                          0,
                          2,
                          20,
                          192,
                          0,
                          2,
                          10};
  f.insert(f.end(), ip, ip + 20);
  const uint8_t ports[4] = {static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport),
                            static_cast<uint8_t>(dport >> 8), static_cast<uint8_t>(dport)};
  f.insert(f.end(), ports, ports + 4);
  if (proto == 6) {
    const uint8_t rest[16] = {0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0x10, 0, 0, 0, 0, 0};
    f.insert(f.end(), rest, rest + 16);
  } else {
    const uint8_t rest[4] = {static_cast<uint8_t>((8 + data.size()) >> 8),
                             static_cast<uint8_t>(8 + data.size()), 0, 0};
    f.insert(f.end(), rest, rest + 4);
  }
  f.insert(f.end(), data.begin(), data.end());
  f.insert(f.end(), trailer, 0x41);
  return f;
}

TEST(ServiceDetection, DecodedFramesIgnoreTrailers) {
  const auto& db = RealDb();
  PacketCounters counters;
  PacketView view;
  auto smtp = Frame4(6, 25, 40000, "220 mx.example.test ESMTP Postfix\r\n", 4);
  ASSERT_EQ(DecodeEthernet(smtp, smtp.size(), 0, counters, view), DecodeResult::kIp);
  uint8_t check = 0;
  EXPECT_EQ(Hits(db.ServerTcp(view, Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "smtp", "Postfix SMTP (mx.example.test)"}}));
  // An empty segment followed by 18 padding/trailer bytes: no payload, so no "@smtp" (PRADS,
  // counting from the capture length, would see 18 bytes here; see the report).
  auto ack = Frame4(6, 25, 40000, "", 18);
  ASSERT_EQ(DecodeEthernet(ack, ack.size(), 0, counters, view), DecodeResult::kIp);
  check = 0;
  EXPECT_TRUE(db.ServerTcp(view, Role::kServer, check).empty());
  auto dns = Frame4(17, 53, 40001, kDnsReply, 6);
  ASSERT_EQ(DecodeEthernet(dns, dns.size(), 0, counters, view), DecodeResult::kIp);
  check = 0;
  EXPECT_EQ(Hits(db.Udp(view, Role::kServer, check)),
            (std::vector<Hit>{{Role::kServer, "domain", "DNS SQR No Error"}}));
}

// ---- Hostile input ------------------------------------------------------------------------------

TEST(ServiceDetection, GarbagePayloadsNeverCrash) {
  const auto& db = RealDb();
  std::mt19937 rng(12345);
  std::string payload;
  for (int i = 0; i < 3000; ++i) {
    const std::size_t len = rng() % 1600;
    payload.resize(len);
    for (char& c : payload) c = static_cast<char>(rng());
    if (i % 3 == 0 && len > 40) payload.replace(rng() % (len - 30), 11, "Server: A/1");
    const uint8_t af = (i % 2) ? 4 : 6;
    for (Role r : {Role::kNone, Role::kClient, Role::kServer}) {
      uint8_t check = static_cast<uint8_t>(rng());
      const auto port = static_cast<uint16_t>(rng() % 4 ? rng() : 53);
      for (const auto& h : db.ServerTcp(View(payload, port, 80, af), r, check)) {
        EXPECT_LE(h.application.size(), 511u);
      }
      db.ClientTcp(View(payload, 80, port, af), r, check);
      db.Udp(View(payload, port, 161, af, 17), r, check);
    }
  }
}

}  // namespace
}  // namespace prads

// SPDX-License-Identifier: Apache-2.0
// Tests of the Snort rule parser (apps/snort_port/rules.h): variables, IP and port lists, the
// snort2lua-equivalent conversion of 2.9 options into Snort 3's option list, Snort 3's
// rejections, the load report, and the whole community.rules file.
#include "rules.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "classification.h"
#include "detect.h"

namespace snort {
namespace {

// The community rules file; the build may point elsewhere with -DS6_SNORT_COMMUNITY_RULES=...
#ifdef S6_SNORT_COMMUNITY_RULES
constexpr const char* kCommunityRules = S6_SNORT_COMMUNITY_RULES;
#else
constexpr const char* kCommunityRules = "/work/shared/data/snort/community.rules";
#endif

// Parses one rule; returns it (sid 0 when skipped) and fills *report.
Rule ParseOne(const std::string& text, LoadReport* report = nullptr,
              const Variables& vars = Variables()) {
  LoadReport local;
  RuleSet set = ParseRules(text, "test.rules", vars, ParseOptions(), report ? report : &local);
  return set.rules.empty() ? Rule() : set.rules[0];
}

// The Snort 3 option list of a rule written with `opts`, or "SKIPPED: <reason>".
std::string Convert(const std::string& opts) {
  LoadReport rep;
  RuleSet set = ParseRules("alert tcp any any -> any any (" + opts + " sid:1;)", "t.rules",
                           Variables(), ParseOptions(), &rep);
  if (set.rules.empty()) {
    return "SKIPPED: " +
           (rep.skipped_rules.empty() ? std::string("?") : rep.skipped_rules[0].reason);
  }
  return DescribeOptions(set.rules[0], &set);
}

std::string Skipped(const std::string& opts) {
  std::string s = Convert(opts);
  return s.rfind("SKIPPED: ", 0) == 0 ? s.substr(9) : "";
}

std::array<uint8_t, 16> V4(const char* s) {
  std::array<uint8_t, 16> a{};
  EXPECT_EQ(inet_pton(AF_INET, s, a.data()), 1);
  return a;
}
std::array<uint8_t, 16> V6(const char* s) {
  std::array<uint8_t, 16> a{};
  EXPECT_EQ(inet_pton(AF_INET6, s, a.data()), 1);
  return a;
}

PortSet Ports(const std::string& s, const Variables& v = Variables()) {
  auto p = ParsePortSet(s, v);
  EXPECT_TRUE(p.ok()) << s << ": " << p.status();
  return p.ok() ? *p : PortSet();
}

IpSet Ips(const std::string& s, const Variables& v = Variables()) {
  auto p = ParseIpSet(s, v);
  EXPECT_TRUE(p.ok()) << s << ": " << p.status();
  return p.ok() ? *p : IpSet();
}

// ---------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------

TEST(Variables, SnortThreeDefaults) {
  Variables v;
  EXPECT_EQ(v.Get("HOME_NET"), "any");
  EXPECT_EQ(v.Get("EXTERNAL_NET"), "any");
  EXPECT_EQ(v.Get("HTTP_SERVERS"), "$HOME_NET");
  PortSet http = Ports("$HTTP_PORTS");
  for (uint16_t p : {80, 81, 311, 3128, 8080, 8888, 9999, 55555})
    EXPECT_TRUE(http.Contains(p)) << p;
  for (uint16_t p : {79, 82, 443, 8081}) EXPECT_FALSE(http.Contains(p)) << p;
  PortSet oracle = Ports("$ORACLE_PORTS");
  EXPECT_FALSE(oracle.Contains(1023));
  EXPECT_TRUE(oracle.Contains(1024));
  EXPECT_TRUE(oracle.Contains(65535));
  PortSet file = Ports("$FILE_DATA_PORTS");
  EXPECT_TRUE(file.Contains(80));
  EXPECT_TRUE(file.Contains(110));
  EXPECT_TRUE(file.Contains(143));
  EXPECT_FALSE(file.Contains(25));
  EXPECT_TRUE(Ports("$SSH_PORTS").Contains(22));
  EXPECT_TRUE(Ports("$SIP_PORTS").Contains(5061));
  EXPECT_TRUE(Ports("$FTP_PORTS").Contains(2100));
  EXPECT_FALSE(Ports("$SHELLCODE_PORTS").Contains(80));
  EXPECT_TRUE(Ports("$SHELLCODE_PORTS").Contains(81));
  EXPECT_TRUE(Ips("$AIM_SERVERS").Contains(false, V4("64.12.25.1")));
  EXPECT_FALSE(Ips("$AIM_SERVERS").Contains(false, V4("64.12.26.1")));
}

TEST(Variables, SetOverridesAndDependentsFollow) {
  Variables v;
  v.Set("HOME_NET", "[10.0.0.0/8,192.168.1.0/24]");
  IpSet servers = Ips("$HTTP_SERVERS", v);
  EXPECT_TRUE(servers.Contains(false, V4("10.1.2.3")));
  EXPECT_TRUE(servers.Contains(false, V4("192.168.1.200")));
  EXPECT_FALSE(servers.Contains(false, V4("192.168.2.1")));
  v.Set("EXTERNAL_NET", "!$HOME_NET");
  IpSet ext = Ips("$EXTERNAL_NET", v);
  EXPECT_FALSE(ext.Contains(false, V4("10.9.9.9")));
  EXPECT_TRUE(ext.Contains(false, V4("8.8.8.8")));
}

TEST(Variables, SetFromArgument) {
  Variables v;
  ASSERT_TRUE(v.SetFromArgument("HOME_NET=[192.168.0.0/16]").ok());
  EXPECT_EQ(v.Get("HOME_NET"), "[192.168.0.0/16]");
  ASSERT_TRUE(v.SetFromArgument("EMPTY=").ok());
  EXPECT_EQ(v.Get("EMPTY"), "");
  EXPECT_FALSE(v.SetFromArgument("NOVALUE").ok());
  EXPECT_FALSE(v.SetFromArgument("=x").ok());
  EXPECT_FALSE(v.SetFromArgument("BAD NAME=x").ok());
}

TEST(Variables, LoadConfig) {
  Variables v;
  ASSERT_TRUE(
      v.LoadConfig("# comment\n\nipvar HOME_NET [1.2.3.0/24]\nportvar HTTP_PORTS [80,8080]\n"
                   "var RULE_PATH /etc/rules\n")
          .ok());
  EXPECT_EQ(v.Get("HOME_NET"), "[1.2.3.0/24]");
  EXPECT_EQ(v.Get("RULE_PATH"), "/etc/rules");
  EXPECT_TRUE(Ports("$HTTP_PORTS", v).Contains(8080));
  EXPECT_FALSE(Ports("$HTTP_PORTS", v).Contains(81));

  Variables w;
  s6::Status st = w.LoadConfig("ipvar HOME_NET 1.1.1.1\n\nconfig foo\n", "my.conf");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("my.conf:3:"), std::string::npos) << st.message();
  EXPECT_EQ(w.Get("HOME_NET"), "any") << "a failed load changes nothing";
  EXPECT_FALSE(w.LoadConfig("portvar ONLYNAME\n").ok());
}

// ---------------------------------------------------------------------------------------------
// Ports and addresses
// ---------------------------------------------------------------------------------------------

TEST(PortSet, Syntax) {
  EXPECT_TRUE(Ports("any").IsAny());
  PortSet p = Ports("80");
  EXPECT_TRUE(p.Contains(80));
  EXPECT_FALSE(p.Contains(81));
  p = Ports("!80");
  EXPECT_FALSE(p.Contains(80));
  EXPECT_TRUE(p.Contains(79));
  EXPECT_TRUE(p.Contains(0));
  p = Ports("1024:");
  EXPECT_FALSE(p.Contains(1023));
  EXPECT_TRUE(p.Contains(65535));
  p = Ports(":1023");
  EXPECT_TRUE(p.Contains(0));
  EXPECT_FALSE(p.Contains(1024));
  p = Ports("!21:23");
  EXPECT_TRUE(p.Contains(20));
  EXPECT_FALSE(p.Contains(21));
  EXPECT_FALSE(p.Contains(23));
  EXPECT_TRUE(p.Contains(24));
  p = Ports("[21,25,443,465,636]");
  EXPECT_TRUE(p.Contains(465));
  EXPECT_FALSE(p.Contains(80));
  p = Ports("[$HTTP_PORTS,443]");
  EXPECT_TRUE(p.Contains(443));
  EXPECT_TRUE(p.Contains(8080));
  p = Ports("[135,139,445,593,1024:]");
  EXPECT_TRUE(p.Contains(593));
  EXPECT_TRUE(p.Contains(40000));
  EXPECT_FALSE(p.Contains(1000));
  p = Ports("[1024:,!1433]");
  EXPECT_TRUE(p.Contains(1434));
  EXPECT_FALSE(p.Contains(1433));
  EXPECT_FALSE(p.Contains(80));
  p = Ports("![80,443]");
  EXPECT_FALSE(p.Contains(443));
  EXPECT_TRUE(p.Contains(8080));
  for (const char* bad :
       {"70000", "5:3", "[80", "80]", "$UNDEFINED", "!any", "abc", "", "[]", "!0:65535", ":"}) {
    EXPECT_FALSE(ParsePortSet(bad, Variables()).ok()) << bad;
  }
}

TEST(PortSet, VariableCycleIsAnError) {
  Variables v;
  v.Set("A", "$B");
  v.Set("B", "[$A,80]");
  EXPECT_FALSE(ParsePortSet("$A", v).ok());
}

TEST(IpSet, Syntax) {
  EXPECT_TRUE(Ips("any").IsAny());
  EXPECT_TRUE(Ips("any").Contains(true, V6("2001:db8::1")));
  IpSet s = Ips("10.0.0.0/8");
  EXPECT_TRUE(s.Contains(false, V4("10.255.0.1")));
  EXPECT_FALSE(s.Contains(false, V4("11.0.0.1")));
  EXPECT_FALSE(s.Contains(true, V6("::a00:1"))) << "an IPv4 list never matches IPv6";
  s = Ips("!10.0.0.0/8");
  EXPECT_FALSE(s.Contains(false, V4("10.0.0.1")));
  EXPECT_TRUE(s.Contains(false, V4("11.0.0.1")));
  EXPECT_TRUE(s.Contains(true, V6("2001:db8::1")));
  s = Ips("[10.0.0.0/8,!10.1.0.0/16]");
  EXPECT_TRUE(s.Contains(false, V4("10.2.0.1")));
  EXPECT_FALSE(s.Contains(false, V4("10.1.0.1")));
  EXPECT_FALSE(s.Contains(false, V4("12.0.0.1")));
  s = Ips("![1.1.1.1,2.2.2.2]");
  EXPECT_FALSE(s.Contains(false, V4("2.2.2.2")));
  EXPECT_TRUE(s.Contains(false, V4("3.3.3.3")));
  s = Ips("[2001:db8::/32, 192.168.0.0/255.255.0.0]");
  EXPECT_TRUE(s.Contains(true, V6("2001:db8:1::5")));
  EXPECT_FALSE(s.Contains(true, V6("2001:db9::5")));
  EXPECT_TRUE(s.Contains(false, V4("192.168.7.7")));
  s = Ips("255.255.255.255");
  EXPECT_TRUE(s.Contains(false, V4("255.255.255.255")));
  EXPECT_FALSE(s.Contains(false, V4("255.255.255.254")));
  for (const char* bad : {"10.0.0.300", "10.0.0.0/33", "!any", "[1.1.1.1", "$NOPE",
                          "1.2.3.4/255.0.255.0", "::1/129", "[]"}) {
    EXPECT_FALSE(ParseIpSet(bad, Variables()).ok()) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Rule header and meta options
// ---------------------------------------------------------------------------------------------

TEST(RuleHeader, Fields) {
  Rule r = ParseOne(
      "drop udp 10.0.0.0/8 1024: <> $HOME_NET [53,5353] (msg:\"m\"; sid:7; rev:3; gid:1;)");
  ASSERT_EQ(r.sid, 7u);
  EXPECT_EQ(r.header.action, Action::kDrop);
  EXPECT_EQ(r.header.protocol, Protocol::kUdp);
  EXPECT_TRUE(r.header.bidirectional);
  EXPECT_TRUE(r.header.src_ports.Contains(4000));
  EXPECT_FALSE(r.header.src_ports.Contains(53));
  EXPECT_TRUE(r.header.dst_ports.Contains(5353));
  EXPECT_TRUE(r.header.dst_ip.IsAny());
  EXPECT_EQ(r.rev, 3u);
  EXPECT_EQ(r.msg, "m");
  EXPECT_EQ(ParseOne("alert icmp any any -> any any (sid:1;)").header.protocol, Protocol::kIcmp);
  EXPECT_EQ(ParseOne("alert ip any any -> any any (sid:1;)").header.protocol, Protocol::kIp);
  EXPECT_EQ(ParseOne("log tcp any any -> any any (sid:1;)").header.action, Action::kLog);
}

TEST(RuleHeader, Errors) {
  LoadReport rep;
  ParseOne("alert tcp any any -> any (sid:1;)", &rep);
  ParseOne("alert tcp any any => any any (sid:2;)", &rep);
  ParseOne("alert http any any -> any any (sid:3;)", &rep);
  ParseOne("alert tcp any 99999 -> any any (sid:4;)", &rep);
  ParseOne("alert tcp any any -> any any sid:5;", &rep);
  ParseOne("alert tcp any any -> any any (msg:\"x\";)", &rep);
  EXPECT_EQ(rep.loaded, 0u);
  EXPECT_EQ(rep.skipped, 6u);
  ASSERT_EQ(rep.skipped_rules.size(), 6u);
  EXPECT_EQ(rep.skipped_rules[2].reason, "unsupported option protocol http");
  EXPECT_NE(rep.warnings[3].find("test.rules:1: sid 4: source port"), std::string::npos)
      << rep.warnings[3];
  EXPECT_NE(rep.skipped_rules[5].reason.find("no sid"), std::string::npos);
}

TEST(RuleMeta, ClasstypePriorityReferencesMetadata) {
  Rule r = ParseOne(
      "alert tcp any any -> any any (msg:\"a \\\"quoted\\\" msg\"; "
      "reference:url,support.microsoft.com/default.aspx?scid=kb\\;EN-US\\;q188806; "
      "reference:cve,2001-0001; classtype:attempted-admin; "
      "metadata:policy balanced-ips drop, ruleset community, service http, service ssl; sid:9;)");
  ASSERT_EQ(r.sid, 9u);
  EXPECT_EQ(r.msg, "a \"quoted\" msg");
  ASSERT_EQ(r.references.size(), 2u);
  EXPECT_EQ(r.references[0], "url,support.microsoft.com/default.aspx?scid=kb;EN-US;q188806");
  EXPECT_EQ(r.classtype, "attempted-admin");
  EXPECT_EQ(r.priority, 1u);
  EXPECT_EQ(r.services, (std::vector<std::string>{"http", "ssl"}));
  EXPECT_FALSE(r.service_only);
  EXPECT_EQ(r.metadata,
            (std::vector<std::string>{"policy balanced-ips drop", "ruleset community"}));
  // classtype sets the priority whenever it comes (Snort 3 set_classtype): last writer wins.
  EXPECT_EQ(ParseOne("alert tcp any any -> any any (classtype:misc-activity; priority:1; sid:1;)")
                .priority,
            1u);
  EXPECT_EQ(ParseOne("alert tcp any any -> any any (priority:1; classtype:misc-activity; sid:1;)")
                .priority,
            3u);
  EXPECT_EQ(ParseOne("alert tcp any any -> any any (classtype:no-such-class; sid:1;)").priority,
            0u);
  EXPECT_EQ(Skipped("metadata:engine shared, soid 3|1;"), "unsupported option metadata engine");
}

TEST(Classification, SnortDefaults) {
  EXPECT_EQ(DefaultClassifications().size(), 38u);
  auto c = FindClassification("trojan-activity");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "A Network Trojan was detected");
  EXPECT_EQ(c->priority, 1u);
  EXPECT_EQ(FindClassification("tcp-connection")->priority, 4u);
  EXPECT_EQ(FindClassification("web-application-activity")->text,
            "Access to a potentially vulnerable web application");
  EXPECT_FALSE(FindClassification("Trojan-Activity"));
}

// ---------------------------------------------------------------------------------------------
// content and the sticky-buffer conversion
// ---------------------------------------------------------------------------------------------

TEST(Content, PatternDecoding) {
  Rule r = ParseOne(
      "alert tcp any any -> any any (content:\"a|41 42|\\\"b\\\\c|0d0A|\"; content:!\"|0|x\"; "
      "sid:1;)");
  ASSERT_EQ(r.options.size(), 2u);
  const auto& c = std::get<Content>(r.options[0]);
  EXPECT_EQ(c.pattern, std::string("aAB\"b\\c\r\n"));
  EXPECT_FALSE(c.negated);
  const auto& n = std::get<Content>(r.options[1]);
  EXPECT_EQ(n.pattern, std::string("\0x", 2));
  EXPECT_TRUE(n.negated);
  EXPECT_EQ(Skipped("content:\"\";").substr(0, 6), "error:");
  EXPECT_EQ(Skipped("content:\"a|4G|\";").substr(0, 6), "error:");
  EXPECT_EQ(Skipped("content:abc;").substr(0, 6), "error:");
}

TEST(Content, ModifiersAttachToTheirContent) {
  Rule r = ParseOne(
      "alert tcp any any -> any any (content:\"abc\"; nocase; offset:2; depth:5; "
      "content:\"de\"; distance:-1; within:4; content:\"12\"; sid:1;)");
  ASSERT_EQ(r.options.size(), 3u);
  const auto& a = std::get<Content>(r.options[0]);
  EXPECT_TRUE(a.nocase);
  EXPECT_FALSE(a.relative);
  EXPECT_EQ(a.offset, 2);
  EXPECT_EQ(a.depth, 5u);
  const auto& b = std::get<Content>(r.options[1]);
  EXPECT_FALSE(b.nocase);
  EXPECT_TRUE(b.relative);
  EXPECT_EQ(b.offset, -1);
  EXPECT_EQ(b.depth, 4u);
  const auto& f = std::get<Content>(r.options[2]);
  EXPECT_TRUE(f.nocase) << "an alpha-free fast-pattern part makes Snort 3 case-insensitive";
}

TEST(Content, SnortThreeRejections) {
  EXPECT_NE(Skipped("content:\"abcdef\"; depth:3;"), "") << "depth shorter than the pattern";
  EXPECT_NE(Skipped("content:\"abc\"; within:2;"), "");
  EXPECT_NE(Skipped("content:\"a\"; distance:5; offset:3;"), "");
  EXPECT_NE(Skipped("content:\"a\"; depth:3; distance:1;"), "");
  EXPECT_EQ(Skipped("content:\"a\"; distance:0; offset:3;"), "")
      << "offset after distance:0 is accepted (Snort keeps both in one field)";
  EXPECT_NE(Skipped("nocase; content:\"a\";"), "") << "modifier without content";
  EXPECT_NE(Skipped("content:\"a\"; pcre:\"/b/\"; nocase;"), "");
  EXPECT_NE(Skipped("content:\"a\"; http_uri; http_header;"), "") << "two buffers";
  EXPECT_NE(Skipped("content:\"abc\"; fast_pattern:3,1;"), "");
  EXPECT_NE(Skipped("content:\"abc\"; fast_pattern:1,3;"), "");
  EXPECT_NE(Skipped("content:\"abc\"; offset:70000;"), "");
  EXPECT_NE(Skipped("content:\"abc\"; offset:x;"), "") << "undefined byte_extract variable";
}

TEST(Content, OffsetTwiceFollowsSnortThree) {
  // parse_offset only objects when the content is already relative; offset:1 then offset:2
  // just overwrites.
  EXPECT_EQ(Convert("content:\"a\"; offset:1; offset:2;"), "content:\"a\",offset 2");
}

TEST(Content, FastPatternVariants) {
  EXPECT_EQ(Convert("content:\"Abc\"; fast_pattern:only;"), "content:\"Abc\",nocase,fast_pattern");
  EXPECT_EQ(Convert("content:\"Abcdef\"; fast_pattern:1,3;"),
            "content:\"Abcdef\",fast_pattern,fast_pattern_offset 1,fast_pattern_length 3");
  EXPECT_EQ(Convert("content:\"Abc\"; fast_pattern;"), "content:\"Abc\",fast_pattern");
}

TEST(StickyBuffers, ModifiersBecomeSelectors) {
  EXPECT_EQ(Convert("content:\"A\"; http_uri; content:\"B\";"),
            "http_uri; content:\"A\"; pkt_data; content:\"B\"");
  EXPECT_EQ(Convert("content:\"A\"; content:\"B\"; http_uri; content:\"C\"; http_uri; distance:0;"),
            "content:\"A\"; http_uri; content:\"B\"; content:\"C\",distance 0");
  EXPECT_EQ(Convert("file_data; content:\"A\"; content:\"B\"; http_header; content:\"C\";"),
            "file_data; content:\"A\"; http_header; content:\"B\"; pkt_data; content:\"C\"");
  EXPECT_EQ(Convert("uricontent:\"x\"; content:\"y\";"),
            "http_uri; content:\"x\"; pkt_data; content:\"y\"");
  EXPECT_EQ(Convert("content:\"R\"; rawbytes; content:\"S\";"),
            "raw_data; content:\"R\"; pkt_data; content:\"S\"");
  EXPECT_EQ(Convert("content:\"A\"; http_uri; pkt_data; content:\"B\";"),
            "http_uri; content:\"A\"; pkt_data; pkt_data; content:\"B\"")
      << "2.9 pkt_data leaves snort2lua's sticky buffer unchanged";
  EXPECT_EQ(Convert("content:\"M\"; http_method; content:\"C\"; http_cookie; content:\"S\"; "
                    "http_stat_code; content:\"T\"; http_stat_msg; content:\"H\"; http_raw_header; "
                    "content:\"U\"; http_raw_uri; content:\"K\"; http_raw_cookie; content:\"B\"; "
                    "http_client_body;"),
            "http_method; content:\"M\"; http_cookie; content:\"C\"; http_stat_code; "
            "content:\"S\"; http_stat_msg; content:\"T\"; http_raw_header; content:\"H\"; "
            "http_raw_uri; content:\"U\"; http_raw_cookie; content:\"K\"; http_client_body; "
            "content:\"B\"");
}

TEST(StickyBuffers, PcreFlags) {
  EXPECT_EQ(Convert("pcre:\"/a/U\";"), "http_uri; pcre:\"/a/\"");
  EXPECT_EQ(Convert("content:\"A\"; http_uri; pcre:\"/b/\";"),
            "http_uri; content:\"A\"; pkt_data; pcre:\"/b/\"");
  EXPECT_EQ(
      Convert("content:\"A\"; http_client_body; pcre:\"/b/P\"; content:\"C\"; http_client_body;"),
      "http_client_body; content:\"A\"; pcre:\"/b/\"; content:\"C\"")
      << "the P placeholder and the repeated http_client_body are folded away";
  EXPECT_EQ(Convert("pcre:\"/a/Hi\"; pcre:\"/b/D\"; pcre:\"/c/I\"; pcre:\"/d/M\"; pcre:\"/e/C\"; "
                    "pcre:\"/f/K\"; pcre:\"/g/S\"; pcre:\"/h/Y\"; pcre:\"/i/B\";"),
            "http_header; pcre:\"/a/i\"; http_raw_header; pcre:\"/b/\"; http_raw_uri; "
            "pcre:\"/c/\"; http_method; pcre:\"/d/\"; http_cookie; pcre:\"/e/\"; "
            "http_raw_cookie; pcre:\"/f/\"; http_stat_code; pcre:\"/g/\"; http_stat_msg; "
            "pcre:\"/h/\"; raw_data; pcre:\"/i/\"");
  EXPECT_EQ(Convert("file_data; pcre:\"/x/\";"), "file_data; pcre:\"/x/\"")
      << "after file_data the converter's sticky buffer is empty: no pkt_data";
  EXPECT_NE(Skipped("pcre:\"/a/UH\";"), "");
  EXPECT_EQ(Convert("pcre:\"/a/P\"; pcre:\"/b/H\"; metadata:service sip;"),
            "sip_body; pcre:\"/a/\"; sip_header; pcre:\"/b/\"")
      << "with service sip, P and H mean the SIP buffers";
}

TEST(StickyBuffers, UrilenAndIsdataat) {
  EXPECT_EQ(Convert("urilen:5<>10;"), "http_raw_uri; bufferlen:5<=>10");
  EXPECT_EQ(Convert("urilen:>5,norm;"), "http_uri; bufferlen:>5");
  EXPECT_EQ(Convert("urilen:7,raw;"), "http_raw_uri; bufferlen:7");
  EXPECT_EQ(Convert("content:\"a\"; http_uri; urilen:<9,norm; content:\"b\"; http_uri;"),
            "http_uri; content:\"a\"; bufferlen:<9; content:\"b\"");
  EXPECT_NE(Skipped("urilen:5,foo;"), "");
  EXPECT_EQ(Convert("content:\"a\"; isdataat:5,relative,rawbytes;"),
            "content:\"a\"; raw_data; isdataat:5,relative");
  EXPECT_EQ(Convert("isdataat:!10,relative;"), "isdataat:!10,relative");
  EXPECT_NE(Skipped("isdataat:-5;"), "");
  EXPECT_NE(Skipped("isdataat:70000;"), "");
}

TEST(Services, ImpliedByBuffers) {
  Rule r = ParseOne("alert tcp any any -> any 80 (content:\"a\"; http_uri; sid:1;)");
  EXPECT_TRUE(r.service_only);
  EXPECT_EQ(r.services, (std::vector<std::string>{"http2", "http"}));
  r = ParseOne("alert tcp any any -> any 80 (file_data; content:\"a\"; sid:1;)");
  EXPECT_TRUE(r.service_only);
  EXPECT_EQ(r.services.size(), 8u);
  EXPECT_NE(std::find(r.services.begin(), r.services.end(), "smtp"), r.services.end());
  r = ParseOne(
      "alert tcp any any -> any 80 (content:\"a\"; http_uri; metadata:service http; sid:1;)");
  EXPECT_TRUE(r.service_only);
  EXPECT_EQ(r.services, (std::vector<std::string>{"http"}));
  r = ParseOne("alert tcp any any -> any 80 (content:\"a\"; metadata:service ftp; sid:1;)");
  EXPECT_FALSE(r.service_only);
  r = ParseOne("alert tcp any any -> any 80 (content:\"a\"; rawbytes; sid:1;)");
  EXPECT_FALSE(r.service_only);
  EXPECT_TRUE(r.services.empty());
}

// ---------------------------------------------------------------------------------------------
// Other options
// ---------------------------------------------------------------------------------------------

TEST(Pcre, Parsing) {
  Rule r = ParseOne("alert tcp any any -> any any (pcre:!\"m#^a/b#smiR\"; sid:1;)");
  ASSERT_EQ(r.options.size(), 1u);
  const auto& p = std::get<Pcre>(r.options[0]);
  EXPECT_TRUE(p.negated);
  EXPECT_TRUE(p.relative);
  EXPECT_EQ(p.regex, "^a/b");
  EXPECT_FALSE(p.anchored);
  EXPECT_TRUE(
      std::get<Pcre>(ParseOne("alert tcp any any -> any any (pcre:\"/x/A\"; sid:1;)").options[0])
          .anchored);
  EXPECT_FALSE(
      std::get<Pcre>(ParseOne("alert tcp any any -> any any (pcre:\"/x/Am\"; sid:1;)").options[0])
          .anchored);
  EXPECT_EQ(Convert("pcre:\"/a;b\\;c/\";").substr(0, 8), "SKIPPED:")
      << "Snort reads pcre up to the first unescaped ';'";
  EXPECT_EQ(Convert("pcre:\"/a\\;b/\";"), "pcre:\"/a\\;b/\"");
  EXPECT_NE(Skipped("pcre:\"/(/\";"), "") << "does not compile";
  EXPECT_NE(Skipped("pcre:\"/a/Q\";"), "") << "unknown flag";
  EXPECT_NE(Skipped("pcre:\"//\";"), "") << "empty";
  EXPECT_NE(Skipped("pcre:/a/;"), "") << "unquoted";
}

TEST(ByteOptions, Parsing) {
  EXPECT_EQ(Convert("byte_test:4,>,0x7F,-16,relative,little;"),
            "byte_test:4,>,127,-16,relative,little");
  EXPECT_EQ(Convert("byte_test:1,!&,0xF8,2;"), "byte_test:1,!&,248,2");
  EXPECT_EQ(Convert("byte_test:8,>,2147483647,0,string,hex,relative;"),
            "byte_test:8,>,2147483647,0,relative,string,hex");
  EXPECT_EQ(Convert("byte_test:2,=,568,0,bitmask 0x3FF0;"), "byte_test:2,=,568,0,bitmask 16368");
  EXPECT_EQ(Convert("byte_jump:4,4,relative,align;"), "byte_jump:4,4,relative,align");
  EXPECT_EQ(Convert("byte_jump:4,-7,little,relative,from_beginning,post_offset -2,multiplier 2;"),
            "byte_jump:4,-7,relative,little,multiplier 2,from_beginning,post_offset -2");
  EXPECT_EQ(Convert("byte_extract:2,0,len,relative,little; content:\"x\"; within:len;"),
            "byte_extract:2,0,len,relative,little; content:\"x\",within var0");
  EXPECT_EQ(Convert("byte_extract:1,0,a; byte_extract:1,1,b; byte_test:1,=,a,b;"),
            "byte_extract:1,0,a; byte_extract:1,1,b; byte_test:1,=,var0,var1");
  EXPECT_NE(Skipped("byte_extract:1,0,a; byte_extract:1,1,b; byte_extract:1,2,c;"), "")
      << "Snort 3 allows two variables per rule";
  EXPECT_NE(Skipped("byte_test:4,>,x,0;"), "") << "undefined variable";
  EXPECT_NE(Skipped("byte_test:4,~,1,0;"), "");
  EXPECT_NE(Skipped("byte_test:11,>,1,0;"), "");
  EXPECT_NE(Skipped("byte_test:1,>,1,0,bitmask 0x1FF;"), "");
  EXPECT_NE(Skipped("byte_jump:5,0;"), "") << "binary jump of more than 4 bytes";
  EXPECT_NE(Skipped("byte_jump:1,0,from_beginning,from_end;"), "");
  EXPECT_NE(Skipped("byte_extract:1,-1,a;"), "") << "negative offset needs relative";
  EXPECT_NE(Skipped("byte_extract:1,0,1a;"), "");
  EXPECT_NE(Skipped("byte_extract:1,0,a,hex;"), "") << "hex without string";
  EXPECT_EQ(Skipped("byte_test:4,>,256,0,relative,dce;"), "unsupported option byte_test dce");
}

TEST(RangeOptions, Parsing) {
  EXPECT_EQ(Convert("dsize:300<>400;"), "dsize:300<=>400") << "snort2lua makes 2.9 <> inclusive";
  EXPECT_EQ(Convert("dsize:>32;"), "dsize:>32");
  EXPECT_EQ(Convert("itype:5<>10;"), "itype:5<>10") << "itype keeps <> (exclusive)";
  EXPECT_EQ(Convert("icode:>0; icmp_id:0x10; icmp_seq:0;"), "icode:>0; icmp_id:16; icmp_seq:0");
  EXPECT_EQ(Convert("ttl:3-5;"), "ttl:3<=>5");
  EXPECT_EQ(Convert("ttl:-5;"), "ttl:<=5");
  EXPECT_EQ(Convert("ttl:5-;"), "ttl:>=5");
  EXPECT_EQ(Convert("ttl:<3;"), "ttl:<3");
  EXPECT_EQ(Convert("id:31337; seq:0; ack:0; window:55808;"),
            "id:31337; seq:0; ack:0; window:55808");
  EXPECT_NE(Skipped("ttl:300;"), "");
  EXPECT_NE(Skipped("dsize:10<>5;"), "");
  EXPECT_NE(Skipped("itype:=;"), "");
  EXPECT_NE(Skipped("dsize:5=;"), "");
  EXPECT_NE(Skipped("ttl:1-2-3;"), "");
}

TEST(FlowOptions, Parsing) {
  EXPECT_EQ(Convert("flow:to_server, established;"), "flow:established,to_server");
  EXPECT_EQ(Convert("flow:from_server,established,only_stream;"),
            "flow:established,to_client,only_stream");
  EXPECT_EQ(Convert("flow:stateless;"), "flow:stateless");
  EXPECT_NE(Skipped("flow:to_server,to_client;"), "");
  EXPECT_NE(Skipped("flow:stateless,established;"), "");
  EXPECT_NE(Skipped("flow:no_stream,only_stream;"), "");
  EXPECT_NE(Skipped("flow:sideways;"), "");
  LoadReport rep;
  ParseOne("alert icmp any any -> any any (flow:established; sid:1;)", &rep);
  EXPECT_EQ(rep.skipped, 1u) << "Snort 3: Cannot check flow connection for ICMP traffic";
}

TEST(Flowbits, IdsAreSharedAcrossRules) {
  LoadReport rep;
  RuleSet set = ParseRules(
      "alert tcp any any -> any any (flowbits:set,a.b; flowbits:noalert; sid:1;)\n"
      "alert tcp any any -> any any (flowbits:isset,c&a.b; sid:2;)\n"
      "alert tcp any any -> any any (flowbits:isnotset,c|d; flowbits:toggle,d; sid:3;)\n"
      "alert tcp any any -> any any (flowbits:set,zz; flowbits:bogus,zz; sid:4;)\n",
      "f.rules", Variables(), ParseOptions(), &rep);
  ASSERT_EQ(set.rules.size(), 3u);
  EXPECT_EQ(set.flowbit_names, (std::vector<std::string>{"a.b", "c", "d"}))
      << "a skipped rule leaves no names behind";
  EXPECT_EQ(DescribeOptions(set.rules[1], &set), "flowbits:isset,c&a.b");
  EXPECT_EQ(DescribeOptions(set.rules[2], &set), "flowbits:isnotset,c|d; flowbits:toggle,d");
  const auto& f = std::get<Flowbits>(set.rules[2].options[0]);
  EXPECT_TRUE(f.any);
  EXPECT_NE(Skipped("flowbits:set,a|b;"), "");
  EXPECT_NE(Skipped("flowbits:noalert,x;"), "");
  EXPECT_NE(Skipped("flowbits:isset;"), "");
  EXPECT_EQ(Skipped("flowbits:set,a,group1;"), "unsupported option flowbits group");
}

TEST(HeaderOptions, Parsing) {
  EXPECT_EQ(Convert("flags:A+;"), "flags:A+");
  EXPECT_EQ(Convert("flags:S,12;"), "flags:S,EC");
  EXPECT_EQ(Convert("flags:!F;"), "flags:!F");
  EXPECT_EQ(Convert("flags:*SF;"), "flags:*FS");
  EXPECT_EQ(Convert("flags:0;"), "flags:0");
  EXPECT_NE(Skipped("flags:Z;"), "");
  EXPECT_EQ(Convert("fragbits:M+;"), "fragbits:M+");
  EXPECT_EQ(Convert("fragbits:!D;"), "fragbits:D!");
  EXPECT_NE(Skipped("fragbits:Q;"), "");
  EXPECT_EQ(Convert("ip_proto:2;"), "ip_proto:2");
  EXPECT_EQ(Convert("ip_proto:!igmp;"), "ip_proto:!2");
  EXPECT_EQ(Convert("ip_proto:>100;"), "ip_proto:>100");
  EXPECT_NE(Skipped("ip_proto:256;"), "");
  EXPECT_NE(Skipped("ip_proto:nosuchproto;"), "");
}

TEST(ServiceOptions, SslSipBase64) {
  EXPECT_EQ(Convert("ssl_version:sslv2,!tls1.2; ssl_state:client_hello,!server_keyx;"),
            "ssl_version:sslv2,!tls1.2; ssl_state:client_hello,!server_keyx");
  EXPECT_NE(Skipped("ssl_state:hello;"), "");
  EXPECT_NE(Skipped("ssl_version:tls1.3;"), "");
  EXPECT_EQ(Convert("sip_method:invite,cancel; sip_stat_code:4,180;"),
            "sip_method:INVITE,CANCEL; sip_stat_code:4,180");
  EXPECT_EQ(Convert("sip_method:!ack;"), "sip_method:!ACK");
  EXPECT_NE(Skipped("sip_method:invite,!ack;"), "") << "only one method with !";
  EXPECT_NE(Skipped("sip_stat_code:42;"), "") << "one digit or three";
  EXPECT_NE(Skipped("sip_stat_code:1000;"), "");
  EXPECT_EQ(Convert("content:\"a\"; http_uri; sip_header; content:\"b\";"),
            "http_uri; content:\"a\"; sip_header; pkt_data; content:\"b\"")
      << "2.9 sip_header leaves snort2lua's sticky buffer alone, so b goes back to pkt_data";
  EXPECT_EQ(Convert("sip_body; content:\"b\";"), "sip_body; content:\"b\"");
  EXPECT_EQ(Convert("base64_decode:bytes 150, offset 10, relative; base64_data; content:\"t=\";"),
            "base64_decode:bytes 150,offset 10,relative; base64_data; content:\"t=\"");
  EXPECT_EQ(Convert("base64_decode; base64_data;"), "base64_decode:offset 0; base64_data");
  EXPECT_NE(Skipped("base64_data; base64_decode;"), "") << "decode must come first";
  EXPECT_NE(Skipped("base64_decode:bytes 0;"), "");
  // Snort 3 guesses the service from sip_* / ssl_* options and sip buffers.
  Rule r = ParseOne("alert tcp any any -> any 443 (ssl_state:client_hello; sid:1;)");
  EXPECT_TRUE(r.service_only);
  EXPECT_EQ(r.services, (std::vector<std::string>{"ssl"}));
  r = ParseOne("alert udp any any -> any 5060 (sip_header; content:\"x\"; sid:1;)");
  EXPECT_TRUE(r.service_only);
  EXPECT_EQ(r.services, (std::vector<std::string>{"sip"}));
  r = ParseOne("alert udp any any -> any 5060 (sip_stat_code:4; metadata:service foo; sid:1;)");
  EXPECT_EQ(r.services, (std::vector<std::string>{"foo"}));
}

TEST(DetectionFilter, Parsing) {
  Rule r = ParseOne(
      "alert tcp any any -> any any (detection_filter:track by_dst,count 10,seconds 60; sid:1;)");
  ASSERT_TRUE(r.detection_filter);
  EXPECT_FALSE(r.detection_filter->track_by_src);
  EXPECT_EQ(r.detection_filter->count, 10u);
  EXPECT_EQ(r.detection_filter->seconds, 60u);
  EXPECT_TRUE(r.options.empty());
  EXPECT_NE(Skipped("detection_filter:track by_src, count 5;"), "");
  EXPECT_NE(Skipped("detection_filter:track by_me, count 5, seconds 1;"), "");
}

// ---------------------------------------------------------------------------------------------
// Loading: report, comments, continuations, duplicates
// ---------------------------------------------------------------------------------------------

TEST(Load, UnsupportedOptionWarningNamesSidAndOption) {
  LoadReport rep;
  RuleSet set = ParseRules(
      "alert tcp any any -> any any (msg:\"ok\"; content:\"a\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"dce\"; dce_iface:4b324fc8-1670-01d3-1278-5a47bf6ee188; "
      "sid:22;)\n"
      "alert tcp any any -> any any (msg:\"bad\"; content:\"a\"; depth:0; sid:33;)\n",
      "x.rules", Variables(), ParseOptions(), &rep);
  EXPECT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(rep.loaded, 1u);
  EXPECT_EQ(rep.skipped, 2u);
  EXPECT_EQ(rep.Summary(), "1 rules loaded, 2 skipped");
  ASSERT_EQ(rep.warnings.size(), 2u);
  EXPECT_EQ(rep.warnings[0], "x.rules:2: sid 22: unsupported option 'dce_iface'; rule skipped");
  EXPECT_EQ(rep.warnings[1].rfind("x.rules:3: sid 33: ", 0), 0u) << rep.warnings[1];
  EXPECT_EQ(rep.skipped_rules[0].sid, 22u);
  EXPECT_EQ(rep.skipped_rules[0].reason, "unsupported option dce_iface");
}

TEST(Load, CommentedRulesAndContinuations) {
  const std::string text =
      "# a comment about alert tcp things\n"
      "# alert tcp any any -> any any (msg:\"commented\"; sid:2;)\n"
      "#alert udp any any -> any 53 (msg:\"also\"; \\\n"
      "#   sid:3;)\n"
      "alert tcp any any -> any any (msg:\"split\"; \\\n"
      "    content:\"x\"; sid:4;)\n"
      "\n"
      "alert tcp any any -> any any (msg:\"last\"; sid:5;)";
  LoadReport rep;
  RuleSet set = ParseRules(text, "c.rules", Variables(), ParseOptions(), &rep);
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].sid, 4u);
  EXPECT_EQ(set.rules[0].line, 5u);
  EXPECT_EQ(set.rules[1].sid, 5u);
  ParseOptions all;
  all.uncomment_rules = true;
  LoadReport rep2;
  RuleSet set2 = ParseRules(text, "c.rules", Variables(), all, &rep2);
  EXPECT_EQ(set2.rules.size(), 3u) << "the continued commented rule's second line starts with '#'";
  EXPECT_EQ(set2.rules[0].sid, 2u);
}

TEST(Load, DuplicateSidKeepsHigherRevision) {
  LoadReport rep;
  RuleSet set = ParseRules(
      "alert tcp any any -> any any (msg:\"v2\"; sid:1; rev:2;)\n"
      "alert tcp any any -> any any (msg:\"v1\"; sid:1; rev:1;)\n"
      "alert tcp any any -> any any (msg:\"v3\"; sid:1; rev:3;)\n",
      "d.rules", Variables(), ParseOptions(), &rep);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].msg, "v3");
  EXPECT_EQ(rep.loaded, 1u);
}

TEST(Load, MissingFile) {
  LoadReport rep;
  auto r = LoadRules("/nonexistent/x.rules", Variables(), ParseOptions(), &rep);
  EXPECT_FALSE(r.ok());
}

// ---------------------------------------------------------------------------------------------
// community.rules
// ---------------------------------------------------------------------------------------------

TEST(CommunityRules, ActiveRulesAllLoad) {
  LoadReport rep;
  auto set = LoadRules(kCommunityRules, Variables(), ParseOptions(), &rep);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(rep.loaded, 840u);
  EXPECT_EQ(rep.skipped, 0u);
  for (const std::string& w : rep.warnings) ADD_FAILURE() << w;
  size_t tcp = 0, udp = 0, http = 0;
  for (const Rule& r : set->rules) {
    tcp += r.header.protocol == Protocol::kTcp;
    udp += r.header.protocol == Protocol::kUdp;
    http += std::any_of(r.options.begin(), r.options.end(), [](const Option& o) {
      const auto* b = std::get_if<BufferSelect>(&o);
      return b && (IsHttpBuffer(b->buffer) || b->buffer == Buffer::kFileData);
    });
  }
  EXPECT_EQ(tcp, 647u);
  EXPECT_EQ(udp, 193u);
  EXPECT_EQ(http, 513u) << "data/README: 513 of the 840 need HTTP buffers (file_data included)";
  auto det = Detector::Create(std::move(*set));
  EXPECT_TRUE(det.ok()) << det.status();
}

TEST(CommunityRules, EveryRuleUncommented) {
  LoadReport rep;
  ParseOptions opts;
  opts.uncomment_rules = true;
  auto set = LoadRules(kCommunityRules, Variables(), opts, &rep);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(rep.loaded + rep.skipped, 3444u);
  std::map<std::string, std::vector<uint32_t>> by_reason;
  for (const SkippedRule& s : rep.skipped_rules) by_reason[s.reason].push_back(s.sid);
  std::cout << "community.rules, every rule uncommented: " << rep.Summary() << "\n";
  for (const auto& [reason, sids] : by_reason) {
    std::cout << "  " << sids.size() << " x " << reason << ":";
    for (uint32_t sid : sids) std::cout << " " << sid;
    std::cout << "\n";
  }
  // Only features this port does not implement may cost rules; no syntax errors.
  const std::set<std::string> allowed = {"unsupported option asn1", "unsupported option dce_iface",
                                         "unsupported option ftpbounce"};
  for (const auto& [reason, sids] : by_reason) EXPECT_TRUE(allowed.count(reason)) << reason;
  EXPECT_EQ(rep.skipped, 26u);
  auto det = Detector::Create(std::move(*set));
  EXPECT_TRUE(det.ok()) << det.status();
}

// ---------------------------------------------------------------------------------------------
// Robustness: mutated rule text never crashes the parser or the evaluator
// ---------------------------------------------------------------------------------------------

TEST(Robustness, MutatedCommunityRules) {
  std::ifstream in(kCommunityRules);
  ASSERT_TRUE(in);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("alert", 0) == 0 || l.rfind("# alert", 0) == 0) lines.push_back(l);
  }
  ASSERT_GT(lines.size(), 3000u);
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const std::string alphabet = "\";:,|\\()[]!<>-0123456789 abcxyz$/";
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    std::string l = lines[next() % lines.size()];
    if (l[0] == '#') l = l.substr(2);
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits && !l.empty(); ++e) {
      size_t pos = next() % l.size();
      switch (next() % 3) {
        case 0:
          l.erase(pos, 1 + next() % 8);
          break;
        case 1:
          l.insert(pos, 1, alphabet[next() % alphabet.size()]);
          break;
        default:
          l[pos] = alphabet[next() % alphabet.size()];
          break;
      }
    }
    text += l + "\n";
  }
  LoadReport rep;
  RuleSet set = ParseRules(text, "fuzz.rules", Variables(), ParseOptions(), &rep);
  EXPECT_LE(rep.loaded + rep.skipped, 3000u);
  EXPECT_GT(rep.loaded, 300u) << "some mutated rules stay valid and are evaluated below";
  EXPECT_GT(rep.skipped, 100u) << "mutations break many rules";
  auto det = Detector::Create(std::move(set));
  ASSERT_TRUE(det.ok()) << det.status();
  // Evaluate every surviving rule on a few hostile packets.
  std::string junk(300, '\0');
  for (char& c : junk) c = static_cast<char>(next());
  const std::string http = "GET /index.php?a=1 HTTP/1.1\r\nHost: x\r\n\r\n";
  Buffers b;
  PacketFacts f;
  f.has_tcp = true;
  f.established = true;
  FlowBits bits;
  for (size_t r = 0; r < det->rules().rules.size(); ++r) {
    for (int k = 0; k < 3; ++k) {
      b.pkt_data = k == 0   ? std::string_view(junk)
                   : k == 1 ? std::string_view(http)
                            : std::string_view();
      b.raw_data = b.pkt_data;
      b.http_uri = b.http_raw_uri = b.http_header = b.file_data = b.http_client_body = b.pkt_data;
      EvalOptions o;
      o.fast_pattern_matched = false;
      (void)det->Evaluate(r, b, f, bits, o);
    }
  }
}

}  // namespace
}  // namespace snort

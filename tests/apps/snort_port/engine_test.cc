// SPDX-License-Identifier: Apache-2.0
// The multi-rule engine: the prefilter finds what verifying every rule finds (on hand-made
// rules and on the whole community.rules), flowbits set by one rule are seen by a later one on
// the same packet, a suppressed match (detection_filter) changes no flowbit, and service-only
// rules wait for their service.
#include "engine.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace snort {
namespace {

RuleSet Parse(const std::string& text, bool uncomment = false) {
  LoadReport rep;
  ParseOptions o;
  o.uncomment_rules = uncomment;
  return ParseRules(text, "t.rules", Variables(), o, &rep);
}

PacketHeader TcpTo80() {
  PacketHeader h;
  h.protocol = Protocol::kTcp;
  h.src = {10, 0, 0, 1};
  h.dst = {10, 0, 0, 2};
  h.src_port = 40000;
  h.dst_port = 80;
  return h;
}

PacketFacts Established(uint32_t dsize) {
  PacketFacts f;
  f.ip_proto = 6;
  f.has_tcp = true;
  f.tcp_flags = 0x18;
  f.dsize = dsize;
  f.direction = FlowDirection::kFromClient;
  f.established = true;
  return f;
}

TEST(EngineTest, PrefilterAndNaiveAgreeOnHandMadeRules) {
  const std::string text =
      "alert tcp any any -> any 80 (msg:\"a\"; content:\"evil\"; sid:1;)\n"
      "alert tcp any any -> any 80 (msg:\"b\"; content:\"EVIL\"; nocase; content:\"x\"; "
      "distance:0; sid:2;)\n"
      "alert tcp any any -> any 81 (msg:\"c\"; content:\"evil\"; sid:3;)\n"
      "alert tcp any any -> any any (msg:\"d\"; content:!\"good\"; sid:4;)\n"
      "alert tcp any any -> any any (msg:\"e\"; dsize:>3; sid:5;)\n";
  auto pre = Engine::Create(Parse(text), Engine::Mode::kPrefilter);
  auto naive = Engine::Create(Parse(text), Engine::Mode::kNaive);
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  ASSERT_TRUE(naive.ok());
  EXPECT_EQ(pre->always_evaluated(), 2u);  // the negated-only and the content-less rule
  for (const std::string payload : {"an evil x", "EviL", "good evil", "ok"}) {
    Buffers b;
    b.pkt_data = b.raw_data = payload;
    FlowBits f1, f2;
    const auto got = pre->Inspect(TcpTo80(), b, Established(uint32_t(payload.size())), "", &f1);
    EXPECT_EQ(got, naive->Inspect(TcpTo80(), b, Established(uint32_t(payload.size())), "", &f2))
        << payload;
    if (payload == std::string("an evil x")) {
      EXPECT_EQ(got, (std::vector<size_t>{0, 1, 3, 4}));  // not sid 3: port 81
    }
  }
  EXPECT_LT(pre->stats().candidates, naive->stats().candidates);
}

TEST(EngineTest, FlowbitsAndDetectionFilterSuppression) {
  const std::string text =
      "alert tcp any any -> any any (msg:\"set\"; content:\"login\"; flowbits:set,auth; "
      "flowbits:noalert; sid:10;)\n"
      "alert tcp any any -> any any (msg:\"use\"; flowbits:isset,auth; content:\"admin\"; "
      "sid:11;)\n";
  auto e = Engine::Create(Parse(text));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Buffers b;
  b.pkt_data = "login admin";
  FlowBits bits;
  // The first rule sets the bit silently; the second sees it on the same packet.
  EXPECT_EQ(e->Inspect(TcpTo80(), b, Established(11), "", &bits), (std::vector<size_t>{1}));
  // A suppressed match (detection_filter said no) sets no flowbit.
  FlowBits fresh;
  EXPECT_TRUE(e->Inspect(TcpTo80(), b, Established(11), "", &fresh, [](size_t rule) {
                 return rule != 0;
               }).empty());
}

TEST(EngineTest, ServiceOnlyRulesWaitForTheirService) {
  auto e =
      Engine::Create(Parse("alert tcp any any -> any any (msg:\"u\"; "
                           "content:\"/cgi-bin/\"; http_uri; sid:20;)\n"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->rules().rules.size(), 1u);
  ASSERT_TRUE(e->rules().rules[0].service_only);
  Buffers b;
  b.http_uri = "/cgi-bin/x";
  FlowBits bits;
  EXPECT_TRUE(e->Inspect(TcpTo80(), b, Established(0), "", &bits).empty());
  EXPECT_EQ(e->Inspect(TcpTo80(), b, Established(0), {"http", Section::kHeader}, &bits),
            (std::vector<size_t>{0}));
  // Its section is the header: an HTTP body PDU does not reach it, nor does another service.
  EXPECT_TRUE(e->Inspect(TcpTo80(), b, Established(0), {"http", Section::kBody}, &bits).empty());
  EXPECT_TRUE(e->Inspect(TcpTo80(), b, Established(0), {"ftp"}, &bits).empty());
}

TEST(EngineTest, ServicesAndSectionsFollowSnortsRuleGroups) {
  auto e = Engine::Create(Parse(
      // 0: a service rule on port 80: any port once the service is known, port 80 before.
      "alert tcp any any -> any 80 (msg:\"s\"; content:\"abc\"; metadata:service http; "
      "sid:30;)\n"
      // 1: no service: ports always count; pkt_data: raw packets and HTTP bodies only.
      "alert tcp any any -> any 80 (msg:\"p\"; content:\"abc\"; sid:31;)\n"
      // 2: lists dns only: never on an http flow.
      "alert tcp any any -> any any (msg:\"d\"; content:\"abc\"; metadata:service dns; "
      "sid:32;)\n"
      // 3: uri and client body: evaluated at the body.
      "alert tcp any any -> any any (msg:\"b\"; content:\"abc\"; http_uri; "
      "content:\"abc\"; http_client_body; sid:33;)\n"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Buffers b;
  b.pkt_data = b.raw_data = b.http_uri = b.http_client_body = "abc";
  FlowBits bits;
  PacketHeader to8080 = TcpTo80();
  to8080.dst_port = 8080;
  using V = std::vector<size_t>;
  EXPECT_EQ(e->Inspect(TcpTo80(), b, Established(3), {}, &bits), (V{0, 1, 2}));
  EXPECT_EQ(e->Inspect(to8080, b, Established(3), {}, &bits), (V{2}));
  EXPECT_EQ(e->Inspect(to8080, b, Established(3), {"http", Section::kBody}, &bits), (V{0, 3}));
  EXPECT_EQ(e->Inspect(TcpTo80(), b, Established(3), {"http", Section::kBody}, &bits),
            (V{0, 1, 3}));
  EXPECT_EQ(e->Inspect(TcpTo80(), b, Established(3), {"http", Section::kHeader}, &bits), (V{}));
  EXPECT_EQ(e->Inspect(to8080, b, Established(3), {"dns"}, &bits), (V{2}));
}

TEST(EngineTest, ContentDetectionOffLeavesOnlyRulesWithoutContents) {
  const std::string text =
      // A negated fast pattern (absolute, unbounded, nocase): in the pattern matcher.
      "alert icmp any any -> any any (msg:\"n\"; itype:8; content:!\"ABCD\"; nocase; sid:40;)\n"
      "alert icmp any any -> any any (msg:\"c\"; itype:8; sid:41;)\n"
      // A negated content that cannot be a fast pattern (depth): a non-content rule for Snort.
      "alert icmp any any -> any any (msg:\"d\"; itype:8; content:!\"ABCD\"; depth:4; sid:42;)\n";
  for (Engine::Mode mode : {Engine::Mode::kPrefilter, Engine::Mode::kNaive}) {
    auto e = Engine::Create(Parse(text), mode);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    PacketHeader h = TcpTo80();
    h.protocol = Protocol::kIcmp;
    PacketFacts f;
    f.ip_proto = 1;
    f.has_icmp = true;
    f.icmp_type = 8;
    Buffers empty;
    FlowBits bits;
    // An empty echo request: Snort searches no pattern matcher, so the rule whose fast pattern
    // is negated is not evaluated; the others are (and the negated content holds).
    f.content_enabled = false;
    EXPECT_EQ(e->Inspect(h, empty, f, {}, &bits), (std::vector<size_t>{1, 2}));
    f.content_enabled = true;
    EXPECT_EQ(e->Inspect(h, empty, f, {}, &bits), (std::vector<size_t>{0, 1, 2}));
  }
}

TEST(EngineTest, PrefilterAndNaiveAgreeOnCommunityRules) {
  LoadReport rep;
  ParseOptions o;
  o.uncomment_rules = true;
  auto set = LoadRules(S6_SNORT_COMMUNITY_RULES, Variables(), o, &rep);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto pre = Engine::Create(*set, Engine::Mode::kPrefilter);
  auto naive = Engine::Create(*std::move(set), Engine::Mode::kNaive);
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  ASSERT_TRUE(naive.ok());
  // Payloads made of words common in the rules' patterns, so many rules become candidates.
  std::mt19937 rng(5);
  const char* words[] = {"GET ",   "/cgi-bin/",       "cmd.exe", "User-Agent: ", "POST ",
                         "../",    "<script>",        "%00",     "select ",      "union ",
                         "\r\n",   "Host: ",          "|",       "eval(",        ".php?",
                         "passwd", "\x90\x90\x90\x90"};
  std::size_t alerts = 0;
  for (int k = 0; k < 200; ++k) {
    std::string p;
    for (int w = 0; w < 12; ++w) p += words[rng() % std::size(words)];
    Buffers b;
    b.pkt_data = b.raw_data = b.file_data = b.http_uri = b.http_raw_uri = b.http_header =
        b.http_raw_header = b.http_client_body = p;
    FlowBits f1, f2;
    const Where where{"http", k % 2 ? Section::kBody : Section::kHeader};
    const auto a = pre->Inspect(TcpTo80(), b, Established(uint32_t(p.size())), where, &f1);
    const auto c = naive->Inspect(TcpTo80(), b, Established(uint32_t(p.size())), where, &f2);
    ASSERT_EQ(a, c) << p;
    alerts += a.size();
  }
  EXPECT_GT(alerts, 0u);
  EXPECT_LT(pre->stats().candidates * 5, naive->stats().candidates);
}

}  // namespace
}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// Tests of per-rule evaluation (apps/snort_port/detect.h): for every option, hand-built buffers
// and packet facts that must and must not match, Snort 3's cursor and retry semantics, the
// fast-pattern choice, flowbits and header matching.
#include "detect.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <string>

#include "rules.h"

namespace snort {
namespace {

using namespace std::string_literals;

PacketFacts Tcp() {
  PacketFacts f;
  f.is_ip = true;
  f.ip_proto = 6;
  f.has_tcp = true;
  f.established = true;
  f.direction = FlowDirection::kFromClient;
  return f;
}

// Builds a Detector holding one rule written with `opts` (plus `sid:1;`).
class OneRule {
 public:
  explicit OneRule(const std::string& opts, const std::string& proto = "tcp") {
    LoadReport rep;
    RuleSet set = ParseRules("alert " + proto + " any any -> any any (" + opts + " sid:1;)",
                             "t.rules", Variables(), ParseOptions(), &rep);
    EXPECT_EQ(set.rules.size(), 1u) << opts << (rep.warnings.empty() ? "" : rep.warnings[0]);
    auto d = Detector::Create(std::move(set));
    EXPECT_TRUE(d.ok()) << d.status();
    if (d.ok()) det_.emplace(std::move(*d));
  }

  // Evaluates with every content checked (no prefilter assumed).
  MatchResult Eval(const Buffers& b, const PacketFacts& f = Tcp(), const FlowBits& bits = {},
                   bool fp_matched = false) const {
    if (!det_ || det_->rules().rules.empty()) return {};
    EvalOptions o;
    o.fast_pattern_matched = fp_matched;
    return det_->Evaluate(0, b, f, bits, o);
  }
  bool Matches(std::string_view pkt, const PacketFacts& f = Tcp()) const {
    Buffers b;
    b.pkt_data = pkt;
    b.raw_data = pkt;
    return Eval(b, f).matched;
  }
  const Detector& det() const { return *det_; }

 private:
  std::optional<Detector> det_;
};

bool M(const std::string& opts, std::string_view pkt) { return OneRule(opts).Matches(pkt); }

// ---------------------------------------------------------------------------------------------
// content
// ---------------------------------------------------------------------------------------------

TEST(Content, Basic) {
  EXPECT_TRUE(M("content:\"abc\";", "xxabcxx"));
  EXPECT_FALSE(M("content:\"abc\";", "xxabxcx"));
  EXPECT_FALSE(M("content:\"abc\";", "xxABCxx"));
  EXPECT_TRUE(M("content:\"abc\"; nocase;", "xxABCxx"));
  EXPECT_TRUE(M("content:\"|00 FF|\";", "a\x00\xff"s));
  EXPECT_FALSE(M("content:\"abc\";", ""));
  EXPECT_FALSE(M("content:\"abc\";", "ab"));
}

TEST(Content, Negated) {
  EXPECT_TRUE(M("content:!\"abc\";", "xxabxx"));
  EXPECT_FALSE(M("content:!\"abc\";", "xxabcx"));
  EXPECT_TRUE(M("content:!\"abc\";", "")) << "an empty buffer contains nothing";
  // A negated content does not move the cursor.
  EXPECT_TRUE(M("content:\"a\"; content:!\"zz\"; distance:0; content:\"b\"; within:1;", "ab"));
}

TEST(Content, OffsetDepth) {
  EXPECT_TRUE(M("content:\"abc\"; offset:2;", "xxabc"));
  EXPECT_FALSE(M("content:\"abc\"; offset:3;", "xxabc"));
  EXPECT_TRUE(M("content:\"abc\"; depth:5;", "xxabc"));
  EXPECT_FALSE(M("content:\"abc\"; depth:4;", "xxabc"));
  EXPECT_TRUE(M("content:\"abc\"; offset:1; depth:4;", "xxabc")) << "depth counts from the offset";
  EXPECT_FALSE(M("content:\"abc\"; offset:1; depth:3;", "xxabc"));
  EXPECT_FALSE(M("content:\"abc\"; offset:10;", "xxabc"));
}

TEST(Content, DistanceWithin) {
  const std::string o = "content:\"ab\"; content:\"cd\"; distance:2; within:4;";
  EXPECT_TRUE(M(o, "ab..cd"));
  EXPECT_TRUE(M(o, "abcd..cd")) << "first cd is too close; the later one is inside the window";
  EXPECT_FALSE(M(o, "abcd...cd"));
  EXPECT_FALSE(M(o, "abcd"));
  EXPECT_TRUE(M("content:\"ab\"; content:\"cd\"; distance:0;", "xabcd"));
  EXPECT_TRUE(M("content:\"ab\"; content:\"cd\"; distance:0;", "ab........cd"));
  EXPECT_FALSE(M("content:\"cd\"; content:\"ab\"; distance:0;", "abcd"));
  // Negative distance reaches back before the end of the previous match.
  EXPECT_TRUE(M("content:\"bcd\"; content:\"abc\"; distance:-4; within:3;", "abcd"));
  EXPECT_FALSE(M("content:\"bcd\"; content:\"abc\"; distance:-2; within:3;", "abcd"));
}

TEST(Content, NegativeDistanceBeforeBufferStartShrinksWithin) {
  // pos = 2 - 5 = -3 → 0, and the window shrinks by 3 (ips_content.cc).
  EXPECT_TRUE(M("content:\"ab\"; depth:2; content:\"a\"; distance:-5; within:4;", "abxx"));
  EXPECT_FALSE(M("content:\"ab\"; depth:2; content:\"x\"; distance:-5; within:4;", "abxx"));
}

TEST(Content, RetryFindsALaterOccurrence) {
  // The first "A" is followed by no "B" within 2; Snort retries "A" at its next occurrence.
  EXPECT_TRUE(M("content:\"A\"; content:\"B\"; distance:0; within:2;", "A....A.B"));
  EXPECT_FALSE(M("content:\"A\"; content:\"B\"; distance:0; within:2;", "A....A..B"));
  // Three levels: "B" is retried inside its window before "A" moves on.
  const std::string o =
      "content:\"A\"; content:\"B\"; distance:0; within:3; content:\"C\"; distance:0; within:1;";
  EXPECT_TRUE(M(o, "AxxBC"));
  EXPECT_TRUE(M(o, "ABxBC"));
  EXPECT_FALSE(M(o, "AxBxBC")) << "second B is outside A's window";
  EXPECT_TRUE(M(o, "AxBxBC...ABC"));
  // Overlapping occurrences: match_delta lets "aa" be found again one byte later.
  EXPECT_TRUE(M("content:\"aa\"; content:\"b\"; distance:0; within:1;", "aaab"));
}

TEST(Content, SnortPrunesRetriesBeforeAnUnboundedLookingChild) {
  // skip_on_retry: when a relative child content failed and has no literal depth/within, Snort
  // assumes retrying the parent cannot help. A within taken from a byte_extract variable leaves
  // the literal depth at 0, so the second "A" is never tried (a full backtracking search would
  // match at "AB").
  const std::string data =
      "\x02"
      "A..AB";
  EXPECT_FALSE(M("byte_extract:1,0,n; content:\"A\"; content:\"B\"; distance:0; within:n;", data));
  EXPECT_TRUE(M("byte_extract:1,0,n; content:\"A\"; content:\"B\"; distance:0; within:2;", data));
}

TEST(Content, NoRetryWhenTheNextOptionIsNotRelative) {
  // Snort loops only if the node's child is relative: here the child is an absolute
  // byte_test, so the grandchild "B" only ever sees the first "A".
  const std::string o = "content:\"A\"; byte_test:1,=,65,0; content:\"B\"; distance:0; within:1;";
  EXPECT_FALSE(M(o, "Ax..AB"));
  EXPECT_TRUE(M(o, "AB"));
}

TEST(Content, RetryStopsAtDepth) {
  // RetryContent: delta + size <= depth.
  const std::string o = "content:\"A\"; depth:3; content:\"B\"; distance:0; within:1;";
  EXPECT_TRUE(M(o, "xAAB"));
  EXPECT_FALSE(M(o, "xAxAB")) << "the second A ends beyond depth 3";
}

TEST(Content, ByteExtractVariablesAsOffsetAndDepth) {
  // A length byte, then the pattern must start within that many bytes.
  const std::string o = "byte_extract:1,0,len; content:\"XY\"; offset:len;";
  EXPECT_TRUE(M(o, "\x03..XY"s));
  EXPECT_FALSE(M(o, "\x04..XY"s));
  const std::string w = "byte_extract:1,0,len,relative; content:\"XY\"; within:len; distance:0;";
  EXPECT_TRUE(M(w, "\x04..XY"s));
  EXPECT_FALSE(M(w, "\x02..XY"s));
}

// ---------------------------------------------------------------------------------------------
// buffers
// ---------------------------------------------------------------------------------------------

TEST(Buffers, HttpSelectorsAndAbsentBuffers) {
  OneRule r("content:\"GET\"; http_method; content:\"/admin\"; http_uri; content:\"secret\";");
  Buffers b;
  b.pkt_data = "body with secret";
  b.http_method = "GET";
  b.http_uri = "/admin/x";
  EXPECT_TRUE(r.Eval(b).matched);
  b.http_uri = "/user";
  EXPECT_FALSE(r.Eval(b).matched);
  b.http_uri = "";
  EXPECT_FALSE(r.Eval(b).matched) << "absent http_uri fails the selector";
  b.http_uri = "/admin";
  b.pkt_data = "";
  EXPECT_FALSE(r.Eval(b).matched);
  OneRule neg("content:\"GET\"; http_method; content:!\"x\"; http_cookie;");
  Buffers c;
  c.http_method = "GET";
  EXPECT_FALSE(neg.Eval(c).matched) << "even a negated content needs its buffer";
  c.http_cookie = "a=b";
  EXPECT_TRUE(neg.Eval(c).matched);
}

TEST(Buffers, RelativeAcrossSelectorsRestartsAtZero) {
  // Converted to: http_uri; content:"a"; http_header; content:"b"; http_uri; content:"c",distance 0
  OneRule r(
      "content:\"a\"; http_uri; content:\"b\"; http_header; content:\"c\"; http_uri; distance:0;");
  Buffers b;
  b.http_uri = "c..a";
  b.http_header = "b";
  EXPECT_TRUE(r.Eval(b).matched) << "the second http_uri selector resets the cursor";
}

TEST(Buffers, FileDataAndRaw) {
  OneRule r("file_data; content:\"MZ\"; depth:2;");
  Buffers b;
  b.pkt_data = "MZ";
  EXPECT_FALSE(r.Eval(b).matched);
  b.file_data = "MZ\x90";
  EXPECT_TRUE(r.Eval(b).matched);
  OneRule raw("content:\"x\"; rawbytes;");
  Buffers c;
  c.pkt_data = "x";
  c.raw_data = "y";
  EXPECT_FALSE(raw.Eval(c).matched);
  c.raw_data = "yx";
  EXPECT_TRUE(raw.Eval(c).matched);
}

TEST(Buffers, UrilenRawAndNormalized) {
  OneRule raw("urilen:5<>7;");
  OneRule norm("urilen:>4,norm;");
  Buffers b;
  b.http_raw_uri = "/%41bcd";  // 7
  b.http_uri = "/Abcd";        // 5
  EXPECT_TRUE(raw.Eval(b).matched) << "inclusive after snort2lua";
  EXPECT_TRUE(norm.Eval(b).matched);
  b.http_raw_uri = "/%41bcde";
  EXPECT_FALSE(raw.Eval(b).matched);
  b.http_uri = "/Abc";
  EXPECT_FALSE(norm.Eval(b).matched);
  OneRule rel("content:\"ab\"; bufferlen:3,relative;");
  EXPECT_TRUE(rel.Matches("xabxyz"));
  EXPECT_FALSE(rel.Matches("xabxy"));
}

// ---------------------------------------------------------------------------------------------
// pcre
// ---------------------------------------------------------------------------------------------

TEST(Pcre, FlagsAndNegation) {
  EXPECT_TRUE(M("pcre:\"/ab+c/\";", "xabbbc"));
  EXPECT_FALSE(M("pcre:\"/ab+c/\";", "xABBC"));
  EXPECT_TRUE(M("pcre:\"/ab+c/i\";", "xABBC"));
  EXPECT_FALSE(M("pcre:\"/a.c/\";", "a\nc"));
  EXPECT_TRUE(M("pcre:\"/a.c/s\";", "a\nc"));
  EXPECT_FALSE(M("pcre:\"/^c/\";", "ab\ncd"));
  EXPECT_TRUE(M("pcre:\"/^c/m\";", "ab\ncd"));
  EXPECT_TRUE(M("pcre:!\"/zz/\";", "abc"));
  EXPECT_FALSE(M("pcre:!\"/b/\";", "abc"));
  EXPECT_TRUE(M("pcre:\"/a b/x\";", "ab"));
  EXPECT_FALSE(M("pcre:\"/x/\";", ""));
}

TEST(Pcre, RelativeAnchorsAtTheCursor) {
  EXPECT_TRUE(M("content:\"USER\"; pcre:\"/^\\s+root/R\";", "USER  root"));
  EXPECT_FALSE(M("content:\"USER\"; pcre:\"/^\\s+root/R\";", "USER x root"));
  EXPECT_TRUE(M("content:\"USER\"; pcre:\"/^\\s+root/\";", "  root USER"))
      << "without R, ^ is the start of the buffer";
  EXPECT_TRUE(M("pcre:\"/^USER/\"; content:\"x\"; distance:0; within:1;", "USERx"));
}

TEST(Pcre, MovesTheCursorAndIsRetried) {
  // The first /a\d/ match is followed by no "Z"; Snort retries the pcre from its last end.
  EXPECT_TRUE(M("pcre:\"/a\\d/\"; content:\"Z\"; distance:0; within:1;", "a1.a2Z"));
  EXPECT_FALSE(M("pcre:\"/a\\d/\"; content:\"Z\"; distance:0; within:1;", "a1.a2.Z"));
  // Anchored (A flag) and negated pcres are not retried.
  EXPECT_FALSE(M("pcre:\"/a\\d/A\"; content:\"Z\"; distance:0; within:1;", "a1.a2Z"));
}

TEST(Pcre, BufferFlags) {
  OneRule u("pcre:\"/\\.php$/U\";");
  Buffers b;
  b.pkt_data = "GET /x.php HTTP/1.1";
  EXPECT_FALSE(u.Eval(b).matched);
  b.http_uri = "/x.php";
  EXPECT_TRUE(u.Eval(b).matched);
  OneRule h("pcre:\"/^Host: evil/smiH\";");
  Buffers c;
  c.http_header = "Accept: */*\r\nhost: EVIL.com\r\n";
  EXPECT_TRUE(h.Eval(c).matched);
}

TEST(Pcre, MatchLimitCountsAsNoMatch) {
  // Catastrophic backtracking: Snort's match limit (1500) stops it; the result is "no match".
  std::string data(40, 'a');
  EXPECT_FALSE(M("pcre:\"/(a+)+b/\";", data));
  EXPECT_TRUE(M("pcre:!\"/(a+)+b/\";", data)) << "a limit hit is a non-match, so ! matches";
  EXPECT_FALSE(M("pcre:\"/(a+)+b/O\";", std::string(12, 'a'))) << "O lifts the limit";
  EXPECT_TRUE(M("pcre:\"/(a+)+b/O\";", std::string(12, 'a') + "b"));
}

// ---------------------------------------------------------------------------------------------
// byte_test / byte_jump / byte_extract / isdataat
// ---------------------------------------------------------------------------------------------

TEST(ByteTest, BinaryEndianAndOperators) {
  const std::string d = "\x01\x02\x03\x04"s;
  EXPECT_TRUE(M("byte_test:4,=,0x01020304,0;", d));
  EXPECT_TRUE(M("byte_test:4,=,0x04030201,0,little;", d));
  EXPECT_TRUE(M("byte_test:2,>,0x0202,1;", d));
  EXPECT_FALSE(M("byte_test:2,>,0x0203,1;", d));
  EXPECT_TRUE(M("byte_test:2,>=,0x0203,1;", d));
  EXPECT_TRUE(M("byte_test:1,<,5,3;", d));
  EXPECT_TRUE(M("byte_test:1,<=,4,3;", d));
  EXPECT_TRUE(M("byte_test:1,&,4,3;", d));
  EXPECT_FALSE(M("byte_test:1,&,3,3;", d));
  EXPECT_TRUE(M("byte_test:1,!&,3,3;", d));
  EXPECT_TRUE(M("byte_test:1,^,5,3;", d));
  EXPECT_TRUE(M("byte_test:1,!,5,3;", d)) << "'!' alone means not equal";
  EXPECT_TRUE(M("byte_test:3,=,0x020304,1;", d));
  EXPECT_FALSE(M("byte_test:2,=,0x0304,3;", d)) << "reads past the end";
  EXPECT_FALSE(M("byte_test:1,=,1,-1;", d)) << "before the start";
  EXPECT_FALSE(M("byte_test:5,>,0,0;", "\x01\x02\x03\x04\x05"s)) << "binary reads are 1..4 bytes";
}

TEST(ByteTest, StringsBitmaskRelativeVariables) {
  EXPECT_TRUE(M("byte_test:5,>,256,0,string,dec;", "  300x"));
  EXPECT_FALSE(M("byte_test:5,>,256,0,string,dec;", "  200x"));
  EXPECT_TRUE(M("byte_test:4,=,255,0,string,hex;", "0xff"));
  EXPECT_TRUE(M("byte_test:3,=,8,0,string,oct;", "010"));
  EXPECT_TRUE(M("byte_test:3,=,10,0,string,oct,dec;", "010")) << "last base wins";
  EXPECT_FALSE(M("byte_test:3,=,1,0,string;", "-1"));
  EXPECT_FALSE(M("byte_test:3,=,1,0,string;", "abc"));
  EXPECT_TRUE(M("byte_test:4,=,12,0,string;", "12ab")) << "stops at the first non-digit";
  EXPECT_TRUE(M("byte_test:5,=,12,3,string;", "xyz12")) << "string reads may be short";
  EXPECT_TRUE(M("byte_test:2,=,0x23,0,bitmask 0x3FF0;", "\x02\x3F"s))
      << "(0x023F & 0x3FF0) >> 4 = 0x23";
  EXPECT_TRUE(M("content:\"AB\"; byte_test:1,=,7,1,relative;", "xAB.\x07"s));
  EXPECT_FALSE(M("content:\"AB\"; byte_test:1,=,7,1,relative;", "xAB\x07"s));
  EXPECT_TRUE(M("byte_extract:1,0,v; byte_test:1,=,v,1;", "\x09\x09"s));
  EXPECT_FALSE(M("byte_extract:1,0,v; byte_test:1,=,v,1;", "\x09\x08"s));
  EXPECT_TRUE(M("byte_extract:1,0,off; byte_test:1,=,0x41,off;", "\x02.A"s));
}

TEST(ByteJump, MovesTheCursor) {
  // length 2 → skip 2 bytes after the length field → "OK".
  const std::string o = "byte_jump:1,0; content:\"OK\"; within:2;";
  EXPECT_TRUE(M(o, "\x02..OK"s));
  EXPECT_FALSE(M(o, "\x01..OK"s));
  EXPECT_TRUE(M("byte_jump:1,0,multiplier 2; content:\"OK\"; within:2;", "\x02....OK"s));
  EXPECT_TRUE(M("byte_jump:1,0,align; content:\"OK\"; within:2;", "\x01....OK"s))
      << "1 rounds up to 4";
  EXPECT_TRUE(M("byte_jump:1,0,post_offset 1; content:\"OK\"; within:2;", "\x01..OK"s));
  EXPECT_TRUE(M("byte_jump:1,0,post_offset -1; content:\"OK\"; within:2;", "\x03..OK"s));
  EXPECT_TRUE(M("byte_jump:1,3,from_beginning; content:\"OK\"; within:2;", "xx.\x04OK"s))
      << "from_beginning jumps from offset 0";
  EXPECT_FALSE(M("byte_jump:1,3,from_beginning; content:\"OK\"; within:2;", "xx.\x02OK"s));
  EXPECT_TRUE(M("byte_jump:0,0,from_end,post_offset -2; content:\"OK\"; within:2;", "OK..OK"));
  EXPECT_FALSE(M("byte_jump:1,0; content:\"OK\"; within:2;", "\x09OK"s)) << "past the end";
  EXPECT_TRUE(M("byte_jump:1,0; isdataat:!1,relative;", "\x02.."s)) << "may land on the end";
  EXPECT_TRUE(M("content:\"L\"; byte_jump:2,0,relative,little; content:\"E\"; within:1;",
                "L\x03\x00...E"s));
  EXPECT_TRUE(M("byte_jump:2,0,string,dec; content:\"Z\"; within:1;", "12............Z"));
}

TEST(ByteExtract, AlignMultiplierAndCursor) {
  EXPECT_TRUE(M("byte_extract:1,0,n,align 4; byte_test:1,=,n,1;", "\x05\x08"s));
  EXPECT_TRUE(M("byte_extract:1,0,n,multiplier 3; byte_test:1,=,n,1;", "\x05\x0f"s));
  EXPECT_TRUE(M("byte_extract:2,1,n; content:\"Q\"; within:1; distance:0;", "..\x01Q"s))
      << "the cursor follows the extracted bytes";
  EXPECT_FALSE(M("byte_extract:2,1,n; content:\"Q\"; within:1; distance:0;", "..\x01xQ"s));
  EXPECT_FALSE(M("byte_extract:4,0,n;", "\x01\x02"s));
  EXPECT_TRUE(M("byte_extract:3,0,n,string,dec; byte_test:1,=,n,3;", "100d"));
}

TEST(IsDataAt, AbsoluteRelativeNegated) {
  EXPECT_TRUE(M("isdataat:3;", "abcd"));
  EXPECT_FALSE(M("isdataat:4;", "abcd"));
  EXPECT_TRUE(M("content:\"ab\"; isdataat:1,relative;", "abcd"));
  EXPECT_FALSE(M("content:\"ab\"; isdataat:2,relative;", "abcd"));
  EXPECT_TRUE(M("content:\"cd\"; isdataat:!1,relative;", "abcd"));
  EXPECT_TRUE(M("content:\"bc\"; isdataat:!1,relative;", "abcd"))
      << "isdataat:1 looks at the byte one past the cursor, which is beyond the end";
  EXPECT_FALSE(M("content:\"ab\"; isdataat:!1,relative;", "abcd"));
  EXPECT_FALSE(M("isdataat:0;", ""));
  EXPECT_TRUE(M("isdataat:!0;", ""));
  EXPECT_TRUE(M("byte_extract:1,0,n; isdataat:n;", "\x02xx"s));
  EXPECT_FALSE(M("byte_extract:1,0,n; isdataat:n;", "\x03xx"s));
}

// ---------------------------------------------------------------------------------------------
// header and flow options
// ---------------------------------------------------------------------------------------------

TEST(HeaderOptions, DsizeTtlIpidIpProto) {
  PacketFacts f = Tcp();
  f.dsize = 8;
  EXPECT_TRUE(OneRule("dsize:8;").Matches("", f));
  EXPECT_FALSE(OneRule("dsize:>8;").Matches("", f));
  EXPECT_TRUE(OneRule("dsize:5<>8;").Matches("", f)) << "inclusive after conversion";
  f.rebuilt_stream = true;
  f.pdu_start = false;
  EXPECT_FALSE(OneRule("dsize:8;").Matches("", f)) << "rebuilt packets that do not start a PDU";
  f = Tcp();
  f.ttl = 1;
  EXPECT_TRUE(OneRule("ttl:<2;").Matches("", f));
  EXPECT_FALSE(OneRule("ttl:2-5;").Matches("", f));
  f.ttl = 5;
  EXPECT_TRUE(OneRule("ttl:2-5;").Matches("", f));
  f.is_ip = false;
  EXPECT_FALSE(OneRule("ttl:5;").Matches("", f));
  f = Tcp();
  f.ip_id = 31337;
  EXPECT_TRUE(OneRule("id:31337;").Matches("", f));
  EXPECT_FALSE(OneRule("id:31338;").Matches("", f));
  f.ip_proto = 2;
  EXPECT_TRUE(OneRule("ip_proto:2;", "ip").Matches("", f));
  EXPECT_TRUE(OneRule("ip_proto:!6;", "ip").Matches("", f));
  EXPECT_FALSE(OneRule("ip_proto:>2;", "ip").Matches("", f));
  EXPECT_TRUE(OneRule("ip_proto:<3;", "ip").Matches("", f));
}

TEST(HeaderOptions, Icmp) {
  PacketFacts f;
  f.ip_proto = 1;
  f.has_icmp = true;
  f.icmp_type = 8;
  f.icmp_code = 0;
  f.icmp_id = 666;
  f.icmp_seq = 0;
  EXPECT_TRUE(OneRule("itype:8; icode:0;", "icmp").Matches("", f));
  EXPECT_FALSE(OneRule("itype:0;", "icmp").Matches("", f));
  EXPECT_TRUE(OneRule("itype:5<>10;", "icmp").Matches("", f));
  EXPECT_FALSE(OneRule("itype:8<>10;", "icmp").Matches("", f)) << "<> is exclusive for itype";
  EXPECT_FALSE(OneRule("icode:>0;", "icmp").Matches("", f));
  EXPECT_TRUE(OneRule("icmp_id:666; icmp_seq:0;", "icmp").Matches("", f));
  f.icmp_type = 3;
  EXPECT_FALSE(OneRule("icmp_id:666;", "icmp").Matches("", f)) << "only echo messages carry ids";
  f.icmp_type = 129;
  EXPECT_TRUE(OneRule("icmp_id:666;", "icmp").Matches("", f)) << "ICMPv6 echo reply";
  EXPECT_FALSE(OneRule("itype:8;", "icmp").Matches("", Tcp()));
}

TEST(HeaderOptions, TcpFlagsSeqAckWindow) {
  PacketFacts f = Tcp();
  f.tcp_flags = 0x12;  // SYN ACK
  EXPECT_FALSE(OneRule("flags:S;").Matches("", f));
  EXPECT_TRUE(OneRule("flags:SA;").Matches("", f));
  EXPECT_TRUE(OneRule("flags:S+;").Matches("", f));
  EXPECT_TRUE(OneRule("flags:*SF;").Matches("", f));
  EXPECT_FALSE(OneRule("flags:!A;").Matches("", f));
  EXPECT_TRUE(OneRule("flags:!F;").Matches("", f));
  f.tcp_flags = 0xC2;  // SYN + ECE + CWR
  EXPECT_FALSE(OneRule("flags:S;").Matches("", f));
  EXPECT_TRUE(OneRule("flags:S,12;").Matches("", f)) << "the mask ignores the reserved bits";
  f.tcp_flags = 0;
  EXPECT_TRUE(OneRule("flags:0;").Matches("", f));
  f.tcp_seq = 0;
  f.tcp_ack = 7;
  f.tcp_window = 55808;
  EXPECT_TRUE(OneRule("seq:0; ack:7; window:55808;").Matches("", f));
  EXPECT_FALSE(OneRule("ack:0;").Matches("", f));
  PacketFacts u;
  u.ip_proto = 17;
  EXPECT_FALSE(OneRule("flags:0;").Matches("", u)) << "no TCP header";
}

TEST(HeaderOptions, FragBits) {
  PacketFacts f = Tcp();
  f.frag_bits = 0x2000;  // MF
  EXPECT_TRUE(OneRule("fragbits:M;").Matches("", f));
  EXPECT_FALSE(OneRule("fragbits:D;").Matches("", f));
  EXPECT_TRUE(OneRule("fragbits:MD*;").Matches("", f));
  EXPECT_TRUE(OneRule("fragbits:!D;").Matches("", f));
  EXPECT_FALSE(OneRule("fragbits:!M;").Matches("", f));
  f.frag_bits = 0x6000;
  EXPECT_FALSE(OneRule("fragbits:M;").Matches("", f));
  EXPECT_TRUE(OneRule("fragbits:M+;").Matches("", f));
}

TEST(Flow, DirectionAndState) {
  PacketFacts f = Tcp();
  EXPECT_TRUE(OneRule("flow:to_server,established;").Matches("", f));
  EXPECT_FALSE(OneRule("flow:to_client,established;").Matches("", f));
  EXPECT_TRUE(OneRule("flow:from_client;").Matches("", f));
  f.direction = FlowDirection::kUnknown;
  EXPECT_TRUE(OneRule("flow:to_client;").Matches("", f)) << "an unknown direction passes";
  f.established = false;
  EXPECT_FALSE(OneRule("flow:to_client,established;").Matches("", f));
  EXPECT_TRUE(OneRule("flow:not_established;").Matches("", f));
  EXPECT_TRUE(OneRule("flow:stateless;").Matches("", f));
  f = Tcp();
  f.rebuilt_stream = true;
  EXPECT_FALSE(OneRule("flow:established,no_stream;").Matches("", f));
  EXPECT_FALSE(OneRule("flow:established,only_stream;").Matches("", f));
  f.paf_payload = true;
  EXPECT_TRUE(OneRule("flow:established,only_stream;").Matches("", f));
}

// ---------------------------------------------------------------------------------------------
// service options: ssl, sip, base64
// ---------------------------------------------------------------------------------------------

TEST(ServiceOptions, SslStateAndVersion) {
  PacketFacts f = Tcp();
  EXPECT_FALSE(OneRule("ssl_state:client_hello;").Matches("", f)) << "no SSL data";
  f.has_ssl = true;
  f.ssl_flags = ssl_flags::kCurClientHello | ssl_flags::kVerTls12;
  EXPECT_TRUE(OneRule("ssl_state:client_hello;").Matches("", f));
  EXPECT_FALSE(OneRule("ssl_state:server_hello;").Matches("", f));
  EXPECT_TRUE(OneRule("ssl_state:server_hello,client_hello;").Matches("", f));
  EXPECT_TRUE(OneRule("ssl_state:!server_hello;").Matches("", f));
  EXPECT_FALSE(OneRule("ssl_state:!client_hello;").Matches("", f));
  EXPECT_TRUE(OneRule("ssl_version:tls1.2;").Matches("", f));
  EXPECT_FALSE(OneRule("ssl_version:sslv2;").Matches("", f));
  EXPECT_TRUE(OneRule("ssl_version:!sslv2;").Matches("", f));
}

TEST(ServiceOptions, Sip) {
  PacketFacts f;
  f.ip_proto = 17;
  f.dsize = 100;
  f.has_sip = true;
  f.sip_method = "invite";
  OneRule inv("sip_method:INVITE,cancel;", "udp");
  OneRule not_ack("sip_method:!ack;", "udp");
  OneRule code("sip_stat_code:4,180;", "udp");
  EXPECT_TRUE(inv.Matches("", f));
  EXPECT_TRUE(not_ack.Matches("", f));
  EXPECT_FALSE(code.Matches("", f)) << "a request has no status";
  f.sip_method = "ACK";
  EXPECT_FALSE(inv.Matches("", f));
  EXPECT_FALSE(not_ack.Matches("", f));
  f.sip_method = "";
  f.sip_status_code = 404;
  EXPECT_FALSE(inv.Matches("", f)) << "responses never match sip_method";
  EXPECT_TRUE(code.Matches("", f)) << "404 is in class 4";
  f.sip_status_code = 180;
  EXPECT_TRUE(code.Matches("", f));
  f.sip_status_code = 200;
  EXPECT_FALSE(code.Matches("", f));
  f.sip_status_code = 180;
  f.dsize = 0;
  EXPECT_FALSE(code.Matches("", f));
  f.dsize = 10;
  f.has_sip = false;
  EXPECT_FALSE(code.Matches("", f));
  OneRule hdr("sip_header; content:\"() {\";", "udp");
  Buffers b;
  b.pkt_data = "() {";
  EXPECT_FALSE(hdr.Eval(b).matched);
  b.sip_header = "User-Agent: () { :; }";
  EXPECT_TRUE(hdr.Eval(b).matched);
}

TEST(ServiceOptions, Base64) {
  // "clk=1&bid=2" in base64 after a marker.
  const std::string data = "GET http://Y2xrPTEmYmlkPTI= HTTP";
  EXPECT_TRUE(
      M("content:\"GET http://\"; base64_decode:relative; base64_data; content:\"clk=\"; "
        "content:\"&bid=2\"; distance:0;",
        data));
  EXPECT_FALSE(
      M("content:\"GET http://\"; base64_decode:relative; base64_data; content:\"zzz\";", data));
  EXPECT_FALSE(M("base64_decode:bytes 4; base64_data; content:\"bid\";", "Y2xrPTEmYmlkPTI="))
      << "only the first 4 base64 characters are decoded";
  EXPECT_TRUE(M("base64_decode:bytes 4; base64_data; content:\"clk\";", "Y2xrPTEmYmlkPTI="));
  EXPECT_TRUE(M("base64_decode:offset 4; base64_data; content:\"=1&\";", "Y2xrPTEmYmlkPTI="));
  // Folded header lines are joined; decoding stops at the end of the header.
  EXPECT_TRUE(
      M("base64_decode; base64_data; content:\"clk=1&bid=2\";", "Y2xrPTEm\r\n YmlkPTI=\r\nX: y"));
  EXPECT_FALSE(M("base64_decode; base64_data; content:\"bid\";", "Y2xrPTEm\r\nYmlkPTI="));
  EXPECT_FALSE(M("base64_decode; base64_data; content:\"a\";", "=AAA")) << "bad padding";
  EXPECT_FALSE(M("base64_decode:offset 40; base64_data;", "Y2xr")) << "offset beyond the data";
  EXPECT_FALSE(M("base64_decode; base64_data;", "!!!!")) << "nothing decoded: base64_data fails";
}

// ---------------------------------------------------------------------------------------------
// flowbits
// ---------------------------------------------------------------------------------------------

TEST(Flowbits, ChecksSettersAndNoalert) {
  LoadReport rep;
  RuleSet set = ParseRules(
      "alert tcp any any -> any any (content:\"login\"; flowbits:set,auth; flowbits:noalert; "
      "sid:1;)\n"
      "alert tcp any any -> any any (flowbits:isset,auth; content:\"cmd\"; flowbits:unset,auth; "
      "sid:2;)\n"
      "alert tcp any any -> any any (flowbits:isnotset,auth; content:\"cmd\"; sid:3;)\n"
      "alert tcp any any -> any any (flowbits:isset,auth|other; sid:4;)\n"
      "alert tcp any any -> any any (flowbits:isset,auth&other; sid:5;)\n"
      "alert tcp any any -> any any (flowbits:toggle,other; sid:6;)\n",
      "fb.rules", Variables(), ParseOptions(), &rep);
  ASSERT_EQ(set.rules.size(), 6u);
  ASSERT_EQ(set.flowbit_names, (std::vector<std::string>{"auth", "other"}));
  enum { kLogin, kCmd, kNotAuth, kAny, kAll, kToggle };
  auto det = Detector::Create(std::move(set));
  ASSERT_TRUE(det.ok());
  FlowBits bits;
  Buffers b;
  PacketFacts f = Tcp();
  b.pkt_data = "cmd";
  EXPECT_FALSE(det->Evaluate(kCmd, b, f, bits).matched);
  EXPECT_TRUE(det->Evaluate(kNotAuth, b, f, bits).matched);
  EXPECT_FALSE(det->Evaluate(kAny, b, f, bits).matched);

  b.pkt_data = "login";
  MatchResult r = det->Evaluate(kLogin, b, f, bits);
  EXPECT_TRUE(r.matched);
  EXPECT_TRUE(r.noalert);
  ASSERT_EQ(r.flowbit_ops.size(), 1u);
  EXPECT_EQ(r.flowbit_ops[0].op, Flowbits::Op::kSet);
  ApplyFlowbitOps(r.flowbit_ops, &bits);
  EXPECT_TRUE(bits.Test(0));

  b.pkt_data = "cmd";
  EXPECT_FALSE(det->Evaluate(kNotAuth, b, f, bits).matched);
  EXPECT_TRUE(det->Evaluate(kAny, b, f, bits).matched);
  EXPECT_FALSE(det->Evaluate(kAll, b, f, bits).matched) << "needs both bits";
  ApplyFlowbitOps(det->Evaluate(kToggle, b, f, bits).flowbit_ops, &bits);
  EXPECT_TRUE(bits.Test(1));
  EXPECT_TRUE(det->Evaluate(kAll, b, f, bits).matched);
  ApplyFlowbitOps(det->Evaluate(kToggle, b, f, bits).flowbit_ops, &bits);
  EXPECT_FALSE(bits.Test(1)) << "toggled back";

  MatchResult u = det->Evaluate(kCmd, b, f, bits);
  EXPECT_TRUE(u.matched);
  EXPECT_FALSE(u.noalert);
  ASSERT_EQ(u.flowbit_ops.size(), 1u);
  EXPECT_EQ(u.flowbit_ops[0].op, Flowbits::Op::kUnset);
  ApplyFlowbitOps(u.flowbit_ops, &bits);
  EXPECT_FALSE(bits.Test(0));

  // Without a flow every flowbits option fails.
  bits.Set(0);
  f.has_flow = false;
  EXPECT_FALSE(det->Evaluate(kCmd, b, f, bits).matched);
  // Setters are not reported when the rule fails.
  f = Tcp();
  b.pkt_data = "nothing";
  MatchResult n = det->Evaluate(kLogin, b, f, bits);
  EXPECT_FALSE(n.matched);
  EXPECT_TRUE(n.flowbit_ops.empty());
}

TEST(Flowbits, BitSetGrowsAndIgnoresUnknownIds) {
  FlowBits bits;
  EXPECT_FALSE(bits.Test(500));
  bits.Set(500);
  EXPECT_TRUE(bits.Test(500));
  EXPECT_FALSE(bits.Test(499));
  bits.Clear(700);
  bits.Toggle(3);
  EXPECT_TRUE(bits.Test(3));
}

// ---------------------------------------------------------------------------------------------
// fast pattern
// ---------------------------------------------------------------------------------------------

std::optional<FastPatternInfo> Fp(const std::string& opts) {
  LoadReport rep;
  RuleSet set = ParseRules("alert tcp any any -> any any (" + opts + " sid:1;)", "t", Variables(),
                           ParseOptions(), &rep);
  EXPECT_EQ(set.rules.size(), 1u) << opts;
  return set.rules.empty() ? std::nullopt : FastPattern(set.rules[0]);
}

TEST(FastPattern, Selection) {
  auto fp = Fp("content:\"short\"; content:\"longer one\"; content:\"tie-ten-ch\";");
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->pattern, "longer one") << "longest, first on ties";
  fp = Fp("content:\"longer one\"; content:\"x\"; fast_pattern;");
  EXPECT_EQ(fp->pattern, "x") << "explicit fast_pattern wins";
  fp = Fp("content:\"a1\"; fast_pattern; content:\"b2\"; fast_pattern;");
  EXPECT_EQ(fp->pattern, "a1") << "first explicit one";
  fp = Fp("content:\"uri-part\"; http_uri; content:\"hdr\"; http_header;");
  EXPECT_EQ(fp->pattern, "uri-part");
  EXPECT_EQ(fp->buffer, Buffer::kHttpUri);
  fp = Fp("content:!\"negated-long\"; nocase; content:\"pos\";");
  EXPECT_EQ(fp->pattern, "pos") << "non-negated preferred";
  fp = Fp("content:!\"neg\"; nocase;");
  ASSERT_TRUE(fp);
  EXPECT_TRUE(fp->negated);
  EXPECT_FALSE(Fp("content:!\"neg\";")) << "negated case-sensitive is ineligible";
  EXPECT_FALSE(Fp("content:!\"neg\"; nocase; offset:1;"));
  EXPECT_FALSE(Fp("content:\"ck\"; http_raw_cookie;")) << "http_raw_cookie cannot feed the matcher";
  EXPECT_FALSE(Fp("pcre:\"/x/\"; byte_test:1,=,1,0;"));
  EXPECT_FALSE(Fp("base64_decode; base64_data; content:\"decoded\";")) << "a CAT_SET_OTHER buffer";
  EXPECT_EQ(Fp("sip_body; content:\"sdp\";")->buffer, Buffer::kSipBody);
  fp = Fp("content:\"abcdefgh\"; fast_pattern:2,3;");
  EXPECT_EQ(fp->pattern, "cde");
  fp = Fp("content:\"|00 01 02|\";");
  EXPECT_TRUE(fp->nocase) << "no letters: case-insensitive";
}

TEST(FastPattern, OnlyFlag) {
  EXPECT_TRUE(Fp("content:\"abc\"; fast_pattern:only;")->only);
  EXPECT_FALSE(Fp("content:\"abc\";")->only) << "case-sensitive contents are re-evaluated";
  EXPECT_TRUE(Fp("content:\"abc\"; nocase;")->only);
  EXPECT_FALSE(Fp("content:\"abc\"; nocase; depth:5;")->only);
  EXPECT_FALSE(Fp("content:\"abc\"; nocase; content:\"d\"; distance:0;")->only)
      << "the next option is relative";
  EXPECT_TRUE(Fp("content:\"abc\"; nocase; pcre:\"/d/\";")->only);
  EXPECT_FALSE(Fp("content:\"abcdef\"; nocase; fast_pattern:1,2;")->only);
  EXPECT_TRUE(Fp("content:\"abcdef\"; nocase; fast_pattern:0,6;")->only);
}

TEST(FastPattern, OnlyContentIsSkippedWhenThePrefilterVouchesForIt) {
  // Snort removes the fast-pattern-only "XYZ" from the tree, so the relative "B" (after an
  // absolute byte_test) starts at the beginning of the buffer.
  OneRule r(
      "content:\"XYZ\"; fast_pattern:only; byte_test:1,=,66,0; content:\"B\"; distance:0; "
      "within:1;");
  ASSERT_TRUE(r.det().fast_pattern(0));
  EXPECT_TRUE(r.det().fast_pattern(0)->only);
  Buffers b;
  b.pkt_data = "B..XYZ";
  EXPECT_TRUE(r.Eval(b, Tcp(), {}, /*fp_matched=*/true).matched);
  EXPECT_TRUE(r.Eval(b, Tcp(), {}, /*fp_matched=*/false).matched)
      << "without a prefilter it is only checked for presence";
  b.pkt_data = "B..XY";
  EXPECT_FALSE(r.Eval(b, Tcp(), {}, false).matched);
}

// ---------------------------------------------------------------------------------------------
// header matching, robustness
// ---------------------------------------------------------------------------------------------

std::array<uint8_t, 16> A4(const char* s) {
  std::array<uint8_t, 16> a{};
  inet_pton(AF_INET, s, a.data());
  return a;
}

TEST(HeaderMatches, ProtocolsAddressesPortsDirection) {
  Variables v;
  v.Set("HOME_NET", "10.0.0.0/8");
  LoadReport rep;
  RuleSet set = ParseRules(
      "alert tcp !$HOME_NET any -> $HOME_NET 80 (sid:1;)\n"
      "alert udp any any <> 10.0.0.1 53 (sid:2;)\n"
      "alert ip any any -> any any (sid:3;)\n"
      "alert icmp any any -> 10.0.0.0/8 any (sid:4;)\n",
      "h", v, ParseOptions(), &rep);
  ASSERT_EQ(set.rules.size(), 4u);
  PacketHeader p;
  p.protocol = Protocol::kTcp;
  p.src = A4("8.8.8.8");
  p.dst = A4("10.1.1.1");
  p.src_port = 40000;
  p.dst_port = 80;
  EXPECT_TRUE(HeaderMatches(set.rules[0].header, p));
  p.dst_port = 81;
  EXPECT_FALSE(HeaderMatches(set.rules[0].header, p));
  p.dst_port = 80;
  p.src = A4("10.2.2.2");
  EXPECT_FALSE(HeaderMatches(set.rules[0].header, p));
  EXPECT_TRUE(HeaderMatches(set.rules[2].header, p)) << "ip rules take every packet";
  EXPECT_FALSE(HeaderMatches(set.rules[1].header, p)) << "udp rule, tcp packet";
  PacketHeader q;
  q.protocol = Protocol::kUdp;
  q.src = A4("10.0.0.1");
  q.src_port = 53;
  q.dst = A4("192.0.2.1");
  q.dst_port = 3333;
  EXPECT_TRUE(HeaderMatches(set.rules[1].header, q)) << "<> matches the reply direction";
  q.src_port = 54;
  EXPECT_FALSE(HeaderMatches(set.rules[1].header, q));
  PacketHeader i;
  i.protocol = Protocol::kIcmp;
  i.dst = A4("10.9.9.9");
  i.src_port = 1;  // ignored for icmp
  EXPECT_TRUE(HeaderMatches(set.rules[3].header, i));
}

TEST(Robustness, RetryBudgetBoundsPathologicalRules) {
  // Nested bounded relative contents over a long run of 'a': combinatorial retries.
  std::string opts = "content:\"a\";";
  for (int i = 0; i < 8; ++i) opts += " content:\"a\"; distance:0; within:50;";
  opts += " content:\"b\"; distance:0; within:1;";
  OneRule r(opts);
  Buffers b;
  std::string data(3000, 'a');
  b.pkt_data = data;
  MatchResult res = r.Eval(b);
  EXPECT_FALSE(res.matched);
  EXPECT_TRUE(res.budget_exhausted);
  data.back() = 'b';
  b.pkt_data = data;
  EvalOptions o;
  o.fast_pattern_matched = false;
  o.max_steps = 100;
  EXPECT_TRUE(r.det().Evaluate(0, b, Tcp(), {}, o).budget_exhausted);
}

TEST(Robustness, HostileOffsetsStayInBounds) {
  // Extracted values of 0xFFFFFFFF used as offsets, jumps that wrap, reads at the edges.
  const std::string data = "\xff\xff\xff\xff\x7f"s;
  const std::pair<const char*, bool> cases[] = {
      {"byte_jump:4,0; content:\"x\"; distance:-65535;", false},
      // 4 + 0xFFFFFFFF wraps to 3 in Snort's unsigned arithmetic: a valid cursor.
      {"byte_jump:4,0,little;", true},
      {"byte_extract:4,0,n; content:\"x\"; offset:n;", false},
      {"byte_extract:4,0,n; isdataat:n;", false},
      {"byte_extract:4,0,n; byte_test:1,=,1,n;", false},
      {"byte_extract:4,0,n; byte_jump:1,n;", false},
      {"content:\"|ff|\"; byte_jump:4,-1,relative,from_end,post_offset -65535;", false},
      {"content:\"|7f|\"; content:\"x\"; distance:65535;", false},
      {"byte_test:10,>,1,0,string;", false},
      {"pcre:\"/\\xff+/R\"; pcre:\"/^\\x7f$/R\";", true},
      // bufferlen is relative, so the content is retried until 1 byte remains.
      {"content:\"|ff|\"; bufferlen:<2,relative;", true},
  };
  for (const auto& [opts, expected] : cases) {
    OneRule r(opts);
    EXPECT_EQ(r.Matches(data), expected) << opts;
    EXPECT_FALSE(r.Matches("")) << opts;
  }
}

}  // namespace
}  // namespace snort

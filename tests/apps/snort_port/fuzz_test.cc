// SPDX-License-Identifier: Apache-2.0
// Fuzz smoke tests of the Snort port's pure components: mutated community.rules text through
// the parser (and the rules that survive through the engine), random address/port lists and
// -S variables, random packets through the engine built from every community rule (prefilter
// and naive modes must agree), random HTTP/1.x byte streams through HttpSession, and random TCP
// segment sequences through the reassembler. Hostile input must never crash them, and the
// invariants their headers document must hold on whatever they produce.
// This is a smoke, not a fuzzing campaign: fixed seeds (std::mt19937) and fixed iteration counts
// keep it deterministic and under a few seconds in a Debug build, so it can run with the suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "detect.h"
#include "engine.h"
#include "http.h"
#include "rules.h"
#include "stream.h"

namespace snort {
namespace {

using Rng = std::mt19937;
using namespace std::string_literals;

// rng() % n keeps the sequences identical across standard libraries (distributions are not).
size_t Pick(Rng& rng, size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); }
bool Chance(Rng& rng, unsigned percent) { return rng() % 100 < percent; }
template <typename T, size_t N>
const T& OneOf(Rng& rng, const T (&items)[N]) {
  return items[Pick(rng, N)];
}

// Random bytes, biased toward NUL and 0xff.
std::string RandomBytes(Rng& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) {
    const uint32_t r = rng();
    c = static_cast<char>((r & 3) == 0 ? 0x00 : (r & 3) == 1 ? 0xff : (r >> 8) & 0xff);
  }
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool StartsWithActionWord(std::string_view t) {
  for (std::string_view a : {"alert", "log", "pass", "drop", "reject", "sdrop"}) {
    if (t.size() > a.size() && t.substr(0, a.size()) == a &&
        (t[a.size()] == ' ' || t[a.size()] == '\t'))
      return true;
  }
  return false;
}

// Every rule of community.rules, commented ones uncommented as ParseOptions::uncomment_rules
// does (leading '#' and blanks removed; a rule ends with ')').
std::vector<std::string> CommunityRuleLines() {
  std::vector<std::string> out;
  std::istringstream in(ReadFile(S6_SNORT_COMMUNITY_RULES));
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    const size_t i = l.find_first_not_of("# \t");
    if (i == std::string::npos) continue;
    const std::string_view t = std::string_view(l).substr(i);
    if (StartsWithActionWord(t) && t.back() == ')' && t.find('(') != std::string_view::npos) {
      out.emplace_back(t);
    }
  }
  return out;
}

// Documented RuleSet invariants (rules.h): flowbit ids index flowbit_names, byte_extract
// variables are < kMaxByteVars, every *_var is kNoVar or a valid variable.
void CheckRuleSetInvariants(const RuleSet& set) {
  auto var_ok = [](int8_t v) { return v == kNoVar || (v >= 0 && v < kMaxByteVars); };
  for (const Rule& r : set.rules) {
    for (const Option& o : r.options) {
      if (const auto* f = std::get_if<Flowbits>(&o)) {
        for (uint16_t id : f->ids) ASSERT_LT(id, set.flowbit_names.size()) << r.sid;
      } else if (const auto* c = std::get_if<Content>(&o)) {
        ASSERT_TRUE(var_ok(c->offset_var) && var_ok(c->depth_var)) << r.sid;
      } else if (const auto* e = std::get_if<ByteExtract>(&o)) {
        ASSERT_TRUE(e->var >= 0 && e->var < kMaxByteVars) << r.sid;
        ASSERT_TRUE(var_ok(e->data.offset_var)) << r.sid;
      } else if (const auto* t = std::get_if<ByteTest>(&o)) {
        ASSERT_TRUE(var_ok(t->data.offset_var) && var_ok(t->value_var)) << r.sid;
      } else if (const auto* j = std::get_if<ByteJump>(&o)) {
        ASSERT_TRUE(var_ok(j->data.offset_var) && var_ok(j->post_offset_var)) << r.sid;
      } else if (const auto* d = std::get_if<IsDataAt>(&o)) {
        ASSERT_TRUE(var_ok(d->offset_var)) << r.sid;
      }
    }
  }
}

size_t CountWarnings(const LoadReport& rep, std::string_view what) {
  return static_cast<size_t>(
      std::count_if(rep.warnings.begin(), rep.warnings.end(),
                    [&](const std::string& w) { return w.find(what) != std::string::npos; }));
}

// ---------------------------------------------------------------------------------------------
// Rule text mutations
// ---------------------------------------------------------------------------------------------

size_t RandomPosOf(Rng& rng, const std::string& s, char c) {
  std::vector<size_t> at;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == c) at.push_back(i);
  }
  return at.empty() ? std::string::npos : at[Pick(rng, at.size())];
}

constexpr const char* kHugeNumbers[] = {"99999999999", "4294967295",
                                        "4294967296",  "2147483648",
                                        "-2147483649", "18446744073709551616",
                                        "-1",          "0",
                                        "65535",       "65536",
                                        "0x7fffffff",  "1e9",
                                        "-0",          "000000000000000000001"};
constexpr const char* kEmptyOptions[] = {
    "content:;",
    "content:\"\";",
    "content:||;",
    "content:!;",
    "content:\"|\";",
    "pcre:;",
    "pcre:\"\";",
    "pcre:\"//\";",
    "pcre:\"/(/\";",
    "byte_test:;",
    "byte_test:4,,,;",
    "byte_jump:;",
    "byte_extract:;",
    "byte_extract:1,0,a; byte_extract:1,0,b; byte_extract:1,0,c;",
    "byte_test:4,>,a,0; ",
    "depth:;",
    "offset:;",
    "distance:;",
    "within:;",
    "isdataat:;",
    "isdataat:!99999999999,relative;",
    "flowbits:;",
    "flowbits:set,;",
    "flowbits:isset,a|b&c;",
    "flowbits:toggle,x; flowbits:noalert;",
    "flow:;",
    "flow:established,stateless,to_server;",
    "dsize:;",
    "dsize:<>;",
    "dsize:5<>;",
    "urilen:;",
    "urilen:<>9999999999;",
    "sid:;",
    "rev:;",
    "gid:;",
    "msg:;",
    "metadata:;",
    "metadata:service;",
    "metadata:service ,;",
    "reference:;",
    "classtype:;",
    "classtype:nonexistent;",
    "priority:;",
    "fast_pattern:;",
    "fast_pattern:99999,99999;",
    "fast_pattern:only;",
    "detection_filter:;",
    "detection_filter:track by_dst,count 0,seconds 99999999999;",
    "base64_decode:;",
    "base64_decode:bytes 0,offset 99999999999;",
    "base64_data;",
    "http_uri;",
    "nocase;",
    "rawbytes;",
    "ssl_state:;",
    "ssl_state:!,;",
    "ssl_version:;",
    "sip_method:;",
    "sip_stat_code:;",
    "flags:;",
    "flags:+*!;",
    "fragbits:;",
    "ip_proto:;",
    "ip_proto:!999;",
    "itype:;",
    "icode:<>;",
    "ttl:;",
    "ttl:-;",
    "ttl:5-;",
    "pkt_data;",
    "file_data;",
    ";",
    ";;",
    ":;",
    "\"\";"};
constexpr const char* kUnterminated[] = {"content:\"abc|41 4",
                                         "content:\"abc",
                                         "content:\"|",
                                         "content:\"|zz|\";",
                                         "pcre:\"/a(b",
                                         "pcre:\"/abc/Q\";",
                                         "msg:\"x",
                                         "content:\"\\",
                                         "content:\"a\\\";",
                                         "content:|41|;",
                                         "byte_test:1,=,1,0,string,oct,dec,hex;",
                                         "pcre:\"abc\";",
                                         "content:\"|4142"};
constexpr const char* kWeirdValues[] = {"",
                                        " ",
                                        "!",
                                        "<>",
                                        "-",
                                        ",",
                                        "relative",
                                        "1,2,3,4,5,6,7,8,9,10",
                                        "99999999999",
                                        "-99999999999",
                                        "0x",
                                        "\"",
                                        "|",
                                        "$X",
                                        "!\"\"",
                                        "<>5",
                                        "5<>",
                                        ">",
                                        "1-",
                                        "\\",
                                        "\"a\",nocase,nocase",
                                        "\xff\xfe",
                                        "\"x\"\"y\""};

std::string Mutate(Rng& rng, std::string l, const std::vector<std::string>& pool) {
  constexpr std::string_view kSpecials = ";\"|()";
  switch (rng() % 10) {
    case 0:  // bit flip
      if (!l.empty()) l[Pick(rng, l.size())] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 1:  // truncation
      l.resize(Pick(rng, l.size() + 1));
      break;
    case 2:
    case 3: {  // delete or duplicate a ; " | ( or )
      const size_t pos = RandomPosOf(rng, l, kSpecials[Pick(rng, kSpecials.size())]);
      if (pos == std::string::npos) break;
      if (rng() % 2) {
        l.erase(pos, 1);
      } else {
        l.insert(pos, 1, l[pos]);
      }
      break;
    }
    case 4: {  // random bytes (NUL and 0xff included)
      const size_t pos = Pick(rng, l.size() + 1);
      l.insert(pos, RandomBytes(rng, 1 + Pick(rng, 4)));
      break;
    }
    case 5: {  // splice two rules
      const std::string& other = pool[Pick(rng, pool.size())];
      l.resize(Pick(rng, l.size() + 1));
      l += other.substr(Pick(rng, other.size() + 1));
      break;
    }
    case 6: {  // a huge (or odd) number in place of a number of the options
      const size_t open = l.find('(');
      std::vector<size_t> starts;
      for (size_t i = open == std::string::npos ? 0 : open; i < l.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(l[i])) &&
            (i == 0 || !std::isdigit(static_cast<unsigned char>(l[i - 1]))))
          starts.push_back(i);
      }
      if (starts.empty()) break;
      const size_t s = starts[Pick(rng, starts.size())];
      size_t e = s;
      while (e < l.size() && std::isdigit(static_cast<unsigned char>(l[e]))) ++e;
      l.replace(s, e - s, OneOf(rng, kHugeNumbers));
      break;
    }
    case 7:    // an empty or odd option after some ';' (or the '(')
    case 8: {  // an unterminated quote / hex string
      size_t pos = RandomPosOf(rng, l, Chance(rng, 80) ? ';' : '(');
      pos = pos == std::string::npos ? Pick(rng, l.size() + 1) : pos + 1;
      l.insert(pos, std::string(" ") +
                        (rng() % 2 ? OneOf(rng, kEmptyOptions) : OneOf(rng, kUnterminated)));
      break;
    }
    default: {  // an option's value replaced
      const size_t colon = RandomPosOf(rng, l, ':');
      if (colon == std::string::npos) break;
      const size_t semi = l.find(';', colon);
      l.replace(colon + 1, semi == std::string::npos ? std::string::npos : semi - colon - 1,
                OneOf(rng, kWeirdValues));
      break;
    }
  }
  return l;
}

// ---------------------------------------------------------------------------------------------
// Random packets
// ---------------------------------------------------------------------------------------------

// The content patterns of `set`, all and per rule (rules with at least one).
struct ContentPool {
  std::vector<std::string> all;
  std::vector<std::vector<std::string>> by_rule;
};

ContentPool CollectContents(const RuleSet& set) {
  ContentPool pool;
  for (const Rule& r : set.rules) {
    std::vector<std::string> mine;
    for (const Option& o : r.options) {
      if (const auto* c = std::get_if<Content>(&o); c && !c->pattern.empty()) {
        mine.push_back(c->pattern);
        pool.all.push_back(c->pattern);
      }
    }
    if (!mine.empty()) pool.by_rule.push_back(std::move(mine));
  }
  if (pool.all.empty()) pool.all.push_back("GET ");
  if (pool.by_rule.empty()) pool.by_rule.push_back({"GET "});
  return pool;
}

constexpr const char* kWords[] = {
    "GET ",    "POST ",  "HTTP/1.1\r\n", "\r\n\r\n",   "Host: ",   "../",          "%00",
    "%2e%2e/", "12345",  "<script>",     "/cgi-bin/",  ".php?",    "cmd.exe",      "|",
    "\\",      "USER ",  "PASS ",        "MAIL FROM:", "RCPT TO:", "\x90\x90\x90", "AAAAAAAAAA",
    "=?utf",   "base64,"};

// Random bytes mixed with real rule contents, so that prefilter candidates get verified.
std::string Payload(Rng& rng, const ContentPool& pool, size_t max_len) {
  std::string p;
  const size_t pieces = Pick(rng, 10);
  for (size_t k = 0; k < pieces && p.size() < max_len; ++k) {
    switch (rng() % 6) {
      case 0:
        p += RandomBytes(rng, Pick(rng, 80));
        break;
      case 1:
      case 2: {
        std::string c = pool.all[Pick(rng, pool.all.size())];
        if (Chance(rng, 20)) {  // case-flipped (nocase contents)
          for (char& ch : c) {
            if (std::isalpha(static_cast<unsigned char>(ch)) && rng() % 2) ch ^= 0x20;
          }
        }
        if (Chance(rng, 10)) c.resize(Pick(rng, c.size() + 1));
        p += c;
        break;
      }
      case 3: {  // every content of one rule, in order, with a little filler between
        for (const std::string& c : pool.by_rule[Pick(rng, pool.by_rule.size())]) {
          p += c;
          if (Chance(rng, 30)) p += RandomBytes(rng, Pick(rng, 6));
        }
        break;
      }
      default:
        p += OneOf(rng, kWords);
        break;
    }
  }
  if (p.size() > max_len) p.resize(max_len);
  return p;
}

// One random packet; Buffers point into the strings of this object (do not copy or move it).
struct FuzzPacket {
  PacketHeader header;
  PacketFacts facts;
  std::string pkt, raw, sip_method;
  std::array<std::string, 13> extra;  // file_data, http_*, sip_*
  Buffers buffers;
  Where where;
};

constexpr uint16_t kPorts[] = {80, 53, 21, 25, 443, 8080, 139, 445, 110, 143, 1433, 3306, 0, 65535};
constexpr const char* kServices[] = {"", "http", "dns", "ftp", "smtp"};

void MakePacket(Rng& rng, const ContentPool& pool, FuzzPacket* p) {
  PacketHeader& h = p->header;
  h = PacketHeader{};
  h.protocol = static_cast<Protocol>(Pick(rng, 4));
  h.v6 = Chance(rng, 10);
  for (size_t i = 0; i < (h.v6 ? 16u : 4u); ++i) {
    h.src[i] = static_cast<uint8_t>(rng());
    h.dst[i] = static_cast<uint8_t>(rng());
  }
  auto port = [&rng]() -> uint16_t {
    return Chance(rng, 60) ? OneOf(rng, kPorts) : static_cast<uint16_t>(rng());
  };
  h.src_port = port();
  h.dst_port = port();

  p->pkt = Payload(rng, pool, 1500);
  p->raw = Chance(rng, 70) ? p->pkt : Payload(rng, pool, 1500);

  PacketFacts& f = p->facts;
  f = PacketFacts{};
  f.is_ip = !Chance(rng, 5);
  static constexpr uint8_t kProtoByHeader[] = {47, 6, 17, 1};
  f.ip_proto = Chance(rng, 90) ? kProtoByHeader[static_cast<size_t>(h.protocol)]
                               : static_cast<uint8_t>(rng());
  f.ttl = static_cast<uint8_t>(rng());
  f.ip_id = static_cast<uint16_t>(rng());
  f.frag_bits = static_cast<uint16_t>(rng());
  f.has_tcp = h.protocol == Protocol::kTcp || Chance(rng, 5);
  f.tcp_flags = static_cast<uint8_t>(rng());
  f.tcp_seq = rng();
  f.tcp_ack = rng();
  f.tcp_window = static_cast<uint16_t>(rng());
  f.has_icmp = h.protocol == Protocol::kIcmp || Chance(rng, 5);
  static constexpr uint8_t kIcmpTypes[] = {0, 3, 5, 8, 11, 13, 255};
  f.icmp_type = Chance(rng, 70) ? OneOf(rng, kIcmpTypes) : static_cast<uint8_t>(rng());
  f.icmp_code = static_cast<uint8_t>(rng() % 20);
  f.icmp_id = static_cast<uint16_t>(rng());
  f.icmp_seq = static_cast<uint16_t>(rng());
  f.dsize = Chance(rng, 80) ? static_cast<uint32_t>(p->pkt.size()) : rng() % 70000;
  f.rebuilt_stream = Chance(rng, 30);
  f.pdu_start = !Chance(rng, 20);
  f.paf_payload = Chance(rng, 30);
  f.rebuilt_frag = Chance(rng, 5);
  f.has_flow = !Chance(rng, 10);
  f.direction = static_cast<FlowDirection>(Pick(rng, 3));
  f.established = Chance(rng, 70);
  f.has_ssl = Chance(rng, 15);
  f.ssl_flags = Chance(rng, 50) ? rng() : (ssl_flags::kCurClientHello | ssl_flags::kVerTls12);
  f.has_sip = Chance(rng, 10);
  static constexpr const char* kSipMethods[] = {"INVITE", "REGISTER", "", "invite", "BYE\0X"};
  p->sip_method = Chance(rng, 80) ? OneOf(rng, kSipMethods) : RandomBytes(rng, Pick(rng, 12));
  f.sip_method = p->sip_method;
  static constexpr uint16_t kSipCodes[] = {0, 100, 180, 200, 404, 999};
  f.sip_status_code = Chance(rng, 80) ? OneOf(rng, kSipCodes) : static_cast<uint16_t>(rng());

  const bool http = Chance(rng, 40);
  const bool sip = Chance(rng, 10);
  for (size_t i = 0; i < p->extra.size(); ++i) {
    const bool want = i < 11 ? http : sip;
    p->extra[i] = want && Chance(rng, 60) ? Payload(rng, pool, 600) : std::string();
  }
  Buffers& b = p->buffers;
  b = Buffers{};
  b.pkt_data = p->pkt;
  b.raw_data = p->raw;
  b.file_data = p->extra[0];
  b.http_uri = p->extra[1];
  b.http_raw_uri = p->extra[2];
  b.http_header = p->extra[3];
  b.http_raw_header = p->extra[4];
  b.http_client_body = p->extra[5];
  b.http_method = p->extra[6];
  b.http_cookie = p->extra[7];
  b.http_raw_cookie = p->extra[8];
  b.http_stat_code = p->extra[9];
  b.http_stat_msg = p->extra[10];
  b.sip_header = p->extra[11];
  b.sip_body = p->extra[12];

  const char* service = OneOf(rng, kServices);
  p->where = Where(service, static_cast<Section>(Pick(rng, 4)));
}

FlowBits SizedFlowBits(Rng& rng, const RuleSet& set) {
  FlowBits bits;
  bits.words.assign((set.flowbit_names.size() + 63) / 64, 0);
  if (Chance(rng, 50)) {  // a flow that already has some bits
    for (uint64_t& w : bits.words) {
      w = uint64_t{rng()} << 32;
      w |= rng();
      w &= uint64_t{rng()} * 0x100000001ull;  // about a quarter of the bits
    }
    if (!bits.words.empty() && set.flowbit_names.size() % 64 != 0) {
      bits.words.back() &= (uint64_t{1} << (set.flowbit_names.size() % 64)) - 1;
    }
  }
  return bits;
}

void CheckAlerts(const std::vector<size_t>& alerts, const Engine& engine) {
  for (size_t i = 0; i < alerts.size(); ++i) {
    ASSERT_LT(alerts[i], engine.rules().rules.size());
    if (i > 0) {
      ASSERT_LT(alerts[i - 1], alerts[i]) << "alerts are in rule order, once each";
    }
  }
}

// Runs `packets` random packets (flows of a few packets sharing flowbits) through `pre`, and
// when `naive` is given through it too, requiring identical alerts and flowbits.
void InspectRandomPackets(Rng& rng, const ContentPool& pool, Engine& pre, Engine* naive,
                          int packets) {
  auto p = std::make_unique<FuzzPacket>();
  FlowBits bits_pre, bits_naive;
  size_t alerts = 0;
  for (int k = 0; k < packets; ++k) {
    if (k % 8 == 0) bits_naive = bits_pre = SizedFlowBits(rng, pre.rules());
    MakePacket(rng, pool, p.get());
    std::function<bool(size_t)> allow;
    if (Chance(rng, 20)) allow = [](size_t rule) { return rule % 5 != 0; };
    const auto got = pre.Inspect(p->header, p->buffers, p->facts, p->where, &bits_pre, allow);
    ASSERT_NO_FATAL_FAILURE(CheckAlerts(got, pre)) << "packet " << k;
    alerts += got.size();
    if (naive != nullptr) {
      const auto want =
          naive->Inspect(p->header, p->buffers, p->facts, p->where, &bits_naive, allow);
      ASSERT_EQ(got, want) << "packet " << k << ": prefilter and naive modes disagree";
      ASSERT_EQ(bits_pre.words, bits_naive.words) << "packet " << k;
    }
  }
  std::cout << "  " << packets << " packets, " << alerts << " alerts, " << pre.stats().candidates
            << " candidates\n";
}

// ---------------------------------------------------------------------------------------------
// 1. Rule text
// ---------------------------------------------------------------------------------------------

TEST(RuleTextFuzz, MutatedCommunityRulesParseOrSkip) {
  const std::vector<std::string> lines = CommunityRuleLines();
  ASSERT_GT(lines.size(), 3000u);
  Rng rng(20240601);
  ParseOptions opts;
  opts.uncomment_rules = true;
  const Variables vars;
  std::string batch;
  size_t batch_lines = 0, loaded = 0, skipped = 0;
  constexpr int kRules = 3000;
  for (int i = 0; i < kRules; ++i) {
    std::string l = lines[Pick(rng, lines.size())];
    const int edits = Chance(rng, 40) ? 1 : 2 + static_cast<int>(Pick(rng, 3));
    for (int e = 0; e < edits; ++e) l = Mutate(rng, std::move(l), lines);

    LoadReport rep;
    RuleSet set = ParseRules(l, "fuzz.rules", vars, opts, &rep);
    ASSERT_EQ(set.rules.size(), rep.loaded) << l;
    ASSERT_EQ(rep.skipped, rep.skipped_rules.size()) << l;
    ASSERT_NO_FATAL_FAILURE(CheckRuleSetInvariants(set)) << l;
    for (const Rule& r : set.rules) (void)DescribeOptions(r, &set);
    loaded += rep.loaded;
    skipped += rep.skipped;

    // A single line (no line break, no continuation) is one logical line: it loads, is skipped
    // with a reason, or is reported as not a rule.
    constexpr std::string_view kBlanks = " \t\f\v";
    const size_t first = l.find_first_not_of(kBlanks);
    const bool one_line = l.find_first_of("\r\n") == std::string::npos && !l.empty() &&
                          l.back() != '\\' && first != std::string::npos && l[first] != '#';
    if (one_line) {
      ASSERT_EQ(rep.loaded + rep.skipped + CountWarnings(rep, "not a rule; ignored"), 1u) << l;
      const std::string_view trimmed =
          std::string_view(l).substr(first, l.find_last_not_of(kBlanks) + 1 - first);
      if (StartsWithActionWord(trimmed)) {
        ASSERT_EQ(rep.loaded + rep.skipped, 1u) << l;
      }
      batch += l + "\n";
      ++batch_lines;
    } else {
      ASSERT_LE(rep.loaded + rep.skipped,
                static_cast<size_t>(std::count(l.begin(), l.end(), '\n')) + 1)
          << l;
    }
  }
  std::cout << "  " << kRules << " mutated rules: " << loaded << " loaded, " << skipped
            << " skipped\n";
  EXPECT_GT(loaded, 300u) << "some mutated rules stay valid";
  EXPECT_GT(skipped, 300u) << "mutations break many rules";

  // All of them in one file: flowbit names shared, duplicate sids merged; still every line is
  // accounted for.
  LoadReport rep;
  RuleSet set = ParseRules(batch, "fuzz.rules", vars, opts, &rep);
  ASSERT_EQ(set.rules.size(), rep.loaded);
  EXPECT_EQ(rep.loaded + rep.skipped + CountWarnings(rep, "duplicates a previous rule") +
                CountWarnings(rep, "not a rule; ignored"),
            batch_lines);
  ASSERT_NO_FATAL_FAILURE(CheckRuleSetInvariants(set));

  // Every loaded rule compiles into an engine (or the engine says why not), and evaluating the
  // mutated rules on random packets agrees between the prefilter and the naive mode.
  const ContentPool pool = CollectContents(set);
  auto pre = Engine::Create(set, Engine::Mode::kPrefilter);
  auto naive = Engine::Create(set, Engine::Mode::kNaive);
  EXPECT_EQ(pre.ok(), naive.ok());
  if (!pre.ok() || !naive.ok()) {
    std::cout << "  the mutated rule set does not compile: "
              << (pre.ok() ? naive.status() : pre.status()).ToString() << "\n";
    return;
  }
  InspectRandomPackets(rng, pool, *pre, &*naive, 150);
}

TEST(RuleTextFuzz, SingleRulesCompileIntoAnEngine) {
  // Engine::Create per rule on a sample of the mutated rules that load: it succeeds or returns
  // a status (one rule per engine, so a failure names its rule).
  const std::vector<std::string> lines = CommunityRuleLines();
  ASSERT_GT(lines.size(), 3000u);
  Rng rng(77);
  ParseOptions opts;
  opts.uncomment_rules = true;
  int engines = 0, failed = 0;
  for (int i = 0; i < 1500 && engines < 120; ++i) {
    std::string l = lines[Pick(rng, lines.size())];
    l = Mutate(rng, std::move(l), lines);
    LoadReport rep;
    RuleSet set = ParseRules(l, "fuzz.rules", Variables(), opts, &rep);
    if (set.rules.empty()) continue;
    ++engines;
    auto e = Engine::Create(std::move(set));
    if (!e.ok()) {
      ++failed;
      std::cout << "  no engine (" << e.status().ToString() << ") for: " << l << "\n";
    }
  }
  EXPECT_GT(engines, 50);
  std::cout << "  " << engines << " single-rule engines, " << failed << " refused\n";
}

// Found by this fuzzer: a continuation character '\\' on the last line of the text (with or
// without a final newline) used to drop the pending rule silently; it now ends the rule.
TEST(RuleTextFuzz, ContinuationAtEndOfTextIsAccountedFor) {
  for (const std::string text : {"alert tcp any any -> any any (msg:\"x\"; sid:1;)\\",
                                 "alert tcp any any -> any any (msg:\"x\"; sid:1;)\\\n",
                                 "alert tcp any any -> any any (msg:\"x\"; \\\nsid:1;)\\"}) {
    LoadReport rep;
    ParseOptions opts;
    opts.uncomment_rules = true;
    (void)ParseRules(text, "fuzz.rules", Variables(), opts, &rep);
    EXPECT_EQ(rep.loaded + rep.skipped + rep.warnings.size(), 1u) << text;
  }
}

// Address and port lists, and -S NAME=VALUE arguments, from random strings.
TEST(RuleTextFuzz, IpPortListsAndVariables) {
  Rng rng(4242);
  static constexpr const char* kAtoms[] = {"any",         "!",
                                           "[",           "]",
                                           ",",           "$HOME_NET",
                                           "$HTTP_PORTS", "$LOOP",
                                           "$A",          "$B",
                                           "$NOPE",       "1.2.3.4",
                                           "/",           "24",
                                           "32",          "33",
                                           "0",           "::1",
                                           "fe80::",      ":",
                                           "65535",       "65536",
                                           "99999999999", "-",
                                           "10.0.0.0",    "255.255.255.255",
                                           "1.2.3",       "1.2.3.4.5",
                                           ":::",         " ",
                                           "  ",          "\t",
                                           "!!",          "[[",
                                           "]]",          "80:",
                                           ":1023",       "21:23",
                                           "23:21",       "!any",
                                           "$",           "2001:db8::/32",
                                           "0x10",        "1e3",
                                           "\xff",        "[!80,80]",
                                           "[,]"};
  auto random_text = [&rng]() {
    std::string s;
    const size_t n = Pick(rng, 12);
    for (size_t k = 0; k < n; ++k) {
      if (Chance(rng, 10)) {
        s += RandomBytes(rng, 1 + Pick(rng, 3));
      } else {
        s += OneOf(rng, kAtoms);
      }
    }
    return s;
  };
  // Lists shaped like real ones (nested, negated, CIDR, ranges), with odd numbers.
  std::function<std::string(int)> list_text = [&](int depth) {
    if (depth < 2 && Chance(rng, 30)) {
      std::string s = Chance(rng, 20) ? "![" : "[";
      const size_t n = Pick(rng, 5);
      for (size_t k = 0; k < n; ++k) s += (k ? "," : "") + list_text(depth + 1);
      return s + (Chance(rng, 90) ? "]" : "");
    }
    static constexpr const char* kNumbers[] = {"0",           "1",  "80",  "1023", "65535", "65536",
                                               "99999999999", "-1", "255", "256",  "32",    "128"};
    auto num = [&]() -> std::string {
      return Chance(rng, 50) ? OneOf(rng, kNumbers) : std::to_string(Pick(rng, 70000));
    };
    // One rng call per statement: argument evaluation order is unspecified.
    std::string s = Chance(rng, 20) ? "!" : "";
    switch (rng() % 8) {
      case 0:
        for (int k = 0; k < 4; ++k) s += (k ? "." : "") + num();
        if (Chance(rng, 50)) s += "/" + num();
        return s;
      case 1:
        s += Chance(rng, 50) ? "2001:db8::" : "::ffff:1.2.3.4";
        if (Chance(rng, 50)) s += "/" + num();
        return s;
      case 2:
        s += num();
        s += ":";
        return s + num();
      case 3:
        return s + (Chance(rng, 50) ? num() + ":" : ":" + num());
      case 4:
        return s + num();
      case 5:
        return s + OneOf(rng, {"$HOME_NET", "$HTTP_PORTS", "$A", "$B", "$LOOP", "$UNDEFINED"});
      case 6:
        return s + "any";
      default:
        return random_text();
    }
  };
  Variables vars;
  // Self- and mutually-recursive definitions, and nesting, must not loop forever.
  vars.Set("LOOP", "[$LOOP,1.2.3.4]");
  vars.Set("A", "[$B,80]");
  vars.Set("B", "[!$A]");
  size_t ip_ok = 0, port_ok = 0, var_ok = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string text = Chance(rng, 50) ? random_text() : list_text(0);
    auto ip = ParseIpSet(text, vars);
    if (ip.ok()) {
      ++ip_ok;
      for (const IpNet& n : ip->nets) ASSERT_LE(n.prefix_len, n.v6 ? 128 : 32) << text;
      std::array<uint8_t, 16> addr{};
      for (uint8_t& b : addr) b = static_cast<uint8_t>(rng());
      (void)ip->Contains(false, addr);
      (void)ip->Contains(true, addr);
    }
    auto ports = ParsePortSet(text, vars);
    if (ports.ok()) {
      ++port_ok;
      // Sorted, disjoint, non-adjacent ranges (rules.h).
      const auto& r = ports->ranges;
      for (size_t k = 0; k < r.size(); ++k) {
        ASSERT_LE(r[k].lo, r[k].hi) << text;
        if (k > 0) {
          ASSERT_GT(uint32_t{r[k].lo}, uint32_t{r[k - 1].hi} + 1) << text;
        }
      }
      (void)ports->Contains(static_cast<uint16_t>(rng()));
    }
    // -S NAME=VALUE: the name is letters, digits and '_' before the first '='.
    std::string arg;
    if (Chance(rng, 50)) {
      arg = OneOf(rng, {"A", "B", "LOOP", "X_1", "b d", "", "HTTP_PORTS", "\xff"});
      if (Chance(rng, 90)) arg += "=";
    }
    arg += random_text();
    const s6::Status st = vars.SetFromArgument(arg);
    const size_t eq = arg.find('=');
    const bool valid_name =
        eq != std::string::npos && eq > 0 &&
        std::all_of(arg.begin(), arg.begin() + static_cast<std::ptrdiff_t>(eq),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    ASSERT_EQ(st.ok(), valid_name) << arg;
    if (st.ok()) {
      ++var_ok;
      ASSERT_TRUE(vars.Get(arg.substr(0, eq)).has_value()) << arg;
    }
  }
  std::cout << "  ip lists ok " << ip_ok << ", port lists ok " << port_ok << ", variables set "
            << var_ok << " (of 4000)\n";
  // The recursive variables defined above, directly.
  for (const char* t : {"$LOOP", "$A", "$B", "[$A,$B,$LOOP]", "![$A]"}) {
    (void)ParseIpSet(t, vars);
    (void)ParsePortSet(t, vars);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Packets against the engine built from every community rule
// ---------------------------------------------------------------------------------------------

class EngineFuzz : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LoadReport rep;
    ParseOptions o;
    o.uncomment_rules = true;
    auto set = LoadRules(S6_SNORT_COMMUNITY_RULES, Variables(), o, &rep);
    if (!set.ok()) {
      std::cerr << set.status().ToString() << "\n";
      return;
    }
    pool_ = std::make_unique<ContentPool>(CollectContents(*set));
    auto pre = Engine::Create(*set, Engine::Mode::kPrefilter);
    auto naive = Engine::Create(*std::move(set), Engine::Mode::kNaive);
    if (!pre.ok() || !naive.ok()) {
      std::cerr << (pre.ok() ? naive.status() : pre.status()).ToString() << "\n";
      return;
    }
    pre_ = std::make_unique<Engine>(*std::move(pre));
    naive_ = std::make_unique<Engine>(*std::move(naive));
  }
  static void TearDownTestSuite() {
    pre_.reset();
    naive_.reset();
    pool_.reset();
  }

  static inline std::unique_ptr<Engine> pre_;
  static inline std::unique_ptr<Engine> naive_;
  static inline std::unique_ptr<ContentPool> pool_;
};

TEST_F(EngineFuzz, RandomPacketsNeverCrash) {
  ASSERT_NE(pre_, nullptr) << "community.rules did not compile";
  ASSERT_GT(pre_->rules().rules.size(), 3000u);
  Rng rng(1);
  InspectRandomPackets(rng, *pool_, *pre_, nullptr, 2000);
  EXPECT_GT(pre_->stats().candidates, 2000u) << "the packets reach rules";
}

TEST_F(EngineFuzz, PrefilterAndNaiveAgree) {
  ASSERT_NE(pre_, nullptr) << "community.rules did not compile";
  ASSERT_NE(naive_, nullptr);
  Rng rng(2);
  InspectRandomPackets(rng, *pool_, *pre_, naive_.get(), 300);
}

// ---------------------------------------------------------------------------------------------
// 3. HTTP/1.x byte streams
// ---------------------------------------------------------------------------------------------

// gzip of a small HTML page with script; zlib (deflate) of the same; gzip of 300000 'A's.
constexpr unsigned char kGzipSmall[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xb3, 0xc9, 0x28, 0xc9, 0xcd, 0xb1,
    0xb3, 0x29, 0x4e, 0x2e, 0xca, 0x2c, 0x28, 0xb1, 0x4b, 0x2d, 0x4b, 0xcc, 0xd1, 0x28, 0xcd, 0x4b,
    0x2d, 0x4e, 0x4e, 0x2c, 0x48, 0xd5, 0x50, 0x52, 0x2d, 0xb5, 0x34, 0xb0, 0x34, 0x50, 0xd2, 0xd4,
    0xb4, 0xd1, 0x87, 0x2a, 0x70, 0x1c, 0x26, 0x20, 0x39, 0x37, 0x45, 0x2f, 0xb5, 0x22, 0x55, 0x41,
    0x3f, 0x59, 0x21, 0x25, 0xb3, 0x08, 0x00, 0xee, 0xa5, 0x9c, 0x79, 0x05, 0x01, 0x00, 0x00};
constexpr unsigned char kZlibSmall[] = {
    0x78, 0x9c, 0xb3, 0xc9, 0x28, 0xc9, 0xcd, 0xb1, 0xb3, 0x29, 0x4e, 0x2e, 0xca, 0x2c,
    0x28, 0xb1, 0x4b, 0x2d, 0x4b, 0xcc, 0xd1, 0x28, 0xcd, 0x4b, 0x2d, 0x4e, 0x4e, 0x2c,
    0x48, 0xd5, 0x50, 0x52, 0x2d, 0xb5, 0x34, 0xb0, 0x34, 0x50, 0xd2, 0xd4, 0xb4, 0xd1,
    0x87, 0x2a, 0x70, 0x1c, 0x26, 0x20, 0x39, 0x37, 0x45, 0x2f, 0xb5, 0x22, 0x55, 0x41,
    0x3f, 0x59, 0x21, 0x25, 0xb3, 0x08, 0x00, 0x9e, 0xcc, 0x47, 0x48};
constexpr unsigned char kGzipBombHead[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                           0x03, 0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00, 0x00, 0xc2,
                                           0xa0, 0x6c, 0xef, 0x5f, 0xca, 0x1e, 0x0e, 0x28};
constexpr unsigned char kGzipBombTail[] = {0xf8, 0x31, 0x7b, 0x3a, 0xe3,
                                           0x56, 0xe0, 0x93, 0x04, 0x00};
constexpr size_t kGzipBombZeros = 290;
constexpr size_t kGzipBombSize = 300000;  // decoded
// http.h: a body piece ends "when decoded data would pass 63780 octets".
constexpr size_t kMaxBodyPiece = 63780;

template <size_t N>
std::string Bytes(const unsigned char (&b)[N]) {
  return std::string(reinterpret_cast<const char*>(b), N);
}

std::string GzipBomb() {
  return Bytes(kGzipBombHead) + std::string(kGzipBombZeros, '\0') + Bytes(kGzipBombTail);
}

std::string Eol(Rng& rng) {
  const uint32_t r = rng() % 100;
  return r < 85 ? "\r\n" : r < 95 ? "\n" : r < 98 ? "\r" : "\r\r\n";
}

constexpr const char* kRequestLines[] = {"GET /a%2e%2e/ HTTP/1.1",
                                         "GET /index.html HTTP/1.1",
                                         "POST /cgi-bin/x.php?a=%u0041&b=%%32%35&c=%c0%af HTTP/1.1",
                                         "HEAD / HTTP/1.0",
                                         "CONNECT host:443 HTTP/1.1",
                                         "GET http://example.com/a/./b/../c//d?x#f HTTP/1.1",
                                         "GET /",
                                         "PRI * HTTP/2.0",
                                         "OPTIONS * HTTP/1.1",
                                         "G\xffT / HTTP/1.1",
                                         "GET / HTTP/9.9",
                                         "GET /\\..\\..\\winnt+cmd.exe HTTP/1.1",
                                         "   GET /lead HTTP/1.1",
                                         "GETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGET"
                                         "GETGETGETGETGETGETGETGETGET / HTTP/1.1"};
constexpr const char* kStatusLines[] = {"HTTP/1.1 200 OK",
                                        "HTTP/1.1 100 Continue",
                                        "HTTP/1.0 204 No Content",
                                        "HTTP/1.1 304",
                                        "HTTP/1.1 2000 X",
                                        "HTTP/1.1 404 Not Found",
                                        "HTTP/1.1 200",
                                        "HTTP/1.1 500 \xff\xfe",
                                        "HTTP/2 200",
                                        "HTP/1.1 200 OK",
                                        "HTTP/1.1 101 Switching Protocols"};
constexpr const char* kHeaders[] = {"Host: example.com",
                                    "Transfer-Encoding: chunked",
                                    "Transfer-Encoding: gzip, chunked",
                                    "Content-Length: 99999999999",
                                    "Content-Length: 99999999999999999999999",
                                    "Content-Length: -5",
                                    "Content-Length: 10",
                                    "Content-Length: 0",
                                    "Content-Length: 3, 4",
                                    "Content-Encoding: gzip",
                                    "Content-Encoding: deflate",
                                    "Content-Encoding: br",
                                    "Content-Type: text/html; charset=utf-16le",
                                    "Content-Type: text/plain; charset=UTF-32BE",
                                    "Content-Type: multipart/form-data; boundary=xx",
                                    "Cookie: a=b; c=%41%42",
                                    "Set-Cookie: id=%2e%2e; path=/",
                                    "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0)",
                                    " folded continuation",
                                    "X-Long: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                    "NoColonHere",
                                    ": empty name",
                                    "Connection: close"};

// A chunked body: chunk sizes in hex (sometimes huge or malformed), optional trailers.
std::string ChunkedBody(Rng& rng, const std::string& data) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t n = std::min(data.size() - pos, 1 + Pick(rng, 3000));
    char hex[32];
    std::snprintf(hex, sizeof hex, "%zx", n);
    if (Chance(rng, 5)) {
      static constexpr const char* kOddSizes[] = {
          "FFFFFFFF", "100000000", "7fffffff;ext=1", "-1", "zz", "000000000000005", " 5 ", ""};
      out += OneOf(rng, kOddSizes);
    } else {
      out += hex;
      if (Chance(rng, 5)) out += ";name=value";
    }
    out += Eol(rng);
    out += data.substr(pos, n);
    out += Eol(rng);
    pos += n;
  }
  out += "0" + Eol(rng);
  if (Chance(rng, 20)) out += "X-Trailer: t" + Eol(rng);
  out += Eol(rng);
  return out;
}

std::string BodyData(Rng& rng, const std::string& bomb) {
  switch (rng() % 8) {
    case 0:
      return Bytes(kGzipSmall);
    case 1:
      return Bytes(kZlibSmall);
    case 2:
      return Chance(rng, 30) ? bomb : bomb.substr(0, Pick(rng, bomb.size()));
    case 3:
      return "\xff\xfe<\0h\0t\0m\0l\0>\0"s;
    case 4:
      return std::string(Pick(rng, 40000), 'A');
    case 5:
      return "a=%41%2541&b=%u0042+c\r\n--xx\r\nContent-Disposition: "
             "form-data\r\n\r\nfile\r\n--xx--";
    default:
      return RandomBytes(rng, Pick(rng, 3000));
  }
}

// One direction's bytes: 1-4 messages, each well formed enough to get far, or fragment soup.
std::string HttpStream(Rng& rng, bool client, const std::string& bomb) {
  std::string out;
  const size_t messages = 1 + Pick(rng, 4);
  for (size_t m = 0; m < messages; ++m) {
    if (Chance(rng, 15)) {  // soup
      const size_t n = Pick(rng, 12);
      for (size_t k = 0; k < n; ++k) {
        switch (rng() % 5) {
          case 0:
            out += client ? OneOf(rng, kRequestLines) : OneOf(rng, kStatusLines);
            break;
          case 1:
            out += OneOf(rng, kHeaders);
            break;
          case 2:
            out += RandomBytes(rng, Pick(rng, 100));
            break;
          case 3:
            out += ChunkedBody(rng, RandomBytes(rng, Pick(rng, 50)));
            break;
          default:
            break;
        }
        out += Eol(rng);
      }
      continue;
    }
    out += client ? OneOf(rng, kRequestLines) : OneOf(rng, kStatusLines);
    out += Eol(rng);
    const size_t headers = Pick(rng, 5);
    for (size_t k = 0; k < headers; ++k) {
      out += OneOf(rng, kHeaders);
      out += Eol(rng);
    }
    const std::string data = BodyData(rng, bomb);
    switch (rng() % 5) {
      case 0:  // no body
        out += Eol(rng);
        break;
      case 1:  // Content-Length, right or not
        out +=
            "Content-Length: " + std::to_string(Chance(rng, 80) ? data.size() : Pick(rng, 100000));
        out += Eol(rng);
        if (Chance(rng, 40)) {
          out += rng() % 2 ? "Content-Encoding: gzip" : "Content-Encoding: deflate";
          out += Eol(rng);
        }
        out += Eol(rng) + data;
        break;
      case 2:  // chunked
        out += "Transfer-Encoding: chunked" + Eol(rng);
        if (Chance(rng, 40)) out += "Content-Encoding: gzip" + Eol(rng);
        out += Eol(rng);
        out += ChunkedBody(rng, data);
        break;
      default:  // whatever the headers above said
        out += Eol(rng) + data;
        break;
    }
  }
  if (Chance(rng, 10)) {  // a few bit flips anywhere
    for (int k = 0; k < 3 && !out.empty(); ++k) {
      out[Pick(rng, out.size())] ^= static_cast<char>(1u << (rng() % 8));
    }
  }
  return out;
}

// Section checks (http.h) for sections emitted while feeding one side.
struct SectionChecker {
  std::array<uint64_t, 2> last_message{};
  std::array<int64_t, 2> depth{};  // configured request/response depth (-1: all)
  std::array<uint64_t, 2> depth_message{};
  std::array<uint64_t, 2> depth_used{};
  size_t sections = 0, bodies = 0;

  void Check(const std::vector<HttpSection>& out, size_t from, bool client_side) {
    for (size_t i = from; i < out.size(); ++i) {
      const HttpSection& s = out[i];
      ++sections;
      ASSERT_EQ(s.from_client, client_side) << "section " << i;
      const int d = client_side ? 0 : 1;
      ASSERT_GE(s.message, 1u);
      ASSERT_GE(s.message, last_message[d]) << "messages are numbered in order";
      last_message[d] = s.message;
      if (client_side) {
        ASSERT_TRUE(s.has_request) << "always on the client side";
      }
      if (!client_side) {
        ASSERT_TRUE(s.client_body.empty()) << "http_client_body: requests only";
      }
      switch (s.pdu) {
        case HttpPdu::kHeader:
          ASSERT_TRUE(s.pkt_data.empty()) << "detect limit 0 on header sections";
          break;
        case HttpPdu::kBody:
          ++bodies;
          ASSERT_FALSE(s.pkt_data.empty()) << "empty pieces are not emitted";
          ASSERT_LE(s.pkt_data.size(), kMaxBodyPiece);
          if (depth[d] >= 0) {
            if (s.message != depth_message[d]) {
              depth_message[d] = s.message;
              depth_used[d] = 0;
            }
            depth_used[d] += s.file_data.size();
            ASSERT_LE(depth_used[d], static_cast<uint64_t>(depth[d]))
                << "body bytes inspected beyond the configured depth";
          }
          break;
        case HttpPdu::kTrailer:
          ASSERT_TRUE(s.trailers.present);
          break;
      }
    }
  }
};

TEST(HttpFuzz, RandomStreamsInRandomPieces) {
  Rng rng(31337);
  const std::string bomb = GzipBomb();
  SectionChecker totals;
  constexpr int kConnections = 500;
  for (int run = 0; run < kConnections; ++run) {
    HttpConfig cfg;
    if (run % 5 == 1) {
      cfg.request_depth = static_cast<int64_t>(Pick(rng, 3000));
      cfg.response_depth = static_cast<int64_t>(Pick(rng, 3000));
    }
    if (run % 7 == 2) cfg.max_pdu = 1 + static_cast<uint32_t>(Pick(rng, 5000));
    if (run % 11 == 3) cfg.unzip = false;
    if (run % 13 == 4) cfg.normalize_utf = false;
    if (run % 3 == 0) cfg.uri = HttpUriConfig{true, false, true, false, false, false, false};
    HttpSession session(cfg);
    SectionChecker check;
    check.depth = {cfg.request_depth, cfg.response_depth};

    std::string to_server = HttpStream(rng, true, bomb);
    if (run % 50 == 7) {  // pipeline overflow: more requests than Snort pairs
      to_server.clear();
      for (int k = 0; k < 120; ++k) to_server += "GET /" + std::to_string(k) + " HTTP/1.1\r\n\r\n";
    }
    const std::string to_client = HttpStream(rng, false, bomb);
    std::vector<HttpSection> out;
    size_t c = 0, s = 0;
    // Truncated captures: a side may end before all of its bytes are fed.
    const size_t c_end = Chance(rng, 10) ? Pick(rng, to_server.size() + 1) : to_server.size();
    const size_t s_end = Chance(rng, 10) ? Pick(rng, to_client.size() + 1) : to_client.size();
    while (c < c_end || s < s_end) {
      const bool client_turn = s >= s_end || (c < c_end && rng() % 2 == 0);
      const size_t piece = 1 + Pick(rng, Chance(rng, 20) ? 20000 : 300);
      const size_t before = out.size();
      if (client_turn) {
        const size_t n = std::min(piece, c_end - c);
        session.FeedClient(std::string_view(to_server).substr(c, n), &out);
        c += n;
      } else {
        const size_t n = std::min(piece, s_end - s);
        session.FeedServer(std::string_view(to_client).substr(s, n), &out);
        s += n;
      }
      ASSERT_NO_FATAL_FAILURE(check.Check(out, before, client_turn)) << "run " << run;
      if (out.size() > 64) out.clear();
    }
    for (int side : rng() % 2 ? std::array<int, 2>{0, 1} : std::array<int, 2>{1, 0}) {
      const size_t before = out.size();
      if (side == 0) {
        session.FinishClient(&out);
      } else {
        session.FinishServer(&out);
      }
      ASSERT_NO_FATAL_FAILURE(check.Check(out, before, side == 0)) << "run " << run;
    }
    totals.sections += check.sections;
    totals.bodies += check.bodies;
  }
  std::cout << "  " << kConnections << " connections: " << totals.sections << " sections, "
            << totals.bodies << " body pieces\n";
  EXPECT_GT(totals.bodies, 100u);
}

TEST(HttpFuzz, GzipBombIsCutIntoBoundedPieces) {
  // 326 compressed octets that inflate to 300000: every decoded piece stays within the limit,
  // fed whole and in small pieces, and the depth is unlimited by default so all of it comes out.
  const std::string bomb = GzipBomb();
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                               std::to_string(bomb.size()) + "\r\n\r\n" + bomb;
  for (size_t step : {response.size(), size_t{1}, size_t{7}}) {
    HttpSession session;
    std::vector<HttpSection> out;
    session.FeedClient("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &out);
    for (size_t i = 0; i < response.size(); i += step) {
      session.FeedServer(std::string_view(response).substr(i, step), &out);
    }
    session.FinishServer(&out);
    session.FinishClient(&out);
    size_t decoded = 0;
    for (const HttpSection& s : out) {
      if (s.pdu != HttpPdu::kBody) continue;
      ASSERT_LE(s.pkt_data.size(), kMaxBodyPiece) << "step " << step;
      decoded += s.pkt_data.size();
    }
    EXPECT_EQ(decoded, kGzipBombSize) << "step " << step << ": the whole body is inflated";
    EXPECT_GT(decoded, 0u) << "step " << step;
  }
}

// ---------------------------------------------------------------------------------------------
// 4. TCP segments
// ---------------------------------------------------------------------------------------------

// Payload bytes are a function of their sequence number and sender (step 1 for endpoint 0, 3 for
// endpoint 1), so delivered chunks can be checked for contiguity and origin.
uint8_t SeqByte(uint8_t sender, uint32_t seq) {
  return static_cast<uint8_t>(sender == 0 ? seq : seq * 3u);
}

void CheckDir(const TcpDirState& d, const TcpStreamConfig& cfg) {
  uint64_t sum = 0;
  uint64_t prev_end = d.offset;
  bool first = true;
  for (const auto& [off, data] : d.queue) {
    ASSERT_GT(off, d.offset) << "queued segments are all beyond the delivery point";
    if (!first) {
      ASSERT_GE(off, prev_end) << "queued segments never overlap";
    }
    ASSERT_FALSE(data.empty());
    prev_end = off + data.size();
    sum += data.size();
    first = false;
  }
  ASSERT_EQ(d.queued_bytes, sum);
  if (cfg.max_queued_bytes != 0) {
    ASSERT_LE(d.queued_bytes, cfg.max_queued_bytes);
  }
  if (cfg.max_queued_segments != 0) {
    ASSERT_LE(d.queue.size(), cfg.max_queued_segments);
  }
  ASSERT_EQ(d.offset, d.counters.delivered_bytes + d.counters.gap_bytes)
      << "offset = bytes delivered + bytes skipped";
  ASSERT_LE(d.counters.delivered_bytes, d.counters.payload_bytes);
}

TEST(StreamFuzz, RandomSegmentSequences) {
  Rng rng(9001);
  uint64_t delivered_all = 0, gaps = 0, sessions = 0;
  constexpr int kFlows = 600;
  for (int run = 0; run < kFlows; ++run) {
    TcpStreamConfig cfg;
    if (run % 4 == 1) {
      cfg.max_queued_bytes = 3000;
      cfg.max_queued_segments = 4;
    }
    if (run % 5 == 0) cfg.track_bare_syn = true;
    const bool consistent = run % 2 == 0;  // payload bytes derived from sequence numbers
    std::array<uint32_t, 2> base{};
    for (uint32_t& b : base) {
      switch (rng() % 3) {
        case 0:
          b = 0xffffffffu - static_cast<uint32_t>(Pick(rng, 6000));  // wraps during the flow
          break;
        case 1:
          b = 0;
          break;
        default:
          b = rng();
      }
    }
    std::array<uint32_t, 2> cursor{};  // bytes sent so far, roughly
    std::array<uint64_t, 2> fed{}, delivered_by{};
    std::array<uint64_t, 2> session_delivered{};  // per direction (0 = from the client)
    std::array<std::optional<uint8_t>, 2> last_byte{};
    TcpStreamState st;
    bool was_established = false;

    auto check_result = [&](const StreamResult& res, const char* where) {
      if (!res.tracked) {
        for (const StreamDelivery& d : res.delivered) ASSERT_TRUE(d.chunks.empty()) << where;
        return;
      }
      if (res.new_session) {
        session_delivered = {};
        last_byte = {};
        was_established = false;
      }
      ASSERT_TRUE(!was_established || res.established) << where << ": established never reverts";
      was_established = res.established;
      for (int d = 0; d < 2; ++d) {
        const uint8_t sender = d == 0 ? st.client : static_cast<uint8_t>(st.client ^ 1);
        for (const StreamChunk& chunk : res.delivered[d].chunks) {
          ASSERT_FALSE(chunk.data.empty()) << where;
          session_delivered[d] += chunk.data.size();
          delivered_by[sender] += chunk.data.size();
          if (!consistent) continue;
          const uint8_t step = sender == 0 ? 1 : 3;
          if (chunk.after_gap) last_byte[d].reset();
          for (char ch : chunk.data) {
            const uint8_t b = static_cast<uint8_t>(ch);
            if (last_byte[d]) {
              ASSERT_EQ(b, static_cast<uint8_t>(*last_byte[d] + step))
                  << where << ": delivered bytes out of sequence or from the wrong endpoint";
            }
            last_byte[d] = b;
          }
        }
        ASSERT_LE(delivered_by[sender], fed[sender]) << where;
        ASSERT_EQ(session_delivered[d], st.dir[d].counters.delivered_bytes) << where;
        ASSERT_NO_FATAL_FAILURE(CheckDir(st.dir[d], cfg)) << where;
      }
    };

    const size_t segments = 1 + Pick(rng, 60);
    for (size_t k = 0; k < segments; ++k) {
      SegmentInfo seg;
      seg.sender = static_cast<uint8_t>(rng() % 2);
      const uint8_t other = seg.sender ^ 1;
      seg.src_port = seg.sender == 0 ? 40000 : 80;
      seg.dst_port = seg.sender == 0 ? 80 : 40000;
      if (Chance(rng, 5)) seg.src_port = static_cast<uint16_t>(rng());
      const int32_t jitter = static_cast<int32_t>(Pick(rng, 4500)) - 1500;
      seg.seq = Chance(rng, 5) ? rng() : base[seg.sender] + cursor[seg.sender] + jitter;
      seg.ack = Chance(rng, 5)
                    ? rng()
                    : base[other] + cursor[other] + static_cast<int32_t>(Pick(rng, 3000)) - 1000;
      static constexpr uint8_t kFlags[] = {
          kTcpSyn,           kTcpSyn | kTcpAck, kTcpAck, kTcpAck | kTcpPsh, kTcpAck | kTcpPsh,
          kTcpAck | kTcpPsh, kTcpFin | kTcpAck, kTcpRst, kTcpRst | kTcpAck, 0};
      seg.flags = Chance(rng, 10) ? static_cast<uint8_t>(rng()) : OneOf(rng, kFlags);
      seg.syn_options = Chance(rng, 50);
      const size_t len = Chance(rng, 30) ? 0 : Pick(rng, 2001);
      std::string payload(len, '\0');
      for (size_t i = 0; i < len; ++i) {
        payload[i] = consistent ? static_cast<char>(SeqByte(seg.sender, seg.seq + uint32_t(i)))
                                : static_cast<char>(rng());
      }
      if (jitter >= 0 || Chance(rng, 50)) cursor[seg.sender] += static_cast<uint32_t>(len);
      fed[seg.sender] += len;
      const StreamResult res = OnSegment(st, seg, payload, cfg);
      if (payload.empty()) {
        ASSERT_EQ(res.payload, TcpPayloadKind::kNone);
      }
      ASSERT_NO_FATAL_FAILURE(check_result(res, "OnSegment")) << "run " << run << " seg " << k;
      if (res.tracked) {
        for (const TcpDirState& d : st.dir) gaps += d.counters.gaps;
      }
      sessions += res.new_session;
    }
    const StreamResult res = CloseStream(st);
    ASSERT_NO_FATAL_FAILURE(check_result(res, "CloseStream")) << "run " << run;
    if (st.active) {
      EXPECT_TRUE(st.closed);
      for (const TcpDirState& d : st.dir) {
        EXPECT_TRUE(d.finished) << "run " << run;
        EXPECT_TRUE(d.queue.empty()) << "run " << run << ": CloseStream delivers what is queued";
      }
    }
    delivered_all += delivered_by[0] + delivered_by[1];
  }
  std::cout << "  " << kFlows << " flows: " << sessions << " sessions, " << delivered_all
            << " bytes delivered\n";
  EXPECT_GT(delivered_all, 100000u);
  EXPECT_GT(gaps, 0u);
}

}  // namespace
}  // namespace snort

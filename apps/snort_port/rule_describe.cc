// SPDX-License-Identifier: Apache-2.0
// Theory of operation: DescribeOptions (rules.h) prints a rule's converted option list in
// Snort 3 rule syntax, for dumps, logs and tests: content bytes outside printable ASCII (and
// the characters that need escaping) as |hex|, byte_extract variables as var0/var1, flowbits by
// name when the RuleSet is given. Output only; nothing parses it back.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>
#include <utility>
#include <variant>

#include "rules.h"

namespace snort {
namespace {

std::string Quote(std::string_view bytes) {
  std::string out = "\"";
  bool hex = false;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = c >= 0x20 && c < 0x7F && c != '"' && c != '|' && c != ';' && c != '\\';
    if (plain == hex) {
      out += '|';
      hex = !hex;
    } else if (hex) {
      out += ' ';
    }
    if (plain) {
      out += ch;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (hex) out += '|';
  return out + "\"";
}

std::string RangeText(const Range& r) {
  switch (r.op) {
    case Range::Op::kEq:
      return std::to_string(r.max);
    case Range::Op::kNot:
      return "!" + std::to_string(r.max);
    case Range::Op::kLt:
      return "<" + std::to_string(r.max);
    case Range::Op::kLe:
      return "<=" + std::to_string(r.max);
    case Range::Op::kGt:
      return ">" + std::to_string(r.min);
    case Range::Op::kGe:
      return ">=" + std::to_string(r.min);
    case Range::Op::kLg:
      return std::to_string(r.min) + "<>" + std::to_string(r.max);
    case Range::Op::kLeg:
      return std::to_string(r.min) + "<=>" + std::to_string(r.max);
  }
  return "?";
}

std::string VarOr(int8_t var, int64_t v) {
  return var >= 0 ? "var" + std::to_string(var) : std::to_string(v);
}

std::string ByteFlags(const ByteData& d) {
  std::string s;
  if (d.relative) s += ",relative";
  if (d.endian == Endian::kLittle) s += ",little";
  if (d.string) s += ",string";
  if (d.base == 16) s += ",hex";
  if (d.base == 8) s += ",oct";
  if (d.string && d.base == 10) s += ",dec";
  if (d.bitmask) s += ",bitmask " + std::to_string(d.bitmask);
  return s;
}

struct Describer {
  const RuleSet* set;
  std::string operator()(const BufferSelect& b) const { return std::string(BufferName(b.buffer)); }
  std::string operator()(const Content& c) const {
    std::string s = "content:" + std::string(c.negated ? "!" : "") + Quote(c.pattern);
    if (c.nocase) s += ",nocase";
    const bool off = c.offset != 0 || c.offset_var >= 0, dep = c.depth != 0 || c.depth_var >= 0;
    if (off)
      s += std::string(c.relative ? ",distance " : ",offset ") + VarOr(c.offset_var, c.offset);
    if (dep) s += std::string(c.relative ? ",within " : ",depth ") + VarOr(c.depth_var, c.depth);
    if (c.relative && !off && !dep) s += ",distance 0";
    if (c.fast_pattern) s += ",fast_pattern";
    if (c.fp_offset || c.fp_length) {
      s += ",fast_pattern_offset " + std::to_string(c.fp_offset) + ",fast_pattern_length " +
           std::to_string(c.fp_length);
    }
    return s;
  }
  std::string operator()(const Pcre& p) const {
    std::string s = "pcre:" + std::string(p.negated ? "!" : "") + "\"/" + p.regex + "/";
    if (p.compile_options & PCRE2_CASELESS) s += 'i';
    if (p.compile_options & PCRE2_DOTALL) s += 's';
    if (p.compile_options & PCRE2_MULTILINE) s += 'm';
    if (p.compile_options & PCRE2_EXTENDED) s += 'x';
    if (p.compile_options & PCRE2_ANCHORED) s += 'A';
    if (p.compile_options & PCRE2_DOLLAR_ENDONLY) s += 'E';
    if (p.compile_options & PCRE2_UNGREEDY) s += 'G';
    if (p.relative) s += 'R';
    if (p.override_limits) s += 'O';
    return s + "\"";
  }
  std::string operator()(const ByteTest& t) const {
    static constexpr const char* kOps[] = {"=", "<", ">", "<=", ">=", "&", "^"};
    return "byte_test:" + std::to_string(t.data.bytes) + "," + (t.not_flag ? "!" : "") +
           kOps[static_cast<int>(t.op)] + "," + VarOr(t.value_var, t.value) + "," +
           VarOr(t.data.offset_var, t.data.offset) + ByteFlags(t.data);
  }
  std::string operator()(const ByteJump& j) const {
    std::string s = "byte_jump:" + std::to_string(j.data.bytes) + "," +
                    VarOr(j.data.offset_var, j.data.offset) + ByteFlags(j.data);
    if (j.multiplier) s += ",multiplier " + std::to_string(j.multiplier);
    if (j.align) s += ",align";
    if (j.from_beginning) s += ",from_beginning";
    if (j.from_end) s += ",from_end";
    if (j.post_offset || j.post_offset_var >= 0)
      s += ",post_offset " + VarOr(j.post_offset_var, j.post_offset);
    return s;
  }
  std::string operator()(const ByteExtract& e) const {
    std::string s = "byte_extract:" + std::to_string(e.data.bytes) + "," +
                    std::to_string(e.data.offset) + "," + e.name + ByteFlags(e.data);
    if (e.multiplier != 1) s += ",multiplier " + std::to_string(e.multiplier);
    if (e.align) s += ",align " + std::to_string(e.align);
    return s;
  }
  std::string operator()(const IsDataAt& d) const {
    return "isdataat:" + std::string(d.negated ? "!" : "") + VarOr(d.offset_var, d.offset) +
           (d.relative ? ",relative" : "");
  }
  std::string operator()(const RangeTest& r) const {
    static constexpr const char* kNames[] = {"dsize",   "ttl",      "itype",    "icode",
                                             "icmp_id", "icmp_seq", "id",       "seq",
                                             "ack",     "window",   "bufferlen"};
    return std::string(kNames[static_cast<int>(r.field)]) + ":" + RangeText(r.range) +
           (r.relative ? ",relative" : "");
  }
  std::string operator()(const Flow& f) const {
    std::string s;
    auto add = [&](bool on, const char* w) {
      if (on) s += (s.empty() ? "" : ",") + std::string(w);
    };
    add(f.established, "established");
    add(f.not_established, "not_established");
    add(f.stateless, "stateless");
    add(f.to_server, "to_server");
    add(f.to_client, "to_client");
    add(f.no_stream, "no_stream");
    add(f.only_stream, "only_stream");
    add(f.no_frag, "no_frag");
    add(f.only_frag, "only_frag");
    return "flow:" + s;
  }
  std::string operator()(const Flowbits& f) const {
    static constexpr const char* kOps[] = {"set",   "unset",    "toggle",
                                           "isset", "isnotset", "noalert"};
    std::string s = std::string("flowbits:") + kOps[static_cast<int>(f.op)];
    for (size_t i = 0; i < f.ids.size(); ++i) {
      s += i == 0 ? "," : (f.any ? "|" : "&");
      s += set && f.ids[i] < set->flowbit_names.size() ? set->flowbit_names[f.ids[i]]
                                                       : "bit" + std::to_string(f.ids[i]);
    }
    return s;
  }
  std::string operator()(const TcpFlags& f) const {
    static constexpr char kLetters[] = "FSRPAUEC";
    std::string s = "flags:";
    if (f.mode == TcpFlags::Mode::kNot) s += '!';
    if (f.mode == TcpFlags::Mode::kAny) s += '*';
    for (int i = 0; i < 8; ++i) {
      if (f.flags & (1 << i)) s += kLetters[i];
    }
    if (f.flags == 0) s += '0';
    if (f.mode == TcpFlags::Mode::kAll) s += '+';
    if (f.mask) {
      s += ',';
      for (int i = 0; i < 8; ++i) {
        if (f.mask & (1 << i)) s += kLetters[i];
      }
    }
    return s;
  }
  std::string operator()(const FragBits& f) const {
    std::string s = "fragbits:";
    if (f.bits & 0x2000) s += 'M';
    if (f.bits & 0x4000) s += 'D';
    if (f.bits & 0x8000) s += 'R';
    if (f.mode == FragBits::Mode::kPlus) s += '+';
    if (f.mode == FragBits::Mode::kAny) s += '*';
    if (f.mode == FragBits::Mode::kNot) s += '!';
    return s;
  }
  std::string operator()(const SslCheck& c) const {
    static constexpr std::pair<const char*, uint32_t> kNames[] = {
        {"client_hello", 0x00100000}, {"server_hello", 0x00200000}, {"client_keyx", 0x00800000},
        {"server_keyx", 0x00400000},  {"unknown", 0x02000000},      {"sslv2", 0x00008000},
        {"sslv3", 0x00010000},        {"tls1.0", 0x00020000},       {"tls1.1", 0x00040000},
        {"tls1.2", 0x00080000}};
    std::string s = c.version ? "ssl_version:" : "ssl_state:";
    bool first = true;
    for (const auto& [name, bit] : kNames) {
      if (!(c.flags & bit)) continue;
      s += std::string(first ? "" : ",") + ((c.mask & bit) ? "!" : "") + name;
      first = false;
    }
    return s;
  }
  std::string operator()(const SipMethod& m) const {
    std::string s = "sip_method:";
    for (size_t i = 0; i < m.methods.size(); ++i) {
      s += (i ? "," : (m.negated ? "!" : "")) + m.methods[i];
    }
    return s;
  }
  std::string operator()(const SipStatCode& c) const {
    std::string s = "sip_stat_code:";
    for (size_t i = 0; i < c.codes.size(); ++i) s += (i ? "," : "") + std::to_string(c.codes[i]);
    return s;
  }
  std::string operator()(const Base64Decode& b) const {
    std::string s = "base64_decode:";
    if (b.bytes) s += "bytes " + std::to_string(b.bytes) + ",";
    s += "offset " + std::to_string(b.offset);
    if (b.relative) s += ",relative";
    return s;
  }
  std::string operator()(const IpProto& p) const {
    static constexpr const char* kOps[] = {"", "!", ">", "<"};
    return "ip_proto:" + std::string(kOps[static_cast<int>(p.op)]) + std::to_string(p.proto);
  }
};

}  // namespace

std::string DescribeOptions(const Rule& rule, const RuleSet* set) {
  std::string out;
  for (const Option& o : rule.options) {
    if (!out.empty()) out += "; ";
    out += std::visit(Describer{set}, o);
  }
  return out;
}

}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the non-payload option parsers (see rule_options.h): numeric ranges
// (framework/range.cc RangeCheck) for dsize/ttl/itype/icode/icmp_id/icmp_seq/id/seq/ack/window/
// bufferlen, flow, flowbits, flags, fragbits, ip_proto, detection_filter, and the service
// options ssl_state, ssl_version, sip_method and sip_stat_code. Each mirrors its Snort 3 module
// (src/ips_options/ips_<name>.cc, src/service_inspectors/{ssl,sip}/ips_*.cc) after snort2lua.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

#include "rule_options.h"

namespace snort::ruleopt {

// ------------------------------------------------------------------------------------------
// ranges and header tests
// ------------------------------------------------------------------------------------------

s6::StatusOr<Range> ParseRange(std::string_view value, int64_t lo, int64_t hi) {
  // RangeCheck::parse get_tokens: [low] ops [hi], numbers in any strtoll base.
  std::string low, ops, high;
  int state = 0;
  auto numch = [](char c) { return std::strchr("+-x", c) != nullptr || HexVal(c) >= 0; };
  for (char c : value) {
    if (c == '\0') return Bad("bad range");
    const bool opch = std::strchr("=!<>", c) != nullptr;
    switch (state) {
      case 0:
        if (numch(c)) {
          low += c;
          state = 1;
        } else if (opch) {
          ops += c;
          state = 2;
        } else if (c != ' ')
          return Bad("bad range " + std::string(value));
        break;
      case 1:
        if (c == 'x' || HexVal(c) >= 0)
          low += c;
        else if (opch) {
          ops += c;
          state = 2;
        } else if (c != ' ')
          return Bad("bad range " + std::string(value));
        break;
      case 2:
        if (numch(c)) {
          high += c;
          state = 4;
        } else if (opch)
          ops += c;
        else if (c == ' ')
          state = 3;
        else
          return Bad("bad range " + std::string(value));
        break;
      case 3:
        if (numch(c)) {
          high += c;
          state = 4;
        } else
          return Bad("bad range " + std::string(value));
        break;
      default:
        if (c == 'x' || HexVal(c) >= 0)
          high += c;
        else if (c != ' ')
          return Bad("bad range " + std::string(value));
        break;
    }
  }
  Range r;
  if (ops.empty() || ops == "=")
    r.op = Range::Op::kEq;
  else if (ops == "!" || ops == "!=")
    r.op = Range::Op::kNot;
  else if (ops == "<")
    r.op = Range::Op::kLt;
  else if (ops == ">")
    r.op = Range::Op::kGt;
  else if (ops == "<=")
    r.op = Range::Op::kLe;
  else if (ops == ">=")
    r.op = Range::Op::kGe;
  else if (ops == "<>")
    r.op = Range::Op::kLg;
  else if (ops == "<=>")
    r.op = Range::Op::kLeg;
  else
    return Bad("bad range operator " + ops);
  auto num = [](const std::string& s, int64_t* out) {
    if (s.empty()) {
      *out = 0;
      return true;
    }
    errno = 0;
    char* end = nullptr;
    *out = std::strtoll(s.c_str(), &end, 0);
    return errno == 0 && *end == '\0';
  };
  if (!num(low, &r.min) || !num(high, &r.max)) return Bad("bad range number " + std::string(value));
  const bool has_low = !low.empty(), has_high = !high.empty();
  bool valid;
  if (r.op == Range::Op::kEq)
    valid = has_low != has_high;
  else if (r.op == Range::Op::kLg || r.op == Range::Op::kLeg)
    valid = has_low && has_high;
  else
    valid = !has_low && has_high;
  if (!valid) return Bad("bad range " + std::string(value));
  if (r.op == Range::Op::kEq && !has_high) {
    if (!ops.empty()) return Bad("bad range " + std::string(value));
    r.max = r.min;
    r.min = 0;
  } else if (r.op == Range::Op::kGt || r.op == Range::Op::kGe) {
    r.min = r.max;
    r.max = 0;
  }
  if ((r.op == Range::Op::kLg || r.op == Range::Op::kLeg) && r.min > r.max) {
    return Bad("bad range " + std::string(value));
  }
  // RangeCheck::validate against the option's interval.
  int64_t vmin, vmax;
  if (r.op == Range::Op::kLg || r.op == Range::Op::kLeg) {
    vmin = r.min;
    vmax = r.max;
  } else if (r.op == Range::Op::kGt || r.op == Range::Op::kGe) {
    vmin = vmax = r.min;
  } else {
    vmin = vmax = r.max;
  }
  if (vmin < lo || vmax > hi) {
    return Bad("range " + std::string(value) + " outside " + std::to_string(lo) + ":" +
               std::to_string(hi));
  }
  return r;
}

std::string ConvertTtl(std::string_view value) {
  std::string arg(Trim(value));
  size_t dash = arg.find('-');
  if (dash == std::string::npos || dash != arg.rfind('-'))
    return arg;  // several dashes: error later
  if (arg.front() == '-') return "<=" + arg.substr(1);
  if (arg.back() == '-') return ">=" + arg.substr(0, arg.size() - 1);
  long a = std::strtol(arg.c_str(), nullptr, 10);
  long b = std::strtol(arg.c_str() + dash + 1, nullptr, 10);
  return std::to_string(a) + "<=>" + std::to_string(b);
}

s6::StatusOr<Flow> ParseFlow(std::string_view value) {
  Flow f;
  for (std::string_view t : SplitTrim(value, ',')) {
    if (t == "to_server" || t == "from_client")
      f.to_server = true;
    else if (t == "to_client" || t == "from_server")
      f.to_client = true;
    else if (t == "established")
      f.established = true;
    else if (t == "not_established")
      f.not_established = true;
    else if (t == "stateless")
      f.stateless = true;
    else if (t == "no_stream")
      f.no_stream = true;
    else if (t == "only_stream")
      f.only_stream = true;
    else if (t == "no_frag")
      f.no_frag = true;
    else if (t == "only_frag")
      f.only_frag = true;
    else
      return Bad("flow: unknown argument '" + std::string(t) + "'");
  }
  // ips_flow.cc flow_verify.
  if (f.to_server && f.to_client) return Bad("flow: can't use both from_client and from_server");
  if (f.no_stream && f.only_stream) return Bad("flow: can't use no_stream and only_stream");
  if (f.no_frag && f.only_frag) return Bad("flow: can't use no_frag and only_frag");
  if (f.stateless && (f.to_server || f.to_client)) return Bad("flow: stateless with direction");
  if (f.stateless && (f.established || f.not_established)) return Bad("flow: stateless with state");
  if (f.established && f.not_established) return Bad("flow: established and not_established");
  return f;
}

s6::StatusOr<TcpFlags> ParseFlags(std::string_view value) {
  auto args = SplitTrim(value, ',');
  if (args.empty() || args[0].empty() || args.size() > 2) return Bad("flags: bad argument");
  TcpFlags f;
  auto bit = [](char c) -> int {
    switch (c) {
      case 'f':
      case 'F':
        return 0x01;
      case 's':
      case 'S':
        return 0x02;
      case 'r':
      case 'R':
        return 0x04;
      case 'p':
      case 'P':
        return 0x08;
      case 'a':
      case 'A':
        return 0x10;
      case 'u':
      case 'U':
        return 0x20;
      case '2':
      case 'e':
      case 'E':
        return 0x40;
      case '1':
      case 'c':
      case 'C':
        return 0x80;
      default:
        return -1;
    }
  };
  for (char c : args[0]) {
    if (c == '0')
      f.flags = 0;
    else if (c == '!')
      f.mode = TcpFlags::Mode::kNot;
    else if (c == '*')
      f.mode = TcpFlags::Mode::kAny;
    else if (c == '+')
      f.mode = TcpFlags::Mode::kAll;
    else if (bit(c) > 0)
      f.flags |= static_cast<uint8_t>(bit(c));
    else
      return Bad(std::string("bad TCP flag '") + c + "'");
  }
  if (args.size() == 2) {
    for (char c : args[1]) {
      if (bit(c) < 0) return Bad(std::string("bad TCP flag mask '") + c + "'");
      f.mask |= static_cast<uint8_t>(bit(c));
    }
  }
  return f;
}

s6::StatusOr<FragBits> ParseFragBits(std::string_view value) {
  FragBits f;
  for (char c : value) {
    if (IsSpace(c)) continue;
    switch (c) {
      case 'd':
      case 'D':
        f.bits |= 0x4000;
        break;
      case 'm':
      case 'M':
        f.bits |= 0x2000;
        break;
      case 'r':
      case 'R':
        f.bits |= 0x8000;
        break;
      case '+':
        f.mode = FragBits::Mode::kPlus;
        break;
      case '*':
        f.mode = FragBits::Mode::kAny;
        break;
      case '!':
        f.mode = FragBits::Mode::kNot;
        break;
      default:
        return Bad(std::string("fragbits: bad flag '") + c + "'");
    }
  }
  return f;
}

s6::StatusOr<IpProto> ParseIpProto(std::string_view value) {
  std::string_view s = Trim(value);
  IpProto p;
  if (!s.empty() && s.front() == '!') {
    p.op = IpProto::Op::kNot;
    s.remove_prefix(1);
  } else if (!s.empty() && s.front() == '>') {
    p.op = IpProto::Op::kGt;
    s.remove_prefix(1);
  } else if (!s.empty() && s.front() == '<') {
    p.op = IpProto::Op::kLt;
    s.remove_prefix(1);
  }
  if (s.empty()) return Bad("ip_proto: missing protocol");
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    std::string n(s);
    errno = 0;
    unsigned long v = std::strtoul(n.c_str(), nullptr, 10);
    if (errno == ERANGE || v > 255) return Bad("ip_proto: value must be between 0 and 255");
    p.proto = static_cast<uint8_t>(v);
    return p;
  }
  // The /etc/protocols names Snort's getprotobyname would find (a fixed table: no file access).
  static constexpr std::pair<std::string_view, uint8_t> kNames[] = {
      {"ip", 0},          {"icmp", 1},        {"igmp", 2},       {"ggp", 3},
      {"ipencap", 4},     {"st", 5},          {"tcp", 6},        {"egp", 8},
      {"igp", 9},         {"pup", 12},        {"udp", 17},       {"hmp", 20},
      {"xns-idp", 22},    {"rdp", 27},        {"iso-tp4", 29},   {"dccp", 33},
      {"xtp", 36},        {"ddp", 37},        {"idpr-cmtp", 38}, {"ipv6", 41},
      {"ipv6-route", 43}, {"ipv6-frag", 44},  {"idrp", 45},      {"rsvp", 46},
      {"gre", 47},        {"esp", 50},        {"ah", 51},        {"skip", 57},
      {"ipv6-icmp", 58},  {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"rspf", 73},
      {"vmtp", 81},       {"eigrp", 88},      {"ospf", 89},      {"ax.25", 93},
      {"ipip", 94},       {"etherip", 97},    {"encap", 98},     {"pim", 103},
      {"ipcomp", 108},    {"vrrp", 112},      {"l2tp", 115},     {"isis", 124},
      {"sctp", 132},      {"fc", 133},        {"udplite", 136},  {"mpls-in-ip", 137},
      {"hip", 139},       {"shim6", 140},     {"wesp", 141},     {"rohc", 142},
      {"ethernet", 143},
  };
  for (const auto& [name, num] : kNames) {
    if (name == s) {
      p.proto = num;
      return p;
    }
  }
  return Bad("ip_proto: invalid protocol name '" + std::string(s) + "'");
}

s6::StatusOr<DetectionFilter> ParseDetectionFilter(std::string_view value) {
  DetectionFilter d;
  bool track = false, count = false, seconds = false;
  for (std::string_view arg : SplitTrim(value, ',')) {
    auto [word, rest] = SplitWord(arg);
    if (word == "track") {
      if (rest == "by_src")
        d.track_by_src = true;
      else if (rest == "by_dst")
        d.track_by_src = false;
      else
        return Bad("detection_filter: track must be by_src or by_dst");
      track = true;
    } else if (word == "count") {
      auto v = ParseParamInt(rest, "detection_filter count", 1, 0xFFFFFFFFLL);
      if (!v.ok()) return v.status();
      d.count = static_cast<uint32_t>(*v);
      count = true;
    } else if (word == "seconds") {
      auto v = ParseParamInt(rest, "detection_filter seconds", 1, 0xFFFFFFFFLL);
      if (!v.ok()) return v.status();
      d.seconds = static_cast<uint32_t>(*v);
      seconds = true;
    } else {
      return Bad("detection_filter: unknown argument '" + std::string(arg) + "'");
    }
  }
  if (!track || !count || !seconds)
    return Bad("detection_filter requires track, count and seconds");
  return d;
}

// ips_ssl_state.cc / ips_ssl_version.cc: names with an optional '!' each; flags and mask.
s6::StatusOr<SslCheck> ParseSslFlags(std::string_view value, bool version) {
  static constexpr std::pair<std::string_view, uint32_t> kState[] = {{"client_hello", 0x00100000},
                                                                     {"server_hello", 0x00200000},
                                                                     {"client_keyx", 0x00800000},
                                                                     {"server_keyx", 0x00400000},
                                                                     {"unknown", 0x02000000}};
  static constexpr std::pair<std::string_view, uint32_t> kVersion[] = {{"sslv2", 0x00008000},
                                                                       {"sslv3", 0x00010000},
                                                                       {"tls1.0", 0x00020000},
                                                                       {"tls1.1", 0x00040000},
                                                                       {"tls1.2", 0x00080000}};
  SslCheck c;
  c.version = version;
  for (std::string_view tok : SplitTrim(value, ',')) {
    bool neg = false;
    if (!tok.empty() && tok.front() == '!') {
      neg = true;
      tok.remove_prefix(1);
    }
    uint32_t flag = 0;
    for (const auto& [name, bit] : version ? std::span(kVersion) : std::span(kState)) {
      if (tok == name) flag = bit;
    }
    if (!flag)
      return Bad(std::string(version ? "ssl_version" : "ssl_state") + ": unknown '" +
                 std::string(tok) + "'");
    c.flags |= flag;
    if (neg) c.mask |= flag;
  }
  if (!c.flags) return Bad("ssl option needs an argument");
  return c;
}

s6::StatusOr<SslCheck> ParseSslState(std::string_view value) { return ParseSslFlags(value, false); }
s6::StatusOr<SslCheck> ParseSslVersion(std::string_view value) {
  return ParseSslFlags(value, true);
}

s6::StatusOr<SipMethod> ParseSipMethod(std::string_view value) {
  SipMethod m;
  for (std::string_view tok : SplitTrim(value, ',')) {
    bool neg = false;
    if (!tok.empty() && tok.front() == '!') {
      neg = true;
      tok.remove_prefix(1);
    }
    if (tok.empty()) return Bad("sip_method: empty method");
    if (neg && !m.methods.empty()) return Bad("Only one method is allowed with ! for sip_method");
    if (m.methods.empty()) m.negated = neg;
    std::string up(tok);
    for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    m.methods.push_back(std::move(up));
  }
  if (m.methods.empty()) return Bad("sip_method needs a method");
  return m;
}

s6::StatusOr<SipStatCode> ParseSipStatCode(std::string_view value) {
  SipStatCode s;
  for (std::string_view tok : SplitTrim(value, ',')) {
    auto v = ParseParamInt(tok, "sip_stat_code", 1, 999);
    if (!v.ok()) return v.status();
    if (*v >= 10 && *v < 100) return Bad("sip_stat_code: a single digit or a 3 digit number");
    if (s.codes.size() >= 20) return Bad("sip_stat_code: too many codes");
    s.codes.push_back(static_cast<uint16_t>(*v));
  }
  if (s.codes.empty()) return Bad("sip_stat_code needs a code");
  return s;
}

s6::StatusOr<FlowbitsSpec> ParseFlowbits(std::string_view value) {
  auto args = SplitTrim(value, ',');
  FlowbitsSpec f;
  std::string_view op = args.empty() ? std::string_view() : args[0];
  if (op == "set")
    f.op = Flowbits::Op::kSet;
  else if (op == "unset")
    f.op = Flowbits::Op::kUnset;
  else if (op == "toggle")
    f.op = Flowbits::Op::kToggle;
  else if (op == "isset")
    f.op = Flowbits::Op::kIsSet;
  else if (op == "isnotset")
    f.op = Flowbits::Op::kIsNotSet;
  else if (op == "noalert")
    f.op = Flowbits::Op::kNoAlert;
  else if (op == "reset")
    return s6::UnimplementedError("flowbits reset");
  else
    return Bad("flowbits: unknown operation '" + std::string(op) + "'");
  if (args.size() > 2) return s6::UnimplementedError("flowbits group");
  if (f.op == Flowbits::Op::kNoAlert) {
    if (args.size() > 1) return Bad("flowbits: noalert takes no bits");
    return f;
  }
  if (args.size() < 2 || args[1].empty())
    return Bad("flowbits: " + std::string(op) + " needs a bit");
  std::string bits(args[1]);
  const bool has_or = bits.find('|') != std::string::npos;
  const bool has_and = bits.find('&') != std::string::npos;
  if (has_or && has_and) return Bad("flowbits: '|' and '&' used together");
  if (has_or && f.IsSetterOp()) return Bad("flowbits: set/unset/toggle do not take '|'");
  f.any = has_or;
  for (char& c : bits) {
    if (c == '|' || c == '&') c = ' ';
  }
  size_t i = 0;
  while (i < bits.size()) {
    while (i < bits.size() && IsSpace(bits[i])) ++i;
    size_t j = i;
    while (j < bits.size() && !IsSpace(bits[j])) ++j;
    if (j > i) f.names.emplace_back(bits.substr(i, j - i));
    i = j;
  }
  if (f.names.empty()) return Bad("flowbits: empty bit name");
  return f;
}

}  // namespace snort::ruleopt

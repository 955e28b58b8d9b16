// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the rule header's building blocks (rules.h): variables with Snort 3's
// defaults, IP lists (parser/parse_ip.cc, sfip/sf_ipvar.cc semantics: some positive block and
// no negated block contains the address) and port lists (parser/parse_ports.cc: positives, or
// every port when there are none, minus the negated ones). Lists nest, `!` distributes over a
// bracketed list, `$NAME` expands recursively (a cycle ends in an error at depth 16); items are
// separated by commas or whitespace, as Snort 3's Lua-style port variables are.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "rule_options.h"
#include "rules.h"

namespace snort {
namespace {

using ruleopt::Bad;
using ruleopt::IsSpace;
using ruleopt::Trim;

constexpr int kMaxVarDepth = 16;  // variable expansion nesting (cycles end here)

// Splits a list body at top-level commas and whitespace, keeping [...] groups whole.
s6::StatusOr<std::vector<std::string_view>> SplitListItems(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i <= s.size(); ++i) {
    const bool end = i == s.size();
    const char c = end ? ',' : s[i];
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) return Bad("unbalanced ']' in list");
    const bool sep = depth == 0 && (c == ',' || IsSpace(c));
    if (sep) {
      if (start != std::string_view::npos) out.push_back(s.substr(start, i - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = i;
    }
  }
  if (depth != 0) return Bad("unbalanced '[' in list");
  return out;
}

// ------------------------------------------------------------------------------------------
// Ports
// ------------------------------------------------------------------------------------------

struct PortLeaf {
  PortRange range;
  bool negated = false;
};

s6::StatusOr<uint16_t> ParsePortNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return Bad("bad port '" + std::string(s) + "'");
  uint32_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return Bad("bad port '" + std::string(s) + "'");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return Bad("port out of range '" + std::string(s) + "'");
  return static_cast<uint16_t>(v);
}

// Walks a Snort list (items, `!` negation, nested `[...]`, `$VAR` / `$(VAR)`), calling
// `leaf(item, negated)` for each plain item; `what` names the list in errors.
template <typename Leaf>
s6::Status WalkList(std::string_view text, const Variables& vars, bool negated, int depth,
                    std::string_view what, const Leaf& leaf) {
  if (depth > kMaxVarDepth) return Bad("variable nesting too deep (cycle?)");
  auto items = SplitListItems(Trim(text));
  if (!items.ok()) return items.status();
  if (items->empty()) return Bad("empty " + std::string(what) + " list");
  for (std::string_view item : *items) {
    bool neg = negated;
    while (!item.empty() && item.front() == '!') {
      neg = !neg;
      item = Trim(item.substr(1));
    }
    if (item.empty()) return Bad("empty " + std::string(what) + " item");
    if (item.front() == '[') {
      if (item.back() != ']') return Bad("unbalanced " + std::string(what) + " list");
      S6_RETURN_IF_ERROR(
          WalkList(item.substr(1, item.size() - 2), vars, neg, depth + 1, what, leaf));
    } else if (item.front() == '$') {
      std::string_view name = item.substr(1);
      if (!name.empty() && name.front() == '(' && name.back() == ')')
        name = name.substr(1, name.size() - 2);
      auto v = vars.Get(name);
      if (!v) return Bad("undefined variable $" + std::string(name));
      S6_RETURN_IF_ERROR(WalkList(*v, vars, neg, depth + 1, what, leaf));
    } else {
      S6_RETURN_IF_ERROR(leaf(item, neg));
    }
  }
  return s6::OkStatus();
}

s6::StatusOr<PortRange> ParsePortItem(std::string_view item) {
  const size_t colon = item.find(':');
  PortRange r;
  if (colon == std::string_view::npos) {
    auto p = ParsePortNumber(item);
    if (!p.ok()) return p.status();
    return PortRange{*p, *p};
  }
  std::string_view lo = item.substr(0, colon), hi = item.substr(colon + 1);
  if (lo.empty() && hi.empty()) return Bad("bad port range ':'");
  if (!lo.empty()) {
    auto p = ParsePortNumber(lo);
    if (!p.ok()) return p.status();
    r.lo = *p;
  }
  if (!hi.empty()) {
    auto p = ParsePortNumber(hi);
    if (!p.ok()) return p.status();
    r.hi = *p;
  }
  if (r.lo > r.hi) return Bad("port range low > high: " + std::string(item));
  return r;
}

s6::Status CollectPorts(std::string_view text, const Variables& vars, std::vector<PortLeaf>* out) {
  return WalkList(text, vars, false, 0, "port", [out](std::string_view item, bool neg) {
    if (item == "any") {
      if (neg) return Bad("negated 'any' port");
      out->push_back({PortRange{0, 65535}, false});
      return s6::OkStatus();
    }
    auto r = ParsePortItem(item);
    if (!r.ok()) return r.status();
    out->push_back({*r, neg});
    return s6::OkStatus();
  });
}

std::vector<PortRange> Normalize(std::vector<PortRange> v) {
  std::sort(v.begin(), v.end(), [](const PortRange& a, const PortRange& b) { return a.lo < b.lo; });
  std::vector<PortRange> out;
  for (const PortRange& r : v) {
    if (!out.empty() && static_cast<uint32_t>(r.lo) <= static_cast<uint32_t>(out.back().hi) + 1) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// IP addresses
// ------------------------------------------------------------------------------------------

s6::StatusOr<IpNet> ParseIpNet(std::string_view s) {
  IpNet n;
  std::string addr(s.substr(0, s.find('/')));
  std::string_view mask =
      s.find('/') == std::string_view::npos ? std::string_view() : s.substr(s.find('/') + 1);
  if (inet_pton(AF_INET, addr.c_str(), n.addr.data()) == 1) {
    n.v6 = false;
    n.prefix_len = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.addr.data()) == 1) {
    n.v6 = true;
    n.prefix_len = 128;
  } else {
    return Bad("bad IP address '" + std::string(s) + "'");
  }
  if (!mask.empty()) {
    if (mask.find('.') != std::string_view::npos && !n.v6) {
      // Dotted netmask: must be contiguous.
      std::array<uint8_t, 16> m{};
      std::string ms(mask);
      if (inet_pton(AF_INET, ms.c_str(), m.data()) != 1) return Bad("bad netmask '" + ms + "'");
      uint32_t bits =
          (uint32_t{m[0]} << 24) | (uint32_t{m[1]} << 16) | (uint32_t{m[2]} << 8) | m[3];
      int len = 0;
      while (len < 32 && (bits & (0x80000000u >> len))) ++len;
      if (len < 32 && (bits << len) != 0) return Bad("non-contiguous netmask '" + ms + "'");
      n.prefix_len = static_cast<uint8_t>(len);
    } else {
      int len = 0;
      for (char c : mask) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || len > 1000)
          return Bad("bad prefix length '" + std::string(mask) + "'");
        len = len * 10 + (c - '0');
      }
      if (len > (n.v6 ? 128 : 32)) return Bad("prefix length too long '" + std::string(mask) + "'");
      n.prefix_len = static_cast<uint8_t>(len);
    }
  }
  // Keep only the network bits, as sfip does.
  const int bytes = n.v6 ? 16 : 4;
  for (int i = 0; i < bytes; ++i) {
    int keep = std::clamp(static_cast<int>(n.prefix_len) - 8 * i, 0, 8);
    n.addr[static_cast<size_t>(i)] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
  }
  return n;
}

s6::Status CollectIps(std::string_view text, const Variables& vars, std::vector<IpNet>* out) {
  return WalkList(text, vars, false, 0, "IP", [out](std::string_view item, bool neg) {
    if (item == "any") {
      if (neg) return Bad("negated 'any' address");
      IpNet v4, v6;
      v6.v6 = true;
      out->push_back(v4);
      out->push_back(v6);
      return s6::OkStatus();
    }
    auto n = ParseIpNet(item);
    if (!n.ok()) return n.status();
    n->negated = neg;
    out->push_back(*n);
    return s6::OkStatus();
  });
}

bool NetContains(const IpNet& n, const std::array<uint8_t, 16>& addr) {
  int len = n.prefix_len;
  for (size_t i = 0; len > 0; ++i, len -= 8) {
    uint8_t mask = static_cast<uint8_t>(len >= 8 ? 0xFF : 0xFF << (8 - len));
    if ((addr[i] & mask) != n.addr[i]) return false;
  }
  return true;
}

}  // namespace

Variables::Variables() {
  // lua/snort.lua and lua/snort_defaults.lua (Snort 3.12).
  values = {
      {"HOME_NET", "any"},
      {"EXTERNAL_NET", "any"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"FTP_SERVERS", "$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SIP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"SSH_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"FTP_PORTS", "21 2100 3535"},
      {"HTTP_PORTS",
       "80 81 311 383 591 593 901 1220 1414 1741 1830 2301 2381 2809 3037 3128 3702 4343 4848 "
       "5250 6988 7000 7001 7144 7145 7510 7777 7779 8000 8008 8014 8028 8080 8085 8088 8090 "
       "8118 8123 8180 8181 8243 8280 8300 8800 8888 8899 9000 9060 9080 9090 9091 9443 9999 "
       "11371 34443 34444 41080 50002 55555"},
      {"MAIL_PORTS", "110 143"},
      {"ORACLE_PORTS", "1024:"},
      {"SIP_PORTS", "5060 5061 5600"},
      {"SSH_PORTS", "22"},
      {"FILE_DATA_PORTS", "$HTTP_PORTS $MAIL_PORTS"},
      // Snort 2.9 snort.conf names that Snort 3's defaults no longer define.
      {"AIM_SERVERS",
       "[64.12.24.0/23,64.12.28.0/23,64.12.161.0/24,64.12.163.0/24,64.12.200.0/24,"
       "205.188.3.0/24,205.188.5.0/24,205.188.7.0/24,205.188.9.0/24,205.188.153.0/24,"
       "205.188.179.0/24,205.188.248.0/24]"},
      {"SHELLCODE_PORTS", "!80"},
      {"GTP_PORTS", "[2123,2152,3386]"},
  };
}

void Variables::Set(std::string_view name, std::string_view value) {
  values[std::string(name)] = std::string(value);
}

s6::Status Variables::SetFromArgument(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return Bad("expected NAME=VALUE, got '" + std::string(arg) + "'");
  const std::string_view name = arg.substr(0, eq);
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return Bad("bad variable name '" + std::string(name) + "'");
    }
  }
  Set(name, Trim(arg.substr(eq + 1)));
  return s6::OkStatus();
}

std::optional<std::string> Variables::Get(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

s6::Status Variables::LoadConfig(std::string_view text, std::string_view file) {
  std::map<std::string, std::string, std::less<>> next = values;
  uint32_t lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        Trim(text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    auto where = std::string(file) + ":" + std::to_string(lineno) + ": ";
    size_t a = line.find_first_of(" \t");
    std::string_view kw = line.substr(0, a);
    if (kw != "var" && kw != "ipvar" && kw != "portvar") {
      return Bad(where + "expected var, ipvar or portvar, got '" + std::string(kw) + "'");
    }
    std::string_view rest = a == std::string_view::npos ? std::string_view() : Trim(line.substr(a));
    size_t b = rest.find_first_of(" \t");
    if (rest.empty() || b == std::string_view::npos) return Bad(where + "expected NAME VALUE");
    std::string_view name = rest.substr(0, b);
    std::string_view value = Trim(rest.substr(b));
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return Bad(where + "bad variable name '" + std::string(name) + "'");
      }
    }
    next[std::string(name)] = std::string(value);
  }
  values = std::move(next);
  return s6::OkStatus();
}

bool IpSet::Contains(bool v6, const std::array<uint8_t, 16>& addr) const {
  if (nets.empty()) return true;
  bool has_pos = false, pos = false;
  for (const IpNet& n : nets) {
    if (!n.negated) has_pos = true;
    if (n.v6 != v6 || !NetContains(n, addr)) continue;
    if (n.negated) return false;
    pos = true;
  }
  return pos || !has_pos;
}

bool PortSet::Contains(uint16_t port) const {
  for (const PortRange& r : ranges) {
    if (port >= r.lo && port <= r.hi) return true;
  }
  return false;
}

s6::StatusOr<IpSet> ParseIpSet(std::string_view text, const Variables& vars) {
  std::vector<IpNet> nets;
  S6_RETURN_IF_ERROR(CollectIps(text, vars, &nets));
  // A positive `any` (0/0 of both families) with no negation is just "any".
  bool any_v4 = false, any_v6 = false, neg = false;
  for (const IpNet& n : nets) {
    if (n.negated)
      neg = true;
    else if (n.prefix_len == 0)
      (n.v6 ? any_v6 : any_v4) = true;
  }
  IpSet s;
  if (!(any_v4 && any_v6 && !neg)) s.nets = std::move(nets);
  return s;
}

s6::StatusOr<PortSet> ParsePortSet(std::string_view text, const Variables& vars) {
  std::vector<PortLeaf> leaves;
  S6_RETURN_IF_ERROR(CollectPorts(text, vars, &leaves));
  std::vector<PortRange> pos, neg;
  for (const PortLeaf& l : leaves) (l.negated ? neg : pos).push_back(l.range);
  if (pos.empty()) pos.push_back({0, 65535});
  pos = Normalize(std::move(pos));
  neg = Normalize(std::move(neg));
  PortSet s;
  for (PortRange r : pos) {
    uint32_t lo = r.lo;
    for (const PortRange& n : neg) {
      if (n.hi < lo || n.lo > r.hi) continue;
      if (n.lo > lo)
        s.ranges.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(n.lo - 1)});
      lo = static_cast<uint32_t>(n.hi) + 1;
    }
    if (lo <= r.hi) s.ranges.push_back({static_cast<uint16_t>(lo), r.hi});
  }
  if (s.ranges.empty()) return Bad("port list matches no port: " + std::string(text));
  return s;
}

}  // namespace snort

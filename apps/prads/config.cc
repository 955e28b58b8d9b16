// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see config.h. The line parser is a table of keys, each with a setter, so
// that what PRADS accepts is visible in one place; the home_nets parser walks the string the way
// parse_nets walks its mutable copy (find '/', address before it, mask up to the next ',').
#include "config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>

namespace prads {
namespace {

bool IsCSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// ---------------------------------------------------------------------------------------------
// home_nets

// sscanf(s, "%u", &v): blanks, an optional sign, decimal digits (strtoul semantics: saturates at
// ULONG_MAX, a '-' negates), stored into an unsigned int. nullopt when no digit is found (PRADS
// then uses an uninitialised mask).
std::optional<uint32_t> ScanUnsigned(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
  uint64_t v = 0;
  bool saturated = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) saturated = true;
    if (!saturated) v = v * 10 + digit;
  }
  if (saturated) v = std::numeric_limits<uint64_t>::max();
  if (negative) v = 0 - v;
  return static_cast<uint32_t>(v);
}

bool InetPton(int af, const std::string& s, uint8_t* out) {
  return ::inet_pton(af, s.c_str(), out) == 1;
}

// parse_netmask. Returns false where PRADS would leave the mask uninitialised or overflow it.
bool ParseNetmask(const std::string& f, uint8_t family, std::array<uint8_t, 16>& mask,
                  std::vector<std::string>* problems) {
  mask.fill(0);
  const std::size_t dot = f.find('.');
  if (family == 4 && dot != std::string::npos && dot > 0 && dot < 4) {
    if (InetPton(AF_INET, f, mask.data())) return true;
    if (problems) problems->push_back("netmask '" + f + "' is not a dotted quad");
    return false;
  }
  if (family == 6 && f.find(':') != std::string::npos) {
    if (InetPton(AF_INET6, f, mask.data())) return true;  // an address-form mask: not swapped
    if (problems) problems->push_back("netmask '" + f + "' is not an IPv6 address");
    return false;
  }
  const std::optional<uint32_t> bits = ScanUnsigned(f);
  if (!bits) {
    if (problems) problems->push_back("netmask '" + f + "' is not a number");
    return false;
  }
  if (family == 4) {
    // PRADS: shift = 32 - mask; ntohl(((unsigned)-1 >> shift) << shift); x86 shifts use the low
    // 5 bits of the count, so /33 and above wrap.
    const uint32_t shift = (32u - *bits) & 31u;
    if (*bits > 32 && problems) {
      problems->push_back("netmask /" + std::to_string(*bits) +
                          " is longer than 32 bits (PRADS wraps it to /" +
                          std::to_string(shift == 0 ? 32 : 32 - shift) + ")");
    }
    if (*bits != 0) {
      const uint32_t m = (0xffffffffu >> shift) << shift;
      mask[0] = static_cast<uint8_t>(m >> 24);
      mask[1] = static_cast<uint8_t>(m >> 16);
      mask[2] = static_cast<uint8_t>(m >> 8);
      mask[3] = static_cast<uint8_t>(m);
    }
    return true;
  }
  if (*bits > 128) {
    if (problems) {
      problems->push_back("netmask /" + std::to_string(*bits) + " is longer than 128 bits");
    }
    return false;
  }
  uint32_t left = *bits;
  std::size_t j = 0;
  while (left > 8) {
    mask[j++] = 0xff;
    left -= 8;
  }
  if (left > 0) mask[j] = static_cast<uint8_t>(0xff << (8 - left));
  // "pcap packets are in host order": ntohl on each 32-bit word of a network-order mask.
  for (std::size_t w = 0; w < 16; w += 4) std::reverse(mask.begin() + w, mask.begin() + w + 4);
  return true;
}

// ---------------------------------------------------------------------------------------------
// prads.conf

std::string CString(std::string_view v) {
  std::string s(v);
  std::replace(s.begin(), s.end(), '\0', '-');  // bstr2cstr(value, '-')
  return s;
}

std::string_view TrimSpaceTab(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct LineContext {
  PradsConfig& config;
  std::string_view value;
  // Reports a problem with this line (already prefixed with file:line).
  std::function<void(const std::string&)> warn;
  uint32_t line = 0;
  uint32_t* home_nets_line = nullptr;
};

// A switch: on iff the value starts with '1'.
bool Switch(const LineContext& c) {
  const bool on = !c.value.empty() && c.value.front() == '1';
  std::string_view v = c.value;
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);  // a CRLF file: PRADS reads it fine
  if (v != "0" && v != "1") {
    c.warn("value '" + std::string(c.value) + "' is read as " + (on ? "1" : "0") +
           " (PRADS looks only at its first character)");
  }
  return on;
}

using Setter = void (*)(LineContext&);

struct Key {
  std::string_view name;
  Setter set;
};

// Every key parse_line knows, in its order (service_udp appears twice there; the first wins).
constexpr Key kKeys[] = {
    {"daemon",
     [](LineContext& c) {
       if (!c.config.daemon) c.config.daemon = Switch(c);
     }},
    {"mac", [](LineContext& c) { c.config.mac = Switch(c); }},
    {"arp", [](LineContext& c) { c.config.arp = Switch(c); }},
    {"service_tcp", [](LineContext& c) { c.config.service_tcp = Switch(c); }},
    {"client_tcp", [](LineContext& c) { c.config.client_tcp = Switch(c); }},
    {"service_udp", [](LineContext& c) { c.config.service_udp = Switch(c); }},
    {"os_icmp", [](LineContext& c) { c.config.os_icmp = Switch(c); }},
    {"os_udp", [](LineContext& c) { c.config.os_udp = Switch(c); }},
    {"os_syn_fingerprint", [](LineContext& c) { c.config.os_syn = Switch(c); }},
    {"os_synack_fingerprint", [](LineContext& c) { c.config.os_synack = Switch(c); }},
    {"os_ack_fingerprint", [](LineContext& c) { c.config.os_ack = Switch(c); }},
    {"os_rst_fingerprint", [](LineContext& c) { c.config.os_rst = Switch(c); }},
    {"os_fin_fingerprint", [](LineContext& c) { c.config.os_fin = Switch(c); }},
    {"chroot_dir", [](LineContext& c) { c.config.chroot_dir = CString(c.value); }},
    {"pid_file", [](LineContext& c) { c.config.pid_file = CString(c.value); }},
    {"asset_log", [](LineContext& c) { c.config.asset_log = CString(c.value); }},
    {"fifo", [](LineContext& c) { c.config.fifo = CString(c.value); }},
    {"ringbuffer",
     [](LineContext& c) {
       if (!c.config.ringbuffer) c.config.ringbuffer = Switch(c);
     }},
    {"sig_file_serv_tcp", [](LineContext& c) { c.config.sig_file_serv_tcp = CString(c.value); }},
    {"sig_file_cli_tcp", [](LineContext& c) { c.config.sig_file_cli_tcp = CString(c.value); }},
    {"sig_file_serv_udp", [](LineContext& c) { c.config.sig_file_serv_udp = CString(c.value); }},
    {"sig_file_cli_udp", [](LineContext& c) { c.config.sig_file_cli_udp = CString(c.value); }},
    {"mac_file", [](LineContext& c) { c.config.mac_file = CString(c.value); }},
    {"output", [](LineContext& c) { c.config.output = CString(c.value); }},
    {"user", [](LineContext& c) { c.config.user = CString(c.value); }},
    {"group", [](LineContext& c) { c.config.group = CString(c.value); }},
    {"interface", [](LineContext& c) { c.config.interface = CString(c.value); }},
    {"bpfilter", [](LineContext& c) { c.config.bpfilter = CString(c.value); }},
    {"bpf_file", [](LineContext& c) { c.config.bpf_file = CString(c.value); }},
    {"home_nets",
     [](LineContext& c) {
       c.config.home_nets_text = CString(c.value);
       *c.home_nets_line = c.line;
     }},
};

// parse_line for one '\n'-separated line.
void ParseLine(std::string_view line, LineContext& c) {
  if (line.empty() || line.front() == '#') return;
  line = line.substr(0, line.find('#'));
  const std::size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    if (std::any_of(line.begin(), line.end(), [](char ch) { return !IsCSpace(ch); })) {
      c.warn("no '=' in '" + std::string(line) + "' (ignored)");
    }
    return;
  }
  std::string key(line.substr(0, eq));
  for (char& ch : key) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  c.value = TrimSpaceTab(line.substr(eq + 1));
  for (const Key& k : kKeys) {
    if (k.name == key) {
      k.set(c);
      return;
    }
  }
  std::string reason = "unknown key '" + key + "' (ignored";
  const std::string_view trimmed = TrimSpaceTab(key);
  if (trimmed != key && std::any_of(std::begin(kKeys), std::end(kKeys),
                                    [&](const Key& k) { return k.name == trimmed; })) {
    reason += ": PRADS does not trim keys, write '" + std::string(trimmed) + "=...'";
  }
  c.warn(reason + ")");
}

}  // namespace

HomeNets HomeNets::Parse(std::string_view text, std::vector<std::string>* problems) {
  HomeNets out;
  const std::string s(text.substr(0, text.find('\0')));  // PRADS handles a C string
  std::size_t f = 0;
  while (true) {
    const std::size_t slash = s.find('/', f);
    if (slash == std::string::npos) {
      if (f < s.size() && problems) {
        problems->push_back("'" + s.substr(f) + "' has no /mask (PRADS ignores it)");
      }
      break;
    }
    const std::string net_s = s.substr(f, slash - f);
    Net net;
    // parse_network: an address with ':' is IPv6.
    net.family = net_s.find(':') != std::string::npos ? 6 : 4;
    if (!InetPton(net.family == 6 ? AF_INET6 : AF_INET, net_s, net.addr.data())) {
      if (problems) {
        problems->push_back("'" + net_s + "' is not an IPv" + std::to_string(net.family) +
                            " address (PRADS stops parsing home_nets here)");
      }
      break;
    }
    const std::size_t comma = s.find(',', slash + 1);
    const std::string mask_s =
        s.substr(slash + 1, comma == std::string::npos ? std::string::npos : comma - slash - 1);
    if (ParseNetmask(mask_s, net.family, net.mask, problems)) {
      if (out.nets_.size() >= kMaxNets) {
        if (problems) problems->push_back("more than 128 networks (PRADS stops at 128)");
        break;
      }
      out.nets_.push_back(net);
    }
    if (comma == std::string::npos) break;
    f = comma + 1;
  }
  if (out.nets_.empty() && problems) {
    problems->push_back("no network in home_nets '" + s + "': no address is a home address");
  }
  return out;
}

HomeNets HomeNets::Default() { return Parse(kPradsDefaultNets, nullptr); }

bool HomeNets::Contains(const IpAddr& ip) const {
  for (const Net& n : nets_) {
    if (n.family != ip.family) continue;
    if (ip.family == 4) {
      bool same = true;
      for (int i = 0; i < 4 && same; ++i) {
        same = (ip.bytes[i] & n.mask[i]) == (n.addr[i] & n.mask[i]);
      }
      if (same) return true;
    } else if (ip.family == 6) {
      // filter_packet's non-SSE2 branch: !((t.hi ^ net.hi) & (t.lo ^ net.lo)), t = ip & mask.
      bool match = true;
      for (int k = 0; k < 8 && match; ++k) {
        const uint8_t hi = static_cast<uint8_t>((ip.bytes[k] & n.mask[k]) ^ n.addr[k]);
        const uint8_t lo = static_cast<uint8_t>((ip.bytes[k + 8] & n.mask[k + 8]) ^ n.addr[k + 8]);
        match = (hi & lo) == 0;
      }
      if (match) return true;
    }
  }
  return false;
}

PradsConfig ParseConfigText(std::string_view text, std::string_view name,
                            std::vector<std::string>* warnings) {
  PradsConfig config;
  uint32_t home_nets_line = 0;
  LineContext c{config, {}, {}, 0, &home_nets_line};
  c.warn = [&](const std::string& reason) {
    if (warnings)
      warnings->push_back(std::string(name) + ":" + std::to_string(c.line) + ": " + reason);
  };
  // bsplit(filedata, '\n'): every '\n' ends a line; a final line without one still counts.
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++c.line;
    ParseLine(text.substr(pos, end - pos), c);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (home_nets_line != 0) {
    std::vector<std::string> problems;
    config.home_nets = HomeNets::Parse(config.home_nets_text, &problems);
    if (warnings) {
      for (const std::string& p : problems) {
        warnings->push_back(std::string(name) + ":" + std::to_string(home_nets_line) +
                            ": home_nets: " + p);
      }
    }
  }
  return config;
}

s6::StatusOr<PradsConfig> LoadConfig(const std::string& path, std::vector<std::string>* warnings) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return s6::NotFoundError("cannot open configuration file " + path);
  std::string text;
  char buf[16384];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return s6::DataLossError("cannot read configuration file " + path);
  return ParseConfigText(text, path, warnings);
}

}  // namespace prads

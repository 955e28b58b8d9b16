// SPDX-License-Identifier: Apache-2.0
#include "wizard.h"

#include <cctype>
#include <initializer_list>

namespace snort {
namespace {

enum class Verdict : uint8_t { kNo, kMaybe, kYes };

struct Spell {
  std::string_view service;
  bool tcp_only;
  bool to_server;   ///< a client's spell (else the server's)
  bool hex;         ///< exact octets with `?` (else a case-insensitive glob)
  std::string_view text;
};

// lua/snort_defaults.lua: default_wizard's spells and hexes, in its order (the first service
// listed wins when two match).
constexpr Spell kSpells[] = {
    {"ftp", true, false, false, "220*FTP"},
    {"ftp", true, false, false, "220*FILEZILLA"},
#define HTTP_METHOD(m) {"http", true, true, false, m}
    HTTP_METHOD("GET"), HTTP_METHOD("HEAD"), HTTP_METHOD("POST"), HTTP_METHOD("DELETE"),
    HTTP_METHOD("TRACE"), HTTP_METHOD("CONNECT"), HTTP_METHOD("VERSION_CONTROL"),
    HTTP_METHOD("REPORT"), HTTP_METHOD("CHECKOUT"), HTTP_METHOD("CHECKIN"),
    HTTP_METHOD("UNCHECKOUT"), HTTP_METHOD("MKWORKSPACE"), HTTP_METHOD("LABEL"),
    HTTP_METHOD("MERGE"), HTTP_METHOD("BASELINE_CONTROL"), HTTP_METHOD("MKACTIVITY"),
    HTTP_METHOD("ORDERPATCH"), HTTP_METHOD("ACL"), HTTP_METHOD("PATCH"), HTTP_METHOD("BIND"),
    HTTP_METHOD("LINK"), HTTP_METHOD("MKCALENDAR"), HTTP_METHOD("MKREDIRECTREF"),
    HTTP_METHOD("REBIND"), HTTP_METHOD("UNBIND"), HTTP_METHOD("UNLINK"),
    HTTP_METHOD("UPDATEREDIRECTREF"), HTTP_METHOD("PROPFIND"), HTTP_METHOD("PROPPATCH"),
    HTTP_METHOD("MKCOL"), HTTP_METHOD("COPY"), HTTP_METHOD("MOVE"), HTTP_METHOD("LOCK"),
    HTTP_METHOD("UNLOCK"), HTTP_METHOD("SEARCH"), HTTP_METHOD("BCOPY"), HTTP_METHOD("BDELETE"),
    HTTP_METHOD("BMOVE"), HTTP_METHOD("BPROPFIND"), HTTP_METHOD("BPROPPATCH"),
    HTTP_METHOD("POLL"), HTTP_METHOD("UNSUBSCRIBE"), HTTP_METHOD("X_MS_ENUMATTS"),
    HTTP_METHOD("NOTIFY * HTTP/"), HTTP_METHOD("OPTIONS * HTTP/"),
    HTTP_METHOD("SUBSCRIBE * HTTP/"), HTTP_METHOD("UPDATE * HTTP/"), HTTP_METHOD("PUT * HTTP/"),
    HTTP_METHOD("* * HTTP/"),
#undef HTTP_METHOD
    {"http", true, false, false, "HTTP/"},
    {"imap", true, false, false, "** OK"},
    {"imap", true, false, false, "** BYE"},
    {"imap", true, false, false, "** PREAUTH"},
    {"pop3", true, false, false, "+OK"},
    {"pop3", true, false, false, "-ERR"},
#define SIP_REQUEST(m) {"sip", false, true, false, m}
    SIP_REQUEST("INVITE"), SIP_REQUEST("CANCEL"), SIP_REQUEST("BYE"), SIP_REQUEST("REGISTER"),
    SIP_REQUEST("PRACK"), SIP_REQUEST("PUBLISH"), SIP_REQUEST("REFER"), SIP_REQUEST("INFO"),
    SIP_REQUEST("MESSAGE"), SIP_REQUEST("NOTIFY * SIP/"), SIP_REQUEST("OPTIONS * SIP/"),
    SIP_REQUEST("SUBSCRIBE * SIP/"), SIP_REQUEST("UPDATE * SIP/"), SIP_REQUEST("ACK * SIP/"),
    SIP_REQUEST("* * SIP/"),
#undef SIP_REQUEST
    {"sip", false, false, false, "SIP/"},
    {"smtp", true, true, false, "HELO"},
    {"smtp", true, true, false, "EHLO"},
    {"smtp", true, false, false, "220*SMTP"},
    {"smtp", true, false, false, "220*MAIL"},
    {"ssh", true, true, false, "SSH-"},
    {"ssh", true, false, false, "SSH-"},
    {"ssl", true, true, true, "\x16\x03"},
    {"ssl", true, false, true, "\x16\x03"},
};

bool TelnetCommand(std::string_view s) {  // |FF F0| .. |FF FE|
  return s.size() >= 2 && uint8_t(s[0]) == 0xff && uint8_t(s[1]) >= 0xf0 && uint8_t(s[1]) < 0xff;
}

// Glob match of `spell` at the start of `data`, case-insensitive; `*` spans any octets.
Verdict Glob(std::string_view spell, std::string_view data) {
  size_t s = 0, d = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (s < spell.size()) {
    if (spell[s] == '*') {
      star = ++s;
      resume = d;
      continue;
    }
    if (d == data.size()) return Verdict::kMaybe;
    if (std::toupper(static_cast<unsigned char>(data[d])) == spell[s]) {
      ++s;
      ++d;
    } else if (star != std::string_view::npos) {
      s = star;
      d = ++resume;
    } else {
      return Verdict::kNo;
    }
  }
  return Verdict::kYes;
}

Verdict Hex(std::string_view spell, std::string_view data) {
  for (size_t i = 0; i < spell.size(); ++i) {
    if (i == data.size()) return Verdict::kMaybe;
    if (spell[i] != '?' && spell[i] != data[i]) return Verdict::kNo;
  }
  return Verdict::kYes;
}

}  // namespace

std::string_view ServiceForPort(uint8_t proto, uint16_t port) {
  if (proto == 17) {
    if (port == 53) return "dns";
    if (port == 2222) return "cip";
    return {};
  }
  if (proto != 6) return {};
  switch (port) {
    case 53:
      return "dns";
    case 111:
      return "sunrpc";
    case 502:
      return "modbus";
    case 2123:
    case 2152:
    case 3386:
      return "gtp";
    case 2404:
      return "iec104";
    case 4840:
      return "opcua";
    case 44818:
      return "cip";
    default:
      return {};
  }
}

std::string_view WizardFeed(WizardState& w, bool from_client, bool tcp, std::string_view bytes) {
  if (w.done || bytes.empty()) return {};
  const int side = from_client ? 0 : 1;
  if (w.side_done[side]) return {};
  std::string& seen = w.seen[side];
  seen.append(bytes);
  bool maybe = false;
  for (const Spell& sp : kSpells) {
    if (sp.to_server != from_client || (sp.tcp_only && !tcp)) continue;
    const Verdict v = sp.hex ? Hex(sp.text, seen) : Glob(sp.text, seen);
    if (v == Verdict::kYes) {
      w.done = true;
      return sp.service;
    }
    maybe |= v == Verdict::kMaybe;
  }
  if (tcp && TelnetCommand(seen)) {
    w.done = true;
    return "telnet";
  }
  if (tcp && seen.size() == 1 && uint8_t(seen[0]) == 0xff) maybe = true;
  if (!tcp || !maybe || seen.size() >= kMaxSearchBytes) {
    w.side_done[side] = true;
    seen.clear();
    seen.shrink_to_fit();
  }
  // UDP: only the first packet counts; TCP: give up once neither side can match.
  if (!tcp || (w.side_done[0] && w.side_done[1])) w.done = true;
  return {};
}

}  // namespace snort

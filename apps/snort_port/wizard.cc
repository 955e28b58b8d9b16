// SPDX-License-Identifier: Apache-2.0
#include "wizard.h"

#include <span>

namespace snort {
namespace {

enum class Verdict : uint8_t { kNo, kMaybe, kYes };

// lua/snort_defaults.lua's lists.
constexpr std::string_view kHttpMethods[] = {"GET",
                                             "HEAD",
                                             "POST",
                                             "DELETE",
                                             "TRACE",
                                             "CONNECT",
                                             "VERSION_CONTROL",
                                             "REPORT",
                                             "CHECKOUT",
                                             "CHECKIN",
                                             "UNCHECKOUT",
                                             "MKWORKSPACE",
                                             "LABEL",
                                             "MERGE",
                                             "BASELINE_CONTROL",
                                             "MKACTIVITY",
                                             "ORDERPATCH",
                                             "ACL",
                                             "PATCH",
                                             "BIND",
                                             "LINK",
                                             "MKCALENDAR",
                                             "MKREDIRECTREF",
                                             "REBIND",
                                             "UNBIND",
                                             "UNLINK",
                                             "UPDATEREDIRECTREF",
                                             "PROPFIND",
                                             "PROPPATCH",
                                             "MKCOL",
                                             "COPY",
                                             "MOVE",
                                             "LOCK",
                                             "UNLOCK",
                                             "SEARCH",
                                             "BCOPY",
                                             "BDELETE",
                                             "BMOVE",
                                             "BPROPFIND",
                                             "BPROPPATCH",
                                             "POLL",
                                             "UNSUBSCRIBE",
                                             "X_MS_ENUMATTS",
                                             "NOTIFY * HTTP/",
                                             "OPTIONS * HTTP/",
                                             "SUBSCRIBE * HTTP/",
                                             "UPDATE * HTTP/",
                                             "PUT * HTTP/",
                                             "* * HTTP/"};
constexpr std::string_view kSipRequests[] = {
    "INVITE",        "CANCEL",     "BYE",     "REGISTER",      "PRACK",          "PUBLISH",
    "REFER",         "INFO",       "MESSAGE", "NOTIFY * SIP/", "OPTIONS * SIP/", "SUBSCRIBE * SIP/",
    "UPDATE * SIP/", "ACK * SIP/", "* * SIP/"};
constexpr std::string_view kFtpBanners[] = {"220*FTP", "220*FILEZILLA"};
constexpr std::string_view kHttpStatus[] = {"HTTP/"};
constexpr std::string_view kImapGreetings[] = {"** OK", "** BYE", "** PREAUTH"};
constexpr std::string_view kPopReplies[] = {"+OK", "-ERR"};
constexpr std::string_view kSipStatus[] = {"SIP/"};
constexpr std::string_view kSmtpClient[] = {"HELO", "EHLO"};
constexpr std::string_view kSmtpBanners[] = {"220*SMTP", "220*MAIL"};
constexpr std::string_view kSsh[] = {"SSH-"};
constexpr std::string_view kSslRecord[] = {"\x16\x03"};

// One spell list of a service, for one side.
struct Spells {
  std::string_view service;
  bool tcp_only;
  bool to_server;  ///< the client's spells (else the server's)
  bool hex;        ///< exact octets with `?` (else a case-insensitive glob)
  std::span<const std::string_view> texts;
};

// default_wizard's spells and hexes, in its order (the first service listed wins when two
// match); telnet's IAC hexes are tested apart (TelnetCommand).
constexpr Spells kWizard[] = {
    {"ftp", true, false, false, kFtpBanners},   {"http", true, true, false, kHttpMethods},
    {"http", true, false, false, kHttpStatus},  {"imap", true, false, false, kImapGreetings},
    {"pop3", true, false, false, kPopReplies},  {"sip", false, true, false, kSipRequests},
    {"sip", false, false, false, kSipStatus},   {"smtp", true, true, false, kSmtpClient},
    {"smtp", true, false, false, kSmtpBanners}, {"ssh", true, true, false, kSsh},
    {"ssh", true, false, false, kSsh},          {"ssl", true, true, true, kSslRecord},
    {"ssl", true, false, true, kSslRecord},
};

constexpr size_t CountSpells() {
  size_t n = 0;
  for (const Spells& sp : kWizard) n += sp.texts.size();
  return n;
}
static_assert(CountSpells() <= 128, "WizardState::ruled_out holds 128 bits per side");

bool TelnetCommand(std::string_view s) {  // |FF F0| .. |FF FE|
  return s.size() >= 2 && uint8_t(s[0]) == 0xff && uint8_t(s[1]) >= 0xf0 && uint8_t(s[1]) < 0xff;
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c; }

// Glob match of `spell` at the start of `data`, case-insensitive. As in Snort's SpellBook,
// `*` spans any run of octets and `**` is a literal `*`.
Verdict Glob(std::string_view spell, std::string_view data) {
  size_t s = 0, d = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (s < spell.size()) {
    const bool wild = spell[s] == '*' && (s + 1 == spell.size() || spell[s + 1] != '*');
    if (wild) {
      star = ++s;
      resume = d;
      continue;
    }
    const char want = spell[s];  // a literal (for "**", the first '*')
    const size_t width = spell[s] == '*' ? 2 : 1;
    if (d == data.size()) return Verdict::kMaybe;
    if (Upper(data[d]) == want) {
      s += width;
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
  std::array<uint64_t, 2>& out = w.ruled_out[size_t(side)];
  size_t bit = 0;  // the spell's index in the wizard's order
  for (const Spells& sp : kWizard) {
    const bool applies = sp.to_server == from_client && (!sp.tcp_only || tcp);
    for (const std::string_view text : sp.texts) {
      const size_t b = bit++;
      if (!applies || (out[b / 64] >> (b % 64) & 1)) continue;
      const Verdict v = sp.hex ? Hex(text, seen) : Glob(text, seen);
      if (v == Verdict::kYes) {
        w.done = true;
        return sp.service;
      }
      if (v == Verdict::kNo) out[b / 64] |= uint64_t(1) << (b % 64);
      maybe |= v == Verdict::kMaybe;
    }
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

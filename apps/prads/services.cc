// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3 servicefp/ (servicefp.c, tcps.c, tcpc.c, udps.c) on PCRE2.
//
// Loading (load_servicefp_file + parse_raw_signature): the file is split on '\n' only (a '\r'
// stays in the line, so in the regex); an empty line or one starting with '#' is ignored. The
// line is split on ','; fewer than 3 fields is a bad line; fields 3.. are joined back with ',' to
// form the regex (so it may contain commas, the title may not). The title field is split on '/';
// fewer than 3 parts is a bad line; part 0 ("v") is ignored, parts 1..3 are app, version, info.
// There are no escapes: a '/' or ',' inside the title always splits it. Signatures are appended,
// so a list is in file order and the first match wins. A regex that does not compile is a bad
// line; PRADS compiles with options 0 and studies it (an optimisation only).
//
// Application text (get_app_name): the title is first composed into a C string exactly as PRADS's
// fixed buffers do: app (at most 100 chars), then " " + version (at most 25) if the version is not
// empty, then " (" + info (at most 100) + ")" if the info is not empty. This is constant per
// signature, so it is composed at load time. At match time each '$' is replaced by capture group
// atoi(text after '$'), and exactly one character after the '$' is skipped ("$12" is group 12
// followed by a literal "2"); a group is copied up to its first NUL byte (PRADS copies a C string);
// the result is cut at 511 bytes (its 512-byte buffer).
//
// PCRE1 -> PCRE2: both libraries are used with no options and a 5-pair ovector (PRADS passes 15
// ints, a third of which is PCRE1 workspace), default newline LF, default limits, no JIT. A regex
// with an unrecognised letter escape (\j) compiles in PCRE1 as the literal letter but is an error
// in PCRE2, so exactly that error is retried with PCRE2_EXTRA_BAD_ESCAPE_IS_LITERAL.
// An unset group (inside rc) gives "" in both (PCRE1: offsets -1,-1 -> empty copy).
//
// Undefined behaviour in PRADS that we replace by the nearest defined behaviour (and never meet
// with the stock files except where noted): `$n` naming a group that the match did not report
// (n >= rc, e.g. tcp-service.sig's "SMTPD ?" signature uses $2 with one group; or rc <= 0) makes
// pcre_get_substring fail and PRADS read an unset pointer -> we substitute ""; a title with only
// 2 '/' (no info part) makes PRADS read an unset list slot -> we treat it as no info; an app
// of 100+ chars leaves PRADS's buffer unterminated -> we cut it at 100; a '$' as the very last
// character makes PRADS read past its buffer -> we stop there.
//
// Checked against the real thing: PRADS's own parse/get_app_name code on PCRE 8.39 and this file
// give byte-identical service:application text for all 58,899 distinct TCP/UDP payloads of the
// nDPI corpus in all four detector modes, and for randomly generated signature files (wherever
// PRADS's behaviour is defined). One difference cannot be removed: a catastrophic regex stops at
// PCRE1's and PCRE2's match limits, which count differently (client/UDP detectors take that error
// as a match); none of the stock signatures comes near it on the corpus.
#include "services.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <tuple>
#include <utility>

namespace prads {
namespace {

constexpr uint32_t kTcpPayloadMin = 10;  // PAYLOAD_MIN (tcp6 functions spell it 10)
constexpr uint32_t kUdpPayloadMin = 5;
constexpr uint32_t kWindow = 600;  // "should make a config.tcp_server_flowdept"
constexpr std::size_t kMaxApp = 100, kMaxVer = 25, kMaxMisc = 100;
constexpr std::size_t kMaxAppText = 511;  // get_app_name's char sub[512]
constexpr std::string_view kUnknown = "unknown";

// PRADS's init_services(): (proto, port, name), in its call order.
struct KnownPortSeed {
  uint8_t proto;
  uint16_t port;
  std::string_view name;
};
constexpr KnownPortSeed kKnownPortSeeds[] = {
    {6, 20, "@ftp-data"},      {6, 21, "@ftp"},         {6, 22, "@ssh"},      {6, 25, "@smtp"},
    {17, 53, "@domain"},       {6, 80, "@www"},         {6, 110, "@pop3"},    {6, 111, "@sunrpc"},
    {17, 111, "@sunrpc"},      {6, 113, "@auth"},       {6, 115, "@sftp"},    {6, 119, "@nntp"},
    {17, 123, "@ntp"},         {6, 143, "@imap2"},      {6, 161, "@snmp"},    {17, 161, "@snmp"},
    {6, 162, "@snmp-trap"},    {17, 162, "@snmp-trap"}, {6, 389, "@ldap"},    {6, 443, "@https"},
    {6, 445, "@microsoft-ds"}, {17, 514, "@syslog"},    {6, 554, "@rtsp"},    {17, 554, "@rtsp"},
    {6, 631, "@ipp"},          {6, 990, "@ftps"},       {6, 992, "@telnets"}, {6, 993, "@imaps"},
    {6, 995, "@pop3s"},        {17, 1194, "@openvpn"},  {6, 2049, "@nfs"},    {17, 2049, "@nfs"},
    {6, 3306, "@mysql"},       {6, 6667, "@irc"},
};

uint8_t ProtoBit(uint8_t proto) { return proto == 6 ? 0x01 : proto == 17 ? 0x02 : 0x00; }

struct CodeFree {
  void operator()(pcre2_code* code) const noexcept { pcre2_code_free(code); }
};
struct CompileContextFree {
  void operator()(pcre2_compile_context* c) const noexcept { pcre2_compile_context_free(c); }
};
using CodePtr = std::unique_ptr<pcre2_code, CodeFree>;

// bstrlib's bsplit: every separator splits, so "a,,b," gives {"a", "", "b", ""} and "" gives {""}.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

// What C code sees of a bstring it reads through bdata(): the bytes before the first NUL.
std::string_view CString(std::string_view s) { return s.substr(0, s.find('\0')); }

// get_app_name's composition of app/version/info into its `app` buffer.
std::string ComposeTitle(std::string_view app, std::string_view ver,
                         std::optional<std::string_view> misc) {
  std::string title(CString(app).substr(0, kMaxApp));
  if (!ver.empty()) {  // PRADS tests the bstring length, then copies the C string
    title += ' ';
    title += CString(ver).substr(0, kMaxVer);
  }
  if (misc && !misc->empty()) {
    title += " (";
    title += CString(*misc).substr(0, kMaxMisc);
    title += ')';
  }
  return title;
}

// atoi(): leading C whitespace, an optional sign, decimal digits; saturates instead of PRADS's
// undefined overflow (any such group number is out of range anyway).
int Atoi(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  long long value = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    value = std::min<long long>(value * 10 + (s[i] - '0'), INT_MAX);
  }
  return static_cast<int>(negative ? -value : value);
}

// pcre_get_substring(subject, ovector, rc, n) as a C string; "" where PRADS's call fails (n out of
// range, rc <= 0) and it would go on to read an unset pointer.
std::string_view Group(const uint8_t* subject, uint32_t window, const PCRE2_SIZE* ovector, int rc,
                       int n) {
  if (n < 0 || n >= rc) return {};
  const PCRE2_SIZE start = ovector[2 * n], end = ovector[2 * n + 1];
  if (start == PCRE2_UNSET || end == PCRE2_UNSET || start > end || end > window) return {};
  return CString(std::string_view(reinterpret_cast<const char*>(subject) + start, end - start));
}

// get_app_name's $n substitution.
std::string ExpandTitle(std::string_view title, const uint8_t* subject, uint32_t window,
                        const PCRE2_SIZE* ovector, int rc) {
  std::string out;
  std::size_t i = 0;
  while (i < title.size() && out.size() < kMaxAppText) {
    if (title[i] != '$') {
      out += title[i++];
      continue;
    }
    ++i;
    const std::string_view group = Group(subject, window, ovector, rc, Atoi(title.substr(i)));
    out += group.substr(0, kMaxAppText - out.size());
    ++i;  // PRADS skips exactly one character after the '$', whatever the number's length
  }
  return out;
}

}  // namespace

struct ServiceDatabase::Signature {
  std::string service;
  std::string title;  ///< get_app_name's composed `app` text, before $n substitution
  CodePtr regex;
};

void ServiceDatabase::MatchDataFree::operator()(pcre2_real_match_data_8* md) const noexcept {
  pcre2_match_data_free(md);
}

namespace {

// Compiles one signature regex as PCRE1's pcre_compile(regex, 0, ...) would accept it. On failure
// returns null and sets `error`.
CodePtr CompileRegex(std::string_view regex, pcre2_compile_context* lenient, std::string& error) {
  regex = CString(regex);  // pcre_compile takes a C string
  static constexpr char kEmpty[] = "";
  const auto* pattern = reinterpret_cast<PCRE2_SPTR>(regex.empty() ? kEmpty : regex.data());
  int code = 0;
  PCRE2_SIZE offset = 0;
  CodePtr re(pcre2_compile(pattern, regex.size(), 0, &code, &offset, nullptr));
  if (!re && (code == PCRE2_ERROR_UNKNOWN_ESCAPE || code == PCRE2_ERROR_ESCAPE_INVALID_IN_CLASS)) {
    // PCRE1 without PCRE_EXTRA takes an unknown letter escape as the letter.
    re.reset(pcre2_compile(pattern, regex.size(), 0, &code, &offset, lenient));
  }
  if (!re) {
    std::array<PCRE2_UCHAR, 256> message{};
    pcre2_get_error_message(code, message.data(), message.size());
    error = "regex does not compile: " + std::string(reinterpret_cast<char*>(message.data())) +
            " at offset " + std::to_string(offset);
  }
  return re;
}

}  // namespace

ServiceDatabase::ServiceDatabase() : match_(pcre2_match_data_create(5, nullptr)) {
  // add_known_services: the first name given for a port is kept; protocols accumulate.
  for (const KnownPortSeed& seed : kKnownPortSeeds) {
    auto it = std::find_if(known_ports_.begin(), known_ports_.end(),
                           [&](const KnownPortEntry& e) { return e.port == seed.port; });
    if (it == known_ports_.end()) {
      known_ports_.push_back({seed.port, 0, std::string(seed.name)});
      it = known_ports_.end() - 1;
    }
    it->protos |= ProtoBit(seed.proto);
  }
  std::sort(known_ports_.begin(), known_ports_.end(),
            [](const KnownPortEntry& a, const KnownPortEntry& b) { return a.port < b.port; });
}

ServiceDatabase::ServiceDatabase(ServiceDatabase&&) noexcept = default;
ServiceDatabase& ServiceDatabase::operator=(ServiceDatabase&&) noexcept = default;
ServiceDatabase::~ServiceDatabase() = default;

ServiceDatabase::Paths ServiceDatabase::DefaultPaths(std::string_view dir) {
  std::string base(dir);
  if (!base.empty() && base.back() != '/') base += '/';
  return Paths{base + "tcp-service.sig", base + "tcp-clients.sig", base + "udp-service.sig"};
}

namespace {

// parse_raw_signature over a whole file (load_servicefp_file), appending to `list`. A template
// only because ServiceDatabase::Signature is private: the type is deduced, never named here.
template <typename Signature>
void ParseSignatureFile(std::string_view name, std::string_view text,
                        pcre2_compile_context* lenient, std::vector<Signature>& list,
                        LoadReport& report) {
  report.file = std::string(name);
  const std::vector<std::string_view> lines = Split(text, '\n');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty() || line[0] == '\0' || line[0] == '#') continue;
    auto bad = [&](const std::string& reason) {
      ++report.skipped;
      report.errors.push_back(report.file + ":" + std::to_string(i + 1) + ": " + reason);
    };
    const std::vector<std::string_view> fields = Split(line, ',');
    if (fields.size() < 3) {
      bad("fewer than 3 comma-separated fields (service,v/app/version/info/,regex)");
      continue;
    }
    const std::vector<std::string_view> title = Split(fields[1], '/');
    if (title.size() < 3) {
      bad("title \"" + std::string(fields[1]) + "\" has fewer than 3 '/'-separated parts");
      continue;
    }
    // Fields 3.. joined with ',' again: simply the rest of the line after the second comma.
    const std::string_view regex = line.substr(fields[0].size() + 1 + fields[1].size() + 1);
    std::string error;
    CodePtr re = CompileRegex(regex, lenient, error);
    if (!re) {
      bad(error);
      continue;
    }
    list.push_back(Signature{
        std::string(CString(fields[0])),
        ComposeTitle(title[1], title[2],
                     title.size() > 3 ? std::optional<std::string_view>(title[3]) : std::nullopt),
        std::move(re)});
    ++report.loaded;
  }
}

s6::StatusOr<std::string> ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return s6::NotFoundError("cannot open signature file " + path + ": " + std::strerror(errno));
  }
  std::string data;
  std::array<char, 65536> buf;
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) data.append(buf.data(), n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    return s6::NotFoundError("cannot read signature file " + path + ": " + std::strerror(err));
  }
  return data;
}

}  // namespace

ServiceDatabase ServiceDatabase::Parse(const Paths& names, const Texts& texts,
                                       std::vector<LoadReport>* reports) {
  ServiceDatabase db;
  std::unique_ptr<pcre2_compile_context, CompileContextFree> lenient(
      pcre2_compile_context_create(nullptr));
  pcre2_set_compile_extra_options(lenient.get(), PCRE2_EXTRA_BAD_ESCAPE_IS_LITERAL);
  // PRADS's order: CS_TCP_SERVER, CS_UDP_SERVICES, CS_TCP_CLIENT.
  const std::array<std::tuple<const std::string*, std::string_view, std::vector<Signature>*>, 3>
      files{{{&names.tcp_service, texts.tcp_service, &db.tcp_service_},
             {&names.udp_service, texts.udp_service, &db.udp_service_},
             {&names.tcp_clients, texts.tcp_clients, &db.tcp_clients_}}};
  for (const auto& [name, text, list] : files) {
    if (name->empty()) continue;
    LoadReport report;
    ParseSignatureFile(*name, text, lenient.get(), *list, report);
    if (reports != nullptr) reports->push_back(std::move(report));
  }
  return db;
}

s6::StatusOr<ServiceDatabase> ServiceDatabase::Load(const Paths& paths,
                                                    std::vector<LoadReport>* reports) {
  std::string tcp_service, tcp_clients, udp_service;
  for (auto [path, text] :
       {std::pair{&paths.tcp_service, &tcp_service}, std::pair{&paths.udp_service, &udp_service},
        std::pair{&paths.tcp_clients, &tcp_clients}}) {
    if (path->empty()) continue;
    S6_ASSIGN_OR_RETURN(*text, ReadFile(*path));
  }
  return Parse(paths, Texts{tcp_service, tcp_clients, udp_service}, reports);
}

std::size_t ServiceDatabase::tcp_service_size() const noexcept { return tcp_service_.size(); }
std::size_t ServiceDatabase::tcp_clients_size() const noexcept { return tcp_clients_.size(); }
std::size_t ServiceDatabase::udp_service_size() const noexcept { return udp_service_.size(); }

std::string_view ServiceDatabase::KnownPort(uint8_t proto, uint16_t port) const {
  auto it = std::lower_bound(known_ports_.begin(), known_ports_.end(), port,
                             [](const KnownPortEntry& e, uint16_t p) { return e.port < p; });
  if (it == known_ports_.end() || it->port != port || (it->protos & ProtoBit(proto)) == 0) {
    return {};
  }
  return it->name;
}

bool ServiceDatabase::MatchList(const std::vector<Signature>& list, const PacketView& p,
                                uint32_t window, MatchRule rule, Role sc,
                                std::vector<ServiceHit>& hits) const {
  if (!match_ || p.payload == nullptr) return false;
  for (const Signature& sig : list) {
    const int rc = pcre2_match(sig.regex.get(), p.payload, window, 0, 0, match_.get(), nullptr);
    const bool matched = rule == MatchRule::kNonNegative ? rc >= 0 : rc != PCRE2_ERROR_NOMATCH;
    if (!matched) continue;
    hits.push_back(ServiceHit{
        sc, sig.service,
        ExpandTitle(sig.title, p.payload, window, pcre2_get_ovector_pointer(match_.get()), rc)});
    return true;
  }
  return false;
}

std::vector<ServiceHit> ServiceDatabase::ServerTcp(const PacketView& p, Role sc,
                                                   uint8_t& check) const {
  std::vector<ServiceHit> hits;
  // parse_tcp's guard.
  if (sc != Role::kServer || (check & (kCxtDontCheckServer | kCxtServiceDontCheck)) != 0) {
    return hits;
  }
  // service_tcp4 and service_tcp6 are identical.
  if (p.payload == nullptr || p.plen < kTcpPayloadMin) return hits;
  const uint32_t window = std::min(p.plen, kWindow);
  if (MatchList(tcp_service_, p, window, MatchRule::kNonNegative, sc, hits)) {
    check |= kCxtServiceDontCheck;
    return hits;
  }
  if ((check & kCxtServiceUnknownSet) == 0) {
    if (const std::string_view name = KnownPort(6, p.sport); !name.empty()) {
      hits.push_back(ServiceHit{sc, std::string(kUnknown), std::string(name)});
      check |= kCxtServiceUnknownSet;
    }
  }
  return hits;
}

std::vector<ServiceHit> ServiceDatabase::ClientTcp(const PacketView& p, Role sc,
                                                   uint8_t& check) const {
  std::vector<ServiceHit> hits;
  if (sc != Role::kClient || (check & (kCxtDontCheckClient | kCxtClientDontCheck)) != 0) {
    return hits;
  }
  if (p.payload == nullptr || p.plen < kTcpPayloadMin) return hits;
  // client_tcp4 looks at 600 bytes, client_tcp6 at the whole payload.
  const uint32_t window = p.af == 6 ? p.plen : std::min(p.plen, kWindow);
  if (MatchList(tcp_clients_, p, window, MatchRule::kNotNoMatch, sc, hits)) {
    check |= kCxtClientDontCheck;
    return hits;
  }
  if ((check & kCxtClientUnknownSet) == 0) {
    if (const std::string_view name = KnownPort(6, p.dport); !name.empty()) {
      hits.push_back(ServiceHit{sc, std::string(kUnknown), std::string(name)});
      check |= kCxtClientUnknownSet;
    }
  }
  return hits;
}

std::vector<ServiceHit> ServiceDatabase::Udp(const PacketView& p, Role sc, uint8_t& check) const {
  std::vector<ServiceHit> hits;
  // parse_udp's guard: "!DONT_CHECK_SERVICE || !DONT_CHECK_CLIENT". Nothing sets the client bit
  // on a UDP connection, so in practice every UDP packet is examined.
  if ((check & kCxtServiceDontCheck) != 0 && (check & kCxtClientDontCheck) != 0) return hits;
  if (p.payload == nullptr || p.plen < kUdpPayloadMin) return hits;
  // service_udp4 gets udp-service.sig and the whole payload; service_udp6 gets the (empty) UDP
  // client list and 600 bytes.
  const bool v6 = p.af == 6;
  const uint32_t window = v6 ? std::min(p.plen, kWindow) : p.plen;
  if (MatchList(v6 ? udp_clients_ : udp_service_, p, window, MatchRule::kNotNoMatch, sc, hits)) {
    check |= kCxtServiceDontCheck;  // whatever the packet's role
    return hits;
  }
  UdpKnownPort(p, sc, check, hits);
  return hits;
}

void ServiceDatabase::UdpKnownPort(const PacketView& p, Role sc, uint8_t& check,
                                   std::vector<ServiceHit>& hits) const {
  auto add = [&](Role role, std::string_view name) {
    hits.push_back(ServiceHit{role, std::string(kUnknown), std::string(name)});
  };
  if (sc == Role::kClient && (check & kCxtClientUnknownSet) == 0) {
    if (const std::string_view name = KnownPort(17, p.dport); !name.empty()) {
      add(Role::kClient, name);
      check |= kCxtClientUnknownSet;
    } else if (const std::string_view rname = KnownPort(17, p.sport); !rname.empty()) {
      // reverse_pi_cxt: the connection's check bits are cleared and the packet becomes the
      // server's; PRADS then still sets the *client* unknown bit.
      check = 0;
      add(Role::kServer, rname);
      check |= kCxtClientUnknownSet;
    }
  } else if (sc == Role::kServer && (check & kCxtServiceUnknownSet) == 0) {
    if (const std::string_view name = KnownPort(17, p.sport); !name.empty()) {
      add(Role::kServer, name);
      check |= kCxtServiceUnknownSet;
    } else if (const std::string_view rname = KnownPort(17, p.dport); !rname.empty()) {
      check = 0;  // reverse_pi_cxt
      add(Role::kClient, rname);
      check |= kCxtServiceUnknownSet;
    }
  }
}

}  // namespace prads

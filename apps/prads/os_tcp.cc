// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's TCP OS fingerprinting, rebuilt from sig_tcp.c, with its
// observable behaviour kept on purpose (the asset log must match real prads record for record):
//
//  * Loading reproduces load_sigs line by line: fgets chunks of at most 1023 bytes (so a longer
//    line counts as several), blank trimming, the exact sscanf pattern
//    "%[0-9%*()ST]:%d:%d:%[0-9()*]:%[^:]:%[^ :]:%[^:]:%[^:]", atoi's and the C integer
//    truncations, and the SIGHASH bucket computed from the unconverted values. Where PRADS calls
//    fatal() the line is skipped and reported; quirk 'K' is accepted (PRADS accepts it whenever
//    RST detection is on, which is its default, and otherwise never reads tcp-rst.fp).
//  * Extraction reproduces fp_tcp/parse_quirks/parse_tcpopt, including that the detection code
//    PRADS passes (CO_*) is compared with TCP flag constants (TF_*): CO_ACK == TF_ACK,
//    CO_RST == TF_RST and CO_FIN == TF_FIN, so those three detections get their special cases
//    and SYN/SYNACK none. Options are walked against the capture end (not the IP length), the
//    'D' quirk against the IP-length-truncated end, exactly like PRADS; every read is bounded by
//    view.end, and an option that would need bytes past it is "broken" ('!').
//  * Matching reproduces find_match with PRADS's static settings (no fuzzy matching, known and
//    unknown both reported): one bucket, first match in file order, then once more with DF=1.
//  * Printing reproduces file_os calling gen_fp_tcp(&os->fp, os->uptime, 0): with tf == 0 the
//    ACK/RST variants never apply, so the size is always printed and all options are listed.
//
// PRADS's update_asset_os recognises a known fingerprint by the os/desc string POINTERS of the
// matched signature (strdup'd per signature, so one identity per signature line) or two NULLs
// for an unknown one; OsHit::identity encodes exactly that ("SYN#12" or "unknown").
#include "os_tcp.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include <s6/net.h>

namespace prads {
namespace {

using s6::net::Load16;
using s6::net::Load32;

// ---- PRADS constants (prads.h, config.h) ----------------------------------------------------

constexpr uint8_t kTfFin = 0x01, kTfSyn = 0x02, kTfRst = 0x04, kTfPush = 0x08, kTfAck = 0x10,
                  kTfEce = 0x40, kTfCwr = 0x80;

// The detection codes PRADS passes to fp_tcp (config.h CO_*).
constexpr uint8_t kCoFin = 0x01, kCoSyn = 0x02, kCoRst = 0x04, kCoSynAck = 0x08, kCoAck = 0x10;

constexpr uint8_t kModConst = 1, kModMss = 2, kModMtu = 3;

constexpr uint32_t kQuirkPast = 0x1, kQuirkZeroId = 0x2, kQuirkIpOpt = 0x4, kQuirkUrg = 0x8,
                   kQuirkX2 = 0x10, kQuirkAck = 0x20, kQuirkT2 = 0x40, kQuirkFlags = 0x80,
                   kQuirkData = 0x100, kQuirkBroken = 0x200, kQuirkRstAck = 0x400,
                   kQuirkSeqEq = 0x800, kQuirkSeq0 = 0x1000, kQuirkFinAck = 0x2000,
                   kQuirkFlowL = 0x4000;

constexpr uint8_t kOptEol = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackOk = 4,
                  kOptTimestamp = 8;

constexpr int kMaxOpt = 16;           // MAXOPT
constexpr uint16_t kPacketBig = 100;  // PACKET_BIG: '*' size means ">= 100"
constexpr std::size_t kMaxLine = 1024;
constexpr uint32_t kSnapLength = 1604;  // PRADS's end_ptr never goes further

// ---- The C library as PRADS uses it (C locale) ---------------------------------------------

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

/// s[i] as C sees the NUL-terminated string: '\0' at and past the end.
char At(std::string_view s, std::size_t i) { return i < s.size() ? s[i] : '\0'; }

struct CInt {
  bool ok = false;  // at least one digit
  int32_t value = 0;
  std::size_t end = 0;  // index after the number
};

/// strtol(s + pos, .., 10) stored into an int, as glibc's atoi and sscanf("%d") do: leading
/// blanks, an optional sign, digits; saturates at LONG_MIN/LONG_MAX, then keeps the low 32 bits.
CInt ParseCLong(std::string_view s, std::size_t pos) {
  while (pos < s.size() && IsSpace(s[pos])) ++pos;
  bool neg = false;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) neg = s[pos++] == '-';
  const std::size_t first = pos;
  uint64_t mag = 0;
  bool over = false;
  constexpr uint64_t kLimit = uint64_t{1} << 63;  // |LONG_MIN|
  for (; pos < s.size() && IsDigit(s[pos]); ++pos) {
    if (over) continue;
    const uint64_t digit = static_cast<uint64_t>(s[pos] - '0');
    if (mag > (kLimit - digit) / 10) {
      over = true;
    } else {
      mag = mag * 10 + digit;
    }
  }
  if (pos == first) return {false, 0, pos};
  int64_t v;
  if (neg) {
    v = (over || mag >= kLimit) ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(mag);
  } else {
    v = (over || mag >= kLimit) ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(mag);
  }
  return {true, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))), pos};
}

/// atoi(s + pos).
int32_t CAtoi(std::string_view s, std::size_t pos) { return ParseCLong(s, pos).value; }

/// Splits a file the way `while (fgets(buf, 1024, f))` does: chunks end after '\n' or at 1023
/// bytes, and each is a C string (cut at an embedded NUL).
class FgetsReader {
 public:
  explicit FgetsReader(std::string_view text) : text_(text) {}
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    std::size_t n = 0;
    while (n < kMaxLine - 1 && pos_ + n < text_.size()) {
      if (text_[pos_ + n++] == '\n') break;
    }
    *line = text_.substr(pos_, n);
    pos_ += n;
    *line = line->substr(0, line->find('\0'));
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// ---- One signature line ---------------------------------------------------------------------

/// The eight fields of a signature line, as sscanf stores them.
struct SigFields {
  std::string w;
  uint32_t t = 0, d = 0;
  std::string sb, obuf, quirks, genre, desc;
};

/// A cursor reproducing the sscanf directives the signature pattern uses.
class LineScanner {
 public:
  explicit LineScanner(std::string_view s) : s_(s) {}

  /// %[set]: one or more characters accepted by `in_set`.
  template <typename Pred>
  bool Set(Pred in_set, std::string* out) {
    const std::size_t first = pos_;
    while (pos_ < s_.size() && in_set(s_[pos_])) ++pos_;
    if (pos_ == first) return false;
    out->assign(s_.substr(first, pos_ - first));
    return true;
  }
  /// An ordinary character in the format: must match the next input character.
  bool Literal(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  /// %d into a uint32_t (PRADS scans into uint32_t variables: the int's bits).
  bool Int(uint32_t* out) {
    const CInt v = ParseCLong(s_, pos_);
    if (!v.ok) return false;
    *out = static_cast<uint32_t>(v.value);
    pos_ = v.end;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

/// sscanf(p, "%[0-9%*()ST]:%d:%d:%[0-9()*]:%[^:]:%[^ :]:%[^:]:%[^:]", ...) == 8.
bool ScanSigLine(std::string_view p, SigFields* f) {
  const auto wss_set = [](char c) { return IsDigit(c) || std::strchr("%*()ST", c) != nullptr; };
  const auto size_set = [](char c) { return IsDigit(c) || c == '(' || c == ')' || c == '*'; };
  const auto not_colon = [](char c) { return c != ':'; };
  const auto not_blank_colon = [](char c) { return c != ':' && c != ' '; };
  LineScanner s(p);
  return s.Set(wss_set, &f->w) && s.Literal(':') && s.Int(&f->t) && s.Literal(':') &&
         s.Int(&f->d) && s.Literal(':') && s.Set(size_set, &f->sb) && s.Literal(':') &&
         s.Set(not_colon, &f->obuf) && s.Literal(':') && s.Set(not_blank_colon, &f->quirks) &&
         s.Literal(':') && s.Set(not_colon, &f->genre) && s.Literal(':') &&
         s.Set(not_colon, &f->desc);
}

// Each parser returns "" on success, else why PRADS would have called fatal().

/// parse_sig_wsize.
std::string ParseWsize(std::string_view w, TcpSignature& sig) {
  if (At(w, 0) == '*') {
    sig.wsize = 1;
    sig.wsize_mod = kModConst;
  } else if (ToLower(At(w, 0)) == 's' || ToLower(At(w, 0)) == 't') {
    const bool mss = ToLower(At(w, 0)) == 's';
    sig.wsize_mod = mss ? kModMss : kModMtu;
    if (!IsDigit(At(w, 1))) return mss ? "bad Snn value in WSS" : "bad Tnn value in WSS";
    sig.wsize = static_cast<uint16_t>(CAtoi(w, 1));
  } else if (At(w, 0) == '%') {
    sig.wsize = static_cast<uint16_t>(CAtoi(w, 1));
    if (sig.wsize == 0) return "null modulo for window size";
    sig.wsize_mod = kModConst;
  } else {
    sig.wsize = static_cast<uint16_t>(CAtoi(w, 0));
  }
  return "";
}

/// The 'W' and 'M' option values: '*', '%n' (modulo, n != 0 after truncation) or a number.
std::string ParseOptionValue(std::string_view p, std::size_t i, char name, uint16_t* value,
                             uint8_t* mod) {
  if (At(p, i + 1) == '*') {
    *value = 1;
    *mod = kModConst;
  } else if (At(p, i + 1) == '%') {
    *value = static_cast<uint16_t>(CAtoi(p, i + 2));
    if (*value == 0) return name == 'W' ? "null modulo for wscale" : "null modulo for MSS";
    *mod = kModConst;
  } else if (!IsDigit(At(p, i + 1))) {
    return std::string("incorrect ") + name + " value";
  } else {
    *value = static_cast<uint16_t>(CAtoi(p, i + 1));
  }
  return "";
}

/// parse_sig_options.
std::string ParseSigOptions(std::string_view p, TcpSignature& sig) {
  sig.zero_stamp = true;
  std::size_t i = 0;
  if (At(p, i) == '.') ++i;
  while (At(p, i) != '\0') {
    uint8_t& op = sig.opt[sig.optcnt];
    std::string err;
    switch (ToLower(At(p, i))) {
      case 'n':
        op = kOptNop;
        break;
      case 'e':
        op = kOptEol;  // options after EOL are allowed (PRADS's "improved fingerprints")
        break;
      case 's':
        op = kOptSackOk;
        break;
      case 't':
        op = kOptTimestamp;
        if (At(p, i + 1) != '0') {
          sig.zero_stamp = false;
          if (IsDigit(At(p, i + 1))) return "bogus Tstamp specification";
        }
        break;
      case 'w':
        op = kOptWscale;
        err = ParseOptionValue(p, i, 'W', &sig.wsc, &sig.wsc_mod);
        break;
      case 'm':
        op = kOptMss;
        err = ParseOptionValue(p, i, 'M', &sig.mss, &sig.mss_mod);
        break;
      case '?':
        if (!IsDigit(At(p, i + 1))) return "bogus ?nn value";
        op = static_cast<uint8_t>(CAtoi(p, i + 1));
        break;
      default:
        return std::string("unknown TCP option '") + At(p, i) + "'";
    }
    if (!err.empty()) return err;
    if (++sig.optcnt >= kMaxOpt) return "too many TCP options";
    do {  // skip the value and separators, up to the next option letter or '?'
      ++i;
    } while (At(p, i) != '\0' && !IsAlpha(At(p, i)) && At(p, i) != '?');
  }
  return "";
}

/// parse_sig_quirks.
std::string ParseSigQuirks(std::string_view p, TcpSignature& sig) {
  static constexpr std::pair<char, uint32_t> kLetters[] = {
      {'K', kQuirkRstAck}, {'D', kQuirkData},   {'Q', kQuirkSeqEq}, {'0', kQuirkSeq0},
      {'P', kQuirkPast},   {'Z', kQuirkZeroId}, {'I', kQuirkIpOpt}, {'U', kQuirkUrg},
      {'X', kQuirkX2},     {'A', kQuirkAck},    {'T', kQuirkT2},    {'F', kQuirkFlags},
      {'N', kQuirkFinAck}, {'L', kQuirkFlowL},  {'!', kQuirkBroken}};
  for (const char raw : p) {
    const char c = ToUpper(raw);
    if (c == '.') continue;
    if (c == 'E') return "quirk 'E' is obsolete (append E to the options)";
    const auto* it = std::find_if(std::begin(kLetters), std::end(kLetters),
                                  [c](const auto& l) { return l.first == c; });
    if (it == std::end(kLetters)) return std::string("bad quirk '") + raw + "'";
    sig.quirks |= it->second;
  }
  return "";
}

/// PRADS's SIGHASH(size, optcnt, quirks, df) % hashsize, in unsigned 32-bit arithmetic.
uint32_t SigHash(uint32_t size, uint32_t optcnt, uint32_t quirks, uint32_t df) {
  return ((size << 2) ^ (optcnt << 1) ^ df ^ quirks) % TcpSignatureTable::kHashSize;
}

/// One line of load_sigs after trimming, comments and blank lines: "" and `sig` filled, or why
/// the line is rejected.
std::string ParseSigLine(std::string_view p, uint32_t line, TcpSignature& sig) {
  SigFields f;
  if (!ScanSigLine(p, &f)) return "syntax error";
  const uint32_t s = f.sb[0] != '*' ? static_cast<uint32_t>(CAtoi(f.sb, 0)) : 0;
  std::size_t g = 0;
  for (;; ++g) {
    const char c = At(f.genre, g);
    if (c == '-') {
      sig.userland = true;
    } else if (c == '*') {
      sig.no_detail = true;
    } else if (c == '@') {
      sig.generic = true;
    } else if (c == '\0') {
      return "empty OS genre";
    } else {
      break;
    }
  }
  sig.os = f.genre.substr(g);
  sig.desc = f.desc;
  sig.ttl = static_cast<uint8_t>(f.t);
  sig.size = static_cast<uint16_t>(s);
  sig.df = static_cast<uint8_t>(f.d);
  sig.line = line;
  if (std::string err = ParseWsize(f.w, sig); !err.empty()) return err;
  if (std::string err = ParseSigOptions(f.obuf, sig); !err.empty()) return err;
  if (std::string err = ParseSigQuirks(f.quirks, sig); !err.empty()) return err;
  sig.bucket = SigHash(s, sig.optcnt, sig.quirks, f.d);
  return "";
}

// ---- A packet's fingerprint (fp_tcp, parse_quirks, parse_tcpopt) ----------------------------

/// The packet's fp_entry plus the timestamp parse_tcpopt returns.
struct PacketFp {
  uint8_t ttl = 0, df = 0;
  uint16_t size = 0;
  uint8_t optcnt = 0;
  std::array<uint8_t, kMaxOpt> opt{};
  uint16_t mss = 0, wsc = 0, wsize = 0;
  uint32_t quirks = 0;
  uint32_t tstamp = 0;
};

/// parse_quirks: what the TCP header's flags, sequence numbers and reserved bits say.
uint32_t TcpHeaderQuirks(const uint8_t* tcp, uint8_t ftype) {
  const uint8_t flags = tcp[13];
  const uint32_t seq = Load32(tcp + 4), ack = Load32(tcp + 8);
  uint32_t q = 0;
  if (ftype == kTfRst && (flags & kTfAck)) q |= kQuirkRstAck;
  if (ftype == kTfFin && (flags & kTfAck)) q |= kQuirkFinAck;
  if (seq == ack) q |= kQuirkSeqEq;
  if (seq == 0) q |= kQuirkSeq0;
  const uint8_t allowed =
      kTfSyn | kTfAck | kTfRst | kTfEce | kTfCwr | (ftype == kTfAck ? kTfPush : 0);
  if (flags & ~allowed) q |= kQuirkFlags;
  if (ack != 0) q |= kQuirkAck;
  if (Load16(tcp + 18) != 0) q |= kQuirkUrg;
  if (tcp[12] & 0x0f) q |= kQuirkX2;
  return q;
}

/// A walk over the TCP options as parse_tcpopt does it: `pos` is the next byte, `ilen` what the
/// data offset says is left (it may go negative), `end` the first byte that must not be read.
struct OptionWalk {
  const uint8_t* buf;
  int64_t pos;
  int32_t ilen;
  int64_t end;
  uint32_t tstamp = 0;  // the last TSval seen, host order

  /// One option whose kind byte was just consumed, recorded as e.opt[slot]; false when PRADS
  /// calls the options broken (this one is then not counted).
  bool Step(uint8_t kind, uint8_t slot, PacketFp& e) {
    switch (kind) {
      case kOptEol:
        if (ilen) e.quirks |= kQuirkPast;  // and parsing goes on: every padding byte is an EOL
        break;
      case kOptNop:
        break;
      case kOptSackOk:
        Skip(1);  // its length byte is skipped, not read
        break;
      case kOptMss:
        if (pos + 3 > end) return false;
        e.mss = Load16(buf + pos + 1);
        Skip(3);
        break;
      case kOptWscale:
        if (pos + 2 > end) return false;
        e.wsc = buf[pos + 1];
        Skip(2);
        break;
      case kOptTimestamp:
        if (pos + 9 > end) return false;
        if (Load32(buf + pos + 5) != 0) e.quirks |= kQuirkT2;
        tstamp = Load32(buf + pos + 1);
        Skip(9);
        break;
      default: {  // including the proxy options PRADS names (it only logs them)
        if (pos + 1 > end) return false;
        const int32_t olen = static_cast<int32_t>(buf[pos]) - 1;  // the length byte stays
        if (olen > 32 || olen < 0) return false;
        Skip(olen);
        break;
      }
    }
    e.opt[slot] = kind;
    return true;
  }

  void Skip(int32_t n) {
    ilen -= n;
    pos += n;
  }
};

/// parse_tcpopt over buf[pos, pos + ilen), never reading at or past buf[end]. Fills optcnt,
/// opt, mss, wsc and quirks of `e`; returns the last timestamp value seen (host order).
uint32_t ParseTcpOptions(const uint8_t* buf, int64_t pos, int32_t ilen, int64_t end, PacketFp& e) {
  OptionWalk w{buf, pos, ilen, end};
  uint8_t ocnt = 0;
  bool broken = false;
  while (w.ilen > 0 && !broken) {
    --w.ilen;
    // PRADS reads the first kind byte unchecked (later ones are checked below). A TCP header
    // ending at the capture end gets past PRADS's own checks only; it is called broken here.
    if (w.pos >= w.end) {
      broken = true;
      break;
    }
    if (!w.Step(buf[w.pos++], ocnt, e)) {
      broken = true;
      break;
    }
    if (++ocnt >= kMaxOpt - 1) broken = true;  // even when this was the last option
    if (w.ilen > 0 && w.pos >= w.end) broken = true;
  }
  if (broken) e.quirks |= kQuirkBroken;
  e.optcnt = ocnt;
  return w.tstamp;
}

/// Where a packet's bytes are, as offsets from `base` so that PRADS's end pointer (which may lie
/// beyond the captured bytes) is only ever compared, never dereferenced.
struct Extent {
  const uint8_t* base;
  int64_t safe_end;   // nothing at or past this is read (view.end)
  int64_t prads_end;  // PRADS's end_ptr: the wire length capped at SNAPLENGTH
  int64_t Off(const uint8_t* p) const { return p - base; }
};

/// fp_tcp's IPv4 part: TTL, size, DF and the IP quirks; returns PRADS's end_ptr cut at the
/// datagram's declared end, or nullopt where PRADS returns early.
std::optional<int64_t> ReadIpv4(const uint8_t* ip, const Extent& x, uint8_t ftype, PacketFp& e) {
  const int64_t ip_off = x.Off(ip);
  if (ip_off + 20 > x.safe_end) return std::nullopt;
  const uint16_t ip_len = Load16(ip + 2);
  const int64_t end = std::min<int64_t>(x.prads_end, ip_off + ip_len);
  if (ip_off + 20 > end) return std::nullopt;
  const int ihl = ip[0] & 15;
  if (ihl < 5) return std::nullopt;
  if (ihl > 5) e.quirks |= kQuirkIpOpt;
  e.ttl = ip[8];
  e.size = ftype == kCoAck ? 0 : ip_len;
  e.df = (Load16(ip + 6) & 0x4000) != 0;
  if (Load16(ip + 4) == 0) e.quirks |= kQuirkZeroId;
  return end;
}

/// fp_tcp's IPv6 part, likewise. DF is always 1.
std::optional<int64_t> ReadIpv6(const uint8_t* ip, const Extent& x, uint8_t ftype, PacketFp& e) {
  const int64_t ip_off = x.Off(ip);
  if (ip_off + 40 > x.safe_end) return std::nullopt;
  const uint16_t payload_len = Load16(ip + 4);
  const int64_t end = std::min<int64_t>(x.prads_end, ip_off + 40 + payload_len);
  if (ip_off + 40 > end) return std::nullopt;
  // A flow label gives 'L'; none gives 'Z' (PRADS's stand-in for IPv4's zero IP id).
  e.quirks |= (Load32(ip) & 0x000fffff) != 0 ? kQuirkFlowL : kQuirkZeroId;
  e.ttl = ip[7];
  e.size = ftype == kCoAck ? 0 : payload_len;
  e.df = 1;
  return end;
}

/// fp_tcp up to the signature lookup: the packet's fingerprint, or nullopt where PRADS returns
/// early (and where the view has no readable IP and TCP header).
std::optional<PacketFp> ExtractFingerprint(const PacketView& v, uint8_t ftype) {
  const uint8_t* ip = v.ip4 != nullptr ? v.ip4 : v.ip6;
  if (ip == nullptr || v.l4 == nullptr || v.end == nullptr) return std::nullopt;
  const uint8_t* base = v.packet != nullptr ? v.packet : ip;
  if (ip < base || v.l4 < ip || v.end < base) return std::nullopt;
  Extent x{base, v.end - base, v.end - base};
  if (v.packet != nullptr && v.wire_len != 0) {
    x.prads_end = std::min<int64_t>(v.wire_len, kSnapLength);
  }
  const int64_t tcp_off = x.Off(v.l4);
  if (tcp_off + 20 > x.safe_end) return std::nullopt;

  PacketFp e;
  const std::optional<int64_t> end =
      v.ip4 != nullptr ? ReadIpv4(ip, x, ftype, e) : ReadIpv6(ip, x, ftype, e);
  if (!end) return std::nullopt;
  e.quirks |= TcpHeaderQuirks(v.l4, ftype);
  const int32_t ilen = static_cast<int32_t>((v.l4[12] >> 4) << 2) - 20;
  const int64_t opt_off = tcp_off + 20;
  // 'D': bytes after the TCP header within the datagram (ilen < 0 counts too, as in PRADS).
  if (opt_off + ilen < *end && ftype != kCoAck) e.quirks |= kQuirkData;
  e.tstamp = ParseTcpOptions(base, opt_off, ilen, std::min(x.safe_end, x.prads_end), e);
  e.wsize = Load16(v.l4 + 14);
  return e;
}

// ---- find_match -----------------------------------------------------------------------------

/// find_match's per-signature test, TTL last (PRADS's fuzzy mode, which would use it, is off).
bool SignatureMatches(const TcpSignature& p, const PacketFp& e) {
  if (e.size != 0) {
    if (p.size != 0) {
      if (e.size != p.size) return false;
    } else if (e.size < kPacketBig) {
      return false;
    }
  }
  if (e.optcnt != p.optcnt) return false;
  if (p.zero_stamp != (e.tstamp == 0)) return false;
  if (p.df != e.df) return false;
  if (p.quirks != e.quirks) return false;
  if (!p.mss_mod ? e.mss != p.mss : (e.mss % p.mss) != 0) return false;
  if (!p.wsc_mod ? e.wsc != p.wsc : (e.wsc % p.wsc) != 0) return false;
  switch (p.wsize_mod) {
    case 0:
      if (e.wsize != p.wsize) return false;
      break;
    case kModConst:
      if (e.wsize % p.wsize) return false;
      break;
    case kModMss:
      if (e.mss && !(e.wsize % e.mss)) {
        if (e.wsize / e.mss != p.wsize) return false;
      } else if (!(e.wsize % 1460)) {
        if (e.wsize / 1460 != p.wsize) return false;
      } else {
        return false;
      }
      break;
    case kModMtu:
      if (e.mss && !(e.wsize % (e.mss + 40))) {
        if (e.wsize / (e.mss + 40) != p.wsize) return false;
      } else if (!(e.wsize % 1500)) {
        if (e.wsize / 1500 != p.wsize) return false;
      } else {
        return false;
      }
      break;
    default:
      break;
  }
  for (int j = 0; j < e.optcnt; ++j) {
    if (p.opt[j] != e.opt[j]) return false;
  }
  return p.ttl >= e.ttl;
}

/// find_match: the index of the matching signature, or -1. Sets e.df to 1 when it was 0 and
/// the first lookup failed (PRADS leaves it so, and prints it).
int FindMatch(const TcpSignatureTable& table, PacketFp& e) {
  for (;;) {
    for (const uint32_t idx : table.bucket(SigHash(e.size, e.optcnt, e.quirks, e.df))) {
      if (SignatureMatches(table.signatures()[idx], e)) return static_cast<int>(idx);
    }
    if (e.df) return -1;
    e.df = 1;
  }
}

// ---- Text (gen_fp_tcp, file_os) -------------------------------------------------------------

/// gen_fp_tcpopt.
std::string FormatOptions(const PacketFp& e) {
  std::string s;
  for (int j = 0; j < e.optcnt; ++j) {
    switch (e.opt[j]) {
      case kOptNop:
        s += 'N';
        break;
      case kOptWscale:
        s += 'W' + std::to_string(e.wsc);
        break;
      case kOptMss:
        s += 'M' + std::to_string(e.mss);
        break;
      case kOptTimestamp:
        s += e.tstamp ? "T" : "T0";
        break;
      case kOptSackOk:
        s += 'S';
        break;
      case kOptEol:
        s += 'E';
        break;
      default:
        s += '?' + std::to_string(e.opt[j]);
        break;
    }
    if (j != e.optcnt - 1) s += ',';
  }
  if (s.size() < 2) s += '.';  // PRADS's test: so a lone "N" prints as "N."
  return s;
}

/// gen_fp_tcpquirks.
std::string FormatQuirks(uint32_t quirks) {
  if (quirks == 0) return ".";
  static constexpr std::pair<uint32_t, char> kOrder[] = {
      {kQuirkRstAck, 'K'}, {kQuirkSeqEq, 'Q'}, {kQuirkSeq0, '0'},  {kQuirkPast, 'P'},
      {kQuirkZeroId, 'Z'}, {kQuirkIpOpt, 'I'}, {kQuirkUrg, 'U'},   {kQuirkX2, 'X'},
      {kQuirkAck, 'A'},    {kQuirkT2, 'T'},    {kQuirkFlags, 'F'}, {kQuirkData, 'D'},
      {kQuirkFinAck, 'N'}, {kQuirkFlowL, 'L'}, {kQuirkBroken, '!'}};
  std::string s;
  for (const auto& [bit, letter] : kOrder) {
    if (quirks & bit) s += letter;
  }
  return s;
}

/// gen_fp_tcp(e, tstamp, 0), the call file_os makes.
std::string FormatFingerprint(const PacketFp& e) {
  const uint32_t mss = e.mss, wss = e.wsize;
  std::string s;
  if (mss && wss && !(wss % mss)) {
    s = 'S' + std::to_string(wss / mss);
  } else if (wss && !(wss % 1460)) {
    s = 'S' + std::to_string(wss / 1460);
  } else if (mss && wss && !(wss % (mss + 40))) {
    s = 'T' + std::to_string(wss / (mss + 40));
  } else if (wss && !(wss % 1500)) {
    s = 'T' + std::to_string(wss / 1500);
  } else if (wss == 12345) {
    s = "*(12345)";
  } else {
    s = std::to_string(wss);
  }
  s += ':' + std::to_string(e.ttl) + ':' + std::to_string(e.df) + ':';
  s += e.size < kPacketBig ? std::to_string(e.size) : "*(" + std::to_string(e.size) + ")";
  s += ':' + FormatOptions(e) + ':' + FormatQuirks(e.quirks);
  return s;
}

struct MtuName {
  uint16_t mtu;
  const char* dev;
};

// PRADS's mtu.h, sorted by MTU.
constexpr MtuName kMtuTable[] = {
    {256, "radio modem"},
    {386, "ethernut"},
    {552, "SLIP line / encap ppp"},
    {576, "sometimes modem"},
    {1280, "gif tunnel"},
    {1300, "PIX, SMC, sometimes wireless"},
    {1362, "sometimes DSL (1)"},
    {1372, "cable modem"},
    {1400, "(Google/AOL)"},
    {1408, "virtualization"},
    {1415, "sometimes wireless"},
    {1420, "GPRS, T1, FreeS/WAN"},
    {1423, "sometimes cable"},
    {1440, "sometimes DSL (2)"},
    {1442, "IPIP tunnel"},
    {1450, "vtun"},
    {1452, "sometimes DSL (3)"},
    {1454, "sometimes DSL (4)"},
    {1456, "ISDN ppp"},
    {1458, "BT DSL (?)"},
    {1460, "3G WAN"},
    {1462, "sometimes DSL (5)"},
    {1470, "(Google 2)"},
    {1476, "IPSec/GRE"},
    {1480, "IPv6/IPIP"},
    {1492, "pppoe (DSL)"},
    {1496, "vLAN"},
    {1500, "ethernet/modem"},
    {1656, "Ericsson HIS"},
    {2024, "wireless/IrDA"},
    {2048, "Cyclom X.25 WAN"},
    {2250, "AiroNet wireless"},
    {3924, "loopback"},
    {4056, "token ring (1)"},
    {4096, "Sangoma X.25 WAN"},
    {4352, "FDDI"},
    {4500, "token ring (2)"},
    {9180, "FORE ATM"},
    {16384, "sometimes loopback (1)"},
    {16436, "sometimes loopback (2)"},
    {18000, "token ring x4"},
};

constexpr int DetectionIndex(Detection d) { return static_cast<int>(d); }

constexpr uint8_t kDetectionCodes[] = {kCoSyn, kCoSynAck, kCoAck, kCoFin, kCoRst};

}  // namespace

std::string TcpLinkName(uint16_t mss) {
  const uint16_t mtu = static_cast<uint16_t>(mss + 40);
  for (const MtuName& m : kMtuTable) {
    if (mtu == m.mtu) return m.dev;
    if (mtu < m.mtu) break;
  }
  return "unknown-" + std::to_string(mtu);
}

TcpSignatureTable TcpSignatureTable::Parse(std::string_view text, const std::string& file,
                                           LoadReport* report) {
  TcpSignatureTable table;
  table.loaded_ = true;
  LoadReport local;
  LoadReport& r = report != nullptr ? *report : local;
  r.file = file;
  FgetsReader reader(text);
  std::string_view raw;
  uint32_t ln = 0;
  while (reader.Next(&raw)) {
    ++ln;
    const std::string_view p = TrimBlanks(raw);
    if (p.empty() || p.front() == '#') continue;
    TcpSignature sig;
    if (std::string err = ParseSigLine(p, ln, sig); !err.empty()) {
      ++r.skipped;
      r.errors.push_back(file + ":" + std::to_string(ln) + ": " + err);
      continue;
    }
    ++r.loaded;
    table.buckets_[sig.bucket].push_back(static_cast<uint32_t>(table.sigs_.size()));
    table.sigs_.push_back(std::move(sig));
  }
  return table;
}

TcpOsDatabase::Paths TcpOsDatabase::DefaultPaths(std::string_view dir) {
  std::string d(dir);
  if (!d.empty() && d.back() != '/') d += '/';
  return Paths{d + "tcp-syn.fp", d + "tcp-synack.fp", d + "tcp-stray-ack.fp",
               d + "tcp-fin.fp", d + "tcp-rst.fp",    d + "mtu.sig"};
}

s6::StatusOr<TcpOsDatabase> TcpOsDatabase::Load(const Paths& paths,
                                                std::vector<LoadReport>* reports) {
  const std::string* files[] = {&paths.syn, &paths.synack, &paths.ack, &paths.fin, &paths.rst};
  std::array<TcpSignatureTable, 5> tables;
  for (int i = 0; i < 5; ++i) {
    const std::string& path = *files[i];
    if (path.empty()) continue;  // not loaded, as PRADS with this detection off
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      return s6::NotFoundError(path + ": cannot open: " + std::strerror(errno));
    }
    std::string text;
    char chunk[4096];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
    std::fclose(f);
    LoadReport report;
    tables[i] = TcpSignatureTable::Parse(text, path, &report);
    if (reports != nullptr) reports->push_back(std::move(report));
  }
  return FromTables(std::move(tables[0]), std::move(tables[1]), std::move(tables[2]),
                    std::move(tables[3]), std::move(tables[4]));
}

TcpOsDatabase TcpOsDatabase::FromTables(TcpSignatureTable syn, TcpSignatureTable synack,
                                        TcpSignatureTable ack, TcpSignatureTable fin,
                                        TcpSignatureTable rst) {
  TcpOsDatabase db;
  db.tables_[DetectionIndex(Detection::kSyn)] = std::move(syn);
  db.tables_[DetectionIndex(Detection::kSynAck)] = std::move(synack);
  db.tables_[DetectionIndex(Detection::kAck)] = std::move(ack);
  db.tables_[DetectionIndex(Detection::kFin)] = std::move(fin);
  db.tables_[DetectionIndex(Detection::kRst)] = std::move(rst);
  return db;
}

const TcpSignatureTable* TcpOsDatabase::table(Detection d) const {
  const int i = DetectionIndex(d);
  return i < 5 ? &tables_[i] : nullptr;
}

std::optional<OsHit> TcpOsDatabase::Fingerprint(const PacketView& p, Detection d) const {
  const TcpSignatureTable* table = this->table(d);
  if (table == nullptr || p.proto != 6) return std::nullopt;
  std::optional<PacketFp> e = ExtractFingerprint(p, kDetectionCodes[DetectionIndex(d)]);
  if (!e) return std::nullopt;
  const int match = table->loaded() ? FindMatch(*table, *e) : -1;

  OsHit hit;
  hit.detection = d;
  hit.uptime = e->tstamp;
  hit.info = FormatFingerprint(*e);
  if (match >= 0) {
    const TcpSignature& sig = table->signatures()[match];
    hit.info += ':' + sig.os + ':' + sig.desc;
    hit.identity = std::string(DetectionName(d)) + '#' + std::to_string(match);
  } else {
    hit.info += ":unknown:unknown";
    hit.identity = "unknown";
  }
  if (e->mss) hit.info += ":link:" + TcpLinkName(e->mss);
  if (e->tstamp) hit.info += ":uptime:" + std::to_string(e->tstamp / 360000) + "hrs";
  return hit;
}

}  // namespace prads

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see http.h. Layout of this file, bottom-up:
//  - character classes (http_tables.cc) and URI / classic normalization (http_uri_norm.cc,
//    http_uri.cc);
//  - HeaderBlock: splits a header block into lines and derives normalized values
//    (http_msg_head_shared.cc, http_normalized_header.cc, http_normalizers.cc);
//  - Inflater: gzip/deflate decoding that survives between packets as plain data;
//  - UTF-16/32 narrowing (helpers/utf.cc);
//  - Parser: the cutters (http_cutter.cc) and the per-section processing (http_msg_*.cc)
//    applied to one HttpState.
// Every index into received bytes is bounds-checked: the input is hostile.
#include "http.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace snort {
namespace {

constexpr uint32_t kMaxOctets = 63780;         // largest section (http_enum.h MAX_OCTETS)
constexpr uint32_t kGzipBlockSize = 2048;      // section target while inflating
constexpr uint32_t kMaxSectionStretch = 1460;  // MAX_SECTION_STRETCH
constexpr uint8_t kMaxLeadingWhitespace = 20;  // before a start line
constexpr uint32_t kMaxMethodLength = 80;
constexpr size_t kMaxPipeline = 99;             // maximum_pipelined_requests
constexpr size_t kWindowSize = 32768;           // deflate window
constexpr uint64_t kMaxInflateRedo = 1u << 20;  // output redone per packet before giving up
constexpr size_t kMaxWrapperHeader = 65536;     // gzip header (with name/comment) size limit
constexpr uint32_t kMaxChunkLength = 0xFFFFFFFFu;

uint8_t U8(char c) { return static_cast<uint8_t>(c); }
bool IsSpTab(uint8_t c) { return c == ' ' || c == '\t'; }
bool IsCrLf(uint8_t c) { return c == '\r' || c == '\n'; }
bool IsSpTabCrLf(uint8_t c) { return IsSpTab(c) || IsCrLf(c); }
bool IsSpTabLf(uint8_t c) { return IsSpTab(c) || c == '\n'; }
// SP, HT, LF, VT, FF, CR: the white space discarded before a start line.
bool IsStartWhitespace(uint8_t c) { return c == ' ' || (c >= 9 && c <= 13); }
bool IsAlpha(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
// RFC 7230 tchar (http_tables.cc token_char).
bool IsToken(uint8_t c) {
  return IsAlpha(c) || IsDigit(c) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}
bool IsSchemeChar(uint8_t c) {
  return IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.';
}
int HexValue(uint8_t c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// --- URI normalization (http_uri_norm.cc) ---------------------------------------------------

enum class UriChar : uint8_t { kNormal, kPercent, kPath, kEightBit, kSubstitute };

UriChar ClassOf(uint8_t c, const HttpUriConfig& cfg) {
  if (c >= 0x80) return UriChar::kEightBit;
  if (c == '%') return UriChar::kPercent;
  if (c == '+') return cfg.plus_to_space ? UriChar::kSubstitute : UriChar::kNormal;
  if (c == '\\') return cfg.backslash_to_slash ? UriChar::kSubstitute : UriChar::kNormal;
  if (c == '/' || c == '.') return cfg.simplify_path ? UriChar::kPath : UriChar::kNormal;
  return UriChar::kNormal;
}

bool NeedNormNoPath(std::string_view s, const HttpUriConfig& cfg) {
  for (char c : s) {
    const UriChar k = ClassOf(U8(c), cfg);
    if (k == UriChar::kPercent || k == UriChar::kSubstitute) return true;
  }
  return false;
}

bool NeedNormPath(std::string_view s, const HttpUriConfig& cfg) {
  const size_t n = s.size();
  for (size_t k = 0; k < n; ++k) {
    switch (ClassOf(U8(s[k]), cfg)) {
      case UriChar::kNormal:
      case UriChar::kEightBit:
        continue;
      case UriChar::kPercent:
      case UriChar::kSubstitute:
        return true;
      case UriChar::kPath:
        if (s[k] == '/') {
          // A slash is safe unless it follows another slash.
          if (k == 0 || s[k - 1] != '/') continue;
          return true;
        }
        // A period is safe when neither neighbour is a path character.
        if ((k == 0 || ClassOf(U8(s[k - 1]), cfg) != UriChar::kPath) &&
            (k + 1 == n || ClassOf(U8(s[k + 1]), cfg) != UriChar::kPath)) {
          continue;
        }
        return true;
    }
  }
  return false;
}

bool NeedNorm(std::string_view s, bool do_path, const HttpUriConfig& cfg) {
  return (do_path && cfg.simplify_path) ? NeedNormPath(s, cfg) : NeedNormNoPath(s, cfg);
}

bool IsPercentEncoding(std::string_view in, size_t k) {
  return k + 2 < in.size() && HexValue(U8(in[k + 1])) >= 0 && HexValue(U8(in[k + 2])) >= 0;
}

uint8_t PercentValue(std::string_view in, size_t k) {
  return static_cast<uint8_t>(HexValue(U8(in[k + 1])) << 4 | HexValue(U8(in[k + 2])));
}

bool IsUEncoding(std::string_view in, size_t k) {
  if (k + 5 >= in.size() || (in[k + 1] != 'u' && in[k + 1] != 'U')) return false;
  for (size_t j = k + 2; j <= k + 5; ++j) {
    if (HexValue(U8(in[j])) < 0) return false;
  }
  return true;
}

uint16_t UValue(std::string_view in, size_t k) {
  uint16_t v = 0;
  for (size_t j = k + 2; j <= k + 5; ++j) v = static_cast<uint16_t>(v << 4 | HexValue(U8(in[j])));
  return v;
}

// Code points above 0xFF become 0xFF (iis_unicode is off by default).
uint8_t ReduceToEightBits(uint32_t v) { return v <= 0xFF ? static_cast<uint8_t>(v) : 0xFF; }

bool StartsUtf8(uint8_t v) { return (v & 0xE0) == 0xC0 || (v & 0xF0) == 0xE0; }

// First pass: %hh (and %uNNNN when enabled); remembers which output octets were encoded.
std::string PercentPass(std::string_view in, const HttpUriConfig& cfg, std::vector<bool>* encoded,
                        bool* utf8_needed, bool* double_needed) {
  std::string out;
  out.reserve(in.size());
  encoded->assign(in.size(), false);
  for (size_t k = 0; k < in.size(); ++k) {
    const uint8_t c = U8(in[k]);
    const UriChar kind = ClassOf(c, cfg);
    if (kind != UriChar::kPercent) {
      if (kind == UriChar::kEightBit && cfg.utf8_bare_byte && StartsUtf8(c)) *utf8_needed = true;
      out.push_back(in[k]);
      continue;
    }
    if (IsPercentEncoding(in, k)) {
      const uint8_t v = PercentValue(in, k);
      (*encoded)[out.size()] = true;
      if (StartsUtf8(v)) *utf8_needed = true;
      if (v == '%') *double_needed = true;
      out.push_back(static_cast<char>(v));
      k += 2;
    } else if (k + 1 < in.size() && in[k + 1] == '%') {
      *double_needed = true;  // %% => %
      out.push_back('%');
      k += 1;
    } else if (cfg.percent_u && IsUEncoding(in, k)) {
      const uint8_t v = ReduceToEightBits(UValue(in, k));
      (*encoded)[out.size()] = true;
      if (StartsUtf8(v)) *utf8_needed = true;
      if (v == '%') *double_needed = true;
      out.push_back(static_cast<char>(v));
      k += 5;
    } else {
      *double_needed = true;  // unrecognized: passed through
      out.push_back('%');
    }
  }
  return out;
}

// Second pass: 2- and 3-octet UTF-8 sequences made of encoded octets become one octet.
std::string Utf8Pass(const std::string& in, const std::vector<bool>& encoded,
                     const HttpUriConfig& cfg, bool* double_needed) {
  std::string out;
  out.reserve(in.size());
  auto enc = [&](size_t k) { return (k < encoded.size() && encoded[k]) || cfg.utf8_bare_byte; };
  auto cont = [&](size_t k) { return k < in.size() && enc(k) && (U8(in[k]) & 0xC0) == 0x80; };
  for (size_t k = 0; k < in.size(); ++k) {
    const uint8_t c = U8(in[k]);
    uint32_t value = 0;
    size_t used = 0;
    if (enc(k) && (c & 0xE0) == 0xC0 && cont(k + 1)) {
      value = (c & 0x1Fu) << 6 | (U8(in[k + 1]) & 0x3Fu);
      used = 2;
    } else if (enc(k) && (c & 0xF0) == 0xE0 && cont(k + 1) && cont(k + 2)) {
      value = (c & 0x0Fu) << 12 | (U8(in[k + 1]) & 0x3Fu) << 6 | (U8(in[k + 2]) & 0x3Fu);
      used = 3;
    }
    if (used == 0) {
      out.push_back(in[k]);
      continue;
    }
    const uint8_t v = ReduceToEightBits(value);
    if (v == '%') *double_needed = true;
    out.push_back(static_cast<char>(v));
    k += used - 1;
  }
  return out;
}

// Third pass: what decoded to '%' followed by hex digits is decoded again (IIS double decode).
std::string DoubleDecodePass(const std::string& in, const HttpUriConfig& cfg) {
  std::string out;
  out.reserve(in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    if (in[k] != '%') {
      out.push_back(in[k]);
    } else if (IsPercentEncoding(in, k)) {
      out.push_back(static_cast<char>(PercentValue(in, k)));
      k += 2;
    } else if (cfg.percent_u && IsUEncoding(in, k)) {
      out.push_back(static_cast<char>(ReduceToEightBits(UValue(in, k))));
      k += 5;
    } else {
      out.push_back('%');
    }
  }
  return out;
}

// norm_char_clean(): the three decoding passes.
std::string CharClean(std::string_view in, const HttpUriConfig& cfg) {
  std::vector<bool> encoded;
  bool utf8_needed = false;
  bool double_needed = false;
  std::string out = PercentPass(in, cfg, &encoded, &utf8_needed, &double_needed);
  if (cfg.utf8 && utf8_needed) out = Utf8Pass(out, encoded, cfg, &double_needed);
  if (cfg.iis_double_decode && double_needed) out = DoubleDecodePass(out, cfg);
  return out;
}

void Substitute(std::string* s, const HttpUriConfig& cfg) {
  for (char& c : *s) {
    if (cfg.backslash_to_slash && c == '\\') c = '/';
  }
  for (char& c : *s) {
    if (cfg.plus_to_space && c == '+') c = ' ';
  }
}

// norm_path_clean(): removes //, /./ and /../ (never above the root).
void PathClean(std::string* s) {
  std::string& buf = *s;
  const size_t in_length = buf.size();
  if (in_length == 0) return;
  size_t length = 0;
  // Pretends there is an extra '/' after the buffer so a trailing "." or ".." is handled.
  for (size_t k = 0; k <= in_length; ++k) {
    if ((k < in_length && buf[k] != '/') || k == 0) {
      buf[length++] = buf[k];
    } else if (k < in_length && length >= 1 && buf[length - 1] == '/') {
      // A slash following a slash is dropped.
    } else if (length >= 2 && buf[length - 1] == '.' && buf[length - 2] == '/') {
      length -= 1;  // "/./"
    } else if (length >= 3 && buf[length - 1] == '.' && buf[length - 2] == '.' &&
               buf[length - 3] == '/') {
      if (length == 3) {
        length -= 2;  // above the root: keep the leading '/'
      } else {
        for (length -= 3; length > 0 && buf[length - 1] != '/'; --length) {
        }
      }
    } else if (k < in_length) {
      buf[length++] = '/';
    }
  }
  buf.resize(length);
}

std::string NormalizeComponent(std::string_view in, bool do_path, const HttpUriConfig& cfg) {
  std::string out = CharClean(in, cfg);
  Substitute(&out, cfg);
  if (do_path && cfg.simplify_path) PathClean(&out);
  return out;
}

// Pieces of path?query#fragment; a missing query or fragment is nullopt-like (present=false).
struct AbsPath {
  std::string_view path;
  std::string_view query;
  std::string_view fragment;
  bool has_query = false;
  bool has_fragment = false;
};

AbsPath SplitAbsPath(std::string_view abs) {
  AbsPath p;
  const size_t path_end = abs.find_first_of("?#");
  p.path = abs.substr(0, path_end);
  if (path_end == std::string_view::npos) return p;
  if (abs[path_end] == '?') {
    p.has_query = true;
    const std::string_view rest = abs.substr(path_end + 1);
    const size_t hash = rest.find('#');
    p.query = rest.substr(0, hash);
    if (hash != std::string_view::npos) {
      p.has_fragment = true;
      p.fragment = rest.substr(hash + 1);
    }
  } else {
    p.has_fragment = true;
    p.fragment = abs.substr(path_end + 1);
  }
  return p;
}

// The host of an authority: up to ':' (an IPv6 literal's colons are inside []).
size_t HostLength(std::string_view authority) {
  size_t n = 0;
  if (!authority.empty() && authority[0] == '[') {
    while (n < authority.size() && authority[n] != ']') ++n;
  }
  while (n < authority.size() && authority[n] != ':') ++n;
  return n;
}

std::string NormalizeAuthority(std::string_view uri, const HttpUriConfig& cfg) {
  const size_t host_len = HostLength(uri);
  const std::string_view host = uri.substr(0, host_len);
  if (host.empty() || !NeedNorm(host, false, cfg)) return std::string(uri);
  std::string out = NormalizeComponent(host, false, cfg);
  if (host_len < uri.size()) {
    out.push_back(':');
    out.append(uri.substr(host_len + 1));
  }
  return out;
}

// Where the absolute path of an absolute URI (scheme://authority/path) starts; npos when the
// URI is malformed (HttpUri::parse_uri()).
size_t AbsolutePathStart(std::string_view uri) {
  constexpr size_t kMaxSchemeLength = 36;
  size_t j = 0;
  while (j < uri.size() && uri[j] != ':' && IsSchemeChar(U8(uri[j]))) ++j;
  size_t k = j + 3;
  while (k < uri.size() && uri[k] != '/') ++k;
  if (k < uri.size() && uri[j] == ':' && uri[j + 1] == '/' && uri[j + 2] == '/' &&
      U8(uri[0]) >= 'A' && j <= kMaxSchemeLength) {
    return k;
  }
  return std::string_view::npos;
}

}  // namespace

std::string HttpNormalizeUri(std::string_view uri, bool connect, const HttpUriConfig& cfg) {
  if (uri.empty() || uri == "*") return std::string(uri);
  if (connect) return NormalizeAuthority(uri, cfg);
  size_t abs_start = 0;
  if (uri[0] != '/') {
    abs_start = AbsolutePathStart(uri);
    if (abs_start == std::string_view::npos) return std::string(uri);  // malformed: raw
  }
  const std::string_view abs = uri.substr(abs_start);
  const AbsPath p = SplitAbsPath(abs);
  const bool norm_path = !p.path.empty() && NeedNorm(p.path, true, cfg);
  const bool norm_query = !p.query.empty() && NeedNorm(p.query, false, cfg);
  const bool norm_fragment = !p.fragment.empty() && NeedNorm(p.fragment, false, cfg);
  // http_uri of an absolute URI is its path?query#fragment only.
  if (!norm_path && !norm_query && !norm_fragment) return std::string(abs);
  std::string out = norm_path ? NormalizeComponent(p.path, true, cfg) : std::string(p.path);
  if (p.has_query) {
    out.push_back('?');
    out += norm_query ? NormalizeComponent(p.query, false, cfg) : std::string(p.query);
  }
  if (p.has_fragment) {
    out.push_back('#');
    out += norm_fragment ? NormalizeComponent(p.fragment, false, cfg) : std::string(p.fragment);
  }
  return out;
}

std::string HttpClassicNormalize(std::string_view raw, const HttpUriConfig& cfg) {
  if (raw.empty() || !NeedNormNoPath(raw, cfg)) return std::string(raw);
  return CharClean(raw, cfg);
}

namespace {

// --- Header blocks (http_msg_head_shared.cc, http_normalized_header.cc) ---------------------

enum class HeaderNorm : uint8_t {
  kBasic,      // white space trimmed and squeezed, repeated headers joined by ','
  kRemoveLws,  // ... and every SP/HT removed (Content-Length)
  kTokenList,  // ... and lower case (Transfer-Encoding, Content-Encoding)
  kCharset,    // SP/HT and quotes removed, lower case (Content-Type)
};

class HeaderBlock {
 public:
  explicit HeaderBlock(std::string_view block) : block_(block) { Split(); }

  // Normalized value of every header named `name` (lower case), as NormalizedHeader::get_norm.
  // Empty when absent.
  std::string Value(std::string_view name, HeaderNorm norm) const {
    std::string joined;
    bool first = true;
    for (const Line& l : lines_) {
      if (!l.has_colon || l.id != name) continue;
      if (!first) joined.push_back(',');
      first = false;
      AppendTrimmed(block_.substr(l.value_start, l.value_len), &joined);
    }
    return Apply(joined, norm);
  }

  // The raw value of the first header named `name`.
  std::string_view FirstRaw(std::string_view name) const {
    for (const Line& l : lines_) {
      if (l.has_colon && l.id == name) return block_.substr(l.value_start, l.value_len);
    }
    return {};
  }

  // The block without the lines named `name` (get_classic_raw_header()): each kept line keeps
  // the separators that follow it.
  std::string WithoutLines(std::string_view name) const {
    bool any = false;
    for (const Line& l : lines_) any |= (l.has_colon && l.id == name);
    if (!any) return std::string(block_);
    std::string out;
    for (size_t k = 0; k < lines_.size(); ++k) {
      if (lines_[k].has_colon && lines_[k].id == name) continue;
      const size_t end =
          k + 1 < lines_.size() ? lines_[k + 1].start : lines_[k].start + lines_[k].len;
      out.append(block_.substr(lines_[k].start, end - lines_[k].start));
    }
    return out;
  }

 private:
  struct Line {
    size_t start = 0;
    size_t len = 0;
    bool has_colon = false;
    size_t value_start = 0;
    size_t value_len = 0;
    std::string id;  // lower case name without white space
  };

  // find_next_header(): a line ends at CR/LF unless the next line is a continuation.
  size_t NextLine(size_t from, size_t* seps) const {
    const size_t n = block_.size();
    size_t k = from;
    while (k < n && IsCrLf(U8(block_[k]))) ++k;
    *seps = k - from;
    for (++k; k < n; ++k) {
      if (!IsCrLf(U8(block_[k]))) continue;
      const bool ends = (k + 2 < n && block_[k] == '\r' && block_[k + 1] == '\n' &&
                         !IsSpTab(U8(block_[k + 2]))) ||
                        (k + 1 < n && block_[k] == '\n' && !IsSpTab(U8(block_[k + 1]))) ||
                        (k + 1 < n && block_[k] == '\r' && !IsSpTabLf(U8(block_[k + 1])));
      if (ends) return k - from - *seps;
    }
    return n > from + *seps ? n - from - *seps : 0;
  }

  void Split() {
    size_t used = 0;
    while (used < block_.size()) {
      size_t seps = 0;
      const size_t len = NextLine(used, &seps);
      if (len == 0) break;
      Line l;
      l.start = used + seps;
      l.len = len;
      const std::string_view text = block_.substr(l.start, len);
      const size_t colon = text.find(':');
      if (colon != std::string_view::npos) {
        l.has_colon = true;
        l.value_start = l.start + colon + 1;
        l.value_len = len - colon - 1;
        for (char c : text.substr(0, colon)) {
          if (!IsSpTabCrLf(U8(c))) l.id.push_back(ToLower(c));
        }
      }
      lines_.push_back(std::move(l));
      used += seps + len;
    }
  }

  // derive_header_content(): trims and squeezes linear white space (CR/LF of folded lines too).
  static void AppendTrimmed(std::string_view v, std::string* out) {
    const size_t begin = out->size();
    bool last_white = true;
    for (char c : v) {
      if (!IsSpTabCrLf(U8(c))) {
        out->push_back(c);
        last_white = false;
      } else if (!last_white) {
        out->push_back(' ');
        last_white = true;
      }
    }
    if (out->size() > begin && out->back() == ' ') out->pop_back();
  }

  static std::string Apply(const std::string& v, HeaderNorm norm) {
    if (norm == HeaderNorm::kBasic) return v;
    std::string out;
    for (char c : v) {
      if (IsSpTab(U8(c))) continue;
      if (norm == HeaderNorm::kCharset && (c == '"' || c == '\'')) continue;
      out.push_back(norm == HeaderNorm::kRemoveLws ? c : ToLower(c));
    }
    return out;
  }

  std::string_view block_;
  std::vector<Line> lines_;
};

// norm_decimal_integer(): the first comma-separated value; -1 when not a number.
int64_t DecimalInteger(std::string_view v) {
  if (v.empty()) return -1;
  int64_t total = 0;
  int significant = 0;
  for (size_t k = 0; k < v.size() && (k == 0 || v[k] != ','); ++k) {
    const int d = U8(v[k]) - '0';
    if (significant > 0 || d != 0) ++significant;
    if (significant > 18 || d < 0 || d > 9) return -1;
    total = total * 10 + d;
  }
  return total;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && ToLower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

HttpHeaderBuffers BuildHeaderBuffers(const HeaderBlock& hb, std::string_view block,
                                     std::string_view cookie_name, const HttpUriConfig& cfg) {
  HttpHeaderBuffers b;
  b.present = true;
  b.raw = std::string(block);
  b.norm = HttpClassicNormalize(hb.WithoutLines(cookie_name), cfg);
  b.raw_cookie = hb.Value(cookie_name, HeaderNorm::kBasic);
  b.cookie = HttpClassicNormalize(b.raw_cookie, cfg);
  return b;
}

// --- Inflater: gzip / deflate that survives between packets as plain data -------------------
//
// zlib's z_stream cannot be stored in plain data, so each call rebuilds it from a checkpoint
// taken at the last deflate block boundary (zran.c): a raw inflater primed with the leftover
// bits and the last 32 KiB of output as dictionary, re-fed the compressed bytes consumed since
// the checkpoint (whose output was already handed out and is skipped). The wrapper header and
// trailer are parsed here, so zlib only ever sees raw deflate data.

enum InflatePhase : uint8_t { kOff, kHeader, kDeflate, kTrailer, kEnded, kPassthrough };
enum InflateWrapper : uint8_t { kNoWrapper, kGzip, kZlib };

class Inflater {
 public:
  explicit Inflater(HttpInflateState& s) : s_(s) {}

  // Decodes `in`, appending at most `room` octets to `out`. Returns the input octets consumed:
  // fewer than in.size() only when `room` ran out.
  size_t Run(std::string_view in, size_t room, std::string* out) {
    const size_t out_start = out->size();
    size_t used = 0;
    while (used < in.size()) {
      const std::string_view rest = in.substr(used);
      const size_t left = room - (out->size() - out_start);
      switch (s_.phase) {
        case kHeader:
          used += ParseHeader(rest);
          if (s_.phase == kPassthrough) return Fail(in, room, out_start, out);
          break;
        case kDeflate: {
          if (left == 0) return used;
          bool failed = false;
          const size_t n = Inflate(rest, left, out, &failed);
          if (failed) return Fail(in, room, out_start, out);
          used += n;
          if (s_.phase == kDeflate) return used;  // out of input or out of room
          break;
        }
        case kTrailer: {
          const size_t n = std::min<size_t>(s_.trailer_left, rest.size());
          s_.trailer_left -= static_cast<uint32_t>(n);
          used += n;
          if (s_.trailer_left == 0) s_.phase = kEnded;
          break;
        }
        case kEnded:
          // Data after the compressed stream is copied as is from now on (GZIP_EARLY_END).
          s_.phase = kPassthrough;
          break;
        default: {  // kOff, kPassthrough
          out->append(rest.substr(0, std::min(left, rest.size())));
          return in.size();
        }
      }
    }
    return used;
  }

 private:
  // Snort copies the whole input of the failing call as is and stops decompressing.
  size_t Fail(std::string_view in, size_t room, size_t out_start, std::string* out) {
    out->resize(out_start);
    out->append(in.substr(0, std::min(room, in.size())));
    s_ = HttpInflateState{};
    s_.phase = kPassthrough;
    return in.size();
  }

  // Buffers and parses the gzip (RFC 1952) or zlib (RFC 1950) header. Returns octets of `in`
  // used; sets kDeflate once the header is complete, kPassthrough when it is unusable.
  size_t ParseHeader(std::string_view in) {
    const size_t before = s_.header.size();
    const size_t take = std::min(in.size(), kMaxWrapperHeader - before);
    s_.header.append(in.substr(0, take));
    if (s_.wrapper == kZlib) return ParseZlibHeader(before, take);
    const size_t len = GzipHeaderLength();
    if (len == std::string::npos || (len == 0 && s_.header.size() >= kMaxWrapperHeader)) {
      s_.phase = kPassthrough;
      return 0;
    }
    if (len == 0) return take;
    s_.phase = kDeflate;
    s_.header.clear();
    return len - before;  // the rest of `in` is deflate data
  }

  // zlib header: CMF, FLG. An invalid one means raw deflate from the first octet (Snort retries
  // inflating with a substituted header); a preset dictionary is a failure.
  size_t ParseZlibHeader(size_t before, size_t take) {
    const std::string& h = s_.header;
    if (h.size() < 2) return take;
    const uint8_t cmf = U8(h[0]);
    const uint8_t flg = U8(h[1]);
    const bool valid = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0;
    if (valid && (flg & 0x20)) {
      s_.phase = kPassthrough;
      return 0;
    }
    s_.phase = kDeflate;
    if (valid) {
      s_.header.clear();
      return 2 - before;
    }
    // Octets buffered by earlier calls were consumed already: they become deflate input.
    s_.wrapper = kNoWrapper;
    s_.pending = h.substr(0, before);
    s_.produced = 0;
    s_.header.clear();
    return 0;
  }

  // Length of a complete gzip header in s_.header; 0: incomplete; npos: not gzip.
  size_t GzipHeaderLength() const {
    const std::string& h = s_.header;
    static constexpr uint8_t kMagic[3] = {0x1f, 0x8b, 0x08};
    for (size_t k = 0; k < 3 && k < h.size(); ++k) {
      if (U8(h[k]) != kMagic[k]) return std::string::npos;
    }
    if (h.size() < 10) return 0;
    const uint8_t flags = U8(h[3]);
    size_t pos = 10;
    if (flags & 0x04) {  // FEXTRA
      if (h.size() < pos + 2) return 0;
      pos += 2 + (U8(h[pos]) | U8(h[pos + 1]) << 8);
    }
    for (uint8_t bit : {uint8_t{0x08}, uint8_t{0x10}}) {  // FNAME, FCOMMENT
      if (!(flags & bit)) continue;
      const size_t nul = pos < h.size() ? h.find('\0', pos) : std::string::npos;
      if (nul == std::string::npos) return 0;
      pos = nul + 1;
    }
    if (flags & 0x02) pos += 2;  // FHCRC
    return h.size() >= pos ? pos : 0;
  }

  // Inflates from the checkpoint over pending + `in`. Returns octets of `in` consumed.
  size_t Inflate(std::string_view in, size_t room, std::string* out, bool* failed) {
    z_stream zs{};
    if (inflateInit2(&zs, -15) != Z_OK) {
      *failed = true;
      return 0;
    }
    if (s_.ckpt_bits != 0) inflatePrime(&zs, s_.ckpt_bits, s_.ckpt_byte >> (8 - s_.ckpt_bits));
    if (!s_.window.empty()) {
      inflateSetDictionary(&zs, reinterpret_cast<const Bytef*>(s_.window.data()),
                           static_cast<uInt>(s_.window.size()));
    }
    std::string input = s_.pending;
    input.append(in);
    const size_t budget = static_cast<size_t>(s_.produced) + room;
    std::string buf(budget, '\0');
    size_t in_pos = 0;
    size_t out_pos = 0;
    size_t ckpt_in = 0;
    size_t ckpt_out = 0;
    int ckpt_bits = -1;
    int ret = Z_OK;
    for (;;) {
      zs.next_in = reinterpret_cast<Bytef*>(input.data() + in_pos);
      zs.avail_in = static_cast<uInt>(input.size() - in_pos);
      zs.next_out = reinterpret_cast<Bytef*>(buf.data() + out_pos);
      zs.avail_out = static_cast<uInt>(budget - out_pos);
      ret = inflate(&zs, Z_BLOCK);
      in_pos = input.size() - zs.avail_in;
      out_pos = budget - zs.avail_out;
      if (ret != Z_OK) break;
      if ((zs.data_type & 128) && !(zs.data_type & 64)) {
        ckpt_in = in_pos;
        ckpt_out = out_pos;
        ckpt_bits = zs.data_type & 7;
      }
      if (zs.avail_in == 0 || zs.avail_out == 0) break;
    }
    inflateEnd(&zs);
    if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
      *failed = true;
      return 0;
    }
    if (out_pos > s_.produced)
      out->append(buf, static_cast<size_t>(s_.produced), out_pos - s_.produced);
    const size_t consumed = in_pos > s_.pending.size() ? in_pos - s_.pending.size() : 0;
    if (ret == Z_STREAM_END) {
      s_.phase = kTrailer;
      s_.trailer_left = s_.wrapper == kGzip ? 8 : (s_.wrapper == kZlib ? 4 : 0);
      s_.window.clear();
      s_.pending.clear();
      s_.produced = 0;
      return consumed;
    }
    Checkpoint(input, buf, in_pos, out_pos, ckpt_in, ckpt_out, ckpt_bits);
    if (s_.produced > kMaxInflateRedo) *failed = true;  // one block too large to redo per packet
    return consumed;
  }

  void Checkpoint(const std::string& input, const std::string& buf, size_t in_pos, size_t out_pos,
                  size_t ckpt_in, size_t ckpt_out, int ckpt_bits) {
    if (ckpt_bits < 0) {
      s_.pending = input.substr(0, in_pos);
      s_.produced = out_pos;
      return;
    }
    std::string history = std::move(s_.window);
    history.append(buf, 0, ckpt_out);
    if (history.size() > kWindowSize) history.erase(0, history.size() - kWindowSize);
    s_.window = std::move(history);
    s_.ckpt_bits = static_cast<uint8_t>(ckpt_bits);
    s_.ckpt_byte = (ckpt_bits != 0 && ckpt_in > 0) ? U8(input[ckpt_in - 1]) : 0;
    s_.pending = input.substr(ckpt_in, in_pos - ckpt_in);
    s_.produced = out_pos - ckpt_out;
  }

  HttpInflateState& s_;
};

// --- UTF-16/32 narrowing (helpers/utf.cc) ---------------------------------------------------

enum Charset : uint8_t {
  kCsDefault = 0,
  kCsOther,
  kCsUtf7,
  kCsIrrelevant,
  kCsUtf16le,
  kCsUtf16be,
  kCsUtf32le,
  kCsUtf32be,
  kCsUnknown
};

// Content-Type (normalized) -> UTF state (setup_utf_decoding()).
void SetupUtf(std::string_view ct, HttpUtfState* u) {
  if (ct.empty()) return;
  const size_t semi = ct.rfind(';');
  uint8_t code;
  if (semi == std::string_view::npos) {
    if (ct.find("text") == std::string_view::npos) return;
    code = kCsUnknown;
  } else {
    const std::string_view last = ct.substr(semi + 1);
    static constexpr std::pair<std::string_view, uint8_t> kExact[] = {
        {"charset=utf-8", kCsDefault},    {"charset=utf-7", kCsUtf7},
        {"charset=utf-16le", kCsUtf16le}, {"charset=utf-16be", kCsUtf16be},
        {"charset=utf-32le", kCsUtf32le}, {"charset=utf-32be", kCsUtf32be}};
    code = kCsOther;
    for (const auto& [name, c] : kExact) {
      if (last == name) code = c;
    }
    if (code == kCsOther) {
      // substr_to_code(): a prefix comparison over the shorter length.
      static constexpr std::pair<std::string_view, uint8_t> kPrefix[] = {
          {"charset=utf-", kCsUnknown}, {"charset=", kCsIrrelevant}};
      for (const auto& [name, c] : kPrefix) {
        const size_t n = std::min(last.size(), name.size());
        if (last.substr(0, n) == name.substr(0, n)) {
          code = c;
          break;
        }
      }
      if (code != kCsUnknown) return;
    }
  }
  *u = HttpUtfState{};
  u->active = true;
  u->charset = code;
  u->by_guess = false;
}

// determine_charset(): BOM or guess from the first four octets; may skip the BOM.
void DetermineCharset(HttpUtfState* u, std::string_view* src) {
  if (u->charset != kCsUnknown) return;
  uint8_t cs = kCsDefault;
  bool guess = true;
  size_t bom = 0;
  const std::string_view s = *src;
  if (s.size() >= 4) {
    static constexpr std::pair<std::string_view, uint8_t> kBoms[] = {
        {std::string_view("\x00\x00\xFE\xFF", 4), kCsUtf32be},
        {std::string_view("\xFF\xFE\x00\x00", 4), kCsUtf32le},
        {std::string_view("\xFE\xFF", 2), kCsUtf16be},
        {std::string_view("\xFF\xFE", 2), kCsUtf16le}};
    for (const auto& [mark, code] : kBoms) {
      if (s.substr(0, mark.size()) == mark) {
        cs = code;
        bom = mark.size();
        break;
      }
    }
    if (cs != kCsDefault) {
      guess = false;
    } else if (s[0] == '\0' && s[2] == '\0' && s[3] != '\0') {
      cs = s[1] != '\0' ? kCsUtf16be : kCsUtf32be;
    } else if (s[0] != '\0' && s[1] == '\0' && s[3] == '\0') {
      cs = s[2] != '\0' ? kCsUtf16le : kCsUtf32le;
    }
  }
  src->remove_prefix(bom);
  u->charset = cs;
  u->by_guess = guess;
  u->step = 0;
}

// do_utf_decoding(): the section narrowed to one octet per code unit, or `in` unchanged.
std::string UtfNarrow(HttpUtfState* u, const std::string& in) {
  if (!u->active || in.empty() || u->charset <= kCsIrrelevant) return in;
  std::string_view src(in);
  DetermineCharset(u, &src);
  if (src.empty() || u->charset <= kCsIrrelevant) return in;
  const bool is16 = u->charset == kCsUtf16le || u->charset == kCsUtf16be;
  const bool little = u->charset == kCsUtf16le || u->charset == kCsUtf32le;
  const uint8_t unit = is16 ? 2 : 4;
  const uint8_t keep = little ? 0 : unit - 1;  // position of the octet kept in each unit
  std::string out;
  out.reserve(src.size() / unit + 1);
  bool ok = true;
  for (char c : src) {
    if (u->step == keep) {
      out.push_back(c);
    } else if (c != '\0') {
      ok = false;
    }
    u->step = static_cast<uint8_t>((u->step + 1) % unit);
  }
  if (!ok && u->by_guess) return in;
  return out.empty() ? in : out;
}

// --- Message bookkeeping -------------------------------------------------------------------

enum ChunkState : uint8_t {
  kChNewlines,
  kChLeadingWs,
  kChZeros,
  kChNumber,
  kChTrailingWs,
  kChOptions,
  kChHeaderCrlf,
  kChData,
  kChDataCr,
  kChDataLf
};

enum HeadCut : uint8_t { kHcZero = 0, kHcHalf = 1, kHcOne = 2, kHcThreeHalf = 3 };

// A section of the current message with the buffers every section carries.
HttpSection NewSection(const HttpState& st, HttpPdu pdu) {
  HttpSection s;
  s.pdu = pdu;
  s.from_client = st.from_client;
  s.message = st.message;
  s.has_request = st.has_request;
  if (st.has_request) s.request = st.request;
  if (!st.from_client) s.status = st.status;
  s.headers = st.headers;
  s.body_type = st.body.type;
  return s;
}

// half_reset(): the next octet starts a new message.
void EndMessage(HttpState& st) {
  st.expect = HttpExpect::kStartLine;
  st.start = HttpStartCut{};
  st.head = HttpHeaderCut{};
  st.body = HttpBodyState{};
  st.pending.clear();
  st.has_request = false;
  st.request = HttpRequestLine{};
  st.status = HttpStatusLine{};
  st.headers = HttpHeaderBuffers{};
  st.version_1_0 = false;
}

// --- Body cutting (HttpBodyClCutter, HttpBodyOldCutter, HttpBodyChunkCutter, HttpMsgBody) --

class BodyCutter {
 public:
  BodyCutter(HttpState& st, std::vector<HttpSection>* out) : st_(st), b_(st.body), out_(out) {}

  // HttpMsgSection::update_depth(): the next section's size target.
  void UpdateDepth() {
    const int64_t target_size = Inflating() ? kGzipBlockSize : st_.config.max_pdu;
    if (b_.depth_left <= 0) {
      b_.target = 0;  // past the depth: the rest of the body is skipped
    } else if (b_.depth_left <= target_size) {
      b_.target = static_cast<uint32_t>(b_.depth_left);
      b_.stretch = true;
    } else {
      b_.target = static_cast<uint32_t>(target_size);
      b_.stretch = false;
    }
  }

  // Cuts body octets; returns how many were used (the rest belongs to what follows).
  size_t Feed(std::string_view in) {
    switch (b_.type) {
      case HttpBodyType::kContentLength:
        return FeedContentLength(in);
      case HttpBodyType::kChunked:
        return FeedChunked(in);
      case HttpBodyType::kToClose:
        return FeedToClose(in);
      default:
        EndMessage(st_);
        return 0;
    }
  }

  // The connection closed: the piece in progress is inspected.
  void Flush() { EmitBody(true); }

 private:
  bool Inflating() const {
    const uint8_t p = b_.inflate.phase;
    return b_.compressed && p != kOff && p != kPassthrough;
  }

  // Decodes a piece of body data into the section. Returns raw octets consumed; fewer than the
  // piece only when the section is full of decoded data.
  size_t Append(std::string_view piece) {
    const size_t room = kMaxOctets - std::min<size_t>(b_.data.size(), kMaxOctets);
    if (b_.compressed) return Inflater(b_.inflate).Run(piece, room, &b_.data);
    b_.data.append(piece.substr(0, std::min(room, piece.size())));
    return piece.size();
  }

  // HttpMsgBody::analyze(): the section's buffers; the detection depth shrinks.
  void EmitBody(bool message_end) {
    std::string msg = std::move(b_.data);
    b_.data.clear();
    b_.octets = 0;
    b_.raw_octets = 0;
    b_.raw.clear();
    b_.good_data_end = 0;
    raw_from_ = 0;
    if (msg.empty() || b_.depth_left <= 0) return;
    const size_t depth =
        static_cast<size_t>(std::min<int64_t>(b_.depth_left, std::numeric_limits<int32_t>::max()));
    HttpSection s = NewSection(st_, HttpPdu::kBody);
    s.message_end = message_end;
    std::string detect = b_.mime ? msg : UtfNarrow(&b_.utf, msg);
    if (!b_.mime && detect.size() > depth) detect.resize(depth);
    s.pkt_data = msg.substr(0, std::min(depth, msg.size()));
    s.raw_body = s.pkt_data;
    if (st_.from_client) s.client_body = HttpClassicNormalize(detect, st_.config.uri);
    if (!b_.mime) s.file_data = detect;
    b_.depth_left -= static_cast<int64_t>(detect.size());
    if (!detect.empty()) out_->push_back(std::move(s));
  }

  // A piece ends inside the body: inspect it and set the next target.
  void CutPiece() {
    EmitBody(false);
    UpdateDepth();
  }

  // ---- Content-Length ----

  size_t FeedContentLength(std::string_view in) {
    if (b_.target == 0) {  // skipping the rest of the body
      const size_t n = static_cast<size_t>(std::min<int64_t>(b_.remaining, in.size()));
      b_.remaining -= static_cast<int64_t>(n);
      if (b_.remaining == 0) EndMessage(st_);
      return n;
    }
    int64_t flow_target = b_.target;
    bool stretch = b_.stretch;
    if (b_.remaining <= flow_target) {  // the rest of the body fits: cut at its end
      flow_target = b_.remaining;
      stretch = false;
    }
    const int64_t length = static_cast<int64_t>(in.size());
    const int64_t seen = b_.octets;
    if (seen + length < flow_target) {
      const size_t used = Append(in);
      b_.octets += static_cast<uint32_t>(used);
      if (used < in.size()) CutContentLength();
      return used;
    }
    int64_t planned;
    if (!stretch) {
      planned = flow_target - seen;
    } else if (seen + length < b_.remaining) {
      // Stretch to the end of this segment unless that is too far.
      planned = (seen + length <= flow_target + kMaxSectionStretch) ? length : flow_target - seen;
    } else if (b_.remaining - flow_target <= kMaxSectionStretch) {
      planned = b_.remaining - seen;  // stretch to the end of the body
    } else {
      planned = flow_target - seen;
    }
    const size_t used =
        Append(in.substr(0, static_cast<size_t>(std::clamp<int64_t>(planned, 0, length))));
    b_.octets += static_cast<uint32_t>(used);
    CutContentLength();
    return used;
  }

  void CutContentLength() {
    b_.remaining -= b_.octets;
    if (b_.remaining > 0) return CutPiece();
    EmitBody(true);
    EndMessage(st_);
  }

  // ---- body running to connection close ----

  size_t FeedToClose(std::string_view in) {
    if (b_.target == 0) return in.size();
    const int64_t length = static_cast<int64_t>(in.size());
    if (b_.octets + length < b_.target) {
      const size_t used = Append(in);
      b_.octets += static_cast<uint32_t>(used);
      if (used < in.size()) CutPiece();
      return used;
    }
    const int64_t planned = (b_.stretch && b_.octets + length <= b_.target + kMaxSectionStretch)
                                ? length
                                : b_.target - b_.octets;
    const size_t used =
        Append(in.substr(0, static_cast<size_t>(std::clamp<int64_t>(planned, 0, length))));
    b_.octets += static_cast<uint32_t>(used);
    CutPiece();
    return used;
  }

  // ---- chunked ----

  // What to do after one step of the chunk parser.
  struct Step {
    size_t next;        // octet to look at next (== current: reprocess it in a new state)
    bool stop = false;  // return `next` from FeedChunked (a section was cut or the body ended)
  };

  size_t FeedChunked(std::string_view in) {
    // Scanning stops at MAX_OCTETS raw octets per section.
    in = in.substr(0, kMaxOctets - std::min<uint32_t>(b_.raw_octets, kMaxOctets));
    discard_ = b_.target == 0;
    adjusted_ = b_.stretch ? kMaxSectionStretch + b_.target : b_.target;
    raw_from_ = 0;
    for (size_t k = 0; k < in.size();) {
      Step s;
      if (b_.chunk_bad) {
        s = BrokenData(in, k);
      } else if (b_.chunk.state == kChData) {
        s = ChunkData(in, k);
      } else {
        s = Framing(in, k);
      }
      if (s.stop) return s.next;
      k = s.next;
    }
    if (discard_) return in.size();
    TrackRaw(in, in.size());
    b_.raw_octets += static_cast<uint32_t>(in.size());
    // Stretched past the target to the end of the segment, or the raw limit is reached.
    if (b_.octets >= b_.target || b_.raw_octets >= kMaxOctets) CutPiece();
    return in.size();
  }

  // Chunk headers and the CRLF after chunk data.
  Step Framing(std::string_view in, size_t k) {
    HttpChunkState& ch = b_.chunk;
    const uint8_t c = U8(in[k]);
    switch (ch.state) {
      case kChNewlines:
        ch.zero_chunk = true;
        if (IsCrLf(c)) return {k + 1};  // tolerated extra separators
        ch.state = kChLeadingWs;
        return {k};
      case kChLeadingWs:
        if (!IsSpTab(c)) {
          ch.state = kChZeros;
          return {k};
        }
        return ++ch.leading_ws == 5 ? Break(in, k) : Step{k + 1};
      case kChZeros:
        if (c == '0') {
          ++ch.zeros;
          return {k + 1};
        }
        ch.state = kChNumber;
        return {k};
      case kChNumber:
        return Number(in, k);
      case kChTrailingWs:
        if (IsCrLf(c) || c == ';') return HeaderEnd(c, k);
        return IsSpTab(c) ? Step{k + 1} : Break(in, k);
      case kChOptions:
        return IsCrLf(c) ? HeaderEnd(c, k) : Step{k + 1};
      case kChHeaderCrlf:
        return HeaderLf(in, k);
      case kChDataCr:
        if (!IsCrLf(c)) return Break(in, k);
        ch.state = kChDataLf;
        return {c == '\r' ? k + 1 : k};
      default: {  // kChDataLf: the chunk is complete
        const bool separator = IsCrLf(c);
        ch = HttpChunkState{};
        MarkGoodChunk(separator ? k + 1 : k);
        return {separator ? k + 1 : k};
      }
    }
  }

  Step Number(std::string_view in, size_t k) {
    HttpChunkState& ch = b_.chunk;
    const uint8_t c = U8(in[k]);
    if (IsCrLf(c) || c == ';') return HeaderEnd(c, k);
    if (IsSpTab(c)) {
      ch.state = kChTrailingWs;
      return {k + 1};
    }
    if (HexValue(c) < 0) return Break(in, k);
    const uint64_t expected = uint64_t{ch.expected} * 16 + static_cast<uint64_t>(HexValue(c));
    ch.expected = static_cast<uint32_t>(expected);
    // The length must fit in 32 bits (at most 8 digits after the leading zeros).
    if (++ch.digits > 8 || expected > kMaxChunkLength) return Break(in, k);
    if (ch.expected != 0) ch.zero_chunk = false;
    return {k + 1};
  }

  // CR, LF or ';' after the chunk length.
  Step HeaderEnd(uint8_t c, size_t k) {
    HttpChunkState& ch = b_.chunk;
    if (c == ';') {
      ch.state = kChOptions;
      return {k + 1};
    }
    ch.state = kChHeaderCrlf;
    return {c == '\r' ? k + 1 : k};  // a bare LF is processed again as the header's LF
  }

  Step HeaderLf(std::string_view in, size_t k) {
    HttpChunkState& ch = b_.chunk;
    if (in[k] != '\n') return Break(in, k);
    if (ch.expected > 0) {
      ch.state = kChData;
      return {k + 1};
    }
    if (ch.zeros == 0) return Break(in, k);  // no length at all
    // The zero-length chunk ends the body; trailers follow (trailer_prep()).
    EmitBody(true);
    st_.body = HttpBodyState{};
    st_.head = HttpHeaderCut{};
    st_.pending.clear();
    st_.expect = HttpExpect::kTrailers;
    return {k + 1, true};
  }

  Step ChunkData(std::string_view in, size_t k) {
    HttpChunkState& ch = b_.chunk;
    size_t skip = std::min<size_t>(in.size() - k, ch.expected);
    if (!discard_) {
      skip = std::min<size_t>(skip, adjusted_ - std::min(adjusted_, b_.octets));
      if (skip == 0) return {CutAt(in, k), true};
      const size_t used = Append(in.substr(k, skip));
      if (used < skip) {  // decoded data filled the section
        ch.expected -= static_cast<uint32_t>(used);
        return {CutAt(in, k + used), true};
      }
    }
    ch.expected -= static_cast<uint32_t>(skip);
    if (ch.expected == 0) ch.state = kChDataCr;
    if (!discard_ && (b_.octets += static_cast<uint32_t>(skip)) == adjusted_) {
      return {CutAt(in, k + skip), true};
    }
    return {k + skip};
  }

  // CHUNK_BAD: the rest of the body is data as is.
  Step BrokenData(std::string_view in, size_t k) {
    if (discard_) return {in.size(), true};
    const size_t skip = std::min<size_t>(in.size() - k, adjusted_ - std::min(adjusted_, b_.octets));
    const size_t used = Append(in.substr(k, skip));
    if (used < skip) return {CutAt(in, k + used), true};
    b_.octets += static_cast<uint32_t>(skip);
    if (b_.octets >= adjusted_) return {CutAt(in, k + skip), true};
    return {k + skip};
  }

  // Chunk framing broke at in[k] (processed again as data). Without compression, Snort's
  // reassembly keeps the data of the chunks completed in this section and copies every raw
  // octet after the last of them (chunk_spray()).
  Step Break(std::string_view in, size_t k) {
    if (!b_.compressed) {
      TrackRaw(in, k);
      b_.data.resize(std::min(b_.data.size(), b_.good_data_end));
      b_.data += b_.raw;
    }
    b_.raw.clear();
    b_.chunk_bad = true;
    b_.chunk.zero_chunk = false;
    return {k};
  }

  // Raw octets since the last complete chunk, kept while chunking may still break.
  void TrackRaw(std::string_view in, size_t upto) {
    if (!b_.compressed && !b_.chunk_bad && upto > raw_from_) {
      b_.raw.append(in.substr(raw_from_, upto - raw_from_));
    }
    raw_from_ = std::max(raw_from_, upto);
  }

  void MarkGoodChunk(size_t next) {
    b_.good_data_end = b_.data.size();
    b_.raw.clear();
    raw_from_ = next;
  }

  size_t CutAt(std::string_view in, size_t consumed) {
    TrackRaw(in, consumed);
    CutPiece();
    return consumed;
  }

  HttpState& st_;
  HttpBodyState& b_;
  std::vector<HttpSection>* out_;
  size_t raw_from_ = 0;    // first octet of the current input not yet added to b_.raw
  bool discard_ = false;   // past the detection depth
  uint32_t adjusted_ = 0;  // target including the allowed stretch
};

// --- Start lines, header blocks, message structure (HttpStartCutter, HttpHeaderCutter,
// HttpMsgRequest, HttpMsgStatus, HttpMsgHeader) ----------------------------------------------

enum class Verdict : uint8_t { kGood, kBad, kUndecided };

bool HttpPrefixNoCase(std::string_view s) {
  return s.size() >= 5 && ToLower(s[0]) == 'h' && ToLower(s[1]) == 't' && ToLower(s[2]) == 't' &&
         ToLower(s[3]) == 'p' && s[4] == '/';
}

bool IsVersion10(std::string_view v) {
  return v.size() == 8 && v[5] == '1' && v[6] == '.' && v[7] == '0';
}

class Parser {
 public:
  Parser(HttpState& st, std::vector<HttpSection>* out) : st_(st), out_(out) {}

  void Feed(std::string_view in) {
    int stalls = 0;
    while (!in.empty()) {
      const HttpExpect before = st_.expect;
      size_t used = 0;
      switch (st_.expect) {
        case HttpExpect::kStartLine:
          used = FeedStartLine(in);
          break;
        case HttpExpect::kHeaders:
        case HttpExpect::kTrailers:
          used = FeedHeaderBlock(in);
          break;
        case HttpExpect::kBody:
          used = BodyCutter(st_, out_).Feed(in);
          break;
        default:
          return;
      }
      used = std::min(used, in.size());
      in.remove_prefix(used);
      // The cutters always consume or change state; never spin on hostile input anyway.
      stalls = (used == 0 && st_.expect == before) ? stalls + 1 : 0;
      if (stalls > 2) return st_.Abort();
    }
  }

  void Finish() {
    const size_t keep = st_.pending.size() - std::min<size_t>(st_.head.crlf, st_.pending.size());
    switch (st_.expect) {
      case HttpExpect::kHeaders:
        // What arrived of the header block is inspected (an empty block too, so that the start
        // line gets detection); trailing separators are left out.
        ProcessHeaderBlock(st_.pending.substr(0, keep));
        break;
      case HttpExpect::kBody:
        BodyCutter(st_, out_).Flush();
        break;
      case HttpExpect::kTrailers:
        ProcessTrailerBlock(st_.pending.substr(0, keep));
        break;
      default:
        break;  // a partial start line is not inspected
    }
    st_.pending.clear();
    st_.body = HttpBodyState{};
    st_.expect = HttpExpect::kClosed;
  }

 private:
  // ---- start line ----

  bool ZeroNineExpected() const {
    return !st_.from_client && !st_.pairing_lost && !st_.awaiting.empty() &&
           st_.awaiting.front().zero_nine;
  }

  // The quick check that a connection is HTTP at all (HttpRequestCutter / HttpStatusCutter
  // validate()).
  Verdict Validate(uint8_t c) {
    HttpStartCut& s = st_.start;
    if (!st_.from_client) {
      // A status line begins "HTTP/" (lower case tolerated).
      static constexpr char kUpper[] = "HTTP/";
      static constexpr char kLower[] = "http/";
      if (c != U8(kUpper[s.checked]) && c != U8(kLower[s.checked])) return Verdict::kBad;
      return ++s.checked >= 5 ? Verdict::kGood : Verdict::kUndecided;
    }
    // A request line begins with a token method followed by white space; not the HTTP/2
    // connection preface.
    static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n";
    if (s.check_h2) {
      if (c == U8(kPreface[s.checked])) {
        return ++s.checked >= 16 ? Verdict::kBad : Verdict::kUndecided;
      }
      if (s.checked >= 4) return Verdict::kGood;
      s.check_h2 = false;
    }
    if (IsSpTab(c)) return Verdict::kGood;
    if (!IsToken(c) || ++s.checked > kMaxMethodLength) return Verdict::kBad;
    return Verdict::kUndecided;
  }

  size_t FeedStartLine(std::string_view in) {
    if (ZeroNineExpected()) return FeedZeroNineStatus(in);
    HttpStartCut& s = st_.start;
    for (size_t k = 0; k < in.size(); ++k) {
      const uint8_t c = U8(in[k]);
      if (!s.started) {
        if (!IsStartWhitespace(c)) {
          s.started = true;
        } else if (s.leading_ws < kMaxLeadingWhitespace) {
          ++s.leading_ws;
          continue;
        } else {
          st_.Abort();
          return in.size();
        }
      }
      if (!s.validated) {
        const Verdict v = Validate(c);
        if (v == Verdict::kBad) {
          st_.Abort();
          return in.size();
        }
        s.validated = v == Verdict::kGood;
      }
      if (c == '\n' || s.cr) {
        // LF ends the line (a CR before it is part of the terminator); a CR not followed by LF
        // ends it too, and then this octet starts the next section.
        std::string line = std::move(st_.pending);
        if (s.cr && !line.empty()) line.pop_back();
        ProcessStartLine(line);
        return c == '\n' ? k + 1 : k;
      }
      s.cr = c == '\r';
      st_.pending.push_back(static_cast<char>(c));
      if (st_.pending.size() >= kMaxOctets) {
        st_.Abort();
        return in.size();
      }
    }
    return in.size();
  }

  // After an HTTP/0.9 request the response either starts "HTTP/" or is a bare body that runs to
  // connection close (HttpZeroNineCutter).
  size_t FeedZeroNineStatus(std::string_view in) {
    static constexpr char kMatch[] = "HTTP/";
    HttpStartCut& s = st_.start;
    for (size_t k = 0; k < in.size(); ++k) {
      if (in[k] != kMatch[s.checked]) {
        StartZeroNineResponse();
        return k;  // this octet is body too
      }
      st_.pending.push_back(in[k]);
      if (++s.checked == 5) {
        // A real status line after all: continue as usual.
        st_.awaiting.front().zero_nine = false;
        s.started = true;
        s.validated = true;
        return k + 1;
      }
    }
    return in.size();
  }

  void StartZeroNineResponse() {
    const std::string prefix = std::move(st_.pending);
    NewMessage();
    st_.has_request = true;
    st_.request = st_.awaiting.front();
    st_.awaiting.erase(st_.awaiting.begin());
    st_.start = HttpStartCut{};
    st_.pending.clear();
    st_.body = HttpBodyState{};
    st_.body.type = HttpBodyType::kToClose;
    PrepareBody(HeaderBlock(""));
    if (!prefix.empty()) BodyCutter(st_, out_).Feed(prefix);
  }

  void ProcessStartLine(std::string_view line) {
    st_.start = HttpStartCut{};
    st_.pending.clear();
    if (st_.from_client) {
      ProcessRequestLine(line);
    } else {
      ProcessStatusLine(line);
    }
  }

  void NewMessage() {
    ++st_.message;
    st_.has_request = false;
    st_.request = HttpRequestLine{};
    st_.status = HttpStatusLine{};
    st_.headers = HttpHeaderBuffers{};
    st_.version_1_0 = false;
  }

  // HttpMsgRequest::parse_start_line().
  void ProcessRequestLine(std::string_view line) {
    NewMessage();
    st_.has_request = true;
    HttpRequestLine& r = st_.request;
    r.raw_request = std::string(line);
    const size_t len = line.size();
    const bool version_ok =
        len >= 10 && IsSpTab(U8(line[len - 9])) && HttpPrefixNoCase(line.substr(len - 8, 5));
    if (!version_ok) {
      if (!ProcessZeroNineRequest(line)) st_.Abort();  // a bad request line
      return;
    }
    r.version = std::string(line.substr(len - 8));
    st_.version_1_0 = IsVersion10(r.version);
    // Method: up to the first white space. URI: between the first clump of white space and the
    // clump before the version.
    size_t first_space = 1;
    while (first_space < len && !IsSpTab(U8(line[first_space]))) ++first_space;
    size_t first_end = first_space + 1;
    while (first_end < len && IsSpTab(U8(line[first_end]))) ++first_end;
    --first_end;
    size_t last_begin = len - 10;
    while (last_begin > 0 && IsSpTab(U8(line[last_begin]))) --last_begin;
    ++last_begin;
    r.method = std::string(line.substr(0, std::min(first_space, len)));
    if (first_end < last_begin) {
      r.raw_uri = std::string(line.substr(first_end + 1, last_begin - first_end - 1));
      r.uri = HttpNormalizeUri(r.raw_uri, r.method == "CONNECT", st_.config.uri);
    }
    st_.head = HttpHeaderCut{};
    st_.expect = HttpExpect::kHeaders;
  }

  // "GET <uri>" without a version: an HTTP/0.9 request, inspected on its own.
  bool ProcessZeroNineRequest(std::string_view line) {
    if (line.size() < 3 || line.substr(0, 3) != "GET" ||
        (line.size() > 3 && !IsSpTab(U8(line[3])))) {
      return false;
    }
    HttpRequestLine& r = st_.request;
    r.method = "GET";
    r.zero_nine = true;
    size_t begin = 4;
    while (begin < line.size() && IsSpTab(U8(line[begin]))) ++begin;
    if (begin < line.size()) {
      size_t end = line.size() - 1;
      while (end > begin && IsSpTab(U8(line[end]))) --end;
      r.raw_uri = std::string(line.substr(begin, end - begin + 1));
      r.uri = HttpNormalizeUri(r.raw_uri, false, st_.config.uri);
    }
    HttpSection s = NewSection(st_, HttpPdu::kHeader);
    s.message_end = true;
    out_->push_back(std::move(s));
    EndMessage(st_);
    return true;
  }

  // HttpMsgStatus::parse_start_line().
  void ProcessStatusLine(std::string_view line) {
    NewMessage();
    if (!st_.pairing_lost && !st_.awaiting.empty()) {
      st_.has_request = true;
      st_.request = st_.awaiting.front();
    }
    HttpStatusLine& s = st_.status;
    s.raw_status = std::string(line);
    const size_t len = line.size();
    if (len < 12 || !IsSpTab(U8(line[8]))) return st_.Abort();
    size_t first_end = 9;
    while (first_end < len && IsSpTab(U8(line[first_end]))) ++first_end;
    --first_end;
    if (len < first_end + 4 || (len > first_end + 4 && !IsSpTab(U8(line[first_end + 4])))) {
      return st_.Abort();
    }
    s.version = std::string(line.substr(0, 8));
    st_.version_1_0 = IsVersion10(s.version);
    s.stat_code = std::string(line.substr(first_end + 1, 3));
    if (IsDigit(U8(s.stat_code[0])) && IsDigit(U8(s.stat_code[1])) && IsDigit(U8(s.stat_code[2]))) {
      s.code = (s.stat_code[0] - '0') * 100 + (s.stat_code[1] - '0') * 10 + (s.stat_code[2] - '0');
    }
    if (len > first_end + 5) s.stat_msg = std::string(line.substr(first_end + 5));
    // A 100 response keeps the request for the final response.
    if (st_.has_request && s.code != 100) st_.awaiting.erase(st_.awaiting.begin());
    st_.head = HttpHeaderCut{};
    st_.expect = HttpExpect::kHeaders;
  }

  // ---- header and trailer blocks ----

  // HttpHeaderCutter: the block ends at an empty line; the separators are not part of it.
  size_t FeedHeaderBlock(std::string_view in) {
    HttpHeaderCut& h = st_.head;
    for (size_t k = 0; k < in.size(); ++k) {
      const char c = in[k];
      st_.pending.push_back(c);
      bool found = false;
      if (!IsCrLf(U8(c))) {
        h.state = kHcZero;
        h.crlf = 0;
      } else if (h.state == kHcZero) {
        h.state = c == '\r' ? kHcHalf : kHcOne;  // the separator after a line
        ++h.crlf;
      } else if (h.state == kHcHalf) {
        h.state = c == '\r' ? kHcThreeHalf : kHcOne;  // CR CR ends a line too
        ++h.crlf;
      } else {  // kHcOne, kHcThreeHalf: at the start of a line; LF ends the block
        ++h.crlf;
        found = c == '\n';
        h.state = kHcThreeHalf;
      }
      if (found) {
        std::string block = std::move(st_.pending);
        block.resize(block.size() - std::min<size_t>(h.crlf, block.size()));
        st_.pending.clear();
        st_.head = HttpHeaderCut{};
        if (st_.expect == HttpExpect::kTrailers) {
          ProcessTrailerBlock(block);
        } else {
          ProcessHeaderBlock(block);
        }
        return k + 1;
      }
      if (st_.pending.size() >= kMaxOctets) {
        st_.Abort();
        return in.size();
      }
    }
    return in.size();
  }

  void ProcessHeaderBlock(std::string_view block) {
    const HeaderBlock hb(block);
    st_.headers =
        BuildHeaderBuffers(hb, block, st_.from_client ? "cookie" : "set-cookie", st_.config.uri);
    HttpSection s = NewSection(st_, HttpPdu::kHeader);
    const bool cutover = SetupBody(hb);
    s.body_type = st_.body.type;
    s.message_end = st_.expect != HttpExpect::kBody;
    out_->push_back(std::move(s));
    if (cutover) {
      st_.cutover = true;
      st_.Abort();
    } else if (st_.expect != HttpExpect::kBody) {
      EndMessage(st_);
    }
  }

  void ProcessTrailerBlock(std::string_view block) {
    if (!block.empty()) {
      const HeaderBlock hb(block);
      HttpSection s = NewSection(st_, HttpPdu::kTrailer);
      s.trailers =
          BuildHeaderBuffers(hb, block, st_.from_client ? "cookie" : "set-cookie", st_.config.uri);
      s.body_type = HttpBodyType::kChunked;
      s.message_end = true;
      out_->push_back(std::move(s));
    }
    EndMessage(st_);
  }

  // ---- what follows the headers (HttpMsgHeader::update_flow(), prepare_body()) ----

  // Leaves expect == kBody when a body follows. Returns true for a CONNECT tunnel (the
  // connection stops being HTTP).
  bool SetupBody(const HeaderBlock& hb) {
    st_.body = HttpBodyState{};
    st_.expect = HttpExpect::kStartLine;
    const int code = st_.status.code;
    const bool server = !st_.from_client;
    const std::string& method = st_.request.method;
    if (server && st_.has_request && method == "CONNECT" && code >= 200 && code < 300) return true;
    if (server && ((code >= 100 && code <= 199) || code == 204 || code == 304)) return false;
    if (server && st_.has_request && method == "HEAD") return false;
    const std::string te = hb.Value("transfer-encoding", HeaderNorm::kTokenList);
    if (!te.empty() && !st_.version_1_0) {
      const size_t comma = te.rfind(',');
      if (std::string_view(te).substr(comma == std::string::npos ? 0 : comma + 1) == "chunked") {
        return StartBody(HttpBodyType::kChunked, 0, hb);
      }
      // Any other Transfer-Encoding voids Content-Length.
    } else if (const std::string cl = hb.Value("content-length", HeaderNorm::kRemoveLws);
               !cl.empty()) {
      const int64_t n = DecimalInteger(cl);
      if (n > 0) return StartBody(HttpBodyType::kContentLength, n, hb);
      if (n == 0) return false;
      // An invalid Content-Length is ignored.
    }
    if (st_.from_client) return false;  // a request body never runs to close
    return StartBody(HttpBodyType::kToClose, 0, hb);
  }

  bool StartBody(HttpBodyType type, int64_t length, const HeaderBlock& hb) {
    st_.body.type = type;
    st_.body.remaining = length;
    PrepareBody(hb);
    return false;
  }

  // Depth, MIME, decompression, UTF narrowing, first section target.
  void PrepareBody(const HeaderBlock& hb) {
    HttpBodyState& b = st_.body;
    b.mime = st_.from_client && ContainsNoCase(hb.FirstRaw("content-type"), "boundary=");
    const int64_t depth = st_.from_client ? st_.config.request_depth : st_.config.response_depth;
    b.depth_left = (b.mime || depth == -1) ? std::numeric_limits<int64_t>::max() : depth;
    if (st_.config.unzip) SetupCompression(hb.Value("content-encoding", HeaderNorm::kTokenList));
    if (st_.config.normalize_utf && !b.mime) {
      SetupUtf(hb.Value("content-type", HeaderNorm::kCharset), &b.utf);
    }
    BodyCutter(st_, out_).UpdateDepth();
    st_.expect = HttpExpect::kBody;
  }

  // setup_encoding_decompression(): the last coding decides; stacked codings disable decoding.
  void SetupCompression(std::string_view ce) {
    InflateWrapper wrapper = kNoWrapper;
    bool on = false;
    size_t offset = 0;
    while (ce.size() > offset) {
      const size_t comma = ce.find(',', offset);
      const std::string_view token =
          ce.substr(offset, (comma == std::string_view::npos ? ce.size() : comma) - offset);
      offset += token.size() + 1;
      if (on && token != "identity") on = false;
      if (token == "gzip" || token == "x-gzip" || token == "deflate") {
        on = true;
        wrapper = token == "deflate" ? kZlib : kGzip;
      }
    }
    if (!on) return;
    st_.body.compressed = true;
    st_.body.inflate.phase = kHeader;
    st_.body.inflate.wrapper = wrapper;
  }

  HttpState& st_;
  std::vector<HttpSection>* out_;
};

}  // namespace

void HttpState::Feed(std::string_view bytes, std::vector<HttpSection>* out) {
  if (expect == HttpExpect::kAborted || expect == HttpExpect::kClosed || bytes.empty()) return;
  Parser(*this, out).Feed(bytes);
}

void HttpState::Finish(std::vector<HttpSection>* out) {
  if (expect == HttpExpect::kAborted || expect == HttpExpect::kClosed) {
    expect = HttpExpect::kClosed;
    return;
  }
  Parser(*this, out).Finish();
}

void HttpState::Abort() {
  expect = HttpExpect::kAborted;
  pending.clear();
  pending.shrink_to_fit();
  body = HttpBodyState{};
  awaiting.clear();
}

void HttpSession::FeedClient(std::string_view bytes, std::vector<HttpSection>* out) {
  const size_t first = out->size();
  client.Feed(bytes, out);
  for (size_t i = first; i < out->size(); ++i) {
    const HttpSection& s = (*out)[i];
    if (s.pdu != HttpPdu::kHeader || !s.from_client || server.pairing_lost) continue;
    if (server.awaiting.size() >= kMaxPipeline) {
      // Pipeline overflow: Snort stops pairing responses with requests.
      server.pairing_lost = true;
      server.awaiting.clear();
      continue;
    }
    server.awaiting.push_back(s.request);
  }
}

void HttpSession::FeedServer(std::string_view bytes, std::vector<HttpSection>* out) {
  server.Feed(bytes, out);
  if (server.cutover) client.Abort();
}

void HttpSession::FinishClient(std::vector<HttpSection>* out) {
  const size_t first = out->size();
  client.Finish(out);
  for (size_t i = first; i < out->size(); ++i) {
    const HttpSection& s = (*out)[i];
    if (s.pdu == HttpPdu::kHeader && s.from_client && !server.pairing_lost &&
        server.awaiting.size() < kMaxPipeline) {
      server.awaiting.push_back(s.request);
    }
  }
}

void HttpSession::FinishServer(std::vector<HttpSection>* out) { server.Finish(out); }

}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see detect_primitives.h.
#include "detect_primitives.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace snort::detect_internal {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// detection/extract.cc string_extract + SnortStrToU32; returns bytes consumed or -1.
int StringExtract(std::string_view s, uint32_t base, uint32_t* value) {
  if (s.empty() || s.size() > 10) return -1;
  char buf[11];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  const char* p = buf;
  while (std::isspace(static_cast<unsigned char>(*p))) ++p;
  if (*p == '\0' || *p == '-') return -1;
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(p, &end, static_cast<int>(base));
  if (errno == EINVAL || end == p) return -1;
  *value = v > 0xFFFFFFFFul ? 0xFFFFFFFFu : static_cast<uint32_t>(v);
  return static_cast<int>(end - buf);
}

}  // namespace

// First occurrence of `pat` in `hay`, or -1.
int64_t Find(std::string_view hay, std::string_view pat, bool nocase) {
  if (pat.size() > hay.size()) return -1;
  if (!nocase) {
    size_t p = hay.find(pat);
    return p == std::string_view::npos ? -1 : static_cast<int64_t>(p);
  }
  const char f = Lower(pat[0]);
  const size_t last = hay.size() - pat.size();
  for (size_t i = 0; i <= last; ++i) {
    if (Lower(hay[i]) != f) continue;
    size_t k = 1;
    while (k < pat.size() && Lower(hay[i + k]) == Lower(pat[k])) ++k;
    if (k == pat.size()) return static_cast<int64_t>(i);
  }
  return -1;
}

// ips_content.cc uniSearchReal (without the cross-PDU continuation bookkeeping).
bool SearchContent(const Content& c, const std::array<uint32_t, kMaxByteVars>& vars, Cursor* cur) {
  int64_t offset = c.offset_var >= 0 ? int64_t{vars[static_cast<size_t>(c.offset_var)]} : c.offset;
  int64_t depth = c.depth_var >= 0 ? int64_t{vars[static_cast<size_t>(c.depth_var)]} : c.depth;
  const bool depth_configured = !(c.depth == 0 && c.depth_var == kNoVar);
  const int64_t psize = static_cast<int64_t>(c.pattern.size());
  const int64_t size = cur->size();
  int64_t pos;
  if (cur->delta == 0) {
    pos = (c.relative ? int64_t{cur->pos} : 0) + offset;
    if (pos < 0) {
      if (depth_configured) depth += pos;
      pos = 0;
    }
  } else {
    pos = int64_t{cur->pos} - psize + c.match_delta;
    if (depth_configured) depth -= cur->delta;
    if (pos < 0) return false;
  }
  if ((depth_configured && depth <= 0) || size == 0) return false;
  if (pos > size - 1) return false;
  if (pos + psize > size) return false;
  const int64_t left = size - pos;
  if (!depth_configured || left < depth) depth = left;
  if (psize > depth) return false;
  int64_t found = Find(cur->data.substr(static_cast<size_t>(pos), static_cast<size_t>(depth)),
                       c.pattern, c.nocase);
  if (found < 0) return false;
  if (!c.negated) {
    cur->delta = static_cast<uint32_t>(cur->delta + found + c.match_delta);
    cur->pos = static_cast<uint32_t>(pos + found + psize);
  }
  return true;
}

// ContentOption::retry.
bool RetryContent(const Content& c, const Cursor& cur) {
  if (c.negated) return false;
  if (cur.pos >= cur.size()) return false;
  if (c.depth == 0) return true;
  return uint64_t{cur.delta} + c.pattern.size() <= c.depth;
}

// detection/extract.cc extract_data: reads at (relative ? cursor : 0) + offset. Returns the
// number of bytes consumed, or -1 when out of bounds / not a number.
int Extract(const ByteData& d, int64_t offset, const Cursor& cur, uint32_t* out) {
  const int64_t size = cur.size();
  const int64_t ptr = (d.relative ? int64_t{cur.pos} : 0) + offset;
  if (ptr < 0 || ptr >= size) return -1;
  uint32_t value = 0;
  int read;
  if (!d.string) {
    if (d.bytes < 1 || d.bytes > 4) return -1;
    if (ptr + d.bytes - 1 >= size) return -1;
    for (uint32_t i = 0; i < d.bytes; ++i) {
      uint32_t b = static_cast<uint8_t>(cur.data[static_cast<size_t>(ptr) + i]);
      if (d.endian == Endian::kLittle)
        value |= b << (8 * i);
      else
        value = (value << 8) | b;
    }
    read = static_cast<int>(d.bytes);
  } else {
    int64_t len = std::min<int64_t>(size - ptr, d.bytes);
    read = StringExtract(cur.data.substr(static_cast<size_t>(ptr), static_cast<size_t>(len)),
                         d.base, &value);
    if (read < 0) return -1;
  }
  if (d.bitmask != 0) {
    value &= d.bitmask;
    const int tz = __builtin_ctz(d.bitmask);
    if (value && tz) value >>= tz;
  }
  *out = value;
  return read;
}

bool ByteTestCompare(ByteTest::Op op, uint32_t v, uint32_t cmp, bool not_flag) {
  bool ok = false;
  switch (op) {
    case ByteTest::Op::kEq:
      ok = v == cmp;
      break;
    case ByteTest::Op::kLt:
      ok = v < cmp;
      break;
    case ByteTest::Op::kGt:
      ok = v > cmp;
      break;
    case ByteTest::Op::kLe:
      ok = v <= cmp;
      break;
    case ByteTest::Op::kGe:
      ok = v >= cmp;
      break;
    case ByteTest::Op::kAnd:
      ok = (v & cmp) != 0;
      break;
    case ByteTest::Op::kXor:
      ok = (v ^ cmp) != 0;
      break;
  }
  return not_flag ? !ok : ok;
}

// utils/util_unfold.cc sf_unfold_header (trim_spaces = 0): copies a header, dropping folding
// (CR LF followed by blanks), and stops at the end of the header.
std::string UnfoldHeader(std::string_view in, size_t out_size) {
  std::string out;
  int folding = 0;  // 1 after LF, 2 after CR
  for (size_t i = 0; i < in.size() && out.size() < out_size; ++i) {
    const char c = in[i];
    if (c == ' ' || c == '\t') {
      if (folding)
        folding = 0;  // a folded line continues; the blank itself is dropped
      else
        out += c;  // (Snort appends blanks without counting them toward n)
    } else if (c == '\n' && folding != 1) {
      folding = 1;
    } else if (c == '\r' && !folding) {
      folding = 2;
    } else if (!folding) {
      out += c;
    } else {
      break;
    }
  }
  return out;
}

// mime/decode_b64.cc sf_base64decode: skips non-alphabet bytes, stops at '=' padding.
bool Base64DecodeInto(std::string_view in, char* out, size_t out_size, size_t* written) {
  auto val = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    if (c == '=') return 99;
    return 100;
  };
  const size_t max_chars = (out_size / 3) * 4 + 4;
  unsigned char q[4];
  size_t n = 0, w = 0;
  for (size_t i = 0; i < in.size() && n < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (val(c) == 100) continue;
    q[n % 4] = c;
    ++n;
    if (n % 4) continue;
    if (q[0] == '=' || q[1] == '=') return false;
    const int a = val(q[0]), b = val(q[1]), cc = val(q[2]), d = val(q[3]);
    if (w < out_size) out[w++] = static_cast<char>((a << 2) | (b >> 4));
    if (q[2] == '=' || w >= out_size) break;
    out[w++] = static_cast<char>((b << 4) | (cc >> 2));
    if (q[3] == '=' || w >= out_size) break;
    out[w++] = static_cast<char>((cc << 6) | d);
  }
  *written = w;
  return true;
}

}  // namespace snort::detect_internal

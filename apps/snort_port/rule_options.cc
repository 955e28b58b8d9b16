// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see rule_options.h. This file: the shared helpers and the payload
// options (content, pcre, byte_test/jump/extract, isdataat, base64_decode); the others are in
// rule_options_nonpayload.cc. Each parser mirrors one Snort 3 module's set()/end()
// (src/ips_options/ips_<name>.cc) after the snort2lua rewrite of the same option
// (tools/snort2lua/rule_states/rule_<name>.cc or rule_unchanged.cc). The numeric helpers follow
// Snort's: parse_int (parse_utils.cc, decimal, range-checked), Value::strtol/strtoul (base 0,
// whole string) and RangeCheck (framework/range.cc, strtoll base 0).
#include "rule_options.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

namespace snort::ruleopt {
namespace {

// Snort parse_int: decimal strtol of the whole string, within [low, high].
s6::StatusOr<int32_t> ParseInt(std::string_view s, std::string_view tag, int64_t low,
                               int64_t high) {
  std::string str(Trim(s));
  if (str.empty()) return Bad("missing argument to '" + std::string(tag) + "'");
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(str.c_str(), &end, 10);
  if (*end) return Bad("invalid '" + std::string(tag) + "' format: " + str);
  if (errno == ERANGE || v < low || v > high) {
    return Bad("'" + std::string(tag) + "' must be in " + std::to_string(low) + ":" +
               std::to_string(high) + ", got " + str);
  }
  return static_cast<int32_t>(v);
}

// Value::strtol / strtoul: base 0, the whole string must be a number.
bool StrToL(std::string_view s, long* out) {
  std::string str(s);
  if (str.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtol(str.c_str(), &end, 0);
  return *end == '\0';
}
bool StrToUL(std::string_view s, unsigned long* out) {
  std::string str(s);
  if (str.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtoul(str.c_str(), &end, 0);
  return *end == '\0';
}

// The extraction flags shared by byte_test/jump/extract; returns false if `tok` is not one.
// Endianness set twice is a Snort warning, last wins.
bool ApplyByteFlag(std::string_view tok, ByteData* d, bool* endian_set) {
  if (tok == "relative") {
    d->relative = true;
  } else if (tok == "big") {
    d->endian = Endian::kBig;
    *endian_set = true;
  } else if (tok == "little") {
    d->endian = Endian::kLittle;
    *endian_set = true;
  } else if (tok == "dce") {
    d->endian = Endian::kDce;
    *endian_set = true;
  } else if (tok == "string") {
    d->string = true;
    d->base = 10;
  } else if (tok == "dec") {
    d->base = 10;
  } else if (tok == "hex") {
    d->base = 16;
  } else if (tok == "oct") {
    d->base = 8;
  } else {
    return false;
  }
  return true;
}

// extract.cc numBytesInBitmask.
uint32_t BytesInBitmask(uint32_t m) {
  if (m <= 0xFF) return 1;
  if (m <= 0xFFFF) return 2;
  if (m <= 0xFFFFFF) return 3;
  return 4;
}

s6::Status ParseBitmask(std::string_view arg, ByteData* d) {
  auto v = ParseParamInt(arg, "bitmask", 1, 0xFFFFFFFFLL);
  if (!v.ok()) return v.status();
  d->bitmask = static_cast<uint32_t>(*v);
  return s6::OkStatus();
}

// "number or byte_extract variable" arguments (offset of byte_test/jump, compare value).
s6::Status NumberOrVar(std::string_view s, const ByteVarNames& vars, std::string_view what,
                       long* num, int8_t* var) {
  if (StrToL(s, num)) return s6::OkStatus();
  int8_t idx = vars.Find(s);
  if (idx == kNoVar) {
    return Bad(std::string(what) + " uses an undefined rule option variable (" + std::string(s) +
               ")");
  }
  *var = idx;
  return s6::OkStatus();
}

}  // namespace

s6::Status Bad(std::string msg) { return s6::InvalidArgumentError(msg); }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A PT_INT parameter: dec/hex/oct, within [lo, hi].
s6::StatusOr<int64_t> ParseParamInt(std::string_view s, std::string_view what, int64_t lo,
                                    int64_t hi) {
  std::string str(Trim(s));
  if (str.empty()) return Bad(std::string(what) + " requires a number");
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(str.c_str(), &end, 0);
  if (*end || errno == ERANGE || v < lo || v > hi) {
    return Bad(std::string(what) + " out of range " + std::to_string(lo) + ":" +
               std::to_string(hi) + ": " + str);
  }
  return static_cast<int64_t>(v);
}

// "word rest" → (word, rest).
std::pair<std::string_view, std::string_view> SplitWord(std::string_view s) {
  s = Trim(s);
  size_t i = 0;
  while (i < s.size() && !IsSpace(s[i])) ++i;
  return {s.substr(0, i), Trim(s.substr(i))};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitTrim(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(Trim(s.substr(start, p == std::string_view::npos ? s.npos : p - start)));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

s6::StatusOr<std::string> DecodeQuoted(std::string_view raw, bool* negated) {
  std::string_view s = Trim(raw);
  if (!s.empty() && s.front() == '!') {
    if (negated == nullptr) return Bad("negation not allowed here");
    *negated = true;
    s = Trim(s.substr(1));
  }
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') {
    return Bad("argument must be a quoted string: " + std::string(raw));
  }
  s = s.substr(1, s.size() - 2);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return Bad("unescaped quote inside string");
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return Bad("string ends with a backslash");
    char e = s[i];
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        // \xH or \xHH; "\x" without a digit keeps the next character (Snort warns).
        if (i + 1 < s.size() && HexVal(s[i + 1]) >= 0) {
          int v = HexVal(s[++i]);
          if (i + 1 < s.size() && HexVal(s[i + 1]) >= 0) v = v * 16 + HexVal(s[++i]);
          out += static_cast<char>(v);
        }
        break;
      }
      default:
        out += e;
        break;
    }
  }
  return out;
}

s6::StatusOr<std::string> DecodeByteCode(std::string_view s) {
  std::string out;
  bool in_hex = false;
  uint8_t hex = 0;
  unsigned nx = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!in_hex) {
      if (c == '|') {
        in_hex = true;
        hex = 0;
        nx = 0;
      } else {
        out += c;
      }
      continue;
    }
    if (c == '|') {
      if (nx) out += static_cast<char>(hex);
      in_hex = false;
    } else if (HexVal(c) >= 0) {
      if (nx >= 2) {
        out += static_cast<char>(hex);
        hex = 0;
        nx = 0;
      }
      hex = static_cast<uint8_t>((hex << 4) + HexVal(c));
      ++nx;
    } else if (IsSpace(c)) {
      if (nx) {
        out += static_cast<char>(hex);
        hex = 0;
        nx = 0;
      }
    } else {
      return Bad("invalid byte code at " + std::to_string(i + 1));
    }
  }
  // An unterminated |...| is accepted by Snort 3; its pending digit pair is dropped.
  return out;
}

std::string UnescapeUnquoted(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

uint32_t MatchDelta(std::string_view p) {
  // Reproduced as written in Snort (including its imperfect border detection): the distance
  // to jump after a match before the pattern could occur again.
  size_t j = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    if (p[j] != p[i]) {
      j = 0;
      continue;
    }
    if (i == p.size() - 1) return static_cast<uint32_t>(p.size() - j - 1);
    ++j;
  }
  return static_cast<uint32_t>(p.size());
}

int8_t ByteVarNames::Find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int8_t>(i);
  }
  return kNoVar;
}

// ------------------------------------------------------------------------------------------
// content
// ------------------------------------------------------------------------------------------

s6::StatusOr<Content> ParseContent(std::string_view value) {
  Content c;
  auto decoded = DecodeQuoted(value, &c.negated);
  if (!decoded.ok()) return decoded.status();
  auto bytes = DecodeByteCode(*decoded);
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) return Bad("empty content");
  if (bytes->size() > 2048) return Bad("content longer than 2048 bytes");
  c.pattern = std::move(*bytes);
  c.match_delta = MatchDelta(c.pattern);
  return c;
}

s6::Status ApplyContentModifier(std::string_view key, std::string_view value,
                                const ByteVarNames& vars, Content* c) {
  value = Trim(value);
  const bool offset_used = c->offset != 0 || c->offset_var != kNoVar;
  const bool depth_used = c->depth != 0 || c->depth_var != kNoVar;
  const int64_t size = static_cast<int64_t>(c->pattern.size());
  auto is_number = [&] {
    return !value.empty() &&
           (std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '-');
  };
  auto var_of = [&](int8_t* out) -> s6::Status {
    int8_t idx = vars.Find(value);
    if (idx == kNoVar) {
      return Bad("content " + std::string(key) + " uses an undefined rule option variable (" +
                 std::string(value) + ")");
    }
    *out = idx;
    return s6::OkStatus();
  };
  if (key == "nocase") {
    c->nocase = true;
  } else if (key == "offset" || key == "distance") {
    const bool distance = key == "distance";
    // ips_content.cc parse_offset / parse_distance with their GetCMF tests.
    if (!distance && offset_used && c->relative) {
      return Bad("offset can't be used with itself, distance, or within");
    }
    if (distance && !c->relative && (offset_used || depth_used)) {
      return Bad("distance can't be used with itself, offset, or depth");
    }
    if (value.empty()) return Bad("missing argument to '" + std::string(key) + "' option");
    if (is_number()) {
      auto v = ParseInt(value, key, -65535, 65535);
      if (!v.ok()) return v.status();
      c->offset = *v;
      c->offset_var = kNoVar;
    } else {
      S6_RETURN_IF_ERROR(var_of(&c->offset_var));
    }
    if (distance) c->relative = true;
  } else if (key == "depth" || key == "within") {
    const bool within = key == "within";
    if (!within && depth_used && c->relative) {
      return Bad("depth can't be used with itself, distance, or within");
    }
    if (within && !c->relative && (offset_used || depth_used)) {
      return Bad("within can't be used with itself, offset, or depth");
    }
    if (value.empty()) return Bad("missing argument to '" + std::string(key) + "' option");
    if (is_number()) {
      auto v = ParseInt(value, key, size, 65535);
      if (!v.ok()) return v.status();
      c->depth = static_cast<uint32_t>(*v);
      c->depth_var = kNoVar;
    } else {
      S6_RETURN_IF_ERROR(var_of(&c->depth_var));
    }
    if (within) c->relative = true;
  } else if (key == "fast_pattern") {
    // snort2lua: "" → fast_pattern; "only" → fast_pattern + nocase; "o,l" → offset/length.
    c->fast_pattern = true;
    if (value.empty()) return s6::OkStatus();
    if (value == "only") {
      c->nocase = true;
      return s6::OkStatus();
    }
    auto parts = SplitTrim(value, ',');
    if (parts.size() != 2) return Bad("fast_pattern: expected only or <offset>,<length>");
    auto off = ParseParamInt(parts[0], "fast_pattern_offset", 0, 65535);
    if (!off.ok()) return off.status();
    auto len = ParseParamInt(parts[1], "fast_pattern_length", 1, 65535);
    if (!len.ok()) return len.status();
    c->fp_offset = static_cast<uint16_t>(*off);
    c->fp_length = static_cast<uint16_t>(*len);
  } else {
    return Bad("unknown content modifier " + std::string(key));
  }
  return s6::OkStatus();
}

s6::Status FinishContent(Content* c) {
  const size_t size = c->pattern.size();
  if (size <= c->fp_offset) {
    return Bad("fast_pattern_offset must be less than the pattern length " + std::to_string(size));
  }
  if (size < static_cast<size_t>(c->fp_offset) + c->fp_length) {
    return Bad("fast_pattern_offset + fast_pattern_length exceeds the pattern length " +
               std::to_string(size));
  }
  // ContentModule::end: a pattern whose fast-pattern part has no letter is case-insensitive
  // (PatternMatchData::has_alpha looks only at that part).
  size_t len = c->fp_length ? c->fp_length : size;
  bool alpha = false;
  for (size_t i = 0; i < len; ++i) {
    if (std::isalpha(static_cast<unsigned char>(c->pattern[c->fp_offset + i]))) alpha = true;
  }
  if (!alpha) c->nocase = true;
  if (c->negated && (c->fp_length || c->fp_offset)) {
    // "Fast pattern constraints for negated content will be ignored".
    c->fp_length = static_cast<uint16_t>(size);
    c->fp_offset = 0;
  }
  return s6::OkStatus();
}

// ------------------------------------------------------------------------------------------
// pcre
// ------------------------------------------------------------------------------------------

s6::StatusOr<PcreSpec> ParsePcre(std::string_view value) {
  // snort2lua rule_pcre.cc: strip `!`, require quotes, take buffer flags out.
  PcreSpec spec;
  spec.buffer = "pkt_data";
  std::string_view s = Trim(value);
  if (!s.empty() && s.front() == '!') {
    spec.pcre.negated = true;
    s = Trim(s.substr(1));
  }
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') {
    return Bad("pcre pattern must be enclosed in \"");
  }
  s = s.substr(1, s.size() - 2);
  char delim = '/';
  if (!s.empty() && s.front() == 'm') {
    s.remove_prefix(1);
    if (s.empty() || IsSpace(s.front()) || s.front() == 'R') return Bad("pcre: bad delimiter");
    delim = s.front();
  }
  size_t end = s.rfind(delim);
  if (s.empty() || s.front() != delim || end == 0 || end == std::string_view::npos) {
    return Bad(std::string("pcre: regex must be enclosed in '") + delim + "'");
  }
  if (end < 2) return Bad("pcre: empty regex");
  spec.pcre.source = std::string(s);
  spec.pcre.regex = std::string(s.substr(1, end - 1));
  uint32_t opts = 0;
  bool have_buffer = false;
  for (char f : s.substr(end + 1)) {
    std::string buffer;
    switch (f) {
      case 'i':
        opts |= PCRE2_CASELESS;
        break;
      case 's':
        opts |= PCRE2_DOTALL;
        break;
      case 'm':
        opts |= PCRE2_MULTILINE;
        break;
      case 'x':
        opts |= PCRE2_EXTENDED;
        break;
      case 'A':
        opts |= PCRE2_ANCHORED;
        break;
      case 'E':
        opts |= PCRE2_DOLLAR_ENDONLY;
        break;
      case 'G':
        opts |= PCRE2_UNGREEDY;
        break;
      case 'R':
        spec.pcre.relative = true;
        break;
      case 'O':
        spec.pcre.override_limits = true;
        break;  // pcre_override defaults to true
      case 'B':
        buffer = "raw_data";
        break;
      case 'U':
        buffer = "http_uri";
        break;
      case 'P':
        buffer = "pcre_P_option_body";
        break;
      case 'H':
        buffer = "pcre_H_option_header";
        break;
      case 'M':
        buffer = "http_method";
        break;
      case 'C':
        buffer = "http_cookie";
        break;
      case 'I':
        buffer = "http_raw_uri";
        break;
      case 'D':
        buffer = "http_raw_header";
        break;
      case 'K':
        buffer = "http_raw_cookie";
        break;
      case 'S':
        buffer = "http_stat_code";
        break;
      case 'Y':
        buffer = "http_stat_msg";
        break;
      default:
        return Bad(std::string("pcre: unknown option '") + f + "'");
    }
    if (!buffer.empty()) {
      if (have_buffer) return Bad("pcre: two sticky buffers set for this regular expression");
      have_buffer = true;
      spec.buffer = std::move(buffer);
    }
  }
  spec.pcre.compile_options = opts;
  spec.pcre.anchored = (opts & PCRE2_ANCHORED) && !(opts & PCRE2_MULTILINE);
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(spec.pcre.regex.data()),
                                   spec.pcre.regex.size(), opts, &err, &err_off, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[128];
    pcre2_get_error_message(err, msg, sizeof(msg));
    return Bad("pcre2 compile of '" + spec.pcre.regex + "' failed at offset " +
               std::to_string(err_off) + ": " + reinterpret_cast<const char*>(msg));
  }
  pcre2_code_free(code);
  return spec;
}

// ------------------------------------------------------------------------------------------
// byte_test / byte_jump / byte_extract / isdataat
// ------------------------------------------------------------------------------------------

s6::StatusOr<ByteTest> ParseByteTest(std::string_view value, const ByteVarNames& vars) {
  auto args = SplitTrim(value, ',');
  if (args.size() < 4) return Bad("byte_test requires count, operator, value, offset");
  ByteTest t;
  auto count = ParseParamInt(args[0], "byte_test count", 1, 10);
  if (!count.ok()) return count.status();
  t.data.bytes = static_cast<uint32_t>(*count);
  // parse_operator: optional '!', then one of < <= = > >= & ^ ("!" alone is "not equal").
  std::string_view op = args[1];
  if (!op.empty() && op.front() == '!') {
    t.not_flag = true;
    op.remove_prefix(1);
  }
  if (op.empty() && t.not_flag)
    t.op = ByteTest::Op::kEq;
  else if (op == "<")
    t.op = ByteTest::Op::kLt;
  else if (op == "<=")
    t.op = ByteTest::Op::kLe;
  else if (op == "=")
    t.op = ByteTest::Op::kEq;
  else if (op == ">")
    t.op = ByteTest::Op::kGt;
  else if (op == ">=")
    t.op = ByteTest::Op::kGe;
  else if (op == "&")
    t.op = ByteTest::Op::kAnd;
  else if (op == "^")
    t.op = ByteTest::Op::kXor;
  else
    return Bad("byte_test unknown operator (" + std::string(args[1]) + ")");
  unsigned long cmp = 0;
  if (StrToUL(args[2], &cmp)) {
    t.value = static_cast<uint32_t>(cmp);
  } else {
    int8_t idx = vars.Find(args[2]);
    if (idx == kNoVar)
      return Bad("byte_test uses an undefined rule option variable (" + std::string(args[2]) + ")");
    t.value_var = idx;
  }
  long off = 0;
  S6_RETURN_IF_ERROR(NumberOrVar(args[3], vars, "byte_test", &off, &t.data.offset_var));
  t.data.offset = static_cast<int32_t>(off);
  bool endian_set = false;
  for (size_t i = 4; i < args.size(); ++i) {
    auto [word, rest] = SplitWord(args[i]);
    if (word == "bitmask") {
      S6_RETURN_IF_ERROR(ParseBitmask(rest, &t.data));
    } else if (!rest.empty() || !ApplyByteFlag(word, &t.data, &endian_set)) {
      return Bad("byte_test: unknown argument '" + std::string(args[i]) + "'");
    }
  }
  if (t.data.endian == Endian::kDce) return s6::UnimplementedError("byte_test dce");
  if (BytesInBitmask(t.data.bitmask) > t.data.bytes) {
    return Bad("Number of bytes in \"bitmask\" value is greater than bytes to extract.");
  }
  return t;
}

s6::StatusOr<ByteJump> ParseByteJump(std::string_view value, const ByteVarNames& vars) {
  auto args = SplitTrim(value, ',');
  if (args.size() < 2) return Bad("byte_jump requires count and offset");
  ByteJump j;
  auto count = ParseParamInt(args[0], "byte_jump count", 0, 10);
  if (!count.ok()) return count.status();
  j.data.bytes = static_cast<uint32_t>(*count);
  long off = 0;
  S6_RETURN_IF_ERROR(NumberOrVar(args[1], vars, "byte_jump", &off, &j.data.offset_var));
  j.data.offset = static_cast<int32_t>(off);
  bool endian_set = false;
  for (size_t i = 2; i < args.size(); ++i) {
    auto [word, rest] = SplitWord(args[i]);
    if (word == "bitmask") {
      S6_RETURN_IF_ERROR(ParseBitmask(rest, &j.data));
    } else if (word == "multiplier") {
      auto m = ParseParamInt(rest, "byte_jump multiplier", 1, 65535);
      if (!m.ok()) return m.status();
      j.multiplier = static_cast<uint32_t>(*m);
    } else if (word == "post_offset") {
      long po = 0;
      S6_RETURN_IF_ERROR(NumberOrVar(rest, vars, "byte_jump", &po, &j.post_offset_var));
      j.post_offset = static_cast<int32_t>(po);
    } else if (word == "align") {
      j.align = true;  // any argument: Snort only ever aligns to 4
    } else if (word == "from_beginning" && rest.empty()) {
      j.from_beginning = true;
    } else if (word == "from_end" && rest.empty()) {
      j.from_end = true;
    } else if (!rest.empty() || !ApplyByteFlag(word, &j.data, &endian_set)) {
      return Bad("byte_jump: unknown argument '" + std::string(args[i]) + "'");
    }
  }
  if (j.data.endian == Endian::kDce) return s6::UnimplementedError("byte_jump dce");
  if (j.from_beginning && j.from_end) {
    return Bad("from_beginning and from_end options together in a rule");
  }
  if (j.data.bitmask && BytesInBitmask(j.data.bitmask) > j.data.bytes) {
    return Bad("Number of bytes in \"bitmask\" value is greater than bytes to extract.");
  }
  if (j.data.bytes > 4 && !j.data.string) {
    return Bad("byte_jump cannot extract more than 4 bytes without string");
  }
  return j;
}

s6::StatusOr<ByteExtract> ParseByteExtract(std::string_view value, ByteVarNames* vars) {
  auto args = SplitTrim(value, ',');
  if (args.size() < 3) return Bad("byte_extract requires count, offset, name");
  ByteExtract e;
  auto count = ParseParamInt(args[0], "byte_extract count", 1, 10);
  if (!count.ok()) return count.status();
  e.data.bytes = static_cast<uint32_t>(*count);
  auto off = ParseParamInt(args[1], "byte_extract offset", -65535, 65535);
  if (!off.ok()) return off.status();
  e.data.offset = static_cast<int32_t>(*off);
  e.name = std::string(args[2]);
  bool endian_set = false;
  for (size_t i = 3; i < args.size(); ++i) {
    auto [word, rest] = SplitWord(args[i]);
    if (word == "bitmask") {
      S6_RETURN_IF_ERROR(ParseBitmask(rest, &e.data));
    } else if (word == "multiplier") {
      auto m = ParseParamInt(rest, "byte_extract multiplier", 1, 65535);
      if (!m.ok()) return m.status();
      e.multiplier = static_cast<uint32_t>(*m);
    } else if (word == "align") {
      auto a = ParseParamInt(rest, "byte_extract align", 0, 4);
      if (!a.ok()) return a.status();
      e.align = static_cast<uint8_t>(*a);
    } else if (!rest.empty() || !ApplyByteFlag(word, &e.data, &endian_set)) {
      return Bad("byte_extract: unknown argument '" + std::string(args[i]) + "'");
    }
  }
  if (e.data.endian == Endian::kDce) return s6::UnimplementedError("byte_extract dce");
  // ips_byte_extract.cc ByteExtractVerify.
  if (e.data.bytes > 4 && !e.data.string)
    return Bad("byte_extract cannot extract more than 4 bytes");
  if (e.align != 0 && e.align != 2 && e.align != 4) return Bad("byte_extract align must be 2 or 4");
  if (e.data.offset < 0 && !e.data.relative)
    return Bad("byte_extract negative offset without relative");
  if (e.name.empty()) return Bad("byte_extract requires a variable name");
  if (std::isdigit(static_cast<unsigned char>(e.name[0])))
    return Bad("byte_extract name starts with a digit");
  if (e.data.base && !e.data.string) return Bad("byte_extract dec/hex/oct without string");
  if (BytesInBitmask(e.data.bitmask) > e.data.bytes) {
    return Bad("Number of bytes in \"bitmask\" value is greater than bytes to extract.");
  }
  int8_t idx = vars->Find(e.name);
  if (idx == kNoVar) {
    if (vars->names.size() >= static_cast<size_t>(kMaxByteVars)) {
      return Bad("Rule has more than " + std::to_string(kMaxByteVars) + " variables.");
    }
    vars->names.push_back(e.name);
    idx = static_cast<int8_t>(vars->names.size() - 1);
  }
  e.var = idx;
  return e;
}

s6::StatusOr<IsDataAt> ParseIsDataAt(std::string_view value, const ByteVarNames& vars,
                                     bool* rawbytes) {
  auto args = SplitTrim(value, ',');
  IsDataAt d;
  std::string_view first = args.empty() ? std::string_view() : args[0];
  if (first.empty()) return Bad("isdataat requires an argument");
  if (first.front() == '!') {
    d.negated = true;
    first = Trim(first.substr(1));
  }
  if (!first.empty() && (std::isdigit(static_cast<unsigned char>(first[0])) || first[0] == '-')) {
    std::string num(first);
    char* end = nullptr;
    unsigned long v = std::strtoul(num.c_str(), &end, 10);
    if (end == num.c_str()) return Bad("isdataat: unable to parse " + num);
    if (v > 65535) return Bad("isdataat offset greater than max IPV4 packet size");
    d.offset = static_cast<int32_t>(v);
  } else {
    d.offset_var = vars.Find(first);
    if (d.offset_var == kNoVar) return Bad("isdataat offset uses an undefined variable");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "relative")
      d.relative = true;
    else if (args[i] == "rawbytes")
      *rawbytes = true;
    else
      return Bad("isdataat: unknown modifier " + std::string(args[i]));
  }
  return d;
}

// ------------------------------------------------------------------------------------------
// base64_decode
// ------------------------------------------------------------------------------------------

s6::StatusOr<Base64Decode> ParseBase64Decode(std::string_view value) {
  Base64Decode b;
  if (Trim(value).empty()) return b;
  for (std::string_view arg : SplitTrim(value, ',')) {
    auto [word, rest] = SplitWord(arg);
    if (word == "relative" && rest.empty()) {
      b.relative = true;
    } else if (word == "bytes") {
      auto v = ParseParamInt(rest, "base64_decode bytes", 1, 0xFFFFFFFFLL);
      if (!v.ok()) return v.status();
      b.bytes = static_cast<uint32_t>(*v);
    } else if (word == "offset") {
      auto v = ParseParamInt(rest, "base64_decode offset", 0, 0xFFFFFFFFLL);
      if (!v.ok()) return v.status();
      b.offset = static_cast<uint32_t>(*v);
    } else {
      return Bad("base64_decode: unknown argument '" + std::string(arg) + "'");
    }
  }
  return b;
}

}  // namespace snort::ruleopt

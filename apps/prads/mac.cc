// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see mac.h. Parsing walks each fgets-sized chunk exactly as load_mac's
// pointer loop does (including its odd steps, e.g. "/36" advancing two characters), because any
// difference changes which bytes an entry holds and so which bucket it lands in. Matching is
// match_mac's recursion written out: own bucket, shorter prefixes, then the 255-bucket "ditch".
#include "mac.h"

#include <cstdio>
#include <limits>
#include <optional>

namespace prads {
namespace {

constexpr std::size_t kFgetsChunk = 1023;  // load_mac: fgets(buf, MAXLINE = 1024)
constexpr std::size_t kVendorMax = 127;    // sscanf(p, "%127s", vendor)

// <ctype.h> in the "C" locale, which PRADS runs in; bytes >= 0x80 are neither.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsXdigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
uint8_t HexValue(char c) {
  if (c <= '9') return static_cast<uint8_t>(c - '0');
  if (c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return static_cast<uint8_t>(c - 'a' + 10);
}

// strtol(s, NULL, 10) stored into a uint8_t: leading blanks, a sign, decimal digits, saturation
// at LONG_MIN/LONG_MAX, then C's modulo-256 conversion.
uint8_t StrtolToU8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  constexpr unsigned long long kLimit = std::numeric_limits<long>::max();
  unsigned long long v = 0;
  bool saturated = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (!saturated) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (v > kLimit + (negative ? 1 : 0)) saturated = true;
    }
  }
  long result;
  if (saturated) {
    result = negative ? std::numeric_limits<long>::min() : std::numeric_limits<long>::max();
  } else if (negative) {
    result = v == kLimit + 1 ? std::numeric_limits<long>::min() : -static_cast<long>(v);
  } else {
    result = static_cast<long>(v);
  }
  return static_cast<uint8_t>(static_cast<unsigned long>(result) & 0xffu);
}

std::string_view TrimC(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// One chunk of load_mac: an entry, nothing (blank/comment) or a reason to skip it.
struct ParsedLine {
  std::optional<MacEntry> entry;
  std::string error;
};

ParsedLine ParseLine(std::string_view chunk) {
  ParsedLine out;
  const std::string_view s = TrimC(chunk.substr(0, chunk.find('\0')));
  if (s.empty() || s.front() == '#') return out;

  MacEntry e;
  std::size_t octets = 0;
  std::size_t pos = 0;
  // First part: the address. PRADS stops at the first blank (or the end of the string).
  while (pos < s.size() && !IsSpace(s[pos])) {
    if (IsXdigit(s[pos]) && pos + 1 < s.size() && IsXdigit(s[pos + 1])) {
      if (octets < 6)
        e.bytes[octets] = static_cast<uint8_t>(HexValue(s[pos]) << 4 | HexValue(s[pos + 1]));
      ++octets;
      pos += 2;
    } else if (s[pos] == '/') {
      e.mask = StrtolToU8(s.substr(pos + 1));
      pos += 2;  // PRADS skips '/' and one digit; a second digit is then an "unknown char"
    } else {
      ++pos;  // ':' and '-' separators, and any other character, are skipped
    }
  }
  while (pos < s.size() && IsSpace(s[pos])) ++pos;
  // Second part: the vendor word.
  std::size_t vend = pos;
  while (vend < s.size() && !IsSpace(s[vend]) && vend - pos < kVendorMax) ++vend;
  e.vendor = std::string(s.substr(pos, vend - pos));

  if (octets > 6) {
    out.error = "more than 6 address bytes (PRADS would overwrite memory)";
    return out;
  }
  e.octets = static_cast<uint8_t>(octets);
  if (e.mask == 0) e.mask = static_cast<uint8_t>(octets * 8);
  if (e.mask == 0) {
    out.error = "no address bytes (PRADS would match every MAC with it)";
    return out;
  }
  if (e.mask > 48) {
    out.error = "mask /" + std::to_string(e.mask) + " is longer than 48 bits";
    return out;
  }
  out.entry = std::move(e);
  return out;
}

}  // namespace

uint32_t PradsMacHash(std::span<const uint8_t> bytes) {
  uint32_t hash = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    hash ^= static_cast<uint32_t>(bytes[i]) << (24 - ((i * 8) % 24));
  }
  return hash % MacDatabase::kHashSize;
}

std::string FormatMac(std::span<const uint8_t, 6> mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02X:%02X:%02X:%02X:%02X:%02X", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

MacDatabase MacDatabase::Parse(std::string_view text, std::string_view name, LoadReport* report) {
  MacDatabase db;
  LoadReport local;
  LoadReport& r = report != nullptr ? *report : local;
  r.file = std::string(name);
  uint32_t line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // fgets: up to 1023 bytes, ending after a newline if one comes first.
    const std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    if (end - pos > kFgetsChunk) end = pos + kFgetsChunk;
    const std::string_view chunk = text.substr(pos, end - pos);
    pos = end;
    ++line;
    ParsedLine parsed = ParseLine(chunk);
    if (!parsed.error.empty()) {
      ++r.skipped;
      r.errors.push_back(std::string(name) + ":" + std::to_string(line) + ": " + parsed.error);
      continue;
    }
    if (!parsed.entry) continue;
    parsed.entry->line = line;
    db.entries_.push_back(std::move(*parsed.entry));
    ++r.loaded;
  }

  // Bucket chains in file order (load_mac appends to the chain's tail).
  db.start_.assign(kHashSize + 1, 0);
  std::vector<uint32_t> bucket_of(db.entries_.size());
  for (std::size_t i = 0; i < db.entries_.size(); ++i) {
    const MacEntry& e = db.entries_[i];
    bucket_of[i] = PradsMacHash(std::span<const uint8_t>(e.bytes, e.octets));
    ++db.start_[bucket_of[i] + 1];
  }
  for (uint32_t b = 0; b < kHashSize; ++b) db.start_[b + 1] += db.start_[b];
  db.order_.resize(db.entries_.size());
  std::vector<uint32_t> fill(db.start_.begin(), db.start_.end() - 1);
  for (std::size_t i = 0; i < db.entries_.size(); ++i) {
    db.order_[fill[bucket_of[i]]++] = static_cast<uint32_t>(i);
  }
  return db;
}

s6::StatusOr<MacDatabase> MacDatabase::Load(const std::string& path, LoadReport* report) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return s6::NotFoundError("cannot open MAC signature file " + path);
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return s6::DataLossError("cannot read MAC signature file " + path);
  return Parse(text, path, report);
}

const MacEntry* MacDatabase::ScanBucket(uint32_t bucket, std::span<const uint8_t, 6> mac) const {
  if (start_.empty()) return nullptr;
  for (uint32_t k = start_[bucket]; k < start_[bucket + 1]; ++k) {
    const MacEntry& e = entries_[order_[k]];
    const int whole = e.mask / 8;
    bool same = true;
    for (int i = 0; i < whole && same; ++i) same = mac[i] == e.bytes[i];
    if (!same) continue;
    const int rest = e.mask % 8;
    if (rest == 0) return &e;
    const uint8_t bits = static_cast<uint8_t>(0xff << (8 - rest));
    if (((mac[whole] ^ e.bytes[whole]) & bits) == 0) return &e;
  }
  return nullptr;
}

const MacEntry* MacDatabase::MatchLevel(std::span<const uint8_t, 6> mac, int octets) const {
  if (octets == 0) return nullptr;  // match_mac(..., mask 0): "we run out of matches"
  const uint32_t index = PradsMacHash(mac.first(static_cast<std::size_t>(octets)));
  if (const MacEntry* e = ScanBucket(index, mac)) return e;
  if (const MacEntry* e = MatchLevel(mac, octets - 1)) return e;
  // The ditch: PRADS's uint8_t counter visits index+1 .. index+255, then wraps to 0 and stops.
  for (uint32_t ditch = 1; ditch <= 255; ++ditch) {
    if (const MacEntry* e = ScanBucket((index + ditch) % kHashSize, mac)) return e;
  }
  return nullptr;
}

const MacEntry* MacDatabase::Match(std::span<const uint8_t, 6> mac) const {
  return MatchLevel(mac, 6);
}

const std::string* MacDatabase::Vendor(std::span<const uint8_t, 6> mac) const {
  const MacEntry* e = Match(mac);
  return e != nullptr ? &e->vendor : nullptr;
}

}  // namespace prads

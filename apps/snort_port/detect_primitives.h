// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the buffer-level primitives of rule evaluation (internal to detect.cc),
// each a reading of one Snort 3 function:
//   * SearchContent: ips_content.cc uniSearchReal, first evaluation (from offset or distance,
//     depth shrunk when a negative distance reaches before the buffer) and retry (from the
//     previous match start + match_delta, depth reduced by the accumulated delta), without the
//     cross-PDU continuation bookkeeping; RetryContent: ContentOption::retry;
//   * Extract / StringExtract: detection/extract.cc extract_data, byte_extract, string_extract
//     and SnortStrToU32 (bounds checks, 1..4 binary bytes, bitmask shift);
//   * UnfoldHeader / Base64DecodeInto: util_unfold.cc sf_unfold_header and decode_b64.cc
//     sf_base64decode, for base64_decode.
// Every read is checked against the view it reads from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules.h"

namespace snort::detect_internal {

/// Snort's Cursor: the buffer being inspected, the position after the last match, and the
/// retry offset (delta) of the option that produced it.
struct Cursor {
  Buffer buffer = Buffer::kPktData;
  std::string_view data;
  uint32_t pos = 0;
  uint32_t delta = 0;  ///< reset for each child option, as Cursor's copy constructor does
  uint32_t size() const { return static_cast<uint32_t>(data.size()); }
};

/// First occurrence of `pat` in `hay` (ASCII case-insensitive when `nocase`), or -1.
int64_t Find(std::string_view hay, std::string_view pat, bool nocase);
/// One content evaluation; true when the pattern was found (moves the cursor unless negated).
bool SearchContent(const Content& c, const std::array<uint32_t, kMaxByteVars>& vars, Cursor* cur);
/// Whether Snort would evaluate this content again at its next occurrence.
bool RetryContent(const Content& c, const Cursor& cur);
/// Reads a number for byte_test/jump/extract at (relative ? cursor : 0) + offset; returns the
/// bytes consumed, or -1 (out of bounds, not a number).
int Extract(const ByteData& d, int64_t offset, const Cursor& cur, uint32_t* out);
/// byte_test's comparison.
bool ByteTestCompare(ByteTest::Op op, uint32_t v, uint32_t cmp, bool not_flag);
/// sf_unfold_header without space trimming, at most `out_size` bytes.
std::string UnfoldHeader(std::string_view in, size_t out_size);
/// sf_base64decode into out[0, out_size); false on misplaced padding.
bool Base64DecodeInto(std::string_view in, char* out, size_t out_size, size_t* written);

}  // namespace snort::detect_internal

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the argument parsers of the individual rule options (internal to the
// rule parser, rules.cc). Each takes the option's argument text as it appears after `key:` in
// a Snort 2.9 rule and returns the typed option, applying snort2lua's rewriting of that option
// and then Snort 3's checks (see rules.h). Errors are s6::Status values: kUnimplemented means
// "a feature we do not support" (the rule is skipped as unsupported), anything else is a
// syntax/validity error that Snort 3 would also reject. No function here keeps state between
// calls; per-rule state (byte_extract names) is passed in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <s6/status.h>

#include "rules.h"

namespace snort::ruleopt {

/// An InvalidArgument status (a syntax or validity error).
s6::Status Bad(std::string msg);
/// ASCII whitespace.
bool IsSpace(char c);
/// Value of a hex digit, or -1.
int HexVal(char c);
/// A Snort PT_INT parameter: decimal, hex or octal, the whole string, within [lo, hi].
s6::StatusOr<int64_t> ParseParamInt(std::string_view s, std::string_view what, int64_t lo,
                                    int64_t hi);
/// "word rest" → (word, rest), both trimmed.
std::pair<std::string_view, std::string_view> SplitWord(std::string_view s);

/// Trims ASCII whitespace at both ends.
std::string_view Trim(std::string_view s);
/// Splits at `sep`, trimming each piece (empty pieces kept).
std::vector<std::string_view> SplitTrim(std::string_view s, char sep);

/// Decodes a quoted option argument the way Snort 3's rule lexer does (parse_stream.cc):
/// optional leading `!` (reported in *negated when non-null, else an error), the string between
/// the quotes, `\n \r \t \a \b \f \v`, `\xHH`, and `\c` → c for any other c.
s6::StatusOr<std::string> DecodeQuoted(std::string_view raw, bool* negated);
/// Snort 3 parse_byte_code: `|41 42|` hex runs inside a decoded content string.
s6::StatusOr<std::string> DecodeByteCode(std::string_view s);
/// Undoes `\c` escapes in an unquoted argument (reference:url,...kb\;EN-US).
std::string UnescapeUnquoted(std::string_view s);

/// ips_content.cc set_max_jump_size, computed on the pattern as written.
uint32_t MatchDelta(std::string_view pattern);

/// byte_extract variable names of the rule being parsed (index = variable number).
struct ByteVarNames {
  std::vector<std::string> names;
  int8_t Find(std::string_view name) const;
};

/// Parses `content` / `uricontent` argument (pattern, negation); modifiers come later.
s6::StatusOr<Content> ParseContent(std::string_view value);
/// Applies one modifier (nocase, offset, depth, distance, within, fast_pattern) in Snort 3's
/// ContentModule::set order-dependent way. Buffer modifiers are handled by the caller.
s6::Status ApplyContentModifier(std::string_view key, std::string_view value,
                                const ByteVarNames& vars, Content* c);
/// ContentModule::end: fast_pattern bounds, implicit nocase of alpha-free patterns.
s6::Status FinishContent(Content* c);

/// A pcre plus the buffer snort2lua selects from its flags ("pkt_data" when none;
/// "pcre_P_option_body" / "pcre_H_option_header" for P / H, resolved later).
struct PcreSpec {
  Pcre pcre;
  std::string buffer;
};
/// Parses and compiles (to validate) a pcre argument.
s6::StatusOr<PcreSpec> ParsePcre(std::string_view value);

s6::StatusOr<ByteTest> ParseByteTest(std::string_view value, const ByteVarNames& vars);
s6::StatusOr<ByteJump> ParseByteJump(std::string_view value, const ByteVarNames& vars);
/// Adds the variable to `vars` (at most kMaxByteVars per rule).
s6::StatusOr<ByteExtract> ParseByteExtract(std::string_view value, ByteVarNames* vars);
/// `rawbytes` (a buffer change in Snort 3) is reported through *rawbytes.
s6::StatusOr<IsDataAt> ParseIsDataAt(std::string_view value, const ByteVarNames& vars,
                                     bool* rawbytes);

/// framework/range.cc RangeCheck::validate with the option's allowed interval [lo, hi].
s6::StatusOr<Range> ParseRange(std::string_view value, int64_t lo, int64_t hi);
/// snort2lua rule_ttl.cc rewriting of `a-b`, `-b`, `a-`.
std::string ConvertTtl(std::string_view value);

s6::StatusOr<Flow> ParseFlow(std::string_view value);
s6::StatusOr<TcpFlags> ParseFlags(std::string_view value);
s6::StatusOr<FragBits> ParseFragBits(std::string_view value);
s6::StatusOr<IpProto> ParseIpProto(std::string_view value);
s6::StatusOr<DetectionFilter> ParseDetectionFilter(std::string_view value);

s6::StatusOr<SslCheck> ParseSslState(std::string_view value);
s6::StatusOr<SslCheck> ParseSslVersion(std::string_view value);
s6::StatusOr<SipMethod> ParseSipMethod(std::string_view value);
s6::StatusOr<SipStatCode> ParseSipStatCode(std::string_view value);
s6::StatusOr<Base64Decode> ParseBase64Decode(std::string_view value);

struct FlowbitsSpec {
  Flowbits::Op op = Flowbits::Op::kNoAlert;
  std::vector<std::string> names;
  bool any = false;
  bool IsSetterOp() const {
    return op == Flowbits::Op::kSet || op == Flowbits::Op::kUnset || op == Flowbits::Op::kToggle;
  }
};
s6::StatusOr<FlowbitsSpec> ParseFlowbits(std::string_view value);

}  // namespace snort::ruleopt

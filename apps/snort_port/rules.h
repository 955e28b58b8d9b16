// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the Snort rule language, parsed into a typed, plain-data AST.
//
// Input is Snort 2.9 rule text (community.rules). The reference we must agree with is Snort 3,
// which cannot read 2.9 text directly: 2.9 rules reach it through snort2lua. So the parser does
// what that pipeline does, in two steps:
//   1. snort2lua (tools/snort2lua/rule_states/*.cc, data/data_types/dt_rule.cc): the 2.9 content
//      modifiers (http_uri, http_header, ..., rawbytes) become Snort 3 "sticky buffer" selectors
//      placed before the content, inserted only when the buffer differs from the one the
//      converter believes is current (Rule::set_curr_options_buffer); pcre buffer flags
//      (U I H D M C K S Y P B) become selectors the same way; urilen becomes a selector plus
//      bufferlen; `<>` of dsize/urilen becomes Snort 3's inclusive `<=>`; ttl's `a-b` forms become
//      ranges; fast_pattern:only becomes fast_pattern + nocase; metadata `service X` becomes the
//      rule's service list.
//   2. Snort 3's own option parsing (src/ips_options/ips_*.cc, parser/parse_rule.cc,
//      parser/parse_stream.cc): string escapes, |hex|, range syntax (framework/range.cc), the
//      validity checks that make Snort 3 reject a rule (depth shorter than the pattern, offset
//      after a non-zero distance, ...), and the service list Snort 3 adds for rules that use
//      service buffers (detection/fp_utils.cc validate_services).
// The result, Rule::options, is the option list exactly as Snort 3 evaluates it, buffer
// selectors included. detect.h evaluates it.
//
// Invariants: every Rule in a RuleSet parsed cleanly (a rule that fails is skipped and reported,
// never half-loaded); every flowbit id indexes RuleSet::flowbit_names; byte_extract variable
// indexes are < kMaxByteVars; every Pcre compiled with PCRE2 at parse time. Nothing here holds a
// pointer: a RuleSet is plain data that can be copied to every instance.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <s6/status.h>

namespace snort {

// ---------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------

/// Rule variables ($HOME_NET, $HTTP_PORTS, ...): name → textual value, expanded when a rule is
/// parsed. Values may refer to other variables ($HOME_NET); a port value may be a space- or
/// comma-separated list, as Snort 3's snort_defaults.lua writes them.
struct Variables {
  /// Snort 3's defaults (snort.lua + snort_defaults.lua): HOME_NET and EXTERNAL_NET `any`, the
  /// *_SERVERS nets equal to $HOME_NET, and the default port lists (FTP_PORTS, HTTP_PORTS,
  /// MAIL_PORTS, ORACLE_PORTS, SIP_PORTS, SSH_PORTS, FILE_DATA_PORTS). Also the Snort 2.9
  /// snort.conf values of names Snort 3 dropped but 2.9 rules still use (AIM_SERVERS,
  /// SHELLCODE_PORTS, GTP_PORTS).
  Variables();

  /// Sets (or replaces) one variable.
  void Set(std::string_view name, std::string_view value);
  /// `-S NAME=VALUE`: the text up to the first '=' is the name (letters, digits, '_').
  s6::Status SetFromArgument(std::string_view name_equals_value);
  /// The raw value of `name`, if defined.
  std::optional<std::string> Get(std::string_view name) const;
  /// Reads `var|ipvar|portvar NAME VALUE` lines (`#` comments and blank lines allowed). The
  /// first bad line fails the whole call with "file:line: reason"; nothing is set then.
  s6::Status LoadConfig(std::string_view text, std::string_view file = "config");

  std::map<std::string, std::string, std::less<>> values;
};

// ---------------------------------------------------------------------------------------------
// Rule header
// ---------------------------------------------------------------------------------------------

enum class Action : uint8_t { kAlert, kLog, kPass, kDrop, kReject, kSdrop };
enum class Protocol : uint8_t { kIp, kTcp, kUdp, kIcmp };

/// One address block of an IP list. IPv4 addresses are stored in the first 4 bytes.
struct IpNet {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  uint8_t prefix_len = 0;
  bool negated = false;
};

/// An IP list as Snort's sfip_var keeps it: matches when some positive block (or, with none,
/// any address) contains the address and no negated block does (sf_ipvar.cc sfvar_ip_in).
struct IpSet {
  std::vector<IpNet> nets;  ///< empty = any

  bool IsAny() const { return nets.empty(); }
  /// `addr` holds 4 (v6 = false) or 16 significant bytes.
  bool Contains(bool v6, const std::array<uint8_t, 16>& addr) const;
};

struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 65535;
};

/// A port list, resolved to sorted, disjoint, non-adjacent ranges (negations applied).
struct PortSet {
  std::vector<PortRange> ranges;

  bool IsAny() const { return ranges.size() == 1 && ranges[0].lo == 0 && ranges[0].hi == 65535; }
  bool Contains(uint16_t port) const;
};

struct RuleHeader {
  Action action = Action::kAlert;
  Protocol protocol = Protocol::kTcp;
  IpSet src_ip;
  PortSet src_ports;
  bool bidirectional = false;  ///< `<>`: the rule also matches with source and destination swapped
  IpSet dst_ip;
  PortSet dst_ports;
};

// ---------------------------------------------------------------------------------------------
// Detection options (Snort 3 evaluation order; see detect.h for their semantics)
// ---------------------------------------------------------------------------------------------

/// The buffers a rule can inspect (Snort 3 sticky-buffer names in BufferName()).
enum class Buffer : uint8_t {
  kPktData,
  kRawData,
  kFileData,
  kHttpUri,
  kHttpRawUri,
  kHttpHeader,
  kHttpRawHeader,
  kHttpClientBody,
  kHttpMethod,
  kHttpCookie,
  kHttpRawCookie,
  kHttpStatCode,
  kHttpStatMsg,
  kSipHeader,
  kSipBody,
  kBase64Data,  ///< what the last base64_decode produced
  kCount,
};
/// Snort 3's name of `b` ("pkt_data", "http_uri", ...).
std::string_view BufferName(Buffer b);
/// True for the http_* buffers.
bool IsHttpBuffer(Buffer b);

/// Most byte_extract variables one rule may define (Snort 3 NUM_IPS_OPTIONS_VARS).
inline constexpr int kMaxByteVars = 2;
/// "No variable" marker for the *_var fields.
inline constexpr int8_t kNoVar = -1;

/// Moves the cursor to the start of another buffer (pkt_data, http_uri, file_data, ...).
struct BufferSelect {
  Buffer buffer = Buffer::kPktData;
};

struct Content {
  std::string pattern;  ///< bytes, |hex| and escapes decoded; original case
  bool negated = false;
  bool nocase = false;    ///< as written (or implied by fast_pattern:only)
  bool relative = false;  ///< distance or within given
  int32_t offset = 0;     ///< offset or distance (Snort keeps both in one field)
  uint32_t depth = 0;     ///< depth or within; 0 = none
  int8_t offset_var = kNoVar;
  int8_t depth_var = kNoVar;
  bool fast_pattern = false;
  uint16_t fp_offset = 0;
  uint16_t fp_length = 0;
  /// Bytes the search may skip after a match before looking again (ips_content.cc
  /// set_max_jump_size, reproduced with its quirks).
  uint32_t match_delta = 0;
};

struct Pcre {
  std::string source;            ///< the option text, e.g. "/^GET\s/smi"
  std::string regex;             ///< between the delimiters
  uint32_t compile_options = 0;  ///< PCRE2_* bits
  bool negated = false;
  bool relative = false;         ///< R
  bool anchored = false;         ///< compiled with PCRE2_ANCHORED and not MULTILINE (no retry)
  bool override_limits = false;  ///< O
};

enum class Endian : uint8_t { kBig, kLittle, kDce };

/// The extraction part shared by byte_test, byte_jump and byte_extract (extract.h ByteData).
struct ByteData {
  uint32_t bytes = 0;
  int32_t offset = 0;
  int8_t offset_var = kNoVar;
  bool relative = false;
  Endian endian = Endian::kBig;
  bool string = false;
  uint32_t base = 0;  ///< 8, 10, 16 (string); 0 when not a string
  uint32_t bitmask = 0;
};

struct ByteTest {
  enum class Op : uint8_t { kEq, kLt, kGt, kLe, kGe, kAnd, kXor };
  ByteData data;
  Op op = Op::kEq;
  bool not_flag = false;
  uint32_t value = 0;
  int8_t value_var = kNoVar;
};

struct ByteJump {
  ByteData data;
  uint32_t multiplier = 0;  ///< 0 = none
  int32_t post_offset = 0;
  int8_t post_offset_var = kNoVar;
  bool align = false;
  bool from_beginning = false;
  bool from_end = false;
};

struct ByteExtract {
  ByteData data;
  uint32_t multiplier = 1;
  uint8_t align = 0;  ///< 0, 2 or 4
  int8_t var = 0;     ///< variable index written
  std::string name;
};

struct IsDataAt {
  int32_t offset = 0;
  int8_t offset_var = kNoVar;
  bool negated = false;
  bool relative = false;
};

/// Snort 3's RangeCheck (framework/range.cc). For EQ/NOT/LT/LE the bound is `max`; for GT/GE it
/// is `min`; LG is exclusive (min < x < max), LEG inclusive.
struct Range {
  enum class Op : uint8_t { kEq, kNot, kLt, kLe, kGt, kGe, kLg, kLeg };
  Op op = Op::kEq;
  int64_t min = 0;
  int64_t max = 0;
  bool Eval(int64_t v) const;
};

/// A numeric header or buffer-length test.
struct RangeTest {
  enum class Field : uint8_t {
    kDsize,
    kTtl,
    kItype,
    kIcode,
    kIcmpId,
    kIcmpSeq,
    kIpId,
    kTcpSeq,
    kTcpAck,
    kTcpWindow,
    kBufferLen,  ///< length of the cursor's buffer (urilen, bufferlen)
  };
  Field field = Field::kDsize;
  Range range;
  bool relative = false;  ///< bufferlen only: remaining length from the cursor
};

struct Flow {
  bool to_server = false;  ///< from the client (to_server / from_client)
  bool to_client = false;  ///< from the server
  bool established = false;
  bool not_established = false;
  bool stateless = false;
  bool no_stream = false;
  bool only_stream = false;
  bool no_frag = false;
  bool only_frag = false;
};

struct Flowbits {
  enum class Op : uint8_t { kSet, kUnset, kToggle, kIsSet, kIsNotSet, kNoAlert };
  Op op = Op::kNoAlert;
  std::vector<uint16_t> ids;  ///< indexes into RuleSet::flowbit_names
  bool any = false;           ///< bits joined with `|` (isset/isnotset): any instead of all
  bool IsSetter() const { return op == Op::kSet || op == Op::kUnset || op == Op::kToggle; }
};

struct TcpFlags {
  enum class Mode : uint8_t { kExact, kAll, kAny, kNot };
  Mode mode = Mode::kExact;
  uint8_t flags = 0;
  uint8_t mask = 0;  ///< flags ignored by the test
};

struct FragBits {
  enum class Mode : uint8_t { kExact, kPlus, kAny, kNot };
  Mode mode = Mode::kExact;
  uint16_t bits = 0;  ///< 0x8000 reserved, 0x4000 DF, 0x2000 MF (as in the IP header)
};

struct IpProto {
  enum class Op : uint8_t { kEq, kNot, kGt, kLt };
  Op op = Op::kEq;
  uint8_t proto = 0;
};

/// ssl_state / ssl_version: tests the SSL inspector's session flags (PacketFacts::ssl_flags,
/// Snort's SSL_* bit values); matches when (flags & session) ^ mask is non-zero.
struct SslCheck {
  bool version = false;  ///< ssl_version (else ssl_state); for display only
  uint32_t flags = 0;
  uint32_t mask = 0;  ///< the negated ("!client_hello") flags
};

/// sip_method: the request method is (not, when negated) one of `methods` (upper case).
struct SipMethod {
  std::vector<std::string> methods;
  bool negated = false;
};

/// sip_stat_code: the response code equals one of `codes`, or its class (1..9) does.
struct SipStatCode {
  std::vector<uint16_t> codes;
};

/// base64_decode: decodes (header-unfolded) base64 text from the cursor's buffer into the
/// base64_data buffer.
struct Base64Decode {
  uint32_t bytes = 0;  ///< 0 = all
  uint32_t offset = 0;
  bool relative = false;
};

using Option = std::variant<BufferSelect, Content, Pcre, ByteTest, ByteJump, ByteExtract, IsDataAt,
                            RangeTest, Flow, Flowbits, TcpFlags, FragBits, IpProto, SslCheck,
                            SipMethod, SipStatCode, Base64Decode>;

/// True when `o` is evaluated relative to the cursor (Snort's is_relative()).
bool IsRelative(const Option& o);

struct DetectionFilter {
  bool track_by_src = true;
  uint32_t count = 0;
  uint32_t seconds = 0;
};

struct Rule {
  RuleHeader header;
  uint32_t gid = 1;
  uint32_t sid = 0;
  uint32_t rev = 0;
  std::string msg;
  std::string classtype;
  uint32_t priority = 0;  ///< explicit priority or the classification's; 0 when neither
  std::vector<std::string> references;  ///< "system,id" as written
  std::vector<std::string> metadata;    ///< "key value" entries other than service
  /// Services the rule applies to: metadata `service X` entries, else the services Snort 3
  /// adds for what the rule uses (http_* → http2, http; file_data → every inspector that
  /// publishes file_data; sip_header/sip_body/sip_method/sip_stat_code → sip;
  /// ssl_state/ssl_version → ssl).
  std::vector<std::string> services;
  /// Snort 3 puts the rule only in service groups (it uses a service buffer or option): it
  /// never fires on a port match alone, only on flows whose service is one of `services`.
  bool service_only = false;
  std::vector<Option> options;  ///< detection options in Snort 3 order
  std::optional<DetectionFilter> detection_filter;
  std::string file;
  uint32_t line = 0;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<std::string> flowbit_names;  ///< id → name
};

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

struct ParseOptions {
  /// Also parse commented-out rules (`# alert tcp ...`), to load "every rule".
  bool uncomment_rules = false;
};

/// One rule that did not load.
struct SkippedRule {
  std::string file;
  uint32_t line = 0;
  uint32_t sid = 0;  ///< 0 when not known
  /// Short and groupable: "unsupported option dce_iface" (a feature this port lacks) or
  /// "error: <why>" (text Snort 3 would reject too).
  std::string reason;
  std::string message;  ///< the full warning line
};

struct LoadReport {
  size_t loaded = 0;
  size_t skipped = 0;
  std::vector<std::string> warnings;  ///< one line per skipped rule and per other oddity
  std::vector<SkippedRule> skipped_rules;
  /// "N rules loaded, M skipped".
  std::string Summary() const;
};

/// Parses rule text; bad rules are skipped and reported (when `report` is non-null).
RuleSet ParseRules(std::string_view text, std::string_view file, const Variables& vars,
                   const ParseOptions& opts, LoadReport* report);
/// Same, appending to `set` (flowbit ids shared), for several files.
void AppendRules(std::string_view text, std::string_view file, const Variables& vars,
                 const ParseOptions& opts, RuleSet* set, LoadReport* report);
/// Reads and parses a rules file. Fails only when the file cannot be read.
s6::StatusOr<RuleSet> LoadRules(const std::string& path, const Variables& vars,
                                const ParseOptions& opts, LoadReport* report);

/// The detection options of `rule` in Snort 3 rule syntax ("http_uri; content:\"a|00|\",nocase;
/// ..."), flowbit names resolved through `set` when given. For logs, dumps and tests.
std::string DescribeOptions(const Rule& rule, const RuleSet* set = nullptr);

/// Parses an IP list (`any`, `!1.2.3.0/24`, `[$HOME_NET,!10.0.0.1]`, IPv6 too).
s6::StatusOr<IpSet> ParseIpSet(std::string_view text, const Variables& vars);
/// Parses a port list (`any`, `80`, `!21:23`, `1024:`, `:1023`, `[$HTTP_PORTS,443]`).
s6::StatusOr<PortSet> ParsePortSet(std::string_view text, const Variables& vars);

}  // namespace snort

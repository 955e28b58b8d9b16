// SPDX-License-Identifier: Apache-2.0
// Theory of operation: evaluation of one rule's detection options against one packet, with
// Snort 3's exact semantics (src/detection/detection_options.cc, src/ips_options/*.cc).
//
// The caller (the engine) supplies what Snort's inspectors would have produced: the buffers
// (pkt_data, http_uri, ..., file_data, sip_header/sip_body) and the packet/flow facts (protocol
// fields, flow direction and state, the SSL and SIP inspectors' results, the flow's flowbits).
// base64_decode/base64_data need nothing from the caller: the decoding happens here. Evaluation
// walks the option list with a cursor (buffer, position, and the retry "delta"), exactly as Snort
// walks a rule's branch of its detection-option tree:
//   * a buffer selector moves the cursor to the start of another buffer; an absent (empty)
//     http_*/file_data buffer fails the rule;
//   * content/pcre/byte_jump/byte_extract move the cursor; relative options start from it;
//   * when the options below a content or pcre fail and the next option is relative, Snort
//     retries that content/pcre at its next occurrence (ContentOption::retry / PcreOption::retry,
//     the do/while loop of detection_option_node_evaluate, with its skip_on_retry pruning);
//   * flowbits set/unset/toggle run only after the rule matched (fp_create.cc moves setters
//     after the leaf), so they are returned as operations for the caller to apply;
//   * the content Snort would give the fast-pattern matcher is computed by FastPattern()
//     (fp_utils.cc get_fp_content, fp_create.cc fpGetFinalPattern / make_fast_pattern_only);
//     a "fast-pattern-only" content is not re-evaluated when the caller vouches that the
//     prefilter found it (Snort removes it from the tree).
// Not here: header (address/port) checks beyond HeaderMatches(), detection_filter thresholds,
// alerting, stream reassembly and continuation across PDUs (Snort's "re_eval" machinery).
//
// Invariants: every buffer access is bounds-checked against the buffer's size (hostile packets
// are expected); evaluation of a rule is bounded by EvalOptions::max_steps option evaluations,
// so pathological retry trees cannot stall a packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>

#include "flowbits.h"
#include "rules.h"

namespace snort {

/// The inspection buffers of one packet (or PDU). An empty view means "absent": a rule that
/// selects an absent http_*, file_data or sip_* buffer does not match (as in Snort 3, where
/// the buffer option fails on a zero-length buffer). pkt_data and raw_data may be empty.
/// The views must stay valid during Evaluate.
struct Buffers {
  std::string_view pkt_data;  ///< what Snort's pkt_data cursor sees (payload or PDU)
  std::string_view raw_data;  ///< the raw packet payload (rawbytes / raw_data)
  std::string_view file_data;
  std::string_view http_uri;  ///< normalized URI
  std::string_view http_raw_uri;
  std::string_view http_header;
  std::string_view http_raw_header;
  std::string_view http_client_body;
  std::string_view http_method;
  std::string_view http_cookie;
  std::string_view http_raw_cookie;
  std::string_view http_stat_code;
  std::string_view http_stat_msg;
  std::string_view sip_header;
  std::string_view sip_body;

  /// The buffer selected by `b` (base64_data lives in the evaluation, not here: empty).
  std::string_view Get(Buffer b) const;
};

enum class FlowDirection : uint8_t { kUnknown, kFromClient, kFromServer };

/// SSL session flags as Snort's SSL inspector keeps them (src/protocols/ssl.h), for
/// PacketFacts::ssl_flags: the current record types and the versions seen.
namespace ssl_flags {
inline constexpr uint32_t kVerSslV2 = 0x00008000;
inline constexpr uint32_t kVerSslV3 = 0x00010000;
inline constexpr uint32_t kVerTls10 = 0x00020000;
inline constexpr uint32_t kVerTls11 = 0x00040000;
inline constexpr uint32_t kVerTls12 = 0x00080000;
inline constexpr uint32_t kCurClientHello = 0x00100000;
inline constexpr uint32_t kCurServerHello = 0x00200000;
inline constexpr uint32_t kCurServerKeyx = 0x00400000;
inline constexpr uint32_t kCurClientKeyx = 0x00800000;
inline constexpr uint32_t kUnknown = 0x02000000;
}  // namespace ssl_flags

/// Header and flow facts of the packet being inspected.
struct PacketFacts {
  bool is_ip = true;
  uint8_t ip_proto = 0;  ///< next protocol (6 tcp, 17 udp, 1 icmp, 58 icmpv6, ...)
  uint8_t ttl = 0;       ///< IPv4 TTL / IPv6 hop limit
  uint16_t ip_id = 0;
  uint16_t frag_bits = 0;  ///< IPv4 flags as in the header: 0x8000 R, 0x4000 DF, 0x2000 MF
  bool has_tcp = false;
  uint8_t tcp_flags = 0;  ///< FIN 0x01 ... CWR 0x80
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint16_t tcp_window = 0;
  bool has_icmp = false;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;  ///< meaningful for echo request/reply
  uint16_t icmp_seq = 0;
  uint32_t dsize = 0;           ///< payload size (Snort's p->dsize)
  bool rebuilt_stream = false;  ///< a reassembled TCP PDU (PKT_REBUILT_STREAM)
  bool pdu_start = true;        ///< for rebuilt packets: this is a PDU start (dsize is valid)
  bool paf_payload = false;     ///< flow:only_stream accepts only these
  bool rebuilt_frag = false;    ///< a reassembled IP datagram
  bool has_flow = true;         ///< Snort tracks a flow (required by flowbits)
  /// Content detection is on (Snort's IpsContext::CONTENT). Off for a raw packet without
  /// payload or whose payload was all retransmitted: then only rules without any fast-pattern
  /// content (not even a negated one) are evaluated (the engine applies it).
  bool content_enabled = true;
  FlowDirection direction = FlowDirection::kUnknown;
  bool established = false;  ///< PKT_STREAM_EST
  /// SSL inspector state for this (rebuilt or whole) PDU; ssl_state/ssl_version fail without.
  bool has_ssl = false;
  uint32_t ssl_flags = 0;  ///< ssl_flags::* bits
  /// SIP inspector state; sip_method/sip_stat_code fail without.
  bool has_sip = false;
  std::string_view sip_method;   ///< request method as sent (empty for responses)
  uint16_t sip_status_code = 0;  ///< response status (0 for requests)
};

/// A flowbits setter of a matched rule, to apply after the match.
struct FlowbitOp {
  Flowbits::Op op = Flowbits::Op::kSet;
  std::vector<uint16_t> ids;
};

struct MatchResult {
  bool matched = false;  ///< all options matched (detection_filter not applied)
  bool noalert = false;  ///< matched through flowbits:noalert: no event
  /// Setters to apply, in rule order, when matched (and the detection filter, if any, lets the
  /// event through: Snort skips them when the filter suppresses the rule).
  std::vector<FlowbitOp> flowbit_ops;
  bool budget_exhausted = false;  ///< evaluation stopped at EvalOptions::max_steps
};

/// Applies `ops` to `bits` (set, unset, toggle).
void ApplyFlowbitOps(const std::vector<FlowbitOp>& ops, FlowBits* bits);

/// The content Snort 3 hands to its fast-pattern matcher for a rule.
struct FastPatternInfo {
  std::string pattern;  ///< bytes for the matcher (fast_pattern:offset,length applied)
  bool nocase = false;
  bool negated =
      false;  ///< only negated contents were eligible (Snort: rule still always evaluated)
  Buffer buffer = Buffer::kPktData;
  size_t option_index = 0;  ///< index of the content in Rule::options
  /// Snort does not re-evaluate this content in the rule (the matcher found it): see
  /// fp_create.cc make_fast_pattern_only.
  bool only = false;
};

/// Snort 3's fast-pattern choice for `rule`: the first explicit fast_pattern content, else
/// the longest eligible content (non-negated preferred; first wins ties), across all
/// fast-pattern-capable buffers. nullopt when no content is eligible (the rule is evaluated for
/// every packet of its group, a "non-fast-pattern" rule). For rules with services, Snort leaves
/// a rule whose fast pattern is not in pkt_data/raw_data out of the port groups.
std::optional<FastPatternInfo> FastPattern(const Rule& rule);

/// Addresses and ports of a packet, for HeaderMatches.
struct PacketHeader {
  Protocol protocol = Protocol::kIp;  ///< kTcp, kUdp, kIcmp, or kIp for any other IP packet
  bool v6 = false;
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
};

/// Rule header check: protocol (an `ip` rule takes every IP packet), addresses, ports (tcp and
/// udp rules only, unless `check_ports` is false: a rule reached through its service's group),
/// both ways for `<>`.
bool HeaderMatches(const RuleHeader& h, const PacketHeader& p, bool check_ports = true);

struct EvalOptions {
  /// The rule's fast pattern was found by the prefilter in its buffer, so a fast-pattern-only
  /// content is skipped as in Snort. When false it is checked (anywhere in its buffer, without
  /// moving the cursor), which gives the same outcome without a prefilter.
  bool fast_pattern_matched = true;
  /// Upper bound on option evaluations for one rule (retry loops can be combinatorial).
  uint64_t max_steps = 200000;
};

/// The compiled form of a RuleSet (its pcres, fast patterns and evaluation plans). Evaluate is
/// not thread-safe (it reuses PCRE2 match data): one Detector per instance/thread.
class Detector {
 public:
  /// Compiles every pcre of `rules` (with Snort's match limits and JIT).
  static s6::StatusOr<Detector> Create(RuleSet rules);

  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;
  ~Detector();

  const RuleSet& rules() const { return rules_; }
  /// FastPattern() of rule `index`, computed once; nullptr when the rule has none.
  const FastPatternInfo* fast_pattern(size_t index) const;

  /// Evaluates the detection options of rule `index` (header not checked).
  MatchResult Evaluate(size_t index, const Buffers& buffers, const PacketFacts& facts,
                       const FlowBits& bits, const EvalOptions& opts = {}) const;

  struct Compiled;  // PCRE2 programs (opaque)

 private:
  Detector() = default;

  // The option chains Snort's tree holds for a rule: options in order without the flowbit
  // setters; chain_fp also without the fast-pattern-only content (prefilter vouched for it),
  // chain_all with it, marked in presence_all as "check presence only".
  struct Plan {
    std::vector<uint16_t> chain_fp;
    std::vector<bool> presence_fp;
    std::vector<uint16_t> chain_all;
    std::vector<bool> presence_all;
    std::vector<uint16_t> setters;   ///< flowbit set/unset/toggle options
    std::vector<int32_t> pcre_slot;  ///< per option: index into the compiled programs or -1
  };

  RuleSet rules_;
  std::vector<Plan> plans_;
  std::vector<std::optional<FastPatternInfo>> fast_patterns_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace snort

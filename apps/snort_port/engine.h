// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the Snort port's multi-rule engine over one packet (or one HTTP section).
//
// Built once per instance from a RuleSet: every rule's fast pattern (FastPattern) goes into the
// Hyperscan prefilter of the buffer it lives in; rules without one, or whose only eligible
// contents are negated, are evaluated on every packet. Inspect then scans each buffer present
// once, takes the union of the rules whose fast pattern occurred plus the always-evaluated
// ones, and verifies each candidate in rule order: header (protocol, addresses, ports),
// service, PDU section, then the full option list (Detector). A matching rule's flowbit operations
// are applied before the next candidate is evaluated — unless `allow` (the caller's
// detection_filter decision) suppresses it, in which case, as in Snort, they are not.
//
// Which rules a packet can reach follows Snort 3's rule groups (fp_detect.cc, fp_create.cc,
// detection_options.cc match_rtn):
//  - service: on a flow whose service is known, a rule that lists services fires only when the
//    flow's is among them, and then its ports are not checked (it is reached through the
//    service's group); rules without services check their ports. On a flow with no known
//    service, service-only rules (they use a service buffer) never fire and the others check
//    their ports as usual;
//  - PDU section (pdu_section.h): each rule has the latest HTTP section its options read
//    (http_uri, http_header, ... -> header; http_client_body, file_data, pkt_data and any
//    cursor read before a buffer is chosen -> body). Through the http service's group a rule
//    is searched only in PDUs of its section; a pkt_data fast pattern of a rule with no service
//    option is searched in non-HTTP packets and HTTP bodies; through port groups (no service)
//    fast patterns other than pkt_data are searched only in non-HTTP packets. Rules without a
//    fast pattern are evaluated in every section.
//
// A packet whose content detection is off (PacketFacts::content_enabled) reaches only the rules
// without any fast-pattern content, as Snort then searches no pattern matcher (a rule whose
// only fast-pattern candidates are negated sits in the matcher's negated list).
//
// The naive mode verifies every rule on every packet with no prefilter: the baseline of the
// benchmark. Both modes must raise the same alerts (a test checks it).
//
// Not thread-safe (Detector and Prefilter reuse scratch space): one Engine per instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <s6/status.h>

#include "detect.h"
#include "prefilter.h"
#include "rules.h"

namespace snort {

/// Snort's PduSection of the packet being inspected: kNone for raw packets and PDUs of
/// services without sections, the HTTP section otherwise.
enum class Section : uint8_t { kNone, kHeader, kBody, kTrailer };

/// Where a packet sits in its flow: the flow's service ("" when unknown) and the PDU section.
struct Where {
  Where() = default;
  Where(std::string_view s, Section sec = Section::kNone) : service(s), section(sec) {}
  Where(const char* s, Section sec = Section::kNone) : service(s), section(sec) {}
  std::string_view service;
  Section section = Section::kNone;
};

/// The caller's detection_filter decision for a matched rule: a non-owning reference to a
/// callable `bool(size_t rule)` (no allocation per packet); empty means "always raise".
class AllowFn {
 public:
  AllowFn() = default;
  AllowFn(std::nullptr_t) {}                       // NOLINT: implicit, like a null function
  AllowFn(const std::function<bool(size_t)>& f) {  // NOLINT: implicit
    if (f) Bind(f);
  }
  template <typename F>
  AllowFn(const F& f) {  // NOLINT: implicit; `f` must outlive the call
    Bind(f);
  }
  explicit operator bool() const { return call_ != nullptr; }
  bool operator()(size_t rule) const { return call_(obj_, rule); }

 private:
  template <typename F>
  void Bind(const F& f) {
    obj_ = &f;
    call_ = [](const void* o, size_t rule) { return bool((*static_cast<const F*>(o))(rule)); };
  }
  const void* obj_ = nullptr;
  bool (*call_)(const void*, size_t) = nullptr;
};

class Engine {
 public:
  enum class Mode : uint8_t { kPrefilter, kNaive };

  /// What Inspect did, summed over calls.
  struct Stats {
    uint64_t inspections = 0;
    uint64_t candidates = 0;  ///< rules whose header and options were checked
    uint64_t matches = 0;     ///< rules whose options matched (before `allow` and noalert)
    uint64_t alerts = 0;
  };

  /// Compiles `rules`. InvalidArgument if a pattern or regex cannot be compiled.
  static s6::StatusOr<Engine> Create(RuleSet rules, Mode mode = Mode::kPrefilter);

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  /// The indexes (into rules().rules) of the rules that alert on this packet, in rule order.
  /// `where` is the flow's identified service and the PDU's section (see the file comment).
  /// `bits` are the flow's flowbits, updated. `allow(rule)`, if given, decides a matched
  /// rule's detection_filter.
  std::vector<size_t> Inspect(const PacketHeader& header, const Buffers& buffers,
                              const PacketFacts& facts, const Where& where, FlowBits* bits,
                              AllowFn allow = nullptr);

  const RuleSet& rules() const { return detector_.rules(); }
  /// The fast pattern of rule `index` (nullptr when it has none).
  const FastPatternInfo* fast_pattern(size_t index) const { return detector_.fast_pattern(index); }
  const Stats& stats() const { return stats_; }
  /// Rules evaluated on every packet (no usable fast pattern).
  std::size_t always_evaluated() const { return always_.size(); }

 private:
  explicit Engine(Detector detector, Mode mode) : detector_(std::move(detector)), mode_(mode) {}
  // What decides whether rule i can be reached by a packet (see the file comment).
  struct Reach {
    uint8_t own_sections = 0;  ///< bit per Section: the rule's latest section
    bool fp_pkt_data = false;  ///< its fast pattern is in pkt_data
    bool nfp = false;          ///< no usable fast pattern: every section
    bool content = false;      ///< has a fast-pattern content, negated or not (needs content on)
  };
  // Whether rule i is reached by a packet of `where`; *check_ports: whether its ports count.
  bool Reaches(size_t i, const Where& where, bool* check_ports) const;

  Detector detector_;
  Mode mode_;
  // The rules a packet of one protocol can reach (see Create).
  struct Group {
    std::vector<Prefilter> by_buffer;  ///< indexed by Buffer
    Prefilter pkt_and_raw;             ///< pkt_data's and raw_data's patterns together
    std::vector<size_t> always;        ///< no usable fast pattern, sorted
  };
  s6::StatusOr<Group> BuildGroup(const std::vector<size_t>& members) const;

  std::vector<Group> groups_;  ///< indexed by Protocol
  std::vector<size_t> always_;
  std::vector<Reach> reach_;  ///< per rule
  std::vector<uint32_t> scratch_;
  std::vector<uint8_t> from_prefilter_;  ///< per rule, reused between calls
  Stats stats_;
};

}  // namespace snort

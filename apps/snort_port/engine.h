// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the Snort port's multi-rule engine over one packet (or one HTTP section).
//
// Built once per instance from a RuleSet: every rule's fast pattern (FastPattern) goes into the
// Hyperscan prefilter of the buffer it lives in; rules without one, or whose only eligible
// contents are negated, are evaluated on every packet. Inspect then scans each buffer present
// once, takes the union of the rules whose fast pattern occurred plus the always-evaluated
// ones, and verifies each candidate in rule order: header (protocol, addresses, ports),
// service, then the full option list (Detector). A matching rule's flowbit operations are
// applied before the next candidate is evaluated — unless `allow` (the caller's
// detection_filter decision) suppresses it, in which case, as in Snort, they are not.
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
  /// `service` is the flow's identified service ("http", ...; empty if none): rules that are
  /// service-only fire only on a flow of one of their services. `bits` are the flow's flowbits,
  /// updated. `allow(rule)`, if given, decides a matched rule's detection_filter.
  std::vector<size_t> Inspect(const PacketHeader& header, const Buffers& buffers,
                              const PacketFacts& facts, std::string_view service, FlowBits* bits,
                              const std::function<bool(size_t)>& allow = nullptr);

  const RuleSet& rules() const { return detector_.rules(); }
  const Stats& stats() const { return stats_; }
  /// Rules evaluated on every packet (no usable fast pattern).
  std::size_t always_evaluated() const { return always_.size(); }

 private:
  explicit Engine(Detector detector, Mode mode) : detector_(std::move(detector)), mode_(mode) {}
  bool ServiceAllows(const Rule& rule, std::string_view service) const;

  Detector detector_;
  Mode mode_;
  std::vector<Prefilter> prefilters_;  ///< indexed by Buffer
  std::vector<size_t> always_;
  std::vector<uint32_t> scratch_;
  std::vector<uint8_t> from_prefilter_;  ///< per rule, reused between calls
  Stats stats_;
};

}  // namespace snort

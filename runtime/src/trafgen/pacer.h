// SPDX-License-Identifier: Apache-2.0
// File: trafgen/pacer.h
//
// When s6-trafgen's next packet is due: inter-arrival times drawn from a distribution whose
// mean is 1/rate.
//
// Theory of operation: the pacer holds the (fractional) time of the next arrival relative to
// its start. Pop(now) consumes that arrival if it is due and draws the gap to the following
// one; a caller that falls behind gets the missed arrivals on its next calls, so the long-run
// rate is the configured one whatever the loop's jitter (open loop: the offered load does not
// adapt to the system under test). `fixed` is today's even pacing (arrival k at k/rate,
// computed from k rather than summed, so it never drifts); `uniform` draws gaps on
// [0, 2/rate]; `exp` is a Poisson process; `pareto` draws heavy-tailed gaps (shape a > 1,
// scale x_m = mean (a-1)/a) — bursts separated by long silences, same mean. Time is always
// passed in explicitly (ns, any origin), so tests drive the pacer with a synthetic clock.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace s6::trafgen {

enum class ArrivalDist : uint8_t { kFixed, kUniform, kExponential, kPareto };

/// Parses "fixed", "uniform", "exp" or "pareto"; false on anything else.
bool ParseArrivalDist(std::string_view name, ArrivalDist& out);
std::string_view ArrivalDistName(ArrivalDist d);

class Pacer {
 public:
  /// Arrivals at `rate_pps` (> 0) from `start_ns` on; the first is due one gap after the start.
  Pacer(ArrivalDist dist, double rate_pps, uint64_t start_ns, uint64_t seed = 1,
        double pareto_shape = 1.5);

  /// Consumes the next arrival if it is due at `now_ns`; returns whether it did.
  bool Pop(uint64_t now_ns);
  /// The time the next arrival is due (ns, the caller's clock).
  uint64_t next_ns() const;
  /// Arrivals consumed so far.
  uint64_t arrivals() const { return arrivals_; }

 private:
  double DrawGapNs();

  ArrivalDist dist_;
  double mean_gap_ns_;
  double pareto_shape_;
  uint64_t start_ns_;
  double next_offset_ns_ = 0;  // of the next arrival, from start_ns_
  uint64_t arrivals_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace s6::trafgen

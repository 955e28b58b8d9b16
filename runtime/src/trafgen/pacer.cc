// SPDX-License-Identifier: Apache-2.0
#include "trafgen/pacer.h"

#include <algorithm>
#include <cmath>

#include <s6/check.h>

namespace s6::trafgen {

bool ParseArrivalDist(std::string_view name, ArrivalDist& out) {
  if (name == "fixed") {
    out = ArrivalDist::kFixed;
  } else if (name == "uniform") {
    out = ArrivalDist::kUniform;
  } else if (name == "exp") {
    out = ArrivalDist::kExponential;
  } else if (name == "pareto") {
    out = ArrivalDist::kPareto;
  } else {
    return false;
  }
  return true;
}

std::string_view ArrivalDistName(ArrivalDist d) {
  switch (d) {
    case ArrivalDist::kFixed:
      return "fixed";
    case ArrivalDist::kUniform:
      return "uniform";
    case ArrivalDist::kExponential:
      return "exp";
    case ArrivalDist::kPareto:
      return "pareto";
  }
  return "fixed";
}

Pacer::Pacer(ArrivalDist dist, double rate_pps, uint64_t start_ns, uint64_t seed,
             double pareto_shape)
    : dist_(dist),
      mean_gap_ns_(1e9 / rate_pps),
      pareto_shape_(pareto_shape),
      start_ns_(start_ns),
      rng_(seed) {
  S6_CHECK(rate_pps > 0) << "the rate must be positive";
  S6_CHECK(dist != ArrivalDist::kPareto || pareto_shape > 1) << "Pareto needs shape > 1";
  next_offset_ns_ = DrawGapNs();
}

double Pacer::DrawGapNs() {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  switch (dist_) {
    case ArrivalDist::kFixed:
      return mean_gap_ns_;
    case ArrivalDist::kUniform:
      return unit(rng_) * 2 * mean_gap_ns_;
    case ArrivalDist::kExponential:
      return std::exponential_distribution<double>(1.0 / mean_gap_ns_)(rng_);
    case ArrivalDist::kPareto: {
      const double a = pareto_shape_;
      const double xm = mean_gap_ns_ * (a - 1) / a;
      // 1 - U is in (0, 1]: never a division by zero.
      return xm / std::pow(1.0 - unit(rng_), 1.0 / a);
    }
  }
  return mean_gap_ns_;
}

bool Pacer::Pop(uint64_t now_ns) {
  if (now_ns < next_ns()) return false;
  ++arrivals_;
  // Fixed: arrival k at k * mean, computed from k, so rounding never accumulates.
  next_offset_ns_ = dist_ == ArrivalDist::kFixed ? static_cast<double>(arrivals_ + 1) * mean_gap_ns_
                                                 : next_offset_ns_ + DrawGapNs();
  return true;
}

uint64_t Pacer::next_ns() const {
  return start_ns_ + static_cast<uint64_t>(std::ceil(std::max(0.0, next_offset_ns_)));
}

}  // namespace s6::trafgen

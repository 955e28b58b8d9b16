// SPDX-License-Identifier: Apache-2.0
// Pacing: for every arrival distribution the inter-arrival times have mean 1/rate and the
// number of arrivals by time T is rate * T (the long-run rate), whatever the caller's polling
// jitter; each distribution has its shape (fixed: exact gaps; uniform: within [0, 2/rate];
// exponential: coefficient of variation 1; Pareto: nothing below the scale, a heavy tail); a
// caller that falls behind gets every missed arrival.
#include "trafgen/pacer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace s6::trafgen {
namespace {

constexpr double kRate = 10000;  // pkt/s: a mean gap of 100 us
constexpr uint64_t kStart = 5'000'000'000;

// Drives a pacer with a jittery synthetic clock for `arrivals` arrivals; returns their times.
std::vector<uint64_t> Arrivals(ArrivalDist d, std::size_t arrivals, uint64_t seed = 11) {
  Pacer p(d, kRate, kStart, seed);
  std::mt19937_64 clock_rng(99);
  std::uniform_int_distribution<uint64_t> step(1, 30'000);  // the loop polls every 1..30 us
  std::vector<uint64_t> times;
  times.reserve(arrivals);
  uint64_t now = kStart;
  while (times.size() < arrivals) {
    now += step(clock_rng);
    for (;;) {
      const uint64_t due = p.next_ns();
      if (!p.Pop(now)) break;
      EXPECT_LE(due, now);
      times.push_back(due);
    }
  }
  return times;
}

TEST(PacerTest, EveryDistributionHasMeanGapOneOverRateAndKeepsTheRate) {
  for (ArrivalDist d : {ArrivalDist::kFixed, ArrivalDist::kUniform, ArrivalDist::kExponential,
                        ArrivalDist::kPareto}) {
    SCOPED_TRACE(std::string(ArrivalDistName(d)));
    const std::size_t n = 1'000'000;
    const std::vector<uint64_t> t = Arrivals(d, n);
    ASSERT_EQ(t.size(), n);
    ASSERT_TRUE(std::is_sorted(t.begin(), t.end()));
    const double mean_gap_ns = static_cast<double>(t.back() - kStart) / static_cast<double>(n);
    // Pareto with shape 1.5 has infinite variance: its sample mean converges slowly.
    const double tolerance = d == ArrivalDist::kPareto ? 0.05 : 0.01;
    EXPECT_NEAR(mean_gap_ns, 1e9 / kRate, 1e9 / kRate * tolerance);
    // The long-run rate: arrivals due by the end of the run, seen as a rate.
    const double seconds = static_cast<double>(t.back() - kStart) / 1e9;
    EXPECT_NEAR(static_cast<double>(n) / seconds, kRate, kRate * tolerance);
  }
}

TEST(PacerTest, EachDistributionHasItsShape) {
  const double mean = 1e9 / kRate;
  auto gaps = [](const std::vector<uint64_t>& t) {
    std::vector<double> g;
    uint64_t prev = kStart;
    for (uint64_t x : t) {
      g.push_back(static_cast<double>(x - prev));
      prev = x;
    }
    return g;
  };
  auto stddev = [](const std::vector<double>& g) {
    double s = 0, s2 = 0;
    for (double x : g) {
      s += x;
      s2 += x * x;
    }
    const double m = s / static_cast<double>(g.size());
    return std::sqrt(s2 / static_cast<double>(g.size()) - m * m);
  };
  {
    const auto g = gaps(Arrivals(ArrivalDist::kFixed, 100000));
    for (double x : g) ASSERT_NEAR(x, mean, 1.0);  // ceil to whole ns, never drifting
  }
  {
    const auto g = gaps(Arrivals(ArrivalDist::kUniform, 100000));
    EXPECT_LE(*std::max_element(g.begin(), g.end()), 2 * mean + 1);
    EXPECT_LT(*std::min_element(g.begin(), g.end()), 0.01 * mean);
    EXPECT_NEAR(stddev(g), 2 * mean / std::sqrt(12.0), 0.02 * mean);
  }
  {
    const auto g = gaps(Arrivals(ArrivalDist::kExponential, 100000));
    EXPECT_NEAR(stddev(g) / mean, 1.0, 0.03);  // CV of an exponential
  }
  {
    const auto g = gaps(Arrivals(ArrivalDist::kPareto, 100000));
    const double xm = mean * (1.5 - 1) / 1.5;
    EXPECT_GE(*std::min_element(g.begin(), g.end()), xm - 1);
    // Heavy tail: P(X > 10 xm) = 10^-1.5 ~ 3.2 %, where an exponential has e^-3.33 ~ 3.6 %
    // beyond 10 xm = 3.33 mean, but the Pareto's maximum is far beyond any exponential's.
    std::size_t over = 0;
    for (double x : g) over += x > 10 * xm ? 1 : 0;
    EXPECT_NEAR(static_cast<double>(over) / static_cast<double>(g.size()), std::pow(10, -1.5),
                0.004);
    EXPECT_GT(*std::max_element(g.begin(), g.end()), 100 * mean);
  }
}

TEST(PacerTest, ACallerThatFallsBehindGetsEveryMissedArrival) {
  Pacer p(ArrivalDist::kFixed, kRate, kStart);
  EXPECT_FALSE(p.Pop(kStart));  // the first arrival is one gap after the start
  EXPECT_EQ(p.next_ns(), kStart + 100'000);
  int n = 0;
  while (p.Pop(kStart + 1'000'000'000)) ++n;  // one second late
  EXPECT_EQ(n, 10000);
  EXPECT_EQ(p.arrivals(), 10000u);
  EXPECT_FALSE(p.Pop(kStart + 1'000'000'000));
}

TEST(PacerTest, DistributionNamesParse) {
  ArrivalDist d = ArrivalDist::kFixed;
  for (ArrivalDist want : {ArrivalDist::kFixed, ArrivalDist::kUniform, ArrivalDist::kExponential,
                           ArrivalDist::kPareto}) {
    ASSERT_TRUE(ParseArrivalDist(ArrivalDistName(want), d));
    EXPECT_EQ(d, want);
  }
  EXPECT_FALSE(ParseArrivalDist("poisson", d));
  EXPECT_FALSE(ParseArrivalDist("", d));
}

}  // namespace
}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// File: stats/histogram.h
//
// A latency histogram with log-spaced buckets: constant memory, O(1) record, percentiles with
// a bounded relative error, exact min/max/count/mean. s6-trafgen keeps one per instance and per
// reporting interval (intervals merge into run totals); an instance keeps one of its packets'
// dwell times.
//
// Theory of operation: a value v (ns) goes to bucket (e, m) where e = floor(log2(v)) and m are
// the next kSubBits bits below the leading one, so each power of two is split into
// 2^kSubBits equal sub-buckets: the relative width of a bucket is at most 2^-kSubBits (3.1 %
// for 5 bits). Values below 2^kSubBits ns get exact buckets. A percentile is the upper edge of
// the bucket holding that rank (clamped to the exact max), so it never under-reports.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string>

namespace s6::stats {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  void Record(uint64_t v) {
    ++counts_[Index(v)];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  void Merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  void Reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ == 0 ? 0 : max_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  /// The value at quantile q in [0, 1] (e.g. 0.99), 0 when empty.
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }

  static int Index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    const int e = 63 - std::countl_zero(v);  // >= kSubBits
    const int m = static_cast<int>((v >> (e - kSubBits)) & (kSub - 1));
    return (e - kSubBits + 1) * kSub + m;
  }
  static uint64_t UpperEdge(int index) {
    if (index < kSub) return static_cast<uint64_t>(index);
    const int e = index / kSub + kSubBits - 1;
    const uint64_t m = static_cast<uint64_t>(index % kSub);
    const uint64_t base = (uint64_t{1} << e) | (m << (e - kSubBits));
    return base + (uint64_t{1} << (e - kSubBits)) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace s6::stats

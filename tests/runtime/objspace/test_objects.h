// SPDX-License-Identifier: Apache-2.0
// State classes for the object-space tests (s6c generates their codecs, stubs and skeletons).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <s6/object.h>

namespace s6test {

struct FlowKey {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
};

/// Per-flow state: a counter and the order in which packets touched it.
class Flow : public s6::SingleWriter {
 public:
  void add(int64_t v) { count_ += v; }
  int64_t count() const { return count_; }
  void append(uint64_t seq) { seqs_.push_back(seq); }
  const std::vector<uint64_t>& seqs() const { return seqs_; }
  void set_owner(uint32_t o) { owner_ = o; }
  uint32_t owner() const { return owner_; }

 private:
  int64_t count_ = 0;
  uint32_t owner_ = 0;
  std::vector<uint64_t> seqs_;
  S6_STATE(Flow);
};

/// Shared state: totals, a per-caller log for FIFO checks, stale reads.
class Tally : public s6::MultiWriter {
 public:
  static constexpr uint32_t kMaxCallers = 64;
  void add(int64_t v) S6_UNTETHER { total_ += v; }
  int64_t add_strict(int64_t v) {
    total_ += v;
    return total_;
  }
  int64_t total() const { return total_; }
  int64_t total_stale() const S6_STALE_MS(100) { return total_; }
  int64_t total_stale_default() const S6_STALE { return total_; }
  /// Records `seq` from `caller`; counts sequences that arrive out of order or twice.
  void record(uint32_t caller, uint64_t seq) S6_UNTETHER {
    if (caller >= kMaxCallers) return;  // fuzzed arguments must not size our vectors
    if (caller >= last_.size()) last_.resize(caller + 1, 0);
    if (seq != last_[caller] + 1) ++out_of_order_;
    last_[caller] = seq;
    ++records_;
  }
  uint64_t last(uint32_t caller) const { return caller < last_.size() ? last_[caller] : 0; }
  uint64_t out_of_order() const { return out_of_order_; }
  uint64_t records() const { return records_; }
  std::string echo(const std::string& s) const { return s; }

 private:
  int64_t total_ = 0;
  std::vector<uint64_t> last_;
  uint64_t out_of_order_ = 0;
  uint64_t records_ = 0;
  S6_STATE(Tally);
};

}  // namespace s6test

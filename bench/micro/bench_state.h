// SPDX-License-Identifier: Apache-2.0
// State classes of the object-space micro-benchmarks (bench/micro/objspace_bench.cc). s6c
// generates their codecs, stubs and skeletons (bench_state.s6.h), so calls go through exactly
// the code a real NF runs.
//
//   FlowKey  the 5-tuple key of the SingleWriter map (13 encoded bytes).
//   Flow     per-flow SingleWriter state: a packet counter and a small tag (31 encoded bytes).
//   Tally    MultiWriter shared state: strict, untether and stale methods on one counter.
//   Mailbox  MultiWriter object whose untether `pull()` runs a process-wide hook at its home;
//            BM_SwRemoteAcquire uses it to make the other process acquire a SingleWriter object.
#pragma once

#include <array>
#include <cstdint>

#include <s6/object.h>

namespace s6bench {

struct FlowKey {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
};

/// Per-flow state (what moves between instances in BM_SwRemoteAcquire).
class Flow : public s6::SingleWriter {
 public:
  void bump() { ++packets_; }
  uint64_t packets() const { return packets_; }

 private:
  uint64_t packets_ = 0;
  uint32_t last_seen_ = 0;
  std::array<uint8_t, 19> tag_{};
  S6_STATE(Flow);
};

/// Shared counter: one strict, one untether and one stale method.
class Tally : public s6::MultiWriter {
 public:
  /// Strict: adds and returns the new total.
  uint64_t add(uint64_t v) {
    total_ += v;
    return total_;
  }
  /// Untether: adds, no reply.
  void add_async(uint64_t v) S6_UNTETHER {
    total_ += v;
    ++async_calls_;
  }
  uint64_t total() const { return total_; }
  uint64_t async_calls() const { return async_calls_; }
  /// Stale: the total, possibly up to one second old.
  uint64_t total_stale() const S6_STALE_MS(1000) { return total_; }

 private:
  uint64_t total_ = 0;
  uint64_t async_calls_ = 0;
  S6_STATE(Tally);
};

/// Runs at the Mailbox's home for every pull() (null: nothing happens). Set per process.
inline void (*g_pull_hook)() = nullptr;

/// A remote "please do something" for BM_SwRemoteAcquire (see g_pull_hook).
class Mailbox : public s6::MultiWriter {
 public:
  void pull() S6_UNTETHER {
    ++pulls_;
    if (g_pull_hook != nullptr) g_pull_hook();
  }
  uint64_t pulls() const { return pulls_; }

 private:
  uint64_t pulls_ = 0;
  S6_STATE(Mailbox);
};

}  // namespace s6bench

// SPDX-License-Identifier: Apache-2.0
// File: s6/clock.h
//
// The time source of an instance. Everything time-dependent in the runtime (stale-cache ages,
// idle expiry, call timeouts, app timers) reads an injected Clock, so tests drive time by hand
// with ManualClock instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace s6 {

/// A monotonic time source in nanoseconds. Implementations must be safe to read from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowNs() const = 0;
};

/// std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  uint64_t NowNs() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

/// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ns = 1'000'000'000) : now_(start_ns) {}
  uint64_t NowNs() const override { return now_.load(std::memory_order_acquire); }
  void Advance(std::chrono::nanoseconds d) {
    now_.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_acq_rel);
  }

 private:
  std::atomic<uint64_t> now_;
};

}  // namespace s6

// SPDX-License-Identifier: Apache-2.0
// File: s6/testing/loopback_caller.h
//
// A test double for the runtime's call path: a RemoteCaller that carries every call, as bytes,
// to the skeleton of an object in the same process. It honours the method flags the way the
// runtime's contract (DESIGN §4) says a remote home must: strict calls run at once and the
// caller gets the result; untether calls are queued and delivered in order, exactly once, on
// Flush() or before the caller's next strict call (read-your-writes); stale calls are answered
// from a cached reply no older than the method's bound on an injectable clock, refreshed by a
// single call when expired. Every call crosses a byte boundary (encode -> bytes -> decode), so a
// test that passes here exercises the generated codecs, stubs and skeletons for real.
//
// For tests and examples only; the product's object space lives in the runtime.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <s6/call.h>

namespace s6::testing {

/// Thrown by LoopbackCaller::Abandon (the runtime unwinds the micro-thread instead).
struct CallAbandoned : std::runtime_error {
  CallAbandoned(const MethodDescriptor& m, CallStatus st)
      : std::runtime_error("call to " + std::string(m.name) + " abandoned (status " +
                           std::to_string(static_cast<int>(st)) + ")"),
        status(st) {}
  CallStatus status;
};

template <typename T>
class LoopbackCaller final : public RemoteCaller {
 public:
  /// Default bound for S6_STALE methods without an explicit S6_STALE_MS.
  static constexpr uint32_t kDefaultStaleMs = 10;

  /// Borrows `object` (the "home" copy), which must outlive the caller.
  explicit LoopbackCaller(T& object) : object_(object) {}

  CallStatus Call(const MethodDescriptor& m, const ByteBuffer& args, ByteBuffer& reply) override {
    ++calls_;
    bytes_sent_ += args.size();
    if (m.is_untether()) {
      pending_.emplace_back(&m, args);
      return CallStatus::kQueued;
    }
    Flush();  // FIFO: earlier untether calls from this caller run first
    if (m.is_stale()) {
      const uint32_t bound = m.stale_max_age_ms != 0 ? m.stale_max_age_ms : kDefaultStaleMs;
      auto key = std::make_pair(m.id, std::string(args.data(), args.data() + args.size()));
      auto it = stale_cache_.find(key);
      if (it != stale_cache_.end() && now_ms_ - it->second.filled_at_ms <= bound) {
        ++stale_hits_;
        reply = it->second.reply;
        return CallStatus::kOk;
      }
      const CallStatus st = Run(m, args, reply);
      if (st == CallStatus::kOk) stale_cache_[key] = {reply, now_ms_};
      return st;
    }
    return Run(m, args, reply);
  }

  [[noreturn]] void Abandon(const MethodDescriptor& m, CallStatus why) override {
    throw CallAbandoned(m, why);
  }

  /// Delivers queued untether calls in order.
  void Flush() {
    while (!pending_.empty()) {
      auto [m, args] = std::move(pending_.front());
      pending_.pop_front();
      ByteBuffer ignored;
      Run(*m, args, ignored);
    }
  }

  /// The injectable clock for stale bounds.
  void AdvanceMs(uint64_t ms) { now_ms_ += ms; }

  uint64_t calls() const { return calls_; }
  uint64_t executed() const { return executed_; }
  uint64_t stale_hits() const { return stale_hits_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  CallStatus Run(const MethodDescriptor& m, const ByteBuffer& args, ByteBuffer& reply) {
    // What a home does with a message: bytes in, bytes out.
    ByteBuffer wire = args;
    ByteReader r(wire);
    reply.clear();
    const DispatchStatus st = Skeleton<T>::Dispatch(object_, m.id, r, reply);
    if (st != DispatchStatus::kOk) return CallStatus::kRemoteError;
    ++executed_;
    return CallStatus::kOk;
  }

  struct CachedReply {
    ByteBuffer reply;
    uint64_t filled_at_ms = 0;
  };

  T& object_;
  std::deque<std::pair<const MethodDescriptor*, ByteBuffer>> pending_;
  std::map<std::pair<uint32_t, std::string>, CachedReply> stale_cache_;
  uint64_t now_ms_ = 0;
  uint64_t calls_ = 0;
  uint64_t executed_ = 0;
  uint64_t stale_hits_ = 0;
  uint64_t bytes_sent_ = 0;
};

}  // namespace s6::testing

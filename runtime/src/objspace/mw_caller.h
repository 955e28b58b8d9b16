// SPDX-License-Identifier: Apache-2.0
// File: objspace/mw_caller.h
//
// MwCaller: calls to MultiWriter objects homed on another instance (or in a slot still on its
// way here), and the cache of stale results.
//
// Theory of operation: a strict call ships kMwCall and suspends the micro-thread until kMwReply
// (a *pending request*, failed with kUnreachable when its deadline passes); an untether call is
// appended to the same per-peer ordered channel and not waited for, so it runs exactly once,
// FIFO with the caller's later strict calls (read-your-writes). Stale calls are answered from a
// per-(object, method, args) cache while the cached result is within its age bound (age counted
// from when the filling request was *sent*, so it is an upper bound); past half the bound one
// asynchronous refresh is started (single-flight); past the bound callers wait for that one
// refresh, never for a new one each (no refresh storms). kMwTouch (get_or_create, lookup,
// remove at the home) is a strict request too. Replies for requests nobody waits for any more
// are counted and dropped.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

#include "objspace/space_core.h"

namespace s6::objspace {

class MwCaller {
 public:
  explicit MwCaller(SpaceCore& core) : core_(core) {}
  MwCaller(const MwCaller&) = delete;
  MwCaller& operator=(const MwCaller&) = delete;

  /// A call of `m` on `k` at `home` (not run here): strict, untether or stale.
  CallStatus Call(InstanceId home, const ObjectKey& k, const MethodDescriptor& m,
                  const ByteBuffer& args, ByteBuffer& reply);
  /// Touch `k` at `home`; throws CallAbandoned without a valid answer.
  MwTouchResult Touch(InstanceId home, const ObjectKey& k, const MapInfo& mi, MwTouchOp op);
  void OnMwReply(const ObjectMessage& m);
  void OnMwTouchReply(const ObjectMessage& m);
  /// Request `req`'s deadline passed: fails it if it still waits. True if it did.
  bool ExpireCall(uint64_t req);

  std::size_t pending() const { return pending_.size(); }
  std::size_t stale_entries() const { return stale_.size(); }

 private:
  struct Pending {
    enum class Kind : uint8_t { kCall, kTouch, kStaleFill };
    Kind kind = Kind::kCall;
    bool done = false;
    CallStatus status = CallStatus::kOk;
    uint8_t touch_result = 0;
    ByteBuffer* reply = nullptr;  // kCall: the caller's buffer
    std::string stale_key;        // kStaleFill
    uint64_t sent_ns = 0;
  };
  struct StaleEntry {
    ByteBuffer reply;
    bool valid = false;
    uint64_t filled_ns = 0;  // when the request that produced `reply` was sent
    bool refreshing = false;
    uint64_t refresh_req = 0;
    CallStatus last_status = CallStatus::kOk;
  };

  uint64_t StartRequest(Pending p);
  CallStatus WaitRequest(uint64_t req, Pending& out);
  CallStatus StaleCall(InstanceId home, const ObjectKey& k, const MethodDescriptor& m,
                       const ByteBuffer& args, ByteBuffer& reply);
  void StartStaleFill(InstanceId home, const std::string& ck, StaleEntry& c, const ObjectKey& k,
                      const MethodDescriptor& m, const ByteBuffer& args);
  void CompletePending(uint64_t req, CallStatus status, std::span<const uint8_t> body,
                       uint8_t touch_result);

  SpaceCore& core_;
  std::unordered_map<uint64_t, Pending> pending_;
  std::unordered_map<std::string, StaleEntry> stale_;
};

}  // namespace s6::objspace

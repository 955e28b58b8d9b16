// SPDX-License-Identifier: Apache-2.0
// File: objspace/sw_holder.h
//
// SwHolder: the SingleWriter objects on this instance — held, or being acquired — and the
// micro-threads waiting for them.
//
// Theory of operation: an entry is kAcquiring (request out to the home, sw_directory.h) or
// kHeld. Acquiring an object that is not here sends kSwAcquire to the home, which answers with
// kSwGrant (no holder existed: created, or absent for a lookup) or has the previous holder send
// it (kSwTransfer, "gone" if that holder no longer had it). Micro-threads that want an object
// that is on its way wait in FIFO order on the entry (coalescing: one request for all of them)
// and are handed their refs in that order when it arrives (per-object arrival order). When a
// recall is pending (kSwRecall: the home designated the next holder), new local users queue
// *behind* it and re-request after the object left, so a busy local user cannot starve a
// remote one; the object leaves as soon as no ref uses it. The object stays where it was last
// used (sticky). Removal tells the home (kSwRemove, applied only if this is still the recorded
// stay); a removed entry is *detached* and freed when its last ref goes. A requester whose
// previous holder answered "gone" creates the object (get) or reports absent and clears the
// directory (lookup). Idle expiry is per object (map default or SwRef::set_idle_timeout),
// travels with transfers, and runs the map's expiry handler in a micro-thread before removing.
// Acquisitions unanswered within `call_timeout` fail their micro-threads (CallAbandoned); an
// object that arrives after its requester gave up is installed, never lost.
//
// The local fast path (object held here, no recall) touches only the entry. When this instance
// is the object's home and its slot is here, creation and removal update the directory
// directly instead of messaging ourselves.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "objspace/space_core.h"

namespace s6::objspace {

class SlotMigration;
class SwDirectory;

class SwHolder {
 public:
  /// A micro-thread waiting on an entry (lives on that micro-thread's stack).
  struct Waiter {
    enum class Outcome : uint8_t { kPending, kArrived, kAbsent, kRetry, kFailed };
    AcquireMode mode;
    Outcome outcome = Outcome::kPending;
    bool created = false;
    internal::SwHold* hold = nullptr;  // kArrived: a ref already counted for this waiter
  };
  struct SwEntry : internal::SwHold {
    enum class State : uint8_t { kAcquiring, kHeld };
    ObjectKey key;
    const MapInfo* map = nullptr;
    State state = State::kAcquiring;
    bool detached = false;  // removed from the space; freed when the last ref goes
    bool expiring = false;  // the expiry handler runs; new users queue behind
    AcquireMode sent_mode = AcquireMode::kGetOrCreate;
    uint64_t req = 0;      // the acquire request this stay answers (0: created at home)
    uint64_t wait_id = 0;  // arrival waiters park on {kObject, wait_id}, retry on wait_id + 1
    std::vector<Waiter*> arrival;  // vectors: an empty one allocates nothing (a deque does)
    std::vector<Waiter*> retry;
    bool recall_pending = false;
    InstanceId recall_to{};
    uint64_t recall_req = 0;
    uint64_t last_used_ns = 0;
    uint64_t idle_timeout_ns = 0;
    uint64_t expiry_gen = 0;  // invalidates armed expiry timers
    bool expiry_armed = false;
    uint64_t handback_ns = 0;  // departing: when a hand-back was last offered for this stay
  };

  SwHolder(SpaceCore& core, SwDirectory& directory, SlotMigration& migration)
      : core_(core), directory_(directory), migration_(migration) {}
  ~SwHolder();
  SwHolder(const SwHolder&) = delete;
  SwHolder& operator=(const SwHolder&) = delete;

  // --- Space (the refs' side; see s6/space.h) ---
  SwAcquireResult Acquire(uint64_t map, std::span<const uint8_t> key, AcquireMode mode);
  void Idle(internal::SwHold* hold) noexcept;
  bool Remove(internal::SwHold* hold);
  void SetIdleTimeout(internal::SwHold* hold, std::chrono::nanoseconds timeout);

  // --- messages ---
  void OnSwGrant(const ObjectMessage& m);
  void OnSwTransfer(const ObjectMessage& m);
  void OnSwRecall(const ObjectMessage& m);
  /// Acquisition `req` of `k` reached its deadline: fails it if it still waits. True if it did.
  bool ExpireAcquire(const ObjectKey& k, uint64_t req);

  /// Calls fn(key, object) for every held object of `map`.
  template <typename Fn>
  void ForEachHeld(uint64_t map, Fn&& fn) {
    for (auto& [k, e] : held_) {
      if (k.map == map && e->state == SwEntry::State::kHeld) fn(Bytes(k.bytes), e->object);
    }
  }

  // --- slot migration (hand-back) ---
  SwEntry* FindHeld(const ObjectKey& k) {
    auto it = held_.find(k);
    return it == held_.end() ? nullptr : it->second.get();
  }
  /// A new kAcquiring entry for `k` answering request `req` (0: created at home).
  SwEntry& AddEntry(const ObjectKey& k, const MapInfo& mi, uint64_t req);
  /// The acquisition `req` of `k` fails if unanswered within `call_timeout`.
  void ArmAcquireTimeout(const ObjectKey& k, uint64_t req) {
    core_.AddDeadline(core_.Now(), req, k);
  }
  /// Departing: calls fn(key, stay) for up to `max` held objects that are not leaving already
  /// and were not offered back within `retry_ns`, marking them offered at `now`. Returns how
  /// many it offered.
  template <typename Fn>
  std::size_t OfferBack(uint64_t now, std::size_t max, uint64_t retry_ns, Fn&& fn) {
    std::size_t offered = 0;
    for (auto& [k, e] : held_) {
      if (offered == max) break;
      if (e->state != SwEntry::State::kHeld || e->recall_pending || e->detached) continue;
      if (e->handback_ns != 0 && now - e->handback_ns < retry_ns) continue;
      ++offered;
      e->handback_ns = now;
      fn(k, e->req);
    }
    return offered;
  }

  /// Entries here, held or being acquired.
  std::size_t entries() const { return held_.size(); }
  /// Entries held (the sw_held gauge).
  uint64_t held() const { return held_count_; }

 private:
  void Park(SwEntry& e, Waiter& w, bool retry_list);
  void Arrive(SwEntry& e, void* object, bool created);
  void FinishAbsent(SwEntry& e, Waiter::Outcome outcome);
  void MaybeTransfer(SwEntry& e);
  void WakeRetry(SwEntry& e);
  void Detach(SwEntry& e);
  void DestroyEntry(SwEntry* e) noexcept;
  void ArmExpiry(SwEntry& e);
  void OnExpiryTimer(const ObjectKey& k, uint64_t gen);

  SpaceCore& core_;
  SwDirectory& directory_;
  SlotMigration& migration_;
  std::unordered_map<ObjectKey, std::unique_ptr<SwEntry>, ObjectKeyHash> held_;
  std::unordered_map<SwEntry*, std::unique_ptr<SwEntry>> detached_;
  uint64_t held_count_ = 0;  // entries of held_ in State::kHeld
  uint64_t next_wait_id_ = 2;
};

}  // namespace s6::objspace

// SPDX-License-Identifier: Apache-2.0
// File: objspace/object_space.h
//
// The distributed shared object space of one instance (DESIGN §4, §5).
//
// Theory of operation
// -------------------
// *Names and homes.* An object is (map id, canonical key bytes); its 64-bit hash
// HashBytes(key, seed = map id) picks its slot and the slot table its home instance.
//
// *SingleWriter objects* live at exactly one *holder*. The home keeps a directory
// key -> (holder, id of the request that made it the holder: the object's *stay* there);
// recalls and removals name the stay, so one meant for a stay that already ended (the holder
// removed the object and asked for it again) is answered "gone" instead of being applied to
// the new stay. Acquiring an object that is not here sends kSwAcquire to the home, which
//   - with no directory entry: records the requester as holder and answers kSwGrant (created,
//     or absent for a lookup);
//   - with a holder X: records the requester as the new holder *at once* and sends kSwRecall to
//     X; X sends the object straight to the requester (kSwTransfer) as soon as no ref on X uses
//     it. Because the home re-designates immediately, a third requester's recall goes to the
//     second, so each designated holder receives at most one recall per stay, and requests
//     queue in the order the home saw them.
// Here, an entry is kAcquiring (request out) or kHeld. Micro-threads that want an object that is
// on its way wait in FIFO order on the entry (coalescing: one request for all of them) and are
// handed their refs in that order when it arrives (per-object arrival order). When a recall is
// pending, new local users queue *behind* it and re-request after the object left, so a busy
// local user cannot starve a remote one. The object stays where it was last used (sticky).
// Removal tells the home (kSwRemove, applied only if the sender is still the recorded holder);
// a recall that finds the object gone answers "gone" (kSwTransfer with no object), and the
// requester then creates it (get) or reports absent and clears the directory (lookup).
// Idle expiry is per object (map default or SwRef::set_idle_timeout), travels with transfers,
// and runs the map's expiry handler in a micro-thread before removing.
//
// *MultiWriter objects* live at their home, created on first use. A call at the home runs
// directly; a remote strict call ships kMwCall and suspends the micro-thread until kMwReply;
// an untether call is appended to the same per-peer ordered channel and not waited for, so it
// runs exactly once, FIFO with the caller's later strict calls (read-your-writes) and leaves
// with the loop iteration's batch. Stale calls are answered from a per-(object, method, args)
// cache while the cached result is within its age bound (age counted from when the filling
// request was *sent*, so it is an upper bound); past half the bound one asynchronous refresh is
// started (single-flight); past the bound callers wait for that one refresh, never for a new one
// each (no refresh storms).
//
// *Robustness.* Every message is validated (wire.h) and every handler copes with messages that
// do not match local state (late, duplicated, for unknown maps): they are counted and dropped.
// Requests that get no answer within `call_timeout` fail their micro-threads (CallAbandoned);
// an object that arrives after its requester gave up is installed, never lost. Messages for keys
// this instance is not home of are forwarded to the home (bounded hops).
//
// *Scaling* (migration.cc, docs/protocol.md). The controller prepares slot table v+1 next to v,
// then switches. At its switch an instance routes by v+1 and tells every peer (kSwitched) on
// the ordered channel, so a peer that sees the marker knows nothing routed by v follows from
// that sender. A slot that changed home is *outgoing* at its old home, which keeps serving it,
// and *incoming* at its new home, which queues the slot's home-side messages until the slot's
// directory and MultiWriter objects arrive (kSlotPull on first use, or the background mover at
// a bounded rate; kSlotData back). The old home answers a pull only after it has every peer's
// marker: then no message routed by v can reach it later, so nothing is applied out of order,
// and afterwards it forwards what it no longer owns. SingleWriter objects stay with their
// holders. A departing instance hands every object it holds back to its home (kSwHandback,
// which the home turns into an ordinary recall to itself). Only users of a slot still in
// flight wait, and only for that slot; in stop-and-copy mode (the comparison baseline) every
// incoming slot waits until all of them have arrived.
//
// Threading: everything runs on the instance's data-plane thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <s6/clock.h>
#include <s6/space.h>
#include "keyspace/slot_table.h"
#include "objspace/timer_queue.h"
#include "objspace/wire.h"
#include "transport/transport.h"
#include "uthread/scheduler.h"

namespace s6::objspace {

/// Counters of one object space (monotonic unless marked as a gauge).
struct ObjectSpaceStats {
  uint64_t sw_local_hits = 0;        ///< acquisitions served by an object already held here
  uint64_t sw_acquires_sent = 0;     ///< acquisitions that asked the home
  uint64_t sw_coalesced = 0;         ///< micro-threads that joined an acquisition in flight
  uint64_t sw_created = 0;           ///< objects created here
  uint64_t sw_absent = 0;            ///< lookups that found nothing
  uint64_t sw_transfers_in = 0;      ///< objects received from their previous holder
  uint64_t sw_transfers_out = 0;     ///< objects sent to their next holder
  uint64_t sw_recalls = 0;           ///< recalls received
  uint64_t sw_recalls_deferred = 0;  ///< recalls that had to wait for local refs
  uint64_t sw_removed = 0;           ///< objects removed here (including expiry)
  uint64_t sw_expired = 0;           ///< objects removed by idle expiry
  uint64_t sw_acquire_timeouts = 0;
  uint64_t sw_unexpected_arrivals = 0;  ///< objects that arrived unasked (installed, not lost)
  uint64_t dir_grants = 0;              ///< home: grants sent
  uint64_t dir_recalls = 0;             ///< home: recalls sent
  uint64_t mw_local_calls = 0;          ///< calls run here by a local caller
  uint64_t mw_calls_served = 0;         ///< calls run here for a remote caller
  uint64_t mw_strict_sent = 0;
  uint64_t mw_untether_sent = 0;
  uint64_t mw_stale_hits = 0;
  uint64_t mw_stale_misses = 0;     ///< stale calls that had to wait for a fill
  uint64_t mw_stale_refreshes = 0;  ///< fill/refresh requests sent
  uint64_t mw_created = 0;          ///< MultiWriter objects created here (home)
  uint64_t mw_touches_sent = 0;
  uint64_t call_timeouts = 0;
  uint64_t late_replies = 0;    ///< replies for requests no longer waiting
  uint64_t malformed = 0;       ///< object messages that failed to decode
  uint64_t unknown_map = 0;     ///< messages naming a map not registered here
  uint64_t unexpected = 0;      ///< well-formed messages that did not fit local state
  uint64_t forwarded = 0;       ///< messages forwarded to the key's home
  uint64_t dropped_hops = 0;    ///< messages dropped after kMaxHops forwards
  uint64_t messages_sent = 0;   ///< object messages sent to other instances
  uint64_t bytes_sent = 0;      ///< their payload bytes
  uint64_t messages_local = 0;  ///< object messages to this instance itself (no network)
  uint64_t abandoned = 0;       ///< calls/acquisitions that failed their micro-thread
  // Gauges.
  uint64_t sw_held = 0;   ///< SingleWriter objects held here
  uint64_t sw_homed = 0;  ///< directory entries (SingleWriter objects homed here)
  uint64_t mw_homed = 0;  ///< MultiWriter objects homed here
  uint64_t pending = 0;   ///< requests waiting for an answer
  uint64_t stale_entries = 0;

  std::string ToJson() const;
};

/// How a scale event moves slots (DESIGN §6).
enum class MigrationMode : uint8_t {
  kGradual,      ///< pull on first use + bounded background mover; only a slot in flight waits
  kStopAndCopy,  ///< all moved slots are pulled at once and all wait until every one arrived
};

/// Parameters of one scale event at one instance.
struct MigrationOptions {
  MigrationMode mode = MigrationMode::kGradual;
  /// Background mover: slots pulled per second (first-use pulls are not limited).
  uint32_t slots_per_sec = 20000;
  /// Background pulls in flight at once.
  uint32_t max_inflight = 8;
};

/// Where this instance stands in a scale event (or after the last one).
struct MigrationStatus {
  uint64_t version = 0;            ///< slot table in force
  uint64_t next_version = 0;       ///< prepared, not yet switched to (0: none)
  bool in_transition = false;      ///< switched, not yet completed
  bool departing = false;          ///< not a member of the table in force
  uint32_t incoming_left = 0;      ///< slots this instance waits for
  uint32_t outgoing_left = 0;      ///< slots this instance has not handed over yet
  uint32_t markers_missing = 0;    ///< peers whose kSwitched has not arrived
  uint64_t held = 0;               ///< SingleWriter objects held here
  uint64_t handbacks_pending = 0;  ///< home: handed-back objects still on their way here
  uint64_t switched_at_ns = 0;
  uint64_t settled_at_ns = 0;  ///< 0 until nothing is left to move (this instance's part)
  // Totals over all events.
  uint64_t slots_in = 0;
  uint64_t slots_out = 0;
  uint64_t objects_in = 0;  ///< directory entries and MultiWriter objects received
  uint64_t objects_out = 0;
  uint64_t pulls_on_demand = 0;   ///< pulls started by a message for a slot not here yet
  uint64_t pulls_background = 0;  ///< pulls started by the mover
  uint64_t queued = 0;            ///< home-side messages that waited for their slot
  uint64_t handbacks_sent = 0;    ///< departing: objects offered back to their home
  uint64_t handbacks_taken = 0;   ///< home: objects recalled to here on a hand-back
  uint64_t slots_in_event = 0;    ///< slots received in the current transition
  uint64_t bad_slot_data = 0;     ///< slot data that failed to decode (counted, dropped)

  /// True when this instance has nothing left to move for the current transition.
  bool settled() const {
    return in_transition && incoming_left == 0 && outgoing_left == 0 && handbacks_pending == 0 &&
           (!departing || held == 0);
  }
  std::string ToJson() const;
};

class ObjectSpace final : public Space {
 public:
  struct Options {
    /// Bound of S6_STALE methods without S6_STALE_MS.
    uint32_t default_stale_ms = 50;
    /// A request (acquire, strict call, touch, stale fill) unanswered this long fails.
    std::chrono::nanoseconds call_timeout = std::chrono::seconds(2);
    /// Cached stale results kept at most (expired ones are evicted beyond this).
    std::size_t max_stale_entries = 1 << 16;
  };

  ObjectSpace(InstanceId self, uthread::Scheduler& scheduler, const Clock& clock, Options options);
  ~ObjectSpace() override;
  ObjectSpace(const ObjectSpace&) = delete;
  ObjectSpace& operator=(const ObjectSpace&) = delete;

  // --- wiring (instance) ---
  /// Where messages to other instances go. Not owned. Must be set before any remote access.
  void set_transport(transport::Transport* t) { transport_ = t; }
  /// The slot table in force (keys' homes).
  void SetSlotTable(keyspace::SlotTable table);
  const keyspace::SlotTable& slot_table() const { return table_; }
  /// Hash over every registered map (ids, kinds, schemas): equal iff two instances agree.
  uint64_t SchemaHash() const;
  /// Freezes registration (after this RegisterMap is a checked error).
  void Seal() { sealed_ = true; }
  /// The time at the start of the current loop iteration: what idle-expiry bookkeeping on the
  /// hot path reads instead of the clock (its precision is one iteration).
  void SetLoopTime(uint64_t now_ns) { loop_now_ns_ = now_ns; }
  /// Processes messages this instance sent to itself. Returns how many.
  std::size_t PumpLocal();
  /// Runs due timers (timeouts, expiry). Returns how many ran.
  std::size_t RunTimers();
  uint64_t NextTimerDeadline() const;
  TimerQueue& timers() { return timers_; }
  bool has_local_messages() const { return !local_.empty(); }
  ObjectSpaceStats stats() const;

  // --- scaling (migration.cc; DESIGN §6, docs/protocol.md) ---
  /// Learns table `next` (version current + 1) for the next switch. `current` must be the table
  /// in force here; an instance without state (a newcomer) adopts it. Idempotent for the same
  /// `next`. FailedPrecondition during another transition, InvalidArgument for a bad pair.
  Status PrepareTable(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                      MigrationOptions options);
  /// Withdraws the prepared table `version` if the switch to it has not happened (the event
  /// was abandoned). OK if nothing is prepared; FailedPrecondition once switched.
  Status AbortPrepared(uint64_t version);
  /// Starts routing by the prepared table `version` (idempotent; a peer's kSwitched marker
  /// triggers it too). FailedPrecondition if `version` was not prepared and is not in force.
  Status SwitchTable(uint64_t version);
  /// Ends the transition to `version`: the old table is forgotten. FailedPrecondition unless
  /// settled() (the controller waits for every instance to settle first).
  Status CompleteTable(uint64_t version);
  MigrationStatus migration_status() const;
  /// Drives the background mover and, when departing, the hand-back of held objects. Called
  /// once per loop iteration; returns whether it sent anything.
  bool RunMigration();

  /// Handles one object-space message (type in the transport's object range) from `from`.
  /// Malformed or unexpected messages are counted and dropped.
  void HandleMessage(InstanceId from, uint16_t type, std::span<const uint8_t> payload);

  // --- Space ---
  uint64_t RegisterMap(std::string_view name, ObjectKind kind, const ObjectOps& ops) override;
  SwAcquireResult SwAcquire(uint64_t map, std::span<const uint8_t> key, AcquireMode mode) override;
  void SwIdle(internal::SwHold* hold) noexcept override;
  bool SwRemove(internal::SwHold* hold) override;
  void SwSetIdleTimeout(internal::SwHold* hold, std::chrono::nanoseconds timeout) override;
  CallStatus MwCall(const MwBinding& binding, const MethodDescriptor& m, const ByteBuffer& args,
                    ByteBuffer& reply) override;
  MwTouchResult MwTouch(uint64_t map, std::span<const uint8_t> key, MwTouchOp op) override;
  void ForEachLocal(uint64_t map,
                    const std::function<void(std::span<const uint8_t>, void*)>& fn) override;
  void SetExpiry(uint64_t map, std::chrono::nanoseconds default_timeout,
                 std::function<void(std::span<const uint8_t>, void*)> on_expire) override;
  InstanceId self() const override { return self_; }

 private:
  struct ObjectKey {
    uint64_t map = 0;
    uint64_t hash = 0;
    std::string bytes;
    friend bool operator==(const ObjectKey& a, const ObjectKey& b) {
      return a.map == b.map && a.bytes == b.bytes;
    }
  };
  struct ObjectKeyHash {
    std::size_t operator()(const ObjectKey& k) const noexcept { return k.hash; }
  };
  struct MapInfo {
    uint64_t id = 0;
    std::string name;
    ObjectKind kind{};
    const ObjectOps* ops = nullptr;
    uint64_t default_idle_ns = 0;
    std::function<void(std::span<const uint8_t>, void*)> on_expire;
  };
  /// A micro-thread waiting on a SingleWriter entry (lives on that micro-thread's stack).
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
  struct OwnedObject {
    void* object = nullptr;
    const MapInfo* map = nullptr;
  };
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

  ObjectKey MakeKey(uint64_t map, std::span<const uint8_t> key) const;
  const MapInfo* FindMap(uint64_t id) const;
  const MapInfo& MapOrDie(uint64_t id) const;
  /// FindMap for incoming messages: counts unknown maps.
  const MapInfo* KnownMap(uint64_t id);
  InstanceId HomeOf(const ObjectKey& k) const;
  uint64_t Now() const { return clock_.NowNs(); }
  uint64_t CoarseNow() const { return loop_now_ns_ != 0 ? loop_now_ns_ : clock_.NowNs(); }
  void RequireFiber(const char* what) const;
  void Send(InstanceId to, ObjectMessageType type, const ObjectMessage& m);
  /// Home-side routing of a message about `k`: false if it is to be handled here now; true if
  /// it was forwarded to the home, or queued because its slot has not arrived yet.
  bool ForwardIfNotHome(ObjectMessageType type, ObjectMessage m, const ObjectKey& k);
  uint32_t SlotOfKey(const ObjectKey& k) const {
    return keyspace::SlotOf(k.hash, table_.slot_count());
  }
  /// True while `k`'s slot is on its way here (home-side work for it must wait).
  bool SlotBlocked(const ObjectKey& k) const;
  /// Records a new directory entry / MultiWriter object of an outgoing slot, so it moves too.
  void NoteHomed(const ObjectKey& k);
  void DoSwitch();
  void OnSwitched(const ObjectMessage& m);
  void OnSlotPull(const ObjectMessage& m);
  void OnSlotData(const ObjectMessage& m);
  void OnSwHandback(const ObjectMessage& m);
  void SendPull(uint32_t slot);
  /// Answers the pulls that waited for every peer's marker.
  void AnswerDeferredPulls();
  void HandOver(uint32_t slot, InstanceId to);
  void ReleaseSlotQueue(uint32_t slot);
  void MaybeSettled();

  // SingleWriter, requester/holder side.
  void Park(SwEntry& e, Waiter& w, bool retry_list);
  void Arrive(SwEntry& e, void* object, bool created);
  void FinishAbsent(SwEntry& e, Waiter::Outcome outcome);
  void MaybeTransfer(SwEntry& e);
  void WakeRetry(SwEntry& e);
  void Detach(SwEntry& e);
  void DestroyEntry(SwEntry* e) noexcept;
  void ArmExpiry(SwEntry& e);
  void OnExpiryTimer(const ObjectKey& k, uint64_t gen);
  void ArmAcquireTimeout(const ObjectKey& k, uint64_t req);
  /// Fails requests whose deadline passed. Returns how many did.
  std::size_t ExpireRequests(uint64_t now);
  SwEntry* FindHeld(const ObjectKey& k);
  /// A new kAcquiring entry for `k` answering request `req` (0: created at home), in held_.
  SwEntry& AddEntry(const ObjectKey& k, const MapInfo& mi, uint64_t req);
  void OnSwGrant(const ObjectMessage& m);
  void OnSwTransfer(const ObjectMessage& m);
  void OnSwRecall(const ObjectMessage& m);
  // SingleWriter, home side.
  void OnSwAcquire(const ObjectMessage& m);
  void OnSwRemove(const ObjectMessage& m);

  // MultiWriter.
  void* FindOrCreateMw(const ObjectKey& k, const MapInfo& mi);
  MwTouchResult TouchLocal(const ObjectKey& k, const MapInfo& mi, MwTouchOp op);
  uint64_t StartRequest(Pending p);
  CallStatus WaitRequest(uint64_t req, Pending& out);
  CallStatus StaleCall(InstanceId home, const ObjectKey& k, const MethodDescriptor& m,
                       const ByteBuffer& args, ByteBuffer& reply);
  void StartStaleFill(InstanceId home, const std::string& ck, StaleEntry& c, const ObjectKey& k,
                      const MethodDescriptor& m, const ByteBuffer& args);
  void CompletePending(uint64_t req, CallStatus status, std::span<const uint8_t> body,
                       uint8_t touch_result);
  void OnMwCall(const ObjectMessage& m);
  void OnMwTouch(const ObjectMessage& m);

  const InstanceId self_;
  uthread::Scheduler& scheduler_;
  const Clock& clock_;
  const Options options_;
  transport::Transport* transport_ = nullptr;  // not owned
  keyspace::SlotTable table_;
  bool sealed_ = false;

  std::unordered_map<uint64_t, MapInfo> maps_;
  std::unordered_map<ObjectKey, std::unique_ptr<SwEntry>, ObjectKeyHash> held_;
  std::unordered_map<SwEntry*, std::unique_ptr<SwEntry>> detached_;
  /// Home role: who holds an object, and the acquire request that made it the holder (so a
  /// recall or removal can be matched to one stay of the object at that instance).
  struct DirEntry {
    InstanceId holder{};
    uint64_t req = 0;
  };
  std::unordered_map<ObjectKey, DirEntry, ObjectKeyHash> directory_;
  std::unordered_map<ObjectKey, OwnedObject, ObjectKeyHash> mw_homed_;
  std::unordered_map<uint64_t, Pending> pending_;
  std::unordered_map<std::string, StaleEntry> stale_;
  std::deque<std::pair<uint16_t, ByteBuffer>> local_;  // messages to ourselves

  // Scaling (migration.cc).
  struct IncomingSlot {
    InstanceId from{};
    bool requested = false;
    bool background = false;  // requested by the mover (counts against its window)
    bool arrived = false;     // stop-and-copy: arrived, waiting for the others
    std::vector<std::pair<uint16_t, ByteBuffer>> queued;  // home-side messages, arrival order
  };
  struct OutgoingSlot {
    InstanceId to{};
    std::vector<ObjectKey> keys;  // may name keys erased since (skipped)
  };
  keyspace::SlotTable next_;      // prepared, not yet in force
  keyspace::SlotTable previous_;  // in force before the switch, until Complete
  MigrationOptions migration_;
  bool in_transition_ = false;
  std::unordered_map<uint32_t, IncomingSlot> incoming_;
  uint32_t incoming_left_ = 0;         // incoming_ entries not arrived
  std::vector<uint32_t> mover_order_;  // incoming slots, ascending; mover_next_ walks it
  std::size_t mover_next_ = 0;
  uint32_t mover_inflight_ = 0;
  uint64_t mover_last_ns_ = 0;
  double mover_tokens_ = 0;
  std::unordered_map<uint32_t, OutgoingSlot> outgoing_;
  std::vector<InstanceId> markers_missing_;  // peers whose kSwitched(version) has not come
  std::vector<std::pair<uint64_t, InstanceId>> early_markers_;   // for versions not switched to
  std::vector<std::pair<uint32_t, InstanceId>> deferred_pulls_;  // (slot, requester)
  uint64_t last_handback_ns_ = 0;
  std::unordered_set<uint64_t> handback_reqs_;  // home: hand-back acquisitions in flight
  MigrationStatus mstats_;
  TimerQueue timers_;
  /// Request deadlines. Every request gets the same timeout, so deadlines are added in
  /// deadline order and a FIFO is a priority queue; answered requests are skipped when their
  /// deadline comes (no timer per request, nothing to cancel).
  struct Deadline {
    uint64_t at_ns = 0;
    uint64_t req = 0;
    std::optional<ObjectKey> key;  // set for SingleWriter acquisitions
  };
  std::deque<Deadline> deadlines_;
  ByteBuffer scratch_;
  uint64_t held_count_ = 0;   // entries of held_ in State::kHeld (the sw_held gauge)
  uint64_t loop_now_ns_ = 0;  // SetLoopTime
  uint64_t next_req_ = 1;
  uint64_t next_wait_id_ = 2;
  mutable ObjectSpaceStats stats_;
};

}  // namespace s6::objspace

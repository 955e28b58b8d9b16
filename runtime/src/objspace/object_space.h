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
// *SingleWriter objects* live at exactly one *holder*; their home keeps a directory of who
// holds each one, re-designates the holder at once on a request and recalls the object from
// the previous holder, which sends it straight to the requester when no local ref uses it.
// Local users queue behind a pending recall (no starvation), waiters are served in arrival
// order, and objects stay where they were last used (sticky); idle expiry travels with them.
//
// *MultiWriter objects* live at their home, created on first use. A call at the home runs
// directly; a remote strict call ships kMwCall and waits for kMwReply; an untether call is
// sent on the same ordered channel and not waited for (exactly once, FIFO with later strict
// calls); stale calls are served from a bounded-age cache refreshed single-flight.
//
// *Scaling.* The controller prepares slot table v+1, then switches; slots that change home move
// (pulled on first use or by a rate-limited mover) while only users of a slot in flight wait;
// SingleWriter objects stay with their holders, and a departing instance hands its objects back.
//
// *Robustness.* Every message is validated (wire.h) and every handler copes with messages that
// do not match local state (late, duplicated, for unknown maps): they are counted and dropped.
// Requests that get no answer within `call_timeout` fail their micro-threads (CallAbandoned);
// an object that arrives after its requester gave up is installed, never lost. Messages for keys
// this instance is not home of are forwarded to the home (bounded hops).
//
// *Structure.* ObjectSpace is the coordinator: it implements the Space interface the maps and
// refs use, and the instance's wiring, and dispatches each call and message to the part whose
// job it is. Each part's header has its own theory of operation:
//   SpaceCore     (space_core.h)   what all parts share: maps, homes, Send, clock, stats, timers
//   SwHolder      (sw_holder.h)    SingleWriter objects here: waiters, recalls, transfers, expiry
//   SwDirectory   (sw_directory.h) SingleWriter home: who holds each object homed here
//   MwHome        (mw_home.h)      MultiWriter objects homed here and the calls run on them
//   MwCaller      (mw_caller.h)    calls to remote MultiWriter objects, the stale cache
//   SlotMigration (migration.h)    scale events: table switch, slot moves, hand-back, routing
//                                  of home-side messages while slots are in flight
// The parts call each other directly (no virtual calls, no callbacks on the data path): the
// holder consults the directory and the migration's slot state on its local fast paths, the
// home parts route through the migration, and the migration moves directory entries and
// MultiWriter objects and asks the holder to recall handed-back objects.
//
// Threading: everything runs on the instance's data-plane thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include <s6/clock.h>
#include <s6/space.h>
#include "keyspace/slot_table.h"
#include "objspace/migration.h"
#include "objspace/mw_caller.h"
#include "objspace/mw_home.h"
#include "objspace/space_core.h"
#include "objspace/space_stats.h"
#include "objspace/sw_directory.h"
#include "objspace/sw_holder.h"
#include "objspace/timer_queue.h"
#include "objspace/wire.h"
#include "transport/transport.h"
#include "uthread/scheduler.h"

namespace s6::objspace {

class ObjectSpace final : public Space {
 public:
  using Options = SpaceOptions;  // default_stale_ms, call_timeout, max_stale_entries

  ObjectSpace(InstanceId self, uthread::Scheduler& scheduler, const Clock& clock, Options options);
  ~ObjectSpace() override;
  ObjectSpace(const ObjectSpace&) = delete;
  ObjectSpace& operator=(const ObjectSpace&) = delete;

  // --- wiring (instance) ---
  /// Where messages to other instances go. Not owned. Must be set before any remote access.
  void set_transport(transport::Transport* t) { core_.transport = t; }
  /// The slot table in force (keys' homes).
  void SetSlotTable(keyspace::SlotTable table);
  const keyspace::SlotTable& slot_table() const { return core_.table; }
  /// Hash over every registered map (ids, kinds, schemas): equal iff two instances agree.
  uint64_t SchemaHash() const;
  /// Freezes registration (after this RegisterMap is a checked error).
  void Seal() { core_.maps.Seal(); }
  /// The time at the start of the current loop iteration: what idle-expiry bookkeeping on the
  /// hot path reads instead of the clock (its precision is one iteration).
  void SetLoopTime(uint64_t now_ns) { core_.loop_now_ns = now_ns; }
  /// Processes messages this instance sent to itself. Returns how many.
  std::size_t PumpLocal();
  /// Runs due timers (timeouts, expiry). Returns how many ran.
  std::size_t RunTimers();
  uint64_t NextTimerDeadline() const;
  TimerQueue& timers() { return core_.timers; }
  bool has_local_messages() const { return !core_.local.empty(); }
  ObjectSpaceStats stats() const;

  // --- scaling (SlotMigration, migration.h; DESIGN §6, docs/protocol.md) ---
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
  InstanceId self() const override { return core_.self; }

 private:
  /// Fails requests whose deadline passed. Returns how many did.
  std::size_t ExpireRequests(uint64_t now);

  // Declaration order is construction order: the core first; the migration is constructed
  // before the parts it refers to, which is fine because it only stores the references.
  SpaceCore core_;
  SlotMigration migration_;
  SwDirectory directory_;
  MwHome mw_home_;
  SwHolder holder_;
  MwCaller caller_;
};

}  // namespace s6::objspace

// SPDX-License-Identifier: Apache-2.0
// File: objspace/migration.h
//
// SlotMigration: the object space's part of a scale event (DESIGN §6, docs/protocol.md).
//
// Theory of operation
// -------------------
// The controller prepares slot table v+1 next to v (Prepare), then switches (Switch). At its
// switch an instance routes by v+1 and tells every peer (kSwitched) on the ordered channel, so a
// peer that sees the marker knows nothing routed by v follows from that sender. A slot that
// changed home is *outgoing* at its old home, which keeps serving it, and *incoming* at its new
// home, which queues the slot's home-side messages until the slot's directory and MultiWriter
// objects arrive (kSlotPull on first use, or the background mover at a bounded rate; kSlotData
// back). The old home answers a pull only after it has every peer's marker: then no message
// routed by v can reach it later, so nothing is applied out of order, and afterwards it forwards
// what it no longer owns. SingleWriter objects stay with their holders. A departing instance
// hands every object it holds back to its home (kSwHandback, which the home turns into an
// ordinary recall to itself). Only users of a slot still in flight wait, and only for that
// slot; in stop-and-copy mode every incoming slot waits until all of them have arrived. The
// instance is *settled* (MigrationStatus::settled) when nothing is left to move; Complete then
// forgets v.
//
// The home parts (SwDirectory, MwHome) ask this class where a home-side message goes during a
// transition (ForwardIfNotHome), and tell it about keys they start homing (NoteHomed), so a key
// created in an outgoing slot moves with it. The holder's local fast paths ask SlotBlocked. In
// the other direction this class takes entries out of, and installs them into, the directory
// and the MultiWriter home, and asks the holder to recall handed-back objects. Queued messages
// are replayed through the coordinator's dispatch (`replay`), exactly as if they had just come.
//
// Every step of an event is logged at debug on the "migration" logger (prepare, switch, first
// pull, every slot in, hand-back start/end, settled, complete), per-slot events at trace;
// nothing is logged per message or per object access.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <s6/status.h>
#include "objspace/space_core.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace s6::objspace {

class SwHolder;
class SwDirectory;
class MwHome;

class SlotMigration {
 public:
  /// Handles one queued home-side message as if it had just arrived (ObjectSpace's dispatch).
  using Replay = std::function<void(uint16_t type, std::span<const uint8_t> payload)>;

  SlotMigration(SpaceCore& core, SwHolder& holder, SwDirectory& directory, MwHome& mw_home,
                Replay replay);
  ~SlotMigration();
  SlotMigration(const SlotMigration&) = delete;
  SlotMigration& operator=(const SlotMigration&) = delete;

  // --- the controller's steps (ObjectSpace::PrepareTable etc. document them) ---
  Status Prepare(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                 MigrationOptions options);
  Status Abort(uint64_t version);
  Status Switch(uint64_t version);
  Status Complete(uint64_t version);
  MigrationStatus status() const;
  /// The background mover and, when departing, the hand-back. Once per loop iteration.
  bool Run();

  // --- messages ---
  void OnSwitched(const ObjectMessage& m);
  void OnSlotPull(const ObjectMessage& m);
  void OnSlotData(const ObjectMessage& m);
  void OnSwHandback(const ObjectMessage& m);

  // --- asked by the other parts on their paths ---
  /// Home-side routing of a message about `k`: false if it is to be handled here now; true if
  /// it was forwarded to the home, or queued because its slot has not arrived yet.
  bool ForwardIfNotHome(ObjectMessageType type, ObjectMessage m, const ObjectKey& k);
  /// True while `k`'s slot is on its way here (home-side work for it must wait).
  bool SlotBlocked(const ObjectKey& k) const {
    return !incoming_.empty() && incoming_.contains(core_.SlotOfKey(k));
  }
  /// Records a new directory entry / MultiWriter object of an outgoing slot, so it moves too.
  void NoteHomed(const ObjectKey& k) {
    if (!outgoing_.empty()) NoteHomedInOutgoing(k);
  }
  /// The holder: its acquisition `req` ended (object arrived, or absent). A hand-back recall
  /// among them no longer keeps this home from settling.
  void OnAcquisitionEnded(uint64_t req) {
    if (!handback_reqs_.empty() && handback_reqs_.erase(req) != 0) MaybeSettled();
  }

 private:
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

  void NoteHomedInOutgoing(const ObjectKey& k);
  void DoSwitch();
  void SendPull(uint32_t slot);
  /// Answers the pulls that waited for every peer's marker.
  void AnswerDeferredPulls();
  void HandOver(uint32_t slot, InstanceId to);
  void ReleaseSlotQueue(uint32_t slot);
  bool RunMover(uint64_t now);
  bool RunHandback(uint64_t now);
  void MaybeSettled();

  SpaceCore& core_;
  SwHolder& holder_;
  SwDirectory& directory_;
  MwHome& mw_home_;
  const Replay replay_;
  const std::shared_ptr<spdlog::logger> log_;

  keyspace::SlotTable next_;      // prepared, not yet in force
  keyspace::SlotTable previous_;  // in force before the switch, until Complete
  MigrationOptions options_;
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
  bool pulled_ = false;  // a pull was sent in this event (for its log line only)
  uint64_t last_handback_ns_ = 0;
  // Departing: how far the hand-back of this event got (for its log lines only).
  enum class Handback : uint8_t { kNotStarted, kRunning, kDone };
  Handback handback_ = Handback::kNotStarted;
  std::unordered_set<uint64_t> handback_reqs_;  // home: hand-back acquisitions in flight
  MigrationStatus mstats_;
};

}  // namespace s6::objspace

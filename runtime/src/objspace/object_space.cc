// SPDX-License-Identifier: Apache-2.0
// File: objspace/object_space.cc
//
// The coordinator: wiring, the loop's hooks, and the dispatch of Space calls and messages to
// the parts (object_space.h lists them). Nothing here knows the protocol's details.
#include "objspace/object_space.h"

#include <algorithm>
#include <utility>

namespace s6::objspace {

ObjectSpace::ObjectSpace(InstanceId self, uthread::Scheduler& scheduler, const Clock& clock,
                         Options options)
    : core_(self, scheduler, clock, options),
      migration_(core_, holder_, directory_, mw_home_,
                 [this](uint16_t type, std::span<const uint8_t> payload) {
                   HandleMessage(core_.self, type, payload);
                 }),
      directory_(core_, migration_),
      mw_home_(core_, migration_),
      holder_(core_, directory_, migration_),
      caller_(core_) {}

ObjectSpace::~ObjectSpace() = default;

// ---------------------------------------------------------------------------------------------
// Wiring and the loop

void ObjectSpace::SetSlotTable(keyspace::SlotTable table) { core_.table = std::move(table); }

uint64_t ObjectSpace::SchemaHash() const { return core_.maps.SchemaHash(); }

std::size_t ObjectSpace::PumpLocal() {
  std::size_t n = 0;
  while (!core_.local.empty()) {
    auto [type, bytes] = std::move(core_.local.front());
    core_.local.pop_front();
    HandleMessage(core_.self, type, bytes.span());
    ++n;
  }
  return n;
}

std::size_t ObjectSpace::RunTimers() {
  const uint64_t now = core_.Now();
  return core_.timers.RunDue(now) + ExpireRequests(now);
}

uint64_t ObjectSpace::NextTimerDeadline() const {
  const uint64_t next = core_.timers.NextDeadline();
  return core_.deadlines.empty() ? next : std::min(next, core_.deadlines.front().at_ns);
}

std::size_t ObjectSpace::ExpireRequests(uint64_t now) {
  std::size_t n = 0;
  while (!core_.deadlines.empty() && core_.deadlines.front().at_ns <= now) {
    const SpaceCore::Deadline d = std::move(core_.deadlines.front());
    core_.deadlines.pop_front();
    const bool failed =
        d.key.has_value() ? holder_.ExpireAcquire(*d.key, d.req) : caller_.ExpireCall(d.req);
    if (failed) ++n;
  }
  return n;
}

ObjectSpaceStats ObjectSpace::stats() const {
  ObjectSpaceStats s = core_.stats;
  s.sw_held = holder_.held();
  s.sw_homed = directory_.size();
  s.mw_homed = mw_home_.size();
  s.pending = caller_.pending();
  s.stale_entries = caller_.stale_entries();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Scaling

Status ObjectSpace::PrepareTable(const keyspace::SlotTable& current,
                                 const keyspace::SlotTable& next, MigrationOptions options) {
  return migration_.Prepare(current, next, options);
}

Status ObjectSpace::AbortPrepared(uint64_t version) { return migration_.Abort(version); }

Status ObjectSpace::SwitchTable(uint64_t version) { return migration_.Switch(version); }

Status ObjectSpace::CompleteTable(uint64_t version) { return migration_.Complete(version); }

MigrationStatus ObjectSpace::migration_status() const { return migration_.status(); }

bool ObjectSpace::RunMigration() { return migration_.Run(); }

// ---------------------------------------------------------------------------------------------
// Messages

void ObjectSpace::HandleMessage(InstanceId /*from*/, uint16_t type,
                                std::span<const uint8_t> payload) {
  ObjectMessage m;
  if (!DecodeObjectMessage(payload, m)) {
    ++core_.stats.malformed;
    return;
  }
  switch (static_cast<ObjectMessageType>(type)) {
    case ObjectMessageType::kSwAcquire:
      return directory_.OnSwAcquire(m);
    case ObjectMessageType::kSwRecall:
      return holder_.OnSwRecall(m);
    case ObjectMessageType::kSwTransfer:
      return holder_.OnSwTransfer(m);
    case ObjectMessageType::kSwGrant:
      return holder_.OnSwGrant(m);
    case ObjectMessageType::kSwRemove:
      return directory_.OnSwRemove(m);
    case ObjectMessageType::kMwCall:
      return mw_home_.OnMwCall(m);
    case ObjectMessageType::kMwReply:
      return caller_.OnMwReply(m);
    case ObjectMessageType::kMwTouch:
      return mw_home_.OnMwTouch(m);
    case ObjectMessageType::kMwTouchReply:
      return caller_.OnMwTouchReply(m);
    case ObjectMessageType::kSwHandback:
      return migration_.OnSwHandback(m);
    case ObjectMessageType::kSwitched:
      return migration_.OnSwitched(m);
    case ObjectMessageType::kSlotPull:
      return migration_.OnSlotPull(m);
    case ObjectMessageType::kSlotData:
      return migration_.OnSlotData(m);
  }
  ++core_.stats.malformed;  // a type in our range that this version does not know
}

// ---------------------------------------------------------------------------------------------
// Space

uint64_t ObjectSpace::RegisterMap(std::string_view name, ObjectKind kind, const ObjectOps& ops) {
  return core_.maps.Register(name, kind, ops);
}

SwAcquireResult ObjectSpace::SwAcquire(uint64_t map, std::span<const uint8_t> key,
                                       AcquireMode mode) {
  return holder_.Acquire(map, key, mode);
}

void ObjectSpace::SwIdle(internal::SwHold* hold) noexcept { holder_.Idle(hold); }

bool ObjectSpace::SwRemove(internal::SwHold* hold) { return holder_.Remove(hold); }

void ObjectSpace::SwSetIdleTimeout(internal::SwHold* hold, std::chrono::nanoseconds timeout) {
  holder_.SetIdleTimeout(hold, timeout);
}

CallStatus ObjectSpace::MwCall(const MwBinding& binding, const MethodDescriptor& m,
                               const ByteBuffer& args, ByteBuffer& reply) {
  const MapInfo& mi = core_.maps.OrDie(binding.map());
  const ObjectKey k = core_.MakeKey(binding.map(), binding.key());
  const InstanceId home = core_.HomeOf(k);
  if (home == core_.self && !migration_.SlotBlocked(k)) {
    return mw_home_.CallLocal(k, mi, m, args, reply);
  }
  return caller_.Call(home, k, m, args, reply);
}

MwTouchResult ObjectSpace::MwTouch(uint64_t map, std::span<const uint8_t> key, MwTouchOp op) {
  const MapInfo& mi = core_.maps.OrDie(map);
  const ObjectKey k = core_.MakeKey(map, key);
  const InstanceId home = core_.HomeOf(k);
  if (home == core_.self && !migration_.SlotBlocked(k)) return mw_home_.TouchLocal(k, mi, op);
  return caller_.Touch(home, k, mi, op);
}

void ObjectSpace::ForEachLocal(uint64_t map,
                               const std::function<void(std::span<const uint8_t>, void*)>& fn) {
  const MapInfo* mi = core_.maps.Find(map);
  if (mi == nullptr) return;
  if (mi->kind == ObjectKind::kSingleWriter) {
    holder_.ForEachHeld(map, fn);
  } else {
    mw_home_.ForEach(map, fn);
  }
}

void ObjectSpace::SetExpiry(uint64_t map, std::chrono::nanoseconds default_timeout,
                            std::function<void(std::span<const uint8_t>, void*)> on_expire) {
  core_.maps.SetExpiry(map, default_timeout, std::move(on_expire));
}

}  // namespace s6::objspace

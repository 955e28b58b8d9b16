// SPDX-License-Identifier: Apache-2.0
// File: objspace/sw_holder.cc — see sw_holder.h.
#include "objspace/sw_holder.h"

#include <algorithm>
#include <utility>

#include <s6/check.h>
#include "objspace/migration.h"
#include "objspace/sw_directory.h"

namespace s6::objspace {
namespace {

uthread::WaitKey ObjectWait(uint64_t id) { return {uthread::WaitKind::kObject, id}; }

constexpr uint8_t kTransferHasObject = 1;

}  // namespace

SwHolder::~SwHolder() {
  for (auto& [k, e] : held_) {
    if (e->object != nullptr) e->map->ops->destroy(e->object);
  }
  for (auto& [p, e] : detached_) {
    if (e->object != nullptr) e->map->ops->destroy(e->object);
  }
}

SwHolder::SwEntry& SwHolder::AddEntry(const ObjectKey& k, const MapInfo& mi, uint64_t req) {
  auto owned = std::make_unique<SwEntry>();
  SwEntry& e = *owned;
  e.key = k;
  e.map = &mi;
  e.req = req;
  e.wait_id = next_wait_id_;
  next_wait_id_ += 2;
  held_.emplace(k, std::move(owned));
  return e;
}

SwAcquireResult SwHolder::Acquire(uint64_t map, std::span<const uint8_t> key, AcquireMode mode) {
  const MapInfo& mi = core_.maps.OrDie(map);
  ObjectKey k = core_.MakeKey(map, key);
  for (;;) {
    Waiter w{mode};
    if (SwEntry* e = FindHeld(k)) {
      if (e->state == SwEntry::State::kHeld && !e->recall_pending && !e->expiring) {
        ++e->refs;
        if (e->idle_timeout_ns != 0) e->last_used_ns = core_.CoarseNow();
        ++core_.stats.sw_local_hits;
        return {e, false};
      }
      core_.RequireFiber("waiting for a SingleWriter object in transit");
      const bool behind = e->recall_pending || e->expiring;
      if (!behind) ++core_.stats.sw_coalesced;
      Park(*e, w, behind);
    } else {
      const InstanceId home = core_.HomeOf(k);
      if (home == core_.self && !directory_.Contains(k) && !migration_.SlotBlocked(k)) {
        // Homed here and held nowhere: answer without a message (and without a micro-thread).
        if (mode == AcquireMode::kLookup) {
          ++core_.stats.sw_absent;
          return {};
        }
        directory_.Record(k, DirEntry{core_.self, 0});
        SwEntry& ne = AddEntry(k, mi, 0);
        ne.state = SwEntry::State::kHeld;
        ++held_count_;
        ne.object = mi.ops->create();
        ne.refs = 1;
        ne.last_used_ns = core_.Now();
        ne.idle_timeout_ns = mi.default_idle_ns;
        ++core_.stats.sw_created;
        ArmExpiry(ne);
        return {&ne, true};
      }
      core_.RequireFiber("acquiring a SingleWriter object from another instance");
      SwEntry& ne = AddEntry(k, mi, core_.NextRequestId());
      ne.sent_mode = mode;
      ObjectMessage msg;
      msg.req = ne.req;
      msg.origin = core_.self;
      msg.code = static_cast<uint8_t>(mode);
      msg.map = map;
      msg.key = key;
      core_.Send(home, ObjectMessageType::kSwAcquire, msg);
      ++core_.stats.sw_acquires_sent;
      ArmAcquireTimeout(k, ne.req);
      Park(ne, w, false);
    }
    switch (w.outcome) {
      case Waiter::Outcome::kArrived:
        if (!w.hold->removed) return {w.hold, w.created};
        // Removed by a micro-thread that got it before us: never hand out a removed object.
        if (--w.hold->refs == 0) Idle(w.hold);
        break;
      case Waiter::Outcome::kAbsent:
        if (mode == AcquireMode::kLookup) {
          ++core_.stats.sw_absent;
          return {};
        }
        break;  // someone's lookup found nothing: ask again, creating
      case Waiter::Outcome::kFailed:
        ++core_.stats.abandoned;
        throw CallAbandoned("s6: SingleWriter object in map '" + mi.name +
                                "' could not be acquired (no answer in time)",
                            CallStatus::kUnreachable);
      case Waiter::Outcome::kRetry:
      case Waiter::Outcome::kPending:
        break;
    }
  }
}

void SwHolder::Park(SwEntry& e, Waiter& w, bool retry_list) {
  (retry_list ? e.retry : e.arrival).push_back(&w);
  const uthread::WaitKey key = ObjectWait(e.wait_id + (retry_list ? 1 : 0));
  try {
    while (w.outcome == Waiter::Outcome::kPending) core_.scheduler.Suspend(key);
  } catch (...) {
    // The micro-thread is being unwound: give back what was handed to it, or leave the queue.
    if (w.outcome == Waiter::Outcome::kArrived && w.hold != nullptr) {
      if (--w.hold->refs == 0 && w.hold->attention) Idle(w.hold);
    } else if (w.outcome == Waiter::Outcome::kPending) {
      auto& list = retry_list ? e.retry : e.arrival;
      list.erase(std::remove(list.begin(), list.end(), &w), list.end());
    }
    throw;
  }
}

void SwHolder::Arrive(SwEntry& e, void* object, bool created) {
  migration_.OnAcquisitionEnded(e.req);
  e.object = object;
  e.state = SwEntry::State::kHeld;
  ++held_count_;
  e.last_used_ns = core_.Now();
  if (e.idle_timeout_ns == 0) e.idle_timeout_ns = e.map->default_idle_ns;
  const Waiter* first = e.arrival.empty() ? nullptr : e.arrival.front();
  for (Waiter* w : e.arrival) {
    w->outcome = Waiter::Outcome::kArrived;
    w->hold = &e;
    w->created = created && w == first;
    ++e.refs;
  }
  e.arrival.clear();
  core_.scheduler.Wake(ObjectWait(e.wait_id));
  if (e.recall_pending) e.attention = true;
  ArmExpiry(e);
  MaybeTransfer(e);  // may destroy e (an unasked arrival with a recall waiting)
}

void SwHolder::FinishAbsent(SwEntry& e, Waiter::Outcome outcome) {
  migration_.OnAcquisitionEnded(e.req);
  for (Waiter* w : e.arrival) w->outcome = outcome;
  e.arrival.clear();
  core_.scheduler.Wake(ObjectWait(e.wait_id));
  if (e.recall_pending) {
    // The home already designated the next holder: pass "gone" on.
    ObjectMessage msg;
    msg.req = e.recall_req;
    msg.origin = core_.self;
    msg.code = 0;
    msg.map = e.key.map;
    msg.key = Bytes(e.key.bytes);
    core_.Send(e.recall_to, ObjectMessageType::kSwTransfer, msg);
  }
  WakeRetry(e);
  DestroyEntry(&e);
}

void SwHolder::WakeRetry(SwEntry& e) {
  if (e.retry.empty()) return;
  for (Waiter* w : e.retry) w->outcome = Waiter::Outcome::kRetry;
  e.retry.clear();
  core_.scheduler.Wake(ObjectWait(e.wait_id + 1));
}

void SwHolder::MaybeTransfer(SwEntry& e) {
  if (!e.recall_pending || e.state != SwEntry::State::kHeld || e.refs != 0 || e.detached ||
      e.expiring || !e.arrival.empty()) {
    return;
  }
  ByteBuffer body;
  ByteWriter w(body);
  e.map->ops->encode(e.object, w);
  ObjectMessage msg;
  msg.req = e.recall_req;
  msg.origin = core_.self;
  msg.code = kTransferHasObject;
  msg.map = e.key.map;
  msg.key = Bytes(e.key.bytes);
  msg.a = e.idle_timeout_ns;
  msg.body = body.span();
  core_.Send(e.recall_to, ObjectMessageType::kSwTransfer, msg);
  ++core_.stats.sw_transfers_out;
  WakeRetry(e);
  DestroyEntry(&e);
}

void SwHolder::Detach(SwEntry& e) {
  auto it = held_.find(e.key);
  S6_CHECK(it != held_.end() && it->second.get() == &e);
  std::unique_ptr<SwEntry> owned = std::move(it->second);
  held_.erase(it);
  if (e.state == SwEntry::State::kHeld) --held_count_;
  e.detached = true;
  e.removed = true;
  e.attention = true;
  ++e.expiry_gen;
  detached_.emplace(&e, std::move(owned));
}

void SwHolder::DestroyEntry(SwEntry* e) noexcept {
  if (e->object != nullptr) e->map->ops->destroy(e->object);
  e->object = nullptr;
  if (e->detached) {
    detached_.erase(e);
    return;
  }
  auto it = held_.find(e->key);
  if (it != held_.end() && it->second.get() == e) {
    if (e->state == SwEntry::State::kHeld) --held_count_;
    held_.erase(it);
  }
}

void SwHolder::Idle(internal::SwHold* hold) noexcept {
  auto* e = static_cast<SwEntry*>(hold);
  if (e->refs != 0) return;
  if (e->detached) {
    DestroyEntry(e);
    return;
  }
  MaybeTransfer(*e);
}

bool SwHolder::Remove(internal::SwHold* hold) {
  auto* e = static_cast<SwEntry*>(hold);
  if (e->detached) return false;
  ++core_.stats.sw_removed;
  ObjectMessage msg;
  msg.origin = core_.self;
  msg.map = e->key.map;
  msg.key = Bytes(e->key.bytes);
  if (e->recall_pending) {
    // The home already points at the next holder; tell it the object is gone.
    msg.req = e->recall_req;
    msg.code = 0;
    core_.Send(e->recall_to, ObjectMessageType::kSwTransfer, msg);
  } else if (core_.HomeOf(e->key) == core_.self && !migration_.SlotBlocked(e->key)) {
    directory_.EraseStay(e->key, core_.self, e->req);
  } else {
    msg.a = e->req;
    core_.Send(core_.HomeOf(e->key), ObjectMessageType::kSwRemove, msg);
  }
  e->recall_pending = false;
  e->expiring = false;
  WakeRetry(*e);
  Detach(*e);
  return true;
}

void SwHolder::SetIdleTimeout(internal::SwHold* hold, std::chrono::nanoseconds timeout) {
  auto* e = static_cast<SwEntry*>(hold);
  e->idle_timeout_ns = static_cast<uint64_t>(std::max<int64_t>(0, timeout.count()));
  e->last_used_ns =
      core_.Now();          // in use right now (last_used is only kept while a timeout is set)
  e->expiry_armed = false;  // a shorter timeout must not wait for the timer of a longer one
  ++e->expiry_gen;
  ArmExpiry(*e);
}

void SwHolder::ArmExpiry(SwEntry& e) {
  if (e.idle_timeout_ns == 0 || e.expiry_armed || e.detached) return;
  e.expiry_armed = true;
  const uint64_t gen = ++e.expiry_gen;
  core_.timers.Add(e.last_used_ns + e.idle_timeout_ns,
                   [this, k = e.key, gen] { OnExpiryTimer(k, gen); });
}

void SwHolder::OnExpiryTimer(const ObjectKey& k, uint64_t gen) {
  SwEntry* e = FindHeld(k);
  if (e == nullptr || e->expiry_gen != gen) return;
  e->expiry_armed = false;
  if (e->idle_timeout_ns == 0 || e->state != SwEntry::State::kHeld) return;
  const uint64_t now = core_.Now();
  if (now < e->last_used_ns + e->idle_timeout_ns) {
    ArmExpiry(*e);
    return;
  }
  if (e->refs > 0 || e->recall_pending || e->expiring) {
    // In use or leaving: look again one timeout from now.
    e->last_used_ns = now;
    ArmExpiry(*e);
    return;
  }
  ++core_.stats.sw_expired;
  if (!e->map->on_expire) {
    ++e->refs;
    Remove(e);
    if (--e->refs == 0) Idle(e);
    return;
  }
  e->expiring = true;
  ++e->refs;
  const bool spawned = core_.scheduler.TrySpawn([this, e] {
    struct Finish {
      SwHolder* holder;
      SwEntry* e;
      ~Finish() {
        if (!e->detached) holder->Remove(e);
        if (--e->refs == 0) holder->Idle(e);
      }
    } finish{this, e};
    e->map->on_expire(Bytes(e->key.bytes), e->object);
  });
  if (!spawned) {  // backpressure: try again shortly
    --core_.stats.sw_expired;
    e->expiring = false;
    --e->refs;
    e->last_used_ns = now - e->idle_timeout_ns + 1'000'000;
    ArmExpiry(*e);
  }
}

void SwHolder::OnSwGrant(const ObjectMessage& m) {
  const MapInfo* mi = core_.KnownMap(m.map);
  if (mi == nullptr) return;
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  SwEntry* e = FindHeld(k);
  const auto result = static_cast<GrantResult>(m.code);
  if (result != GrantResult::kCreated && result != GrantResult::kAbsent) {
    ++core_.stats.malformed;
    return;
  }
  if (e == nullptr || e->state != SwEntry::State::kAcquiring || e->req != m.req) {
    ++core_.stats.unexpected;
    if (e == nullptr && result == GrantResult::kCreated) {
      // We gave up waiting, but the home now records us as holder: hold the object so the
      // directory stays true.
      ++core_.stats.sw_unexpected_arrivals;
      ++core_.stats.sw_created;
      Arrive(AddEntry(k, *mi, m.req), mi->ops->create(), true);
    }
    return;
  }
  if (result == GrantResult::kCreated) {
    ++core_.stats.sw_created;
    Arrive(*e, mi->ops->create(), true);
  } else {
    FinishAbsent(*e, Waiter::Outcome::kAbsent);
  }
}

void SwHolder::OnSwTransfer(const ObjectMessage& m) {
  const MapInfo* mi = core_.KnownMap(m.map);
  if (mi == nullptr) return;
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  SwEntry* e = FindHeld(k);
  if (m.code == kTransferHasObject) {
    void* object = mi->ops->create();
    ByteReader r(m.body.data(), m.body.size());
    if (!mi->ops->decode(r, object) || !r.AtEnd()) {
      mi->ops->destroy(object);
      ++core_.stats.malformed;
      return;
    }
    ++core_.stats.sw_transfers_in;
    if (e != nullptr && e->state == SwEntry::State::kHeld) {
      ++core_.stats.unexpected;  // a duplicate: keep the copy we have
      mi->ops->destroy(object);
      return;
    }
    if (e == nullptr) {
      e = &AddEntry(k, *mi, m.req);
      ++core_.stats.sw_unexpected_arrivals;
    }
    e->req = m.req;  // the designation the home recorded for us
    e->idle_timeout_ns = m.a;
    Arrive(*e, object, false);
    return;
  }
  // "Gone": the previous holder no longer had it.
  if (e == nullptr || e->state != SwEntry::State::kAcquiring || e->req != m.req) {
    ++core_.stats.unexpected;
    if (e == nullptr) {
      // We were designated but stopped waiting: clear the directory if it still names us.
      ObjectMessage msg;
      msg.origin = core_.self;
      msg.map = m.map;
      msg.key = m.key;
      msg.a = m.req;
      core_.Send(core_.HomeOf(k), ObjectMessageType::kSwRemove, msg);
    }
    return;  // or the answer to an earlier request of ours: the current one gets its own
  }
  if (e->sent_mode == AcquireMode::kGetOrCreate) {
    ++core_.stats.sw_created;
    Arrive(*e, mi->ops->create(), true);
    return;
  }
  if (!e->recall_pending) {
    ObjectMessage msg;
    msg.origin = core_.self;
    msg.map = m.map;
    msg.key = m.key;
    msg.a = e->req;
    core_.Send(core_.HomeOf(k), ObjectMessageType::kSwRemove, msg);
  }
  FinishAbsent(*e, Waiter::Outcome::kAbsent);
}

void SwHolder::OnSwRecall(const ObjectMessage& m) {
  ++core_.stats.sw_recalls;
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  SwEntry* e = FindHeld(k);
  if (e == nullptr || e->req != m.a) {
    // Gone: removed here. If we asked for it again since, this recall is for the stay that
    // ended with the removal, not for the one being acquired now (which gets its own recall).
    ObjectMessage msg;
    msg.req = m.req;
    msg.origin = core_.self;
    msg.code = 0;
    msg.map = m.map;
    msg.key = m.key;
    core_.Send(m.origin, ObjectMessageType::kSwTransfer, msg);
    return;
  }
  if (e->recall_pending) {
    ++core_.stats.unexpected;
    return;
  }
  e->recall_pending = true;
  e->recall_to = m.origin;
  e->recall_req = m.req;
  e->attention = true;
  if (e->state != SwEntry::State::kHeld || e->refs > 0 || e->expiring) {
    ++core_.stats.sw_recalls_deferred;
  }
  MaybeTransfer(*e);
}

bool SwHolder::ExpireAcquire(const ObjectKey& k, uint64_t req) {
  SwEntry* e = FindHeld(k);
  if (e == nullptr || e->state != SwEntry::State::kAcquiring || e->req != req) return false;
  ++core_.stats.sw_acquire_timeouts;
  FinishAbsent(*e, Waiter::Outcome::kFailed);
  return true;
}

}  // namespace s6::objspace

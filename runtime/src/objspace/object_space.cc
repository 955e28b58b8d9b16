// SPDX-License-Identifier: Apache-2.0
#include "objspace/object_space.h"

#include <algorithm>
#include <utility>

#include <s6/check.h>
#include <s6/hash.h>
#include "stats/json.h"

namespace s6::objspace {
namespace {

uthread::WaitKey ObjectWait(uint64_t id) { return {uthread::WaitKind::kObject, id}; }
uthread::WaitKey ReplyWait(uint64_t req) { return {uthread::WaitKind::kReply, req}; }

constexpr uint8_t kTransferHasObject = 1;

}  // namespace

std::string ObjectSpaceStats::ToJson() const {
  std::string out = "{";
  const auto field = [&out](std::string_view name, uint64_t v) {
    stats::AppendCounter(out, name, v);
  };
#define S6_FIELD(f) field(#f, f)
  S6_FIELD(sw_local_hits);
  S6_FIELD(sw_acquires_sent);
  S6_FIELD(sw_coalesced);
  S6_FIELD(sw_created);
  S6_FIELD(sw_absent);
  S6_FIELD(sw_transfers_in);
  S6_FIELD(sw_transfers_out);
  S6_FIELD(sw_recalls);
  S6_FIELD(sw_recalls_deferred);
  S6_FIELD(sw_removed);
  S6_FIELD(sw_expired);
  S6_FIELD(sw_acquire_timeouts);
  S6_FIELD(sw_unexpected_arrivals);
  S6_FIELD(dir_grants);
  S6_FIELD(dir_recalls);
  S6_FIELD(mw_local_calls);
  S6_FIELD(mw_calls_served);
  S6_FIELD(mw_strict_sent);
  S6_FIELD(mw_untether_sent);
  S6_FIELD(mw_stale_hits);
  S6_FIELD(mw_stale_misses);
  S6_FIELD(mw_stale_refreshes);
  S6_FIELD(mw_created);
  S6_FIELD(mw_touches_sent);
  S6_FIELD(call_timeouts);
  S6_FIELD(late_replies);
  S6_FIELD(malformed);
  S6_FIELD(unknown_map);
  S6_FIELD(unexpected);
  S6_FIELD(forwarded);
  S6_FIELD(dropped_hops);
  S6_FIELD(messages_sent);
  S6_FIELD(bytes_sent);
  S6_FIELD(messages_local);
  S6_FIELD(abandoned);
  S6_FIELD(sw_held);
  S6_FIELD(sw_homed);
  S6_FIELD(mw_homed);
  S6_FIELD(pending);
  S6_FIELD(stale_entries);
#undef S6_FIELD
  out += '}';
  return out;
}

ObjectSpace::ObjectSpace(InstanceId self, uthread::Scheduler& scheduler, const Clock& clock,
                         Options options)
    : self_(self), scheduler_(scheduler), clock_(clock), options_(options) {}

ObjectSpace::~ObjectSpace() {
  for (auto& [k, e] : held_) {
    if (e->object != nullptr) e->map->ops->destroy(e->object);
  }
  for (auto& [p, e] : detached_) {
    if (e->object != nullptr) e->map->ops->destroy(e->object);
  }
  for (auto& [k, o] : mw_homed_) o.map->ops->destroy(o.object);
}

// ---------------------------------------------------------------------------------------------
// Wiring

void ObjectSpace::SetSlotTable(keyspace::SlotTable table) { table_ = std::move(table); }

uint64_t ObjectSpace::SchemaHash() const {
  std::vector<uint64_t> words;
  for (const auto& [id, mi] : maps_) {
    words.push_back(id);
    words.push_back(static_cast<uint64_t>(mi.kind));
    words.push_back(mi.ops->type->schema_hash);
  }
  // Sort by map id (triples stay together).
  std::vector<std::size_t> order(words.size() / 3);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&words](std::size_t a, std::size_t b) { return words[3 * a] < words[3 * b]; });
  ByteBuffer b;
  ByteWriter w(b);
  for (std::size_t i : order) {
    for (int j = 0; j < 3; ++j) w.PutUnsigned(words[3 * i + j]);
  }
  return HashBytes(b.data(), b.size(), HashString("s6.schema"));
}

uint64_t ObjectSpace::RegisterMap(std::string_view name, ObjectKind kind, const ObjectOps& ops) {
  S6_CHECK(!sealed_) << "map '" << name << "' registered after the instance started";
  S6_CHECK(ops.type != nullptr && ops.type->kind == kind)
      << "map '" << name << "': value type kind does not match the map";
  const uint64_t id = HashString(name, ops.type->schema_hash ^ static_cast<uint64_t>(kind));
  auto [it, inserted] = maps_.try_emplace(id);
  MapInfo& mi = it->second;
  if (inserted) {
    mi.id = id;
    mi.name = std::string(name);
    mi.kind = kind;
    mi.ops = &ops;
  } else {
    S6_CHECK(mi.name == name && mi.ops->type == ops.type)
        << "map id collision between '" << mi.name << "' and '" << name << "'";
  }
  return id;
}

const ObjectSpace::MapInfo* ObjectSpace::FindMap(uint64_t id) const {
  auto it = maps_.find(id);
  return it == maps_.end() ? nullptr : &it->second;
}

const ObjectSpace::MapInfo* ObjectSpace::KnownMap(uint64_t id) {
  const MapInfo* mi = FindMap(id);
  if (mi == nullptr) ++stats_.unknown_map;  // a message for a map this binary doesn't have
  return mi;
}

const ObjectSpace::MapInfo& ObjectSpace::MapOrDie(uint64_t id) const {
  const MapInfo* mi = FindMap(id);
  S6_CHECK(mi != nullptr) << "map id " << id << " is not registered with this instance";
  return *mi;
}

ObjectSpace::ObjectKey ObjectSpace::MakeKey(uint64_t map, std::span<const uint8_t> key) const {
  return ObjectKey{map, HashBytes(key.data(), key.size(), map),
                   std::string(reinterpret_cast<const char*>(key.data()), key.size())};
}

InstanceId ObjectSpace::HomeOf(const ObjectKey& k) const {
  return table_.empty() ? self_ : table_.HomeOf(k.hash);
}

void ObjectSpace::RequireFiber(const char* what) const {
  S6_CHECK(scheduler_.InFiber()) << "s6: " << what
                                 << " must run inside a micro-thread (Instance::Spawn/Post)";
}

void ObjectSpace::Send(InstanceId to, ObjectMessageType type, const ObjectMessage& m) {
  scratch_.clear();
  ByteWriter w(scratch_);
  EncodeObjectMessage(m, w);
  if (to == self_) {
    local_.emplace_back(static_cast<uint16_t>(type), scratch_);
    ++stats_.messages_local;
    return;
  }
  S6_CHECK(transport_ != nullptr) << "object space used before the instance started";
  transport_->Send(to, ToTransport(type), scratch_.span());
  ++stats_.messages_sent;
  stats_.bytes_sent += scratch_.size();
}

std::size_t ObjectSpace::PumpLocal() {
  std::size_t n = 0;
  while (!local_.empty()) {
    auto [type, bytes] = std::move(local_.front());
    local_.pop_front();
    HandleMessage(self_, type, bytes.span());
    ++n;
  }
  return n;
}

std::size_t ObjectSpace::RunTimers() {
  const uint64_t now = Now();
  return timers_.RunDue(now) + ExpireRequests(now);
}

uint64_t ObjectSpace::NextTimerDeadline() const {
  const uint64_t next = timers_.NextDeadline();
  return deadlines_.empty() ? next : std::min(next, deadlines_.front().at_ns);
}

bool ObjectSpace::ForwardIfNotHome(ObjectMessageType type, ObjectMessage m, const ObjectKey& k) {
  if (in_transition_) {
    const uint32_t slot = SlotOfKey(k);
    if (outgoing_.contains(slot)) return false;  // still ours until handed over
    if (auto in = incoming_.find(slot); in != incoming_.end()) {
      // Its directory / objects are on their way: wait for them, in arrival order.
      ByteBuffer bytes;
      ByteWriter w(bytes);
      EncodeObjectMessage(m, w);
      in->second.queued.emplace_back(static_cast<uint16_t>(type), std::move(bytes));
      ++mstats_.queued;
      if (!in->second.requested) {
        SendPull(slot);
        ++mstats_.pulls_on_demand;
      }
      return true;
    }
  }
  const InstanceId home = HomeOf(k);
  if (home == self_) return false;
  if (m.hops >= kMaxHops) {
    ++stats_.dropped_hops;
    return true;
  }
  ++m.hops;
  ++stats_.forwarded;
  Send(home, type, m);
  return true;
}

void ObjectSpace::HandleMessage(InstanceId /*from*/, uint16_t type,
                                std::span<const uint8_t> payload) {
  ObjectMessage m;
  if (!DecodeObjectMessage(payload, m)) {
    ++stats_.malformed;
    return;
  }
  switch (static_cast<ObjectMessageType>(type)) {
    case ObjectMessageType::kSwAcquire:
      return OnSwAcquire(m);
    case ObjectMessageType::kSwRecall:
      return OnSwRecall(m);
    case ObjectMessageType::kSwTransfer:
      return OnSwTransfer(m);
    case ObjectMessageType::kSwGrant:
      return OnSwGrant(m);
    case ObjectMessageType::kSwRemove:
      return OnSwRemove(m);
    case ObjectMessageType::kMwCall:
      return OnMwCall(m);
    case ObjectMessageType::kMwReply:
      if (m.code > static_cast<uint8_t>(CallStatus::kBadReply)) {
        ++stats_.malformed;
        return;
      }
      return CompletePending(m.req, static_cast<CallStatus>(m.code), m.body, 0);
    case ObjectMessageType::kMwTouch:
      return OnMwTouch(m);
    case ObjectMessageType::kMwTouchReply:
      return CompletePending(m.req, CallStatus::kOk, {}, m.code);
    case ObjectMessageType::kSwHandback:
      return OnSwHandback(m);
    case ObjectMessageType::kSwitched:
      return OnSwitched(m);
    case ObjectMessageType::kSlotPull:
      return OnSlotPull(m);
    case ObjectMessageType::kSlotData:
      return OnSlotData(m);
  }
  ++stats_.malformed;  // a type in our range that this version does not know
}

ObjectSpaceStats ObjectSpace::stats() const {
  ObjectSpaceStats s = stats_;
  s.sw_held = held_count_;
  s.sw_homed = directory_.size();
  s.mw_homed = mw_homed_.size();
  s.pending = pending_.size();
  s.stale_entries = stale_.size();
  return s;
}

// ---------------------------------------------------------------------------------------------
// SingleWriter: requester / holder side

ObjectSpace::SwEntry& ObjectSpace::AddEntry(const ObjectKey& k, const MapInfo& mi, uint64_t req) {
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

ObjectSpace::SwEntry* ObjectSpace::FindHeld(const ObjectKey& k) {
  auto it = held_.find(k);
  return it == held_.end() ? nullptr : it->second.get();
}

SwAcquireResult ObjectSpace::SwAcquire(uint64_t map, std::span<const uint8_t> key,
                                       AcquireMode mode) {
  const MapInfo& mi = MapOrDie(map);
  ObjectKey k = MakeKey(map, key);
  for (;;) {
    Waiter w{mode};
    if (SwEntry* e = FindHeld(k)) {
      if (e->state == SwEntry::State::kHeld && !e->recall_pending && !e->expiring) {
        ++e->refs;
        if (e->idle_timeout_ns != 0) e->last_used_ns = CoarseNow();
        ++stats_.sw_local_hits;
        return {e, false};
      }
      RequireFiber("waiting for a SingleWriter object in transit");
      const bool behind = e->recall_pending || e->expiring;
      if (!behind) ++stats_.sw_coalesced;
      Park(*e, w, behind);
    } else {
      const InstanceId home = HomeOf(k);
      if (home == self_ && directory_.find(k) == directory_.end() && !SlotBlocked(k)) {
        // Homed here and held nowhere: answer without a message (and without a micro-thread).
        if (mode == AcquireMode::kLookup) {
          ++stats_.sw_absent;
          return {};
        }
        directory_.emplace(k, DirEntry{self_, 0});
        SwEntry& ne = AddEntry(k, mi, 0);
        ne.state = SwEntry::State::kHeld;
        ++held_count_;
        ne.object = mi.ops->create();
        ne.refs = 1;
        ne.last_used_ns = Now();
        ne.idle_timeout_ns = mi.default_idle_ns;
        ++stats_.sw_created;
        ArmExpiry(ne);
        return {&ne, true};
      }
      RequireFiber("acquiring a SingleWriter object from another instance");
      SwEntry& ne = AddEntry(k, mi, next_req_++);
      ne.sent_mode = mode;
      ObjectMessage msg;
      msg.req = ne.req;
      msg.origin = self_;
      msg.code = static_cast<uint8_t>(mode);
      msg.map = map;
      msg.key = key;
      Send(home, ObjectMessageType::kSwAcquire, msg);
      ++stats_.sw_acquires_sent;
      ArmAcquireTimeout(k, ne.req);
      Park(ne, w, false);
    }
    switch (w.outcome) {
      case Waiter::Outcome::kArrived:
        if (!w.hold->removed) return {w.hold, w.created};
        // Removed by a micro-thread that got it before us: never hand out a removed object.
        if (--w.hold->refs == 0) SwIdle(w.hold);
        break;
      case Waiter::Outcome::kAbsent:
        if (mode == AcquireMode::kLookup) {
          ++stats_.sw_absent;
          return {};
        }
        break;  // someone's lookup found nothing: ask again, creating
      case Waiter::Outcome::kFailed:
        ++stats_.abandoned;
        throw CallAbandoned("s6: SingleWriter object in map '" + mi.name +
                                "' could not be acquired (no answer in time)",
                            CallStatus::kUnreachable);
      case Waiter::Outcome::kRetry:
      case Waiter::Outcome::kPending:
        break;
    }
  }
}

void ObjectSpace::Park(SwEntry& e, Waiter& w, bool retry_list) {
  (retry_list ? e.retry : e.arrival).push_back(&w);
  const uthread::WaitKey key = ObjectWait(e.wait_id + (retry_list ? 1 : 0));
  try {
    while (w.outcome == Waiter::Outcome::kPending) scheduler_.Suspend(key);
  } catch (...) {
    // The micro-thread is being unwound: give back what was handed to it, or leave the queue.
    if (w.outcome == Waiter::Outcome::kArrived && w.hold != nullptr) {
      if (--w.hold->refs == 0 && w.hold->attention) SwIdle(w.hold);
    } else if (w.outcome == Waiter::Outcome::kPending) {
      auto& list = retry_list ? e.retry : e.arrival;
      list.erase(std::remove(list.begin(), list.end(), &w), list.end());
    }
    throw;
  }
}

void ObjectSpace::Arrive(SwEntry& e, void* object, bool created) {
  if (!handback_reqs_.empty() && handback_reqs_.erase(e.req) != 0) MaybeSettled();
  e.object = object;
  e.state = SwEntry::State::kHeld;
  ++held_count_;
  e.last_used_ns = Now();
  if (e.idle_timeout_ns == 0) e.idle_timeout_ns = e.map->default_idle_ns;
  const Waiter* first = e.arrival.empty() ? nullptr : e.arrival.front();
  for (Waiter* w : e.arrival) {
    w->outcome = Waiter::Outcome::kArrived;
    w->hold = &e;
    w->created = created && w == first;
    ++e.refs;
  }
  e.arrival.clear();
  scheduler_.Wake(ObjectWait(e.wait_id));
  if (e.recall_pending) e.attention = true;
  ArmExpiry(e);
  MaybeTransfer(e);  // may destroy e (an unasked arrival with a recall waiting)
}

void ObjectSpace::FinishAbsent(SwEntry& e, Waiter::Outcome outcome) {
  if (!handback_reqs_.empty() && handback_reqs_.erase(e.req) != 0) MaybeSettled();
  for (Waiter* w : e.arrival) w->outcome = outcome;
  e.arrival.clear();
  scheduler_.Wake(ObjectWait(e.wait_id));
  if (e.recall_pending) {
    // The home already designated the next holder: pass "gone" on.
    ObjectMessage msg;
    msg.req = e.recall_req;
    msg.origin = self_;
    msg.code = 0;
    msg.map = e.key.map;
    msg.key = Bytes(e.key.bytes);
    Send(e.recall_to, ObjectMessageType::kSwTransfer, msg);
  }
  WakeRetry(e);
  DestroyEntry(&e);
}

void ObjectSpace::WakeRetry(SwEntry& e) {
  if (e.retry.empty()) return;
  for (Waiter* w : e.retry) w->outcome = Waiter::Outcome::kRetry;
  e.retry.clear();
  scheduler_.Wake(ObjectWait(e.wait_id + 1));
}

void ObjectSpace::MaybeTransfer(SwEntry& e) {
  if (!e.recall_pending || e.state != SwEntry::State::kHeld || e.refs != 0 || e.detached ||
      e.expiring || !e.arrival.empty()) {
    return;
  }
  ByteBuffer body;
  ByteWriter w(body);
  e.map->ops->encode(e.object, w);
  ObjectMessage msg;
  msg.req = e.recall_req;
  msg.origin = self_;
  msg.code = kTransferHasObject;
  msg.map = e.key.map;
  msg.key = Bytes(e.key.bytes);
  msg.a = e.idle_timeout_ns;
  msg.body = body.span();
  Send(e.recall_to, ObjectMessageType::kSwTransfer, msg);
  ++stats_.sw_transfers_out;
  WakeRetry(e);
  DestroyEntry(&e);
}

void ObjectSpace::Detach(SwEntry& e) {
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

void ObjectSpace::DestroyEntry(SwEntry* e) noexcept {
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

void ObjectSpace::SwIdle(internal::SwHold* hold) noexcept {
  auto* e = static_cast<SwEntry*>(hold);
  if (e->refs != 0) return;
  if (e->detached) {
    DestroyEntry(e);
    return;
  }
  MaybeTransfer(*e);
}

bool ObjectSpace::SwRemove(internal::SwHold* hold) {
  auto* e = static_cast<SwEntry*>(hold);
  if (e->detached) return false;
  ++stats_.sw_removed;
  ObjectMessage msg;
  msg.origin = self_;
  msg.map = e->key.map;
  msg.key = Bytes(e->key.bytes);
  if (e->recall_pending) {
    // The home already points at the next holder; tell it the object is gone.
    msg.req = e->recall_req;
    msg.code = 0;
    Send(e->recall_to, ObjectMessageType::kSwTransfer, msg);
  } else if (HomeOf(e->key) == self_ && !SlotBlocked(e->key)) {
    auto d = directory_.find(e->key);
    if (d != directory_.end() && d->second.holder == self_ && d->second.req == e->req) {
      directory_.erase(d);
    }
  } else {
    msg.a = e->req;
    Send(HomeOf(e->key), ObjectMessageType::kSwRemove, msg);
  }
  e->recall_pending = false;
  e->expiring = false;
  WakeRetry(*e);
  Detach(*e);
  return true;
}

void ObjectSpace::SwSetIdleTimeout(internal::SwHold* hold, std::chrono::nanoseconds timeout) {
  auto* e = static_cast<SwEntry*>(hold);
  e->idle_timeout_ns = static_cast<uint64_t>(std::max<int64_t>(0, timeout.count()));
  e->last_used_ns = Now();  // in use right now (last_used is only kept while a timeout is set)
  e->expiry_armed = false;  // a shorter timeout must not wait for the timer of a longer one
  ++e->expiry_gen;
  ArmExpiry(*e);
}

void ObjectSpace::ArmExpiry(SwEntry& e) {
  if (e.idle_timeout_ns == 0 || e.expiry_armed || e.detached) return;
  e.expiry_armed = true;
  const uint64_t gen = ++e.expiry_gen;
  timers_.Add(e.last_used_ns + e.idle_timeout_ns,
              [this, k = e.key, gen] { OnExpiryTimer(k, gen); });
}

void ObjectSpace::OnExpiryTimer(const ObjectKey& k, uint64_t gen) {
  SwEntry* e = FindHeld(k);
  if (e == nullptr || e->expiry_gen != gen) return;
  e->expiry_armed = false;
  if (e->idle_timeout_ns == 0 || e->state != SwEntry::State::kHeld) return;
  const uint64_t now = Now();
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
  ++stats_.sw_expired;
  if (!e->map->on_expire) {
    ++e->refs;
    SwRemove(e);
    if (--e->refs == 0) SwIdle(e);
    return;
  }
  e->expiring = true;
  ++e->refs;
  const bool spawned = scheduler_.TrySpawn([this, e] {
    struct Finish {
      ObjectSpace* space;
      SwEntry* e;
      ~Finish() {
        if (!e->detached) space->SwRemove(e);
        if (--e->refs == 0) space->SwIdle(e);
      }
    } finish{this, e};
    e->map->on_expire(Bytes(e->key.bytes), e->object);
  });
  if (!spawned) {  // backpressure: try again shortly
    --stats_.sw_expired;
    e->expiring = false;
    --e->refs;
    e->last_used_ns = now - e->idle_timeout_ns + 1'000'000;
    ArmExpiry(*e);
  }
}

void ObjectSpace::ArmAcquireTimeout(const ObjectKey& k, uint64_t req) {
  deadlines_.push_back({Now() + static_cast<uint64_t>(options_.call_timeout.count()), req, k});
}

std::size_t ObjectSpace::ExpireRequests(uint64_t now) {
  std::size_t n = 0;
  while (!deadlines_.empty() && deadlines_.front().at_ns <= now) {
    const Deadline d = std::move(deadlines_.front());
    deadlines_.pop_front();
    if (d.key.has_value()) {
      SwEntry* e = FindHeld(*d.key);
      if (e == nullptr || e->state != SwEntry::State::kAcquiring || e->req != d.req) continue;
      ++stats_.sw_acquire_timeouts;
      FinishAbsent(*e, Waiter::Outcome::kFailed);
    } else {
      auto it = pending_.find(d.req);
      if (it == pending_.end() || it->second.done) continue;
      ++stats_.call_timeouts;
      CompletePending(d.req, CallStatus::kUnreachable, {}, 0);
    }
    ++n;
  }
  return n;
}

void ObjectSpace::OnSwGrant(const ObjectMessage& m) {
  const MapInfo* mi = KnownMap(m.map);
  if (mi == nullptr) return;
  const ObjectKey k = MakeKey(m.map, m.key);
  SwEntry* e = FindHeld(k);
  const auto result = static_cast<GrantResult>(m.code);
  if (result != GrantResult::kCreated && result != GrantResult::kAbsent) {
    ++stats_.malformed;
    return;
  }
  if (e == nullptr || e->state != SwEntry::State::kAcquiring || e->req != m.req) {
    ++stats_.unexpected;
    if (e == nullptr && result == GrantResult::kCreated) {
      // We gave up waiting, but the home now records us as holder: hold the object so the
      // directory stays true.
      ++stats_.sw_unexpected_arrivals;
      ++stats_.sw_created;
      Arrive(AddEntry(k, *mi, m.req), mi->ops->create(), true);
    }
    return;
  }
  if (result == GrantResult::kCreated) {
    ++stats_.sw_created;
    Arrive(*e, mi->ops->create(), true);
  } else {
    FinishAbsent(*e, Waiter::Outcome::kAbsent);
  }
}

void ObjectSpace::OnSwTransfer(const ObjectMessage& m) {
  const MapInfo* mi = KnownMap(m.map);
  if (mi == nullptr) return;
  const ObjectKey k = MakeKey(m.map, m.key);
  SwEntry* e = FindHeld(k);
  if (m.code == kTransferHasObject) {
    void* object = mi->ops->create();
    ByteReader r(m.body.data(), m.body.size());
    if (!mi->ops->decode(r, object) || !r.AtEnd()) {
      mi->ops->destroy(object);
      ++stats_.malformed;
      return;
    }
    ++stats_.sw_transfers_in;
    if (e != nullptr && e->state == SwEntry::State::kHeld) {
      ++stats_.unexpected;  // a duplicate: keep the copy we have
      mi->ops->destroy(object);
      return;
    }
    if (e == nullptr) {
      e = &AddEntry(k, *mi, m.req);
      ++stats_.sw_unexpected_arrivals;
    }
    e->req = m.req;  // the designation the home recorded for us
    e->idle_timeout_ns = m.a;
    Arrive(*e, object, false);
    return;
  }
  // "Gone": the previous holder no longer had it.
  if (e == nullptr || e->state != SwEntry::State::kAcquiring || e->req != m.req) {
    ++stats_.unexpected;
    if (e == nullptr) {
      // We were designated but stopped waiting: clear the directory if it still names us.
      ObjectMessage msg;
      msg.origin = self_;
      msg.map = m.map;
      msg.key = m.key;
      msg.a = m.req;
      Send(HomeOf(k), ObjectMessageType::kSwRemove, msg);
    }
    return;  // or the answer to an earlier request of ours: the current one gets its own
  }
  if (e->sent_mode == AcquireMode::kGetOrCreate) {
    ++stats_.sw_created;
    Arrive(*e, mi->ops->create(), true);
    return;
  }
  if (!e->recall_pending) {
    ObjectMessage msg;
    msg.origin = self_;
    msg.map = m.map;
    msg.key = m.key;
    msg.a = e->req;
    Send(HomeOf(k), ObjectMessageType::kSwRemove, msg);
  }
  FinishAbsent(*e, Waiter::Outcome::kAbsent);
}

void ObjectSpace::OnSwRecall(const ObjectMessage& m) {
  ++stats_.sw_recalls;
  const ObjectKey k = MakeKey(m.map, m.key);
  SwEntry* e = FindHeld(k);
  if (e == nullptr || e->req != m.a) {
    // Gone: removed here. If we asked for it again since, this recall is for the stay that
    // ended with the removal, not for the one being acquired now (which gets its own recall).
    ObjectMessage msg;
    msg.req = m.req;
    msg.origin = self_;
    msg.code = 0;
    msg.map = m.map;
    msg.key = m.key;
    Send(m.origin, ObjectMessageType::kSwTransfer, msg);
    return;
  }
  if (e->recall_pending) {
    ++stats_.unexpected;
    return;
  }
  e->recall_pending = true;
  e->recall_to = m.origin;
  e->recall_req = m.req;
  e->attention = true;
  if (e->state != SwEntry::State::kHeld || e->refs > 0 || e->expiring) {
    ++stats_.sw_recalls_deferred;
  }
  MaybeTransfer(*e);
}

// ---------------------------------------------------------------------------------------------
// SingleWriter: home side

void ObjectSpace::OnSwAcquire(const ObjectMessage& m) {
  if (KnownMap(m.map) == nullptr) return;
  if (m.code != static_cast<uint8_t>(AcquireMode::kGetOrCreate) &&
      m.code != static_cast<uint8_t>(AcquireMode::kLookup)) {
    ++stats_.malformed;
    return;
  }
  const ObjectKey k = MakeKey(m.map, m.key);
  if (ForwardIfNotHome(ObjectMessageType::kSwAcquire, m, k)) return;
  auto d = directory_.find(k);
  if (d == directory_.end()) {
    ObjectMessage g;
    g.req = m.req;
    g.origin = self_;
    g.map = m.map;
    g.key = m.key;
    if (m.code == static_cast<uint8_t>(AcquireMode::kLookup)) {
      g.code = static_cast<uint8_t>(GrantResult::kAbsent);
    } else {
      g.code = static_cast<uint8_t>(GrantResult::kCreated);
      directory_.emplace(k, DirEntry{m.origin, m.req});
      NoteHomed(k);
    }
    Send(m.origin, ObjectMessageType::kSwGrant, g);
    ++stats_.dir_grants;
    return;
  }
  if (d->second.holder == m.origin) {
    // Recorded as holder already: the object is on its way to it (it stopped waiting and asked
    // again); it will arrive there as a transfer.
    ++stats_.unexpected;
    return;
  }
  const DirEntry previous = d->second;
  d->second = DirEntry{m.origin, m.req};
  ObjectMessage r = m;
  r.hops = 0;
  r.a = previous.req;
  Send(previous.holder, ObjectMessageType::kSwRecall, r);
  ++stats_.dir_recalls;
}

void ObjectSpace::OnSwRemove(const ObjectMessage& m) {
  if (KnownMap(m.map) == nullptr) return;
  const ObjectKey k = MakeKey(m.map, m.key);
  if (ForwardIfNotHome(ObjectMessageType::kSwRemove, m, k)) return;
  auto d = directory_.find(k);
  if (d != directory_.end() && d->second.holder == m.origin && d->second.req == m.a) {
    directory_.erase(d);
  } else {
    ++stats_.unexpected;  // the home moved on to another holder meanwhile
  }
}

// ---------------------------------------------------------------------------------------------
// MultiWriter

void* ObjectSpace::FindOrCreateMw(const ObjectKey& k, const MapInfo& mi) {
  auto it = mw_homed_.find(k);
  if (it != mw_homed_.end()) return it->second.object;
  void* object = mi.ops->create();
  mw_homed_.emplace(k, OwnedObject{object, &mi});
  NoteHomed(k);
  ++stats_.mw_created;
  return object;
}

MwTouchResult ObjectSpace::TouchLocal(const ObjectKey& k, const MapInfo& mi, MwTouchOp op) {
  auto it = mw_homed_.find(k);
  switch (op) {
    case MwTouchOp::kGetOrCreate:
      if (it != mw_homed_.end()) return MwTouchResult::kExisted;
      FindOrCreateMw(k, mi);
      return MwTouchResult::kCreated;
    case MwTouchOp::kLookup:
      return it != mw_homed_.end() ? MwTouchResult::kExisted : MwTouchResult::kAbsent;
    case MwTouchOp::kRemove:
      if (it == mw_homed_.end()) return MwTouchResult::kAbsent;
      mi.ops->destroy(it->second.object);
      mw_homed_.erase(it);
      return MwTouchResult::kRemoved;
  }
  return MwTouchResult::kAbsent;
}

uint64_t ObjectSpace::StartRequest(Pending p) {
  const uint64_t req = next_req_++;
  p.sent_ns = Now();
  deadlines_.push_back({p.sent_ns + static_cast<uint64_t>(options_.call_timeout.count()), req, {}});
  pending_.emplace(req, std::move(p));
  return req;
}

CallStatus ObjectSpace::WaitRequest(uint64_t req, Pending& out) {
  try {
    for (;;) {
      auto it = pending_.find(req);
      S6_CHECK(it != pending_.end());
      if (it->second.done) break;
      scheduler_.Suspend(ReplyWait(req));
    }
  } catch (...) {
    pending_.erase(req);  // unwound: a late reply is counted and dropped
    throw;
  }
  auto node = pending_.extract(req);
  out = std::move(node.mapped());
  return out.status;
}

void ObjectSpace::CompletePending(uint64_t req, CallStatus status, std::span<const uint8_t> body,
                                  uint8_t touch_result) {
  auto it = pending_.find(req);
  if (it == pending_.end() || it->second.done) {
    ++stats_.late_replies;
    return;
  }
  Pending& p = it->second;
  switch (p.kind) {
    case Pending::Kind::kCall:
      if (status == CallStatus::kOk) {
        p.reply->clear();
        p.reply->Append(body.data(), body.size());
      }
      break;
    case Pending::Kind::kTouch:
      p.touch_result = touch_result;
      break;
    case Pending::Kind::kStaleFill: {
      auto c = stale_.find(p.stale_key);
      if (c != stale_.end()) {
        StaleEntry& se = c->second;
        if (status == CallStatus::kOk) {
          se.reply.clear();
          se.reply.Append(body.data(), body.size());
          se.valid = true;
          se.filled_ns = p.sent_ns;
        }
        se.last_status = status;
        se.refreshing = false;
      }
      pending_.erase(it);
      scheduler_.Wake(ReplyWait(req));
      return;
    }
  }
  p.status = status;
  p.done = true;
  scheduler_.Wake(ReplyWait(req));
}

CallStatus ObjectSpace::MwCall(const MwBinding& binding, const MethodDescriptor& m,
                               const ByteBuffer& args, ByteBuffer& reply) {
  const MapInfo& mi = MapOrDie(binding.map());
  const ObjectKey k = MakeKey(binding.map(), binding.key());
  const InstanceId home = HomeOf(k);
  if (home == self_ && !SlotBlocked(k)) {
    void* object = FindOrCreateMw(k, mi);
    ByteReader r(args.data(), args.size());
    reply.clear();
    ++stats_.mw_local_calls;
    return mi.ops->dispatch(object, m.id, r, reply) == DispatchStatus::kOk
               ? CallStatus::kOk
               : CallStatus::kRemoteError;
  }
  if (m.is_stale()) return StaleCall(home, k, m, args, reply);
  ObjectMessage msg;
  msg.origin = self_;
  msg.method = m.id;
  msg.map = binding.map();
  msg.key = binding.key();
  msg.body = args.span();
  if (m.is_untether()) {
    Send(home, ObjectMessageType::kMwCall, msg);  // req 0: no reply
    ++stats_.mw_untether_sent;
    return CallStatus::kQueued;
  }
  RequireFiber("a strict call to a remote MultiWriter object");
  Pending p;
  p.kind = Pending::Kind::kCall;
  p.reply = &reply;
  msg.req = StartRequest(std::move(p));
  Send(home, ObjectMessageType::kMwCall, msg);
  ++stats_.mw_strict_sent;
  Pending done;
  const CallStatus st = WaitRequest(msg.req, done);
  if (st != CallStatus::kOk) ++stats_.abandoned;
  return st;
}

CallStatus ObjectSpace::StaleCall(InstanceId home, const ObjectKey& k, const MethodDescriptor& m,
                                  const ByteBuffer& args, ByteBuffer& reply) {
  std::string ck;
  ck.reserve(16 + k.bytes.size() + args.size());
  ck.append(reinterpret_cast<const char*>(&k.map), sizeof k.map);
  ck.append(reinterpret_cast<const char*>(&m.id), sizeof m.id);
  const auto key_len = static_cast<uint32_t>(k.bytes.size());
  ck.append(reinterpret_cast<const char*>(&key_len), sizeof key_len);
  ck.append(k.bytes);
  ck.append(reinterpret_cast<const char*>(args.data()), args.size());
  const uint64_t bound_ns =
      uint64_t{m.stale_max_age_ms != 0 ? m.stale_max_age_ms : options_.default_stale_ms} *
      1'000'000;

  if (stale_.size() >= options_.max_stale_entries) {
    const uint64_t now = Now();
    for (auto it = stale_.begin(); it != stale_.end();) {
      const StaleEntry& c = it->second;
      const bool old = !c.valid || now - c.filled_ns > 1'000'000'000ull;
      it = (!c.refreshing && old) ? stale_.erase(it) : std::next(it);
    }
  }

  bool missed = false;
  for (;;) {
    StaleEntry& c = stale_[ck];
    const uint64_t now = Now();
    if (c.valid && now - c.filled_ns <= bound_ns) {
      if (!missed) ++stats_.mw_stale_hits;
      if (!c.refreshing && now - c.filled_ns > bound_ns / 2) {
        StartStaleFill(home, ck, c, k, m, args);  // ahead of expiry, in the background
      }
      reply = c.reply;
      return CallStatus::kOk;
    }
    if (!missed) {
      ++stats_.mw_stale_misses;
      missed = true;
    }
    RequireFiber("a stale call whose cached result is missing or too old");
    if (!c.refreshing) StartStaleFill(home, ck, c, k, m, args);
    const uint64_t req = c.refresh_req;
    scheduler_.Suspend(ReplyWait(req));
    auto again = stale_.find(ck);
    if (again != stale_.end() && !again->second.refreshing &&
        again->second.last_status != CallStatus::kOk) {
      ++stats_.abandoned;
      return again->second.last_status;
    }
  }
}

void ObjectSpace::StartStaleFill(InstanceId home, const std::string& ck, StaleEntry& c,
                                 const ObjectKey& k, const MethodDescriptor& m,
                                 const ByteBuffer& args) {
  Pending p;
  p.kind = Pending::Kind::kStaleFill;
  p.stale_key = ck;
  const uint64_t req = StartRequest(std::move(p));
  c.refreshing = true;
  c.refresh_req = req;
  ObjectMessage msg;
  msg.req = req;
  msg.origin = self_;
  msg.method = m.id;
  msg.map = k.map;
  msg.key = Bytes(k.bytes);
  msg.body = args.span();
  Send(home, ObjectMessageType::kMwCall, msg);
  ++stats_.mw_stale_refreshes;
}

MwTouchResult ObjectSpace::MwTouch(uint64_t map, std::span<const uint8_t> key, MwTouchOp op) {
  const MapInfo& mi = MapOrDie(map);
  const ObjectKey k = MakeKey(map, key);
  const InstanceId home = HomeOf(k);
  if (home == self_ && !SlotBlocked(k)) return TouchLocal(k, mi, op);
  RequireFiber("a MultiWriter get_or_create/lookup/remove at another instance");
  Pending p;
  p.kind = Pending::Kind::kTouch;
  ObjectMessage msg;
  msg.req = StartRequest(std::move(p));
  msg.origin = self_;
  msg.code = static_cast<uint8_t>(op);
  msg.map = map;
  msg.key = key;
  Send(home, ObjectMessageType::kMwTouch, msg);
  ++stats_.mw_touches_sent;
  Pending done;
  const CallStatus st = WaitRequest(msg.req, done);
  if (st != CallStatus::kOk || done.touch_result < static_cast<uint8_t>(MwTouchResult::kExisted) ||
      done.touch_result > static_cast<uint8_t>(MwTouchResult::kRemoved)) {
    ++stats_.abandoned;
    throw CallAbandoned("s6: MultiWriter map '" + mi.name + "': home did not answer",
                        st == CallStatus::kOk ? CallStatus::kBadReply : st);
  }
  return static_cast<MwTouchResult>(done.touch_result);
}

void ObjectSpace::OnMwCall(const ObjectMessage& m) {
  const MapInfo* mi = FindMap(m.map);
  if (mi == nullptr || mi->kind != ObjectKind::kMultiWriter) {
    ++stats_.unknown_map;
    if (m.req != 0) {
      ObjectMessage r;
      r.req = m.req;
      r.origin = self_;
      r.code = static_cast<uint8_t>(CallStatus::kRemoteError);
      Send(m.origin, ObjectMessageType::kMwReply, r);
    }
    return;
  }
  const ObjectKey k = MakeKey(m.map, m.key);
  if (ForwardIfNotHome(ObjectMessageType::kMwCall, m, k)) return;
  void* object = FindOrCreateMw(k, *mi);
  ByteReader args(m.body.data(), m.body.size());
  ByteBuffer reply;
  const DispatchStatus st = mi->ops->dispatch(object, m.method, args, reply);
  ++stats_.mw_calls_served;
  if (m.req == 0) return;
  ObjectMessage r;
  r.req = m.req;
  r.origin = self_;
  r.code =
      static_cast<uint8_t>(st == DispatchStatus::kOk ? CallStatus::kOk : CallStatus::kRemoteError);
  r.body = reply.span();
  Send(m.origin, ObjectMessageType::kMwReply, r);
}

void ObjectSpace::OnMwTouch(const ObjectMessage& m) {
  const MapInfo* mi = FindMap(m.map);
  if (mi == nullptr || mi->kind != ObjectKind::kMultiWriter) {
    ++stats_.unknown_map;
    return;
  }
  if (m.code < static_cast<uint8_t>(MwTouchOp::kGetOrCreate) ||
      m.code > static_cast<uint8_t>(MwTouchOp::kRemove)) {
    ++stats_.malformed;
    return;
  }
  const ObjectKey k = MakeKey(m.map, m.key);
  if (ForwardIfNotHome(ObjectMessageType::kMwTouch, m, k)) return;
  ObjectMessage r;
  r.req = m.req;
  r.origin = self_;
  r.code = static_cast<uint8_t>(TouchLocal(k, *mi, static_cast<MwTouchOp>(m.code)));
  Send(m.origin, ObjectMessageType::kMwTouchReply, r);
}

// ---------------------------------------------------------------------------------------------
// Iteration and expiry configuration

void ObjectSpace::ForEachLocal(uint64_t map,
                               const std::function<void(std::span<const uint8_t>, void*)>& fn) {
  const MapInfo* mi = FindMap(map);
  if (mi == nullptr) return;
  if (mi->kind == ObjectKind::kSingleWriter) {
    for (auto& [k, e] : held_) {
      if (k.map == map && e->state == SwEntry::State::kHeld) fn(Bytes(k.bytes), e->object);
    }
  } else {
    for (auto& [k, o] : mw_homed_) {
      if (k.map == map) fn(Bytes(k.bytes), o.object);
    }
  }
}

void ObjectSpace::SetExpiry(uint64_t map, std::chrono::nanoseconds default_timeout,
                            std::function<void(std::span<const uint8_t>, void*)> on_expire) {
  auto it = maps_.find(map);
  S6_CHECK(it != maps_.end()) << "SetExpiry on unregistered map " << map;
  S6_CHECK(it->second.kind == ObjectKind::kSingleWriter) << "expiry is for SingleWriter maps";
  it->second.default_idle_ns = static_cast<uint64_t>(std::max<int64_t>(0, default_timeout.count()));
  it->second.on_expire = std::move(on_expire);
}

}  // namespace s6::objspace

// SPDX-License-Identifier: Apache-2.0
// File: objspace/migration.cc
//
// The object space's part of a scale event: prepare / switch / complete of a slot table, slot
// pulls and hand-over, the background mover and the hand-back of a departing instance.
// The theory of operation is in object_space.h ("Scaling") and docs/protocol.md.
//
// Slot data (kSlotData body), little-endian:
//   u32 n_dir | n_dir x (u64 map | u32 key_len | key | u32 holder | u64 req)
//   u32 n_mw  | n_mw  x (u64 map | u32 key_len | key | u32 obj_len | obj)
// The receiver validates all of it (maps known and of the right kind, lengths, objects that
// decode completely) before installing anything.
#include <algorithm>
#include <string>
#include <utility>

#include <s6/check.h>
#include "objspace/object_space.h"
#include "stats/json.h"

namespace s6::objspace {
namespace {

void PutKey(ByteWriter& w, uint64_t map, const std::string& key) {
  w.PutUnsigned(map);
  w.PutU32(static_cast<uint32_t>(key.size()));
  w.PutBytes(key.data(), key.size());
}

bool GetKey(ByteReader& r, uint64_t& map, std::span<const uint8_t>& key) {
  uint32_t len = 0;
  if (!r.GetUnsigned(map) || !r.GetU32(len) || len > kMaxKeyBytes || len > r.remaining()) {
    return false;
  }
  const uint8_t* p = r.Take(len);
  key = {p, len};
  return p != nullptr || len == 0;
}

// Departing: held objects are offered back in rounds of at most kHandbackBatch every
// kHandbackScanNs (a bounded rate, like the mover), once the slots have been handed over: by
// then the flows that moved have fetched their objects themselves, and what is left is idle.
// An offer is normally answered by a recall (ours, or one already on its way for someone
// else); it is repeated only after kHandbackRetryNs, in case it was lost with a peer.
constexpr uint64_t kHandbackScanNs = 5'000'000;
constexpr std::size_t kHandbackBatch = 250;
constexpr uint64_t kHandbackRetryNs = 2'000'000'000;

}  // namespace

std::string MigrationStatus::ToJson() const {
  std::string out = "{";
  const auto field = [&out](std::string_view name, uint64_t v) {
    stats::AppendCounter(out, name, v);
  };
  field("version", version);
  field("next_version", next_version);
  field("in_transition", in_transition ? 1 : 0);
  field("departing", departing ? 1 : 0);
  field("settled", settled() ? 1 : 0);
  field("incoming_left", incoming_left);
  field("outgoing_left", outgoing_left);
  field("markers_missing", markers_missing);
  field("held", held);
  field("handbacks_pending", handbacks_pending);
  field("switched_at_ns", switched_at_ns);
  field("settled_at_ns", settled_at_ns);
  field("slots_in", slots_in);
  field("slots_out", slots_out);
  field("objects_in", objects_in);
  field("objects_out", objects_out);
  field("pulls_on_demand", pulls_on_demand);
  field("pulls_background", pulls_background);
  field("queued", queued);
  field("handbacks_sent", handbacks_sent);
  field("handbacks_taken", handbacks_taken);
  field("bad_slot_data", bad_slot_data);
  out += '}';
  return out;
}

Status ObjectSpace::PrepareTable(const keyspace::SlotTable& current,
                                 const keyspace::SlotTable& next, MigrationOptions options) {
  if (current.empty() || next.empty()) return InvalidArgumentError("prepare: empty slot table");
  if (next.version() != current.version() + 1 || next.slot_count() != current.slot_count()) {
    return InvalidArgumentError("prepare: table v" + std::to_string(next.version()) +
                                " does not follow v" + std::to_string(current.version()));
  }
  if (options.max_inflight == 0 || options.slots_per_sec == 0) {
    return InvalidArgumentError("prepare: the mover needs a positive rate and window");
  }
  if (in_transition_) {
    if (table_ == next) return OkStatus();  // a retried prepare after our switch
    return FailedPreconditionError("prepare v" + std::to_string(next.version()) +
                                   ": the transition to v" + std::to_string(table_.version()) +
                                   " has not completed");
  }
  if (!next_.empty()) {
    if (next_ == next) return OkStatus();
    return FailedPreconditionError("prepare v" + std::to_string(next.version()) + ": v" +
                                   std::to_string(next_.version()) + " is already prepared");
  }
  if (!(table_ == current)) {
    // Only an instance that holds and homes nothing (a newcomer) may adopt the table in force.
    if (!directory_.empty() || !mw_homed_.empty() || !held_.empty()) {
      return FailedPreconditionError("prepare: this instance is at table v" +
                                     std::to_string(table_.version()) + ", not v" +
                                     std::to_string(current.version()));
    }
    table_ = current;
  }
  next_ = next;
  migration_ = options;
  return OkStatus();
}

Status ObjectSpace::AbortPrepared(uint64_t version) {
  if (!next_.empty() && next_.version() == version) {
    next_ = keyspace::SlotTable();
    return OkStatus();
  }
  if (in_transition_ && table_.version() == version) {
    return FailedPreconditionError("abort v" + std::to_string(version) + ": already switched");
  }
  return OkStatus();
}

Status ObjectSpace::SwitchTable(uint64_t version) {
  if (!next_.empty() && next_.version() == version) {
    DoSwitch();
    return OkStatus();
  }
  if (table_.version() == version && !table_.empty()) return OkStatus();  // switched already
  return FailedPreconditionError("switch: table v" + std::to_string(version) +
                                 " was not prepared here");
}

void ObjectSpace::DoSwitch() {
  const uint64_t now = Now();
  previous_ = std::move(table_);
  table_ = std::move(next_);
  next_ = keyspace::SlotTable();
  in_transition_ = true;
  mstats_.switched_at_ns = now;
  mstats_.settled_at_ns = 0;
  mstats_.slots_in_event = 0;
  mstats_.departing = !table_.IsMember(self_);
  incoming_.clear();
  outgoing_.clear();
  mover_order_.clear();
  mover_next_ = 0;
  mover_inflight_ = 0;
  mover_tokens_ = 0;
  mover_last_ns_ = now;
  incoming_left_ = 0;
  for (const keyspace::SlotMove& mv : keyspace::Diff(previous_, table_)) {
    if (mv.to == self_) {
      incoming_[mv.slot].from = mv.from;
      mover_order_.push_back(mv.slot);
      ++incoming_left_;
    } else if (mv.from == self_) {
      outgoing_[mv.slot].to = mv.to;
    }
  }
  if (!outgoing_.empty()) {
    for (const auto& [k, d] : directory_) NoteHomed(k);
    for (const auto& [k, o] : mw_homed_) NoteHomed(k);
  }
  // Every peer of either table gets our marker; we wait for theirs before handing slots over.
  std::vector<InstanceId> peers = previous_.instances();
  peers.insert(peers.end(), table_.instances().begin(), table_.instances().end());
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  peers.erase(std::remove(peers.begin(), peers.end(), self_), peers.end());
  markers_missing_ = peers;
  ObjectMessage marker;
  marker.origin = self_;
  marker.a = table_.version();
  for (InstanceId p : peers) Send(p, ObjectMessageType::kSwitched, marker);
  // Markers that arrived before we were prepared.
  for (auto it = early_markers_.begin(); it != early_markers_.end();) {
    if (it->first == table_.version()) {
      markers_missing_.erase(
          std::remove(markers_missing_.begin(), markers_missing_.end(), it->second),
          markers_missing_.end());
      it = early_markers_.erase(it);
    } else {
      ++it;
    }
  }
  if (migration_.mode == MigrationMode::kStopAndCopy) {
    for (uint32_t slot : mover_order_) SendPull(slot);
    mstats_.pulls_background += mover_order_.size();
    mover_next_ = mover_order_.size();
  }
  if (markers_missing_.empty()) AnswerDeferredPulls();
  MaybeSettled();
}

Status ObjectSpace::CompleteTable(uint64_t version) {
  if (!in_transition_) {
    if (table_.version() == version && !table_.empty()) return OkStatus();  // completed already
    return FailedPreconditionError("complete: no transition to v" + std::to_string(version));
  }
  if (table_.version() != version) {
    return FailedPreconditionError("complete v" + std::to_string(version) +
                                   ": the transition here is to v" +
                                   std::to_string(table_.version()));
  }
  MaybeSettled();
  if (mstats_.settled_at_ns == 0) {
    return FailedPreconditionError("complete v" + std::to_string(version) + ": not settled (" +
                                   std::to_string(incoming_left_) + " slots to receive, " +
                                   std::to_string(outgoing_.size()) + " to hand over, " +
                                   std::to_string(held_.size()) + " objects held)");
  }
  previous_ = keyspace::SlotTable();
  in_transition_ = false;
  markers_missing_.clear();
  deferred_pulls_.clear();
  std::erase_if(early_markers_, [version](const auto& m) { return m.first <= version; });
  return OkStatus();
}

MigrationStatus ObjectSpace::migration_status() const {
  MigrationStatus s = mstats_;
  s.version = table_.version();
  s.next_version = next_.version();
  s.in_transition = in_transition_;
  s.incoming_left = incoming_left_;
  s.outgoing_left = static_cast<uint32_t>(outgoing_.size());
  s.markers_missing = static_cast<uint32_t>(markers_missing_.size());
  s.held = held_.size();
  s.handbacks_pending = handback_reqs_.size();
  return s;
}

bool ObjectSpace::SlotBlocked(const ObjectKey& k) const {
  return !incoming_.empty() && incoming_.contains(SlotOfKey(k));
}

void ObjectSpace::NoteHomed(const ObjectKey& k) {
  if (outgoing_.empty()) return;
  auto it = outgoing_.find(SlotOfKey(k));
  if (it != outgoing_.end()) it->second.keys.push_back(k);
}

void ObjectSpace::OnSwitched(const ObjectMessage& m) {
  const uint64_t version = m.a;
  if (!next_.empty() && next_.version() == version) DoSwitch();
  if (in_transition_ && table_.version() == version) {
    const auto it = std::find(markers_missing_.begin(), markers_missing_.end(), m.origin);
    if (it == markers_missing_.end()) {
      ++stats_.unexpected;
      return;
    }
    markers_missing_.erase(it);
    if (markers_missing_.empty()) AnswerDeferredPulls();
    return;
  }
  if (version > table_.version()) {
    early_markers_.emplace_back(version, m.origin);
    return;
  }
  ++stats_.unexpected;  // a marker of a finished transition
}

void ObjectSpace::SendPull(uint32_t slot) {
  auto it = incoming_.find(slot);
  S6_CHECK(it != incoming_.end());
  it->second.requested = true;
  ObjectMessage msg;
  msg.origin = self_;
  msg.a = table_.version();
  msg.b = slot;
  Send(it->second.from, ObjectMessageType::kSlotPull, msg);
}

void ObjectSpace::OnSlotPull(const ObjectMessage& m) {
  // A pull can overtake the controller's switch command (never our own preparation).
  if (!next_.empty() && next_.version() == m.a) DoSwitch();
  if (!in_transition_ || table_.version() != m.a || m.b >= table_.slot_count()) {
    ++stats_.unexpected;
    return;
  }
  const auto slot = static_cast<uint32_t>(m.b);
  auto it = outgoing_.find(slot);
  if (it == outgoing_.end() || it->second.to != m.origin) {
    ++stats_.unexpected;  // a duplicate pull, or one for a slot that is not ours to give
    return;
  }
  if (!markers_missing_.empty()) {
    // Some peer may still send us messages routed by the old table: hand over after them.
    deferred_pulls_.emplace_back(slot, m.origin);
    return;
  }
  HandOver(slot, m.origin);
}

void ObjectSpace::AnswerDeferredPulls() {
  std::vector<std::pair<uint32_t, InstanceId>> pulls = std::move(deferred_pulls_);
  deferred_pulls_.clear();
  for (const auto& [slot, to] : pulls) {
    auto it = outgoing_.find(slot);
    if (it != outgoing_.end() && it->second.to == to) HandOver(slot, to);
  }
}

void ObjectSpace::HandOver(uint32_t slot, InstanceId to) {
  auto it = outgoing_.find(slot);
  S6_CHECK(it != outgoing_.end());
  std::vector<ObjectKey> keys = std::move(it->second.keys);
  outgoing_.erase(it);

  std::vector<std::pair<ObjectKey, DirEntry>> dir;
  std::vector<std::pair<ObjectKey, OwnedObject>> mw;
  for (ObjectKey& k : keys) {
    if (auto d = directory_.find(k); d != directory_.end()) {
      dir.emplace_back(std::move(d->first), d->second);
      directory_.erase(d);
    } else if (auto o = mw_homed_.find(k); o != mw_homed_.end()) {
      mw.emplace_back(o->first, o->second);
      mw_homed_.erase(o);
    }
  }
  ByteBuffer body;
  ByteWriter w(body);
  w.PutU32(static_cast<uint32_t>(dir.size()));
  for (const auto& [k, d] : dir) {
    PutKey(w, k.map, k.bytes);
    w.PutU32(ToUint(d.holder));
    w.PutUnsigned(d.req);
  }
  w.PutU32(static_cast<uint32_t>(mw.size()));
  ByteBuffer object;
  for (const auto& [k, o] : mw) {
    PutKey(w, k.map, k.bytes);
    object.clear();
    ByteWriter ow(object);
    o.map->ops->encode(o.object, ow);
    w.PutU32(static_cast<uint32_t>(object.size()));
    w.PutBytes(object.data(), object.size());
    o.map->ops->destroy(o.object);
  }
  ObjectMessage msg;
  msg.origin = self_;
  msg.a = table_.version();
  msg.b = slot;
  msg.body = body.span();
  Send(to, ObjectMessageType::kSlotData, msg);
  ++mstats_.slots_out;
  mstats_.objects_out += dir.size() + mw.size();
  MaybeSettled();
}

void ObjectSpace::OnSlotData(const ObjectMessage& m) {
  if (!in_transition_ || table_.version() != m.a) {
    ++stats_.unexpected;
    return;
  }
  const auto slot = static_cast<uint32_t>(m.b);
  auto in = incoming_.find(slot);
  if (in == incoming_.end() || in->second.arrived || in->second.from != m.origin) {
    ++stats_.unexpected;
    return;
  }
  // Decode and validate everything before installing anything.
  struct Dir {
    const MapInfo* map;
    std::span<const uint8_t> key;
    InstanceId holder;
    uint64_t req;
  };
  struct Mw {
    const MapInfo* map;
    std::span<const uint8_t> key;
    void* object;
  };
  std::vector<Dir> dir;
  std::vector<Mw> mw;
  bool ok = true;
  ByteReader r(m.body.data(), m.body.size());
  uint32_t n = 0;
  ok = r.GetU32(n) && n <= r.remaining();
  for (uint32_t i = 0; ok && i < n; ++i) {
    uint64_t map = 0;
    Dir d{};
    uint32_t holder = 0;
    ok = GetKey(r, map, d.key) && r.GetU32(holder) && r.GetUnsigned(d.req);
    d.map = ok ? FindMap(map) : nullptr;
    ok = ok && d.map != nullptr && d.map->kind == ObjectKind::kSingleWriter;
    d.holder = static_cast<InstanceId>(holder);
    if (ok) dir.push_back(d);
  }
  ok = ok && r.GetU32(n) && n <= r.remaining();
  for (uint32_t i = 0; ok && i < n; ++i) {
    uint64_t map = 0;
    Mw o{};
    uint32_t len = 0;
    ok = GetKey(r, map, o.key) && r.GetU32(len) && len <= r.remaining();
    o.map = ok ? FindMap(map) : nullptr;
    ok = ok && o.map != nullptr && o.map->kind == ObjectKind::kMultiWriter;
    if (!ok) break;
    ByteReader obj(r.Take(len), len);
    o.object = o.map->ops->create();
    if (!o.map->ops->decode(obj, o.object) || !obj.AtEnd()) {
      o.map->ops->destroy(o.object);
      ok = false;
      break;
    }
    mw.push_back(o);
  }
  ok = ok && r.AtEnd();
  if (!ok) {
    for (Mw& o : mw) o.map->ops->destroy(o.object);
    if (in->second.background) {
      in->second.background = false;
      --mover_inflight_;
    }
    ++mstats_.bad_slot_data;
    ++stats_.malformed;
    return;  // the slot stays incoming: its users time out, the controller sees it unsettled
  }
  if (mstats_.slots_in_event == 0) {
    // The first slot of this event: size the tables for all of them at once (rehashing tens of
    // thousands of entries while packets wait is what we avoid).
    const std::size_t slots = incoming_.size();
    directory_.reserve(directory_.size() + dir.size() * slots + slots);
    mw_homed_.reserve(mw_homed_.size() + mw.size() * slots);
  }
  ++mstats_.slots_in_event;
  for (const Dir& d : dir) {
    if (!directory_.emplace(MakeKey(d.map->id, d.key), DirEntry{d.holder, d.req}).second) {
      ++stats_.unexpected;
    }
  }
  for (const Mw& o : mw) {
    if (!mw_homed_.emplace(MakeKey(o.map->id, o.key), OwnedObject{o.object, o.map}).second) {
      o.map->ops->destroy(o.object);
      ++stats_.unexpected;
    }
  }
  mstats_.objects_in += dir.size() + mw.size();
  ++mstats_.slots_in;
  --incoming_left_;
  if (migration_.mode == MigrationMode::kGradual) {
    if (in->second.background) --mover_inflight_;
    ReleaseSlotQueue(slot);
  } else {
    in->second.arrived = true;
    if (incoming_left_ == 0) {
      std::vector<uint32_t> slots;
      slots.reserve(incoming_.size());
      for (const auto& [s, i] : incoming_) slots.push_back(s);
      std::sort(slots.begin(), slots.end());
      for (uint32_t s : slots) ReleaseSlotQueue(s);
    }
  }
  MaybeSettled();
}

void ObjectSpace::ReleaseSlotQueue(uint32_t slot) {
  auto node = incoming_.extract(slot);
  if (node.empty()) return;
  std::vector<std::pair<uint16_t, ByteBuffer>> queued = std::move(node.mapped().queued);
  for (auto& [type, bytes] : queued) HandleMessage(self_, type, bytes.span());
}

void ObjectSpace::OnSwHandback(const ObjectMessage& m) {
  const MapInfo* mi = KnownMap(m.map);
  if (mi == nullptr) return;
  if (mi->kind != ObjectKind::kSingleWriter) {
    ++stats_.unexpected;
    return;
  }
  const ObjectKey k = MakeKey(m.map, m.key);
  if (ForwardIfNotHome(ObjectMessageType::kSwHandback, m, k)) return;
  auto d = directory_.find(k);
  if (d == directory_.end() || d->second.holder != m.origin || d->second.req != m.a ||
      FindHeld(k) != nullptr) {
    ++stats_.unexpected;  // someone's recall is already on its way to the holder
    return;
  }
  // Acquire it for ourselves, as if a local user had asked: an ordinary recall.
  SwEntry& e = AddEntry(k, *mi, next_req_++);
  e.sent_mode = AcquireMode::kLookup;  // if it is gone meanwhile, do not invent a new one
  d->second = DirEntry{self_, e.req};
  ObjectMessage r;
  r.req = e.req;
  r.origin = self_;
  r.code = static_cast<uint8_t>(AcquireMode::kLookup);
  r.map = m.map;
  r.key = m.key;
  r.a = m.a;
  Send(m.origin, ObjectMessageType::kSwRecall, r);
  ArmAcquireTimeout(k, e.req);
  handback_reqs_.insert(e.req);
  ++stats_.dir_recalls;
  ++mstats_.handbacks_taken;
  MaybeSettled();
}

bool ObjectSpace::RunMigration() {
  if (!in_transition_) return false;
  bool did = false;
  const uint64_t now = CoarseNow();
  if (migration_.mode == MigrationMode::kGradual && mover_next_ < mover_order_.size()) {
    const double elapsed_s = static_cast<double>(now - mover_last_ns_) * 1e-9;
    mover_last_ns_ = now;
    mover_tokens_ = std::min(mover_tokens_ + elapsed_s * migration_.slots_per_sec,
                             static_cast<double>(migration_.max_inflight));
    while (mover_next_ < mover_order_.size() && mover_inflight_ < migration_.max_inflight &&
           mover_tokens_ >= 1.0) {
      const uint32_t slot = mover_order_[mover_next_++];
      auto it = incoming_.find(slot);
      if (it == incoming_.end() || it->second.requested) continue;  // pulled on demand already
      it->second.background = true;
      SendPull(slot);
      ++mover_inflight_;
      mover_tokens_ -= 1.0;
      ++mstats_.pulls_background;
      did = true;
    }
  }
  if (mstats_.departing && outgoing_.empty() && now - last_handback_ns_ >= kHandbackScanNs) {
    last_handback_ns_ = now;
    std::size_t offered = 0;
    for (auto& [k, e] : held_) {
      if (offered == kHandbackBatch) break;
      if (e->state != SwEntry::State::kHeld || e->recall_pending || e->detached) continue;
      if (e->handback_ns != 0 && now - e->handback_ns < kHandbackRetryNs) continue;
      ++offered;
      e->handback_ns = now;
      ObjectMessage msg;
      msg.origin = self_;
      msg.map = k.map;
      msg.key = Bytes(k.bytes);
      msg.a = e->req;
      Send(HomeOf(k), ObjectMessageType::kSwHandback, msg);
      ++mstats_.handbacks_sent;
      did = true;
    }
  }
  MaybeSettled();
  return did;
}

void ObjectSpace::MaybeSettled() {
  if (!in_transition_) return;
  const bool settled = migration_status().settled();  // the one statement of the rule
  // Not sticky: a hand-back taken after the slots arrived unsettles the home again until the
  // object is here (the departing instance must not be let go with it in flight).
  if (!settled) {
    mstats_.settled_at_ns = 0;
  } else if (mstats_.settled_at_ns == 0) {
    mstats_.settled_at_ns = Now();
  }
}

}  // namespace s6::objspace

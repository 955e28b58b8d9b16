// SPDX-License-Identifier: Apache-2.0
// File: objspace/migration.cc
//
// SlotMigration (migration.h): prepare / switch / complete of a slot table, the routing of
// home-side messages during a transition, slot pulls and hand-over, the background mover and
// the hand-back of a departing instance. docs/protocol.md describes the protocol step by step.
//
// Slot data (kSlotData body), little-endian:
//   u32 n_dir | n_dir x (u64 map | u32 key_len | key | u32 holder | u64 req)
//   u32 n_mw  | n_mw  x (u64 map | u32 key_len | key | u32 obj_len | obj)
// The receiver validates all of it (maps known and of the right kind, lengths, objects that
// decode completely) before installing anything.
#include "objspace/migration.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include <s6/check.h>
#include <s6/log.h>
#include "objspace/mw_home.h"
#include "objspace/sw_directory.h"
#include "objspace/sw_holder.h"

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

SlotMigration::SlotMigration(SpaceCore& core, SwHolder& holder, SwDirectory& directory,
                             MwHome& mw_home, Replay replay)
    : core_(core),
      holder_(holder),
      directory_(directory),
      mw_home_(mw_home),
      replay_(std::move(replay)),
      log_(log::Get("migration")) {}

SlotMigration::~SlotMigration() = default;

bool SlotMigration::ForwardIfNotHome(ObjectMessageType type, ObjectMessage m, const ObjectKey& k) {
  if (in_transition_) {
    const uint32_t slot = core_.SlotOfKey(k);
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
  const InstanceId home = core_.HomeOf(k);
  if (home == core_.self) return false;
  if (m.hops >= kMaxHops) {
    ++core_.stats.dropped_hops;
    return true;
  }
  ++m.hops;
  ++core_.stats.forwarded;
  core_.Send(home, type, m);
  return true;
}

void SlotMigration::NoteHomedInOutgoing(const ObjectKey& k) {
  auto it = outgoing_.find(core_.SlotOfKey(k));
  if (it != outgoing_.end()) it->second.keys.push_back(k);
}

Status SlotMigration::Prepare(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                              MigrationOptions options) {
  if (current.empty() || next.empty()) return InvalidArgumentError("prepare: empty slot table");
  if (next.version() != current.version() + 1 || next.slot_count() != current.slot_count()) {
    return InvalidArgumentError("prepare: table v" + std::to_string(next.version()) +
                                " does not follow v" + std::to_string(current.version()));
  }
  if (options.max_inflight == 0 || options.slots_per_sec == 0) {
    return InvalidArgumentError("prepare: the mover needs a positive rate and window");
  }
  if (in_transition_) {
    if (core_.table == next) return OkStatus();  // a retried prepare after our switch
    return FailedPreconditionError("prepare v" + std::to_string(next.version()) +
                                   ": the transition to v" + std::to_string(core_.table.version()) +
                                   " has not completed");
  }
  if (!next_.empty()) {
    if (next_ == next) return OkStatus();
    return FailedPreconditionError("prepare v" + std::to_string(next.version()) + ": v" +
                                   std::to_string(next_.version()) + " is already prepared");
  }
  if (!(core_.table == current)) {
    // Only an instance that holds and homes nothing (a newcomer) may adopt the table in force.
    if (!directory_.empty() || !mw_home_.empty() || holder_.entries() != 0) {
      return FailedPreconditionError("prepare: this instance is at table v" +
                                     std::to_string(core_.table.version()) + ", not v" +
                                     std::to_string(current.version()));
    }
    core_.table = current;
  }
  next_ = next;
  options_ = options;
  log_->debug("prepared v{} (in force v{}): {}, {} slots/s, {} in flight", next_.version(),
              core_.table.version(),
              options_.mode == MigrationMode::kGradual ? "gradual" : "stop-and-copy",
              options_.slots_per_sec, options_.max_inflight);
  return OkStatus();
}

Status SlotMigration::Abort(uint64_t version) {
  if (!next_.empty() && next_.version() == version) {
    next_ = keyspace::SlotTable();
    log_->debug("aborted prepared v{}", version);
    return OkStatus();
  }
  if (in_transition_ && core_.table.version() == version) {
    return FailedPreconditionError("abort v" + std::to_string(version) + ": already switched");
  }
  return OkStatus();
}

Status SlotMigration::Switch(uint64_t version) {
  if (!next_.empty() && next_.version() == version) {
    DoSwitch();
    return OkStatus();
  }
  const bool switched_already = core_.table.version() == version && !core_.table.empty();
  if (switched_already) return OkStatus();
  return FailedPreconditionError("switch: table v" + std::to_string(version) +
                                 " was not prepared here");
}

void SlotMigration::DoSwitch() {
  const uint64_t now = core_.Now();
  previous_ = std::move(core_.table);
  core_.table = std::move(next_);
  next_ = keyspace::SlotTable();
  in_transition_ = true;
  mstats_.switched_at_ns = now;
  mstats_.settled_at_ns = 0;
  mstats_.slots_in_event = 0;
  mstats_.departing = !core_.table.IsMember(core_.self);
  handback_ = Handback::kNotStarted;
  pulled_ = false;
  incoming_.clear();
  outgoing_.clear();
  mover_order_.clear();
  mover_next_ = 0;
  mover_inflight_ = 0;
  mover_tokens_ = 0;
  mover_last_ns_ = now;
  incoming_left_ = 0;
  for (const keyspace::SlotMove& mv : keyspace::Diff(previous_, core_.table)) {
    if (mv.to == core_.self) {
      incoming_[mv.slot].from = mv.from;
      mover_order_.push_back(mv.slot);
      ++incoming_left_;
    } else if (mv.from == core_.self) {
      outgoing_[mv.slot].to = mv.to;
    }
  }
  if (!outgoing_.empty()) {
    for (const auto& [k, d] : directory_.entries()) NoteHomed(k);
    for (const auto& [k, o] : mw_home_.objects()) NoteHomed(k);
  }
  // Every peer of either table gets our marker; we wait for theirs before handing slots over.
  std::vector<InstanceId> peers = previous_.instances();
  peers.insert(peers.end(), core_.table.instances().begin(), core_.table.instances().end());
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  peers.erase(std::remove(peers.begin(), peers.end(), core_.self), peers.end());
  markers_missing_ = peers;
  ObjectMessage marker;
  marker.origin = core_.self;
  marker.a = core_.table.version();
  for (InstanceId p : peers) core_.Send(p, ObjectMessageType::kSwitched, marker);
  // Markers that arrived before we were prepared.
  for (auto it = early_markers_.begin(); it != early_markers_.end();) {
    if (it->first == core_.table.version()) {
      markers_missing_.erase(
          std::remove(markers_missing_.begin(), markers_missing_.end(), it->second),
          markers_missing_.end());
      it = early_markers_.erase(it);
    } else {
      ++it;
    }
  }
  log_->debug("switched v{} -> v{}: {} slots incoming, {} outgoing, {} markers missing{}",
              previous_.version(), core_.table.version(), incoming_.size(), outgoing_.size(),
              markers_missing_.size(), mstats_.departing ? ", departing" : "");
  if (options_.mode == MigrationMode::kStopAndCopy) {
    for (uint32_t slot : mover_order_) SendPull(slot);
    mstats_.pulls_background += mover_order_.size();
    mover_next_ = mover_order_.size();
  }
  if (markers_missing_.empty()) AnswerDeferredPulls();
  MaybeSettled();
}

Status SlotMigration::Complete(uint64_t version) {
  if (!in_transition_) {
    const bool completed_already = core_.table.version() == version && !core_.table.empty();
    if (completed_already) return OkStatus();
    return FailedPreconditionError("complete: no transition to v" + std::to_string(version));
  }
  if (core_.table.version() != version) {
    return FailedPreconditionError("complete v" + std::to_string(version) +
                                   ": the transition here is to v" +
                                   std::to_string(core_.table.version()));
  }
  MaybeSettled();
  if (mstats_.settled_at_ns == 0) {
    return FailedPreconditionError("complete v" + std::to_string(version) + ": not settled (" +
                                   std::to_string(incoming_left_) + " slots to receive, " +
                                   std::to_string(outgoing_.size()) + " to hand over, " +
                                   std::to_string(holder_.entries()) + " objects held)");
  }
  previous_ = keyspace::SlotTable();
  in_transition_ = false;
  markers_missing_.clear();
  deferred_pulls_.clear();
  std::erase_if(early_markers_, [version](const auto& m) { return m.first <= version; });
  log_->debug("completed v{}: {} slots in, {} out, {} objects in, {} out (totals)", version,
              mstats_.slots_in, mstats_.slots_out, mstats_.objects_in, mstats_.objects_out);
  return OkStatus();
}

MigrationStatus SlotMigration::status() const {
  MigrationStatus s = mstats_;
  s.version = core_.table.version();
  s.next_version = next_.version();
  s.in_transition = in_transition_;
  s.incoming_left = incoming_left_;
  s.outgoing_left = static_cast<uint32_t>(outgoing_.size());
  s.markers_missing = static_cast<uint32_t>(markers_missing_.size());
  s.held = holder_.entries();
  s.handbacks_pending = handback_reqs_.size();
  return s;
}

void SlotMigration::OnSwitched(const ObjectMessage& m) {
  const uint64_t version = m.a;
  if (!next_.empty() && next_.version() == version) DoSwitch();
  if (in_transition_ && core_.table.version() == version) {
    const auto it = std::find(markers_missing_.begin(), markers_missing_.end(), m.origin);
    if (it == markers_missing_.end()) {
      ++core_.stats.unexpected;
      return;
    }
    markers_missing_.erase(it);
    log_->trace("v{}: marker from {}, {} missing", version, ToUint(m.origin),
                markers_missing_.size());
    if (markers_missing_.empty()) {
      log_->debug("v{}: every peer's marker is in; answering {} deferred pulls", version,
                  deferred_pulls_.size());
      AnswerDeferredPulls();
    }
    return;
  }
  if (version > core_.table.version()) {
    early_markers_.emplace_back(version, m.origin);
    return;
  }
  ++core_.stats.unexpected;  // a marker of a finished transition
}

void SlotMigration::SendPull(uint32_t slot) {
  auto it = incoming_.find(slot);
  S6_CHECK(it != incoming_.end());
  it->second.requested = true;
  if (!pulled_) {
    pulled_ = true;
    log_->debug("v{}: first slot pull ({} slots to receive)", core_.table.version(),
                incoming_left_);
  }
  log_->trace("v{}: pull slot {} from {}", core_.table.version(), slot, ToUint(it->second.from));
  ObjectMessage msg;
  msg.origin = core_.self;
  msg.a = core_.table.version();
  msg.b = slot;
  core_.Send(it->second.from, ObjectMessageType::kSlotPull, msg);
}

void SlotMigration::OnSlotPull(const ObjectMessage& m) {
  // A pull can overtake the controller's switch command (never our own preparation).
  if (!next_.empty() && next_.version() == m.a) DoSwitch();
  if (!in_transition_ || core_.table.version() != m.a || m.b >= core_.table.slot_count()) {
    ++core_.stats.unexpected;
    return;
  }
  const auto slot = static_cast<uint32_t>(m.b);
  auto it = outgoing_.find(slot);
  if (it == outgoing_.end() || it->second.to != m.origin) {
    ++core_.stats.unexpected;  // a duplicate pull, or one for a slot that is not ours to give
    return;
  }
  if (!markers_missing_.empty()) {
    // Some peer may still send us messages routed by the old table: hand over after them.
    deferred_pulls_.emplace_back(slot, m.origin);
    log_->trace("v{}: pull of slot {} by {} waits for {} markers", m.a, slot, ToUint(m.origin),
                markers_missing_.size());
    return;
  }
  HandOver(slot, m.origin);
}

void SlotMigration::AnswerDeferredPulls() {
  std::vector<std::pair<uint32_t, InstanceId>> pulls = std::move(deferred_pulls_);
  deferred_pulls_.clear();
  for (const auto& [slot, to] : pulls) {
    auto it = outgoing_.find(slot);
    if (it != outgoing_.end() && it->second.to == to) HandOver(slot, to);
  }
}

void SlotMigration::HandOver(uint32_t slot, InstanceId to) {
  auto it = outgoing_.find(slot);
  S6_CHECK(it != outgoing_.end());
  std::vector<ObjectKey> keys = std::move(it->second.keys);
  outgoing_.erase(it);

  std::vector<std::pair<ObjectKey, DirEntry>> dir;
  std::vector<std::pair<ObjectKey, OwnedObject>> mw;
  for (ObjectKey& k : keys) {
    if (std::optional<DirEntry> d = directory_.Take(k)) {
      dir.emplace_back(std::move(k), *d);
    } else if (std::optional<OwnedObject> o = mw_home_.Take(k)) {
      mw.emplace_back(std::move(k), *o);
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
  msg.origin = core_.self;
  msg.a = core_.table.version();
  msg.b = slot;
  msg.body = body.span();
  core_.Send(to, ObjectMessageType::kSlotData, msg);
  log_->trace("v{}: slot {} handed over to {}: {} directory entries, {} objects, {} bytes",
              core_.table.version(), slot, ToUint(to), dir.size(), mw.size(), body.size());
  if (outgoing_.empty()) {
    log_->debug("v{}: every outgoing slot handed over", core_.table.version());
  }
  ++mstats_.slots_out;
  mstats_.objects_out += dir.size() + mw.size();
  MaybeSettled();
}

void SlotMigration::OnSlotData(const ObjectMessage& m) {
  if (!in_transition_ || core_.table.version() != m.a) {
    ++core_.stats.unexpected;
    return;
  }
  const auto slot = static_cast<uint32_t>(m.b);
  auto in = incoming_.find(slot);
  if (in == incoming_.end() || in->second.arrived || in->second.from != m.origin) {
    ++core_.stats.unexpected;
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
    d.map = ok ? core_.maps.Find(map) : nullptr;
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
    o.map = ok ? core_.maps.Find(map) : nullptr;
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
    ++core_.stats.malformed;
    log_->debug("v{}: slot {} from {}: malformed slot data ({} bytes) dropped", m.a, slot,
                ToUint(m.origin), m.body.size());
    return;  // the slot stays incoming: its users time out, the controller sees it unsettled
  }
  if (mstats_.slots_in_event == 0) {
    // The first slot of this event: size the tables for all of them at once (rehashing tens of
    // thousands of entries while packets wait is what we avoid).
    const std::size_t slots = incoming_.size();
    directory_.Reserve(directory_.size() + dir.size() * slots + slots);
    mw_home_.Reserve(mw_home_.size() + mw.size() * slots);
  }
  ++mstats_.slots_in_event;
  for (const Dir& d : dir) {
    if (!directory_.Install(core_.MakeKey(d.map->id, d.key), DirEntry{d.holder, d.req})) {
      ++core_.stats.unexpected;
    }
  }
  for (const Mw& o : mw) {
    if (!mw_home_.Install(core_.MakeKey(o.map->id, o.key), OwnedObject{o.object, o.map})) {
      o.map->ops->destroy(o.object);
      ++core_.stats.unexpected;
    }
  }
  mstats_.objects_in += dir.size() + mw.size();
  ++mstats_.slots_in;
  --incoming_left_;
  log_->trace("v{}: slot {} arrived from {}: {} directory entries, {} objects, {} queued", m.a,
              slot, ToUint(m.origin), dir.size(), mw.size(), in->second.queued.size());
  if (incoming_left_ == 0) {
    log_->debug("v{}: every incoming slot arrived ({} this event)", m.a, mstats_.slots_in_event);
  }
  if (options_.mode == MigrationMode::kGradual) {
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

void SlotMigration::ReleaseSlotQueue(uint32_t slot) {
  auto node = incoming_.extract(slot);
  if (node.empty()) return;
  std::vector<std::pair<uint16_t, ByteBuffer>> queued = std::move(node.mapped().queued);
  for (auto& [type, bytes] : queued) replay_(type, bytes.span());
}

void SlotMigration::OnSwHandback(const ObjectMessage& m) {
  const MapInfo* mi = core_.KnownMap(m.map);
  if (mi == nullptr) return;
  if (mi->kind != ObjectKind::kSingleWriter) {
    ++core_.stats.unexpected;
    return;
  }
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  if (ForwardIfNotHome(ObjectMessageType::kSwHandback, m, k)) return;
  DirEntry* d = directory_.Find(k);
  if (d == nullptr || d->holder != m.origin || d->req != m.a || holder_.FindHeld(k) != nullptr) {
    ++core_.stats.unexpected;  // someone's recall is already on its way to the holder
    return;
  }
  // Acquire it for ourselves, as if a local user had asked: an ordinary recall.
  SwHolder::SwEntry& e = holder_.AddEntry(k, *mi, core_.NextRequestId());
  e.sent_mode = AcquireMode::kLookup;  // if it is gone meanwhile, do not invent a new one
  *d = DirEntry{core_.self, e.req};
  ObjectMessage r;
  r.req = e.req;
  r.origin = core_.self;
  r.code = static_cast<uint8_t>(AcquireMode::kLookup);
  r.map = m.map;
  r.key = m.key;
  r.a = m.a;
  core_.Send(m.origin, ObjectMessageType::kSwRecall, r);
  holder_.ArmAcquireTimeout(k, e.req);
  handback_reqs_.insert(e.req);
  ++core_.stats.dir_recalls;
  ++mstats_.handbacks_taken;
  MaybeSettled();
}

bool SlotMigration::Run() {
  if (!in_transition_) return false;
  const uint64_t now = core_.CoarseNow();
  bool did = false;
  if (options_.mode == MigrationMode::kGradual && mover_next_ < mover_order_.size()) {
    did = RunMover(now);
  }
  if (mstats_.departing && outgoing_.empty() && now - last_handback_ns_ >= kHandbackScanNs) {
    did = RunHandback(now) || did;
  }
  MaybeSettled();
  return did;
}

bool SlotMigration::RunMover(uint64_t now) {
  bool did = false;
  const double elapsed_s = static_cast<double>(now - mover_last_ns_) * 1e-9;
  mover_last_ns_ = now;
  mover_tokens_ = std::min(mover_tokens_ + elapsed_s * options_.slots_per_sec,
                           static_cast<double>(options_.max_inflight));
  while (mover_next_ < mover_order_.size() && mover_inflight_ < options_.max_inflight &&
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
  return did;
}

bool SlotMigration::RunHandback(uint64_t now) {
  last_handback_ns_ = now;
  if (handback_ == Handback::kNotStarted) {
    handback_ = Handback::kRunning;
    log_->debug("v{}: slots handed over, hand-back of {} held objects starts",
                core_.table.version(), holder_.entries());
  }
  const std::size_t offered = holder_.OfferBack(
      now, kHandbackBatch, kHandbackRetryNs, [this](const ObjectKey& k, uint64_t stay) {
        ObjectMessage msg;
        msg.origin = core_.self;
        msg.map = k.map;
        msg.key = Bytes(k.bytes);
        msg.a = stay;
        core_.Send(core_.HomeOf(k), ObjectMessageType::kSwHandback, msg);
        ++mstats_.handbacks_sent;
      });
  if (offered != 0) {
    log_->trace("hand-back round: {} offered, {} held", offered, holder_.entries());
  }
  return offered != 0;
}

void SlotMigration::MaybeSettled() {
  if (!in_transition_) return;
  const bool settled = status().settled();  // the one statement of the rule
  // Not sticky: a hand-back taken after the slots arrived unsettles the home again until the
  // object is here (the departing instance must not be let go with it in flight).
  if (!settled) {
    if (mstats_.settled_at_ns != 0) log_->trace("v{}: not settled any more", core_.table.version());
    mstats_.settled_at_ns = 0;
  } else if (mstats_.settled_at_ns == 0) {
    mstats_.settled_at_ns = core_.Now();
    log_->debug("v{}: settled ({} us after the switch)", core_.table.version(),
                (mstats_.settled_at_ns - mstats_.switched_at_ns) / 1000);
  }
  if (handback_ == Handback::kRunning && holder_.entries() == 0) {
    handback_ = Handback::kDone;
    log_->debug("v{}: hand-back done, nothing held here", core_.table.version());
  }
}

}  // namespace s6::objspace

// SPDX-License-Identifier: Apache-2.0
// File: objspace/space_core.h
//
// What every part of the object space shares (object_space.h describes the parts).
//
// Theory of operation: the object space is split by job — the SingleWriter holder side
// (sw_holder.h), the SingleWriter home directory (sw_directory.h), the MultiWriter home
// (mw_home.h), the MultiWriter caller side (mw_caller.h) and slot migration (migration.h) —
// and ObjectSpace (object_space.h) owns them and dispatches to them. What they all need lives
// here, once, in a SpaceCore the coordinator owns and passes to each part by reference:
//  - names: ObjectKey (map id, key bytes, hash) and the MapRegistry of registered maps;
//  - where things are: this instance's id and the slot table in force (HomeOf);
//  - how to talk: Send, to a peer through the transport or to this instance through a local
//    queue that the loop pumps (a message to oneself takes the same path as any other, so it
//    is ordered behind what is already queued);
//  - time and waiting: the clock, the loop time, the micro-thread scheduler, the timer queue,
//    and request ids with their deadlines (one FIFO for acquisitions and calls alike);
//  - the counters (ObjectSpaceStats), which every part bumps.
// Everything runs on the instance's data-plane thread; nothing here is synchronized.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <s6/clock.h>
#include <s6/space.h>
#include "keyspace/slot_table.h"
#include "objspace/space_stats.h"
#include "objspace/timer_queue.h"
#include "objspace/wire.h"
#include "transport/transport.h"
#include "uthread/scheduler.h"

namespace s6::objspace {

/// Parameters of an object space (ObjectSpace::Options).
struct SpaceOptions {
  /// Bound of S6_STALE methods without S6_STALE_MS.
  uint32_t default_stale_ms = 50;
  /// A request (acquire, strict call, touch, stale fill) unanswered this long fails.
  std::chrono::nanoseconds call_timeout = std::chrono::seconds(2);
  /// Cached stale results kept at most (expired ones are evicted beyond this).
  std::size_t max_stale_entries = 1 << 16;
};

/// An object's name: (map id, canonical key bytes), with its hash (slot and table bucket).
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

/// One registered map.
struct MapInfo {
  uint64_t id = 0;
  std::string name;
  ObjectKind kind{};
  const ObjectOps* ops = nullptr;
  uint64_t default_idle_ns = 0;  // SingleWriter idle expiry (0: none)
  std::function<void(std::span<const uint8_t>, void*)> on_expire;
};

/// The maps of this instance, registered before it starts and sealed after. Entries never move
/// once registered (node-based map), so parts keep `const MapInfo*`.
class MapRegistry {
 public:
  uint64_t Register(std::string_view name, ObjectKind kind, const ObjectOps& ops);
  void Seal() { sealed_ = true; }
  /// Hash over every map (ids, kinds, schemas): equal iff two instances agree.
  uint64_t SchemaHash() const;
  const MapInfo* Find(uint64_t id) const {
    auto it = maps_.find(id);
    return it == maps_.end() ? nullptr : &it->second;
  }
  const MapInfo& OrDie(uint64_t id) const;
  void SetExpiry(uint64_t id, std::chrono::nanoseconds default_timeout,
                 std::function<void(std::span<const uint8_t>, void*)> on_expire);

 private:
  std::unordered_map<uint64_t, MapInfo> maps_;
  bool sealed_ = false;
};

/// The context shared by the parts of one object space (see the theory of operation above).
/// A struct: the parts read and bump its fields directly; its helpers are the operations that
/// would otherwise be repeated in every part.
struct SpaceCore {
  SpaceCore(InstanceId self_id, uthread::Scheduler& sched, const Clock& clk, SpaceOptions opts)
      : self(self_id), scheduler(sched), clock(clk), options(opts) {}

  // --- names and homes ---
  ObjectKey MakeKey(uint64_t map, std::span<const uint8_t> key) const;
  /// FindMap for incoming messages: counts unknown maps.
  const MapInfo* KnownMap(uint64_t id) {
    const MapInfo* mi = maps.Find(id);
    if (mi == nullptr) ++stats.unknown_map;  // a message for a map this binary doesn't have
    return mi;
  }
  InstanceId HomeOf(const ObjectKey& k) const {
    return table.empty() ? self : table.HomeOf(k.hash);
  }
  uint32_t SlotOfKey(const ObjectKey& k) const {
    return keyspace::SlotOf(k.hash, table.slot_count());
  }

  // --- messages ---
  /// Encodes `m` and sends it to `to` (this instance: the local queue).
  void Send(InstanceId to, ObjectMessageType type, const ObjectMessage& m);

  // --- time and waiting ---
  uint64_t Now() const { return clock.NowNs(); }
  /// The loop iteration's time (SetLoopTime) where one iteration's precision is enough.
  uint64_t CoarseNow() const { return loop_now_ns != 0 ? loop_now_ns : clock.NowNs(); }
  void RequireFiber(const char* what) const;
  uint64_t NextRequestId() { return next_req_++; }
  /// Request `req` fails if unanswered `call_timeout` from now; `key` names a SingleWriter
  /// acquisition (none: a call, touch or stale fill).
  void AddDeadline(uint64_t now_ns, uint64_t req, std::optional<ObjectKey> key) {
    deadlines.push_back(
        {now_ns + static_cast<uint64_t>(options.call_timeout.count()), req, std::move(key)});
  }

  const InstanceId self;
  uthread::Scheduler& scheduler;
  const Clock& clock;
  const SpaceOptions options;
  transport::Transport* transport = nullptr;  // not owned; set before any remote access
  keyspace::SlotTable table;                  // in force: every routing decision uses it
  MapRegistry maps;
  ObjectSpaceStats stats;  // counters; the gauges are filled in by ObjectSpace::stats()
  TimerQueue timers;
  /// Request deadlines. Every request gets the same timeout, so deadlines are added in
  /// deadline order and a FIFO is a priority queue; answered requests are skipped when their
  /// deadline comes (no timer per request, nothing to cancel).
  struct Deadline {
    uint64_t at_ns = 0;
    uint64_t req = 0;
    std::optional<ObjectKey> key;  // set for SingleWriter acquisitions
  };
  std::deque<Deadline> deadlines;
  std::deque<std::pair<uint16_t, ByteBuffer>> local;  // messages to ourselves
  uint64_t loop_now_ns = 0;                           // SetLoopTime

 private:
  ByteBuffer scratch_;  // Send's encoding buffer (reused: no allocation per message)
  uint64_t next_req_ = 1;
};

}  // namespace s6::objspace

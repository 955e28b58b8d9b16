// SPDX-License-Identifier: Apache-2.0
// File: objspace/sw_directory.h
//
// SwDirectory: the home's side of SingleWriter objects — who holds each object homed here.
//
// Theory of operation: the home keeps key -> (holder, id of the request that made it the holder:
// the object's *stay* there). Recalls and removals name the stay, so one meant for a stay that
// already ended (the holder removed the object and asked for it again) is answered "gone"
// instead of being applied to the new stay. On kSwAcquire the home
//   - with no entry: records the requester as holder and answers kSwGrant (created, or absent
//     for a lookup);
//   - with a holder X: records the requester as the new holder *at once* and sends kSwRecall to
//     X, which sends the object straight to the requester when no ref on X uses it. Because the
//     home re-designates immediately, a third requester's recall goes to the second, so each
//     designated holder receives at most one recall per stay, and requests queue in the order
//     the home saw them.
// kSwRemove is applied only if the sender is still the recorded holder for that stay. Messages
// for keys homed elsewhere, or in a slot still on its way here, are routed by SlotMigration.
// Slot migration also moves entries out of (Take) and into (Install) the directory.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>

#include "objspace/space_core.h"

namespace s6::objspace {

class SlotMigration;

/// Who holds a SingleWriter object, and the acquire request that made it the holder.
struct DirEntry {
  InstanceId holder{};
  uint64_t req = 0;
};

class SwDirectory {
 public:
  using Entries = std::unordered_map<ObjectKey, DirEntry, ObjectKeyHash>;

  SwDirectory(SpaceCore& core, SlotMigration& migration) : core_(core), migration_(migration) {}
  SwDirectory(const SwDirectory&) = delete;
  SwDirectory& operator=(const SwDirectory&) = delete;

  void OnSwAcquire(const ObjectMessage& m);
  void OnSwRemove(const ObjectMessage& m);

  // --- the holder's local fast paths (home is here, slot not in flight) ---
  bool Contains(const ObjectKey& k) const { return entries_.contains(k); }
  /// Records `k` as held by `d` (k must not be recorded).
  void Record(const ObjectKey& k, DirEntry d) { entries_.emplace(k, d); }
  /// Forgets `k` if it is still recorded at `holder` for stay `req`. False if not.
  bool EraseStay(const ObjectKey& k, InstanceId holder, uint64_t req);
  /// The entry of `k`, or null (hand-back re-designates through it).
  DirEntry* Find(const ObjectKey& k) {
    auto it = entries_.find(k);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // --- slot migration ---
  /// Removes and returns `k`'s entry, if any.
  std::optional<DirEntry> Take(const ObjectKey& k);
  /// Adds an entry received with a slot; false if `k` is recorded already (kept as is).
  bool Install(ObjectKey k, DirEntry d) { return entries_.emplace(std::move(k), d).second; }
  void Reserve(std::size_t n) { entries_.reserve(n); }
  const Entries& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  SpaceCore& core_;
  SlotMigration& migration_;
  Entries entries_;
};

}  // namespace s6::objspace

// SPDX-License-Identifier: Apache-2.0
// File: objspace/mw_home.h
//
// MwHome: the MultiWriter objects homed here, and the calls that run on them.
//
// Theory of operation: a MultiWriter object lives at its home, created on first use (a call or
// get_or_create). A call by a local micro-thread runs directly (CallLocal, no message); a call
// from another instance arrives as kMwCall, runs in arrival order on the per-peer ordered
// channel (so a caller's untether calls and later strict calls are FIFO) and is answered with
// kMwReply unless it was untethered (req 0). kMwTouch creates, looks up or removes an object.
// Messages for keys homed elsewhere, or in a slot still on its way here, are routed by
// SlotMigration; slot migration also moves objects out (Take) and in (Install). The objects are
// owned here and destroyed with the space.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

#include "objspace/space_core.h"

namespace s6::objspace {

class SlotMigration;

/// A MultiWriter object and the map whose ops create, encode and destroy it.
struct OwnedObject {
  void* object = nullptr;
  const MapInfo* map = nullptr;
};

class MwHome {
 public:
  using Objects = std::unordered_map<ObjectKey, OwnedObject, ObjectKeyHash>;

  MwHome(SpaceCore& core, SlotMigration& migration) : core_(core), migration_(migration) {}
  ~MwHome();
  MwHome(const MwHome&) = delete;
  MwHome& operator=(const MwHome&) = delete;

  /// Runs a local caller's call (this instance is the home, the slot is here).
  CallStatus CallLocal(const ObjectKey& k, const MapInfo& mi, const MethodDescriptor& m,
                       const ByteBuffer& args, ByteBuffer& reply);
  MwTouchResult TouchLocal(const ObjectKey& k, const MapInfo& mi, MwTouchOp op);
  void OnMwCall(const ObjectMessage& m);
  void OnMwTouch(const ObjectMessage& m);

  /// Calls fn(key, object) for every object of `map`.
  template <typename Fn>
  void ForEach(uint64_t map, Fn&& fn) {
    for (auto& [k, o] : objects_) {
      if (k.map == map) fn(Bytes(k.bytes), o.object);
    }
  }

  // --- slot migration ---
  /// Removes and returns `k`'s object (now owned by the caller), if any.
  std::optional<OwnedObject> Take(const ObjectKey& k);
  /// Adopts an object received with a slot; false (object not adopted) if `k` exists already.
  bool Install(ObjectKey k, OwnedObject o) { return objects_.emplace(std::move(k), o).second; }
  void Reserve(std::size_t n) { objects_.reserve(n); }
  const Objects& objects() const { return objects_; }
  std::size_t size() const { return objects_.size(); }
  bool empty() const { return objects_.empty(); }

 private:
  void* FindOrCreate(const ObjectKey& k, const MapInfo& mi);

  SpaceCore& core_;
  SlotMigration& migration_;
  Objects objects_;
};

}  // namespace s6::objspace

// SPDX-License-Identifier: Apache-2.0
// File: objspace/mw_home.cc — see mw_home.h.
#include "objspace/mw_home.h"

#include "objspace/migration.h"

namespace s6::objspace {

MwHome::~MwHome() {
  for (auto& [k, o] : objects_) o.map->ops->destroy(o.object);
}

void* MwHome::FindOrCreate(const ObjectKey& k, const MapInfo& mi) {
  auto it = objects_.find(k);
  if (it != objects_.end()) return it->second.object;
  void* object = mi.ops->create();
  objects_.emplace(k, OwnedObject{object, &mi});
  migration_.NoteHomed(k);
  ++core_.stats.mw_created;
  return object;
}

CallStatus MwHome::CallLocal(const ObjectKey& k, const MapInfo& mi, const MethodDescriptor& m,
                             const ByteBuffer& args, ByteBuffer& reply) {
  void* object = FindOrCreate(k, mi);
  ByteReader r(args.data(), args.size());
  reply.clear();
  ++core_.stats.mw_local_calls;
  return mi.ops->dispatch(object, m.id, r, reply) == DispatchStatus::kOk ? CallStatus::kOk
                                                                         : CallStatus::kRemoteError;
}

MwTouchResult MwHome::TouchLocal(const ObjectKey& k, const MapInfo& mi, MwTouchOp op) {
  auto it = objects_.find(k);
  switch (op) {
    case MwTouchOp::kGetOrCreate:
      if (it != objects_.end()) return MwTouchResult::kExisted;
      FindOrCreate(k, mi);
      return MwTouchResult::kCreated;
    case MwTouchOp::kLookup:
      return it != objects_.end() ? MwTouchResult::kExisted : MwTouchResult::kAbsent;
    case MwTouchOp::kRemove:
      if (it == objects_.end()) return MwTouchResult::kAbsent;
      mi.ops->destroy(it->second.object);
      objects_.erase(it);
      return MwTouchResult::kRemoved;
  }
  return MwTouchResult::kAbsent;
}

void MwHome::OnMwCall(const ObjectMessage& m) {
  const MapInfo* mi = core_.maps.Find(m.map);
  if (mi == nullptr || mi->kind != ObjectKind::kMultiWriter) {
    ++core_.stats.unknown_map;
    if (m.req != 0) {
      ObjectMessage r;
      r.req = m.req;
      r.origin = core_.self;
      r.code = static_cast<uint8_t>(CallStatus::kRemoteError);
      core_.Send(m.origin, ObjectMessageType::kMwReply, r);
    }
    return;
  }
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  if (migration_.ForwardIfNotHome(ObjectMessageType::kMwCall, m, k)) return;
  void* object = FindOrCreate(k, *mi);
  ByteReader args(m.body.data(), m.body.size());
  ByteBuffer reply;
  const DispatchStatus st = mi->ops->dispatch(object, m.method, args, reply);
  ++core_.stats.mw_calls_served;
  if (m.req == 0) return;
  ObjectMessage r;
  r.req = m.req;
  r.origin = core_.self;
  r.code =
      static_cast<uint8_t>(st == DispatchStatus::kOk ? CallStatus::kOk : CallStatus::kRemoteError);
  r.body = reply.span();
  core_.Send(m.origin, ObjectMessageType::kMwReply, r);
}

void MwHome::OnMwTouch(const ObjectMessage& m) {
  const MapInfo* mi = core_.maps.Find(m.map);
  if (mi == nullptr || mi->kind != ObjectKind::kMultiWriter) {
    ++core_.stats.unknown_map;
    return;
  }
  if (m.code < static_cast<uint8_t>(MwTouchOp::kGetOrCreate) ||
      m.code > static_cast<uint8_t>(MwTouchOp::kRemove)) {
    ++core_.stats.malformed;
    return;
  }
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  if (migration_.ForwardIfNotHome(ObjectMessageType::kMwTouch, m, k)) return;
  ObjectMessage r;
  r.req = m.req;
  r.origin = core_.self;
  r.code = static_cast<uint8_t>(TouchLocal(k, *mi, static_cast<MwTouchOp>(m.code)));
  core_.Send(m.origin, ObjectMessageType::kMwTouchReply, r);
}

std::optional<OwnedObject> MwHome::Take(const ObjectKey& k) {
  auto o = objects_.find(k);
  if (o == objects_.end()) return std::nullopt;
  const OwnedObject owned = o->second;
  objects_.erase(o);
  return owned;
}

}  // namespace s6::objspace

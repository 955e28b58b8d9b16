// SPDX-License-Identifier: Apache-2.0
// File: objspace/sw_directory.cc — see sw_directory.h.
#include "objspace/sw_directory.h"

#include "objspace/migration.h"

namespace s6::objspace {

void SwDirectory::OnSwAcquire(const ObjectMessage& m) {
  if (core_.KnownMap(m.map) == nullptr) return;
  if (m.code != static_cast<uint8_t>(AcquireMode::kGetOrCreate) &&
      m.code != static_cast<uint8_t>(AcquireMode::kLookup)) {
    ++core_.stats.malformed;
    return;
  }
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  if (migration_.ForwardIfNotHome(ObjectMessageType::kSwAcquire, m, k)) return;
  auto d = entries_.find(k);
  if (d == entries_.end()) {
    ObjectMessage g;
    g.req = m.req;
    g.origin = core_.self;
    g.map = m.map;
    g.key = m.key;
    if (m.code == static_cast<uint8_t>(AcquireMode::kLookup)) {
      g.code = static_cast<uint8_t>(GrantResult::kAbsent);
    } else {
      g.code = static_cast<uint8_t>(GrantResult::kCreated);
      entries_.emplace(k, DirEntry{m.origin, m.req});
      migration_.NoteHomed(k);
    }
    core_.Send(m.origin, ObjectMessageType::kSwGrant, g);
    ++core_.stats.dir_grants;
    return;
  }
  if (d->second.holder == m.origin) {
    // Recorded as holder already: the object is on its way to it (it stopped waiting and asked
    // again); it will arrive there as a transfer.
    ++core_.stats.unexpected;
    return;
  }
  const DirEntry previous = d->second;
  d->second = DirEntry{m.origin, m.req};
  ObjectMessage r = m;
  r.hops = 0;
  r.a = previous.req;
  core_.Send(previous.holder, ObjectMessageType::kSwRecall, r);
  ++core_.stats.dir_recalls;
}

void SwDirectory::OnSwRemove(const ObjectMessage& m) {
  if (core_.KnownMap(m.map) == nullptr) return;
  const ObjectKey k = core_.MakeKey(m.map, m.key);
  if (migration_.ForwardIfNotHome(ObjectMessageType::kSwRemove, m, k)) return;
  if (!EraseStay(k, m.origin, m.a)) {
    ++core_.stats.unexpected;  // the home moved on to another holder meanwhile
  }
}

bool SwDirectory::EraseStay(const ObjectKey& k, InstanceId holder, uint64_t req) {
  auto d = entries_.find(k);
  if (d == entries_.end() || d->second.holder != holder || d->second.req != req) return false;
  entries_.erase(d);
  return true;
}

std::optional<DirEntry> SwDirectory::Take(const ObjectKey& k) {
  auto d = entries_.find(k);
  if (d == entries_.end()) return std::nullopt;
  const DirEntry e = d->second;
  entries_.erase(d);
  return e;
}

}  // namespace s6::objspace

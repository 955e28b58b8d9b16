// SPDX-License-Identifier: Apache-2.0
// File: objspace/space_core.cc — see space_core.h.
#include "objspace/space_core.h"

#include <algorithm>
#include <vector>

#include <s6/check.h>
#include <s6/hash.h>

namespace s6::objspace {

uint64_t MapRegistry::Register(std::string_view name, ObjectKind kind, const ObjectOps& ops) {
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

uint64_t MapRegistry::SchemaHash() const {
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

const MapInfo& MapRegistry::OrDie(uint64_t id) const {
  const MapInfo* mi = Find(id);
  S6_CHECK(mi != nullptr) << "map id " << id << " is not registered with this instance";
  return *mi;
}

void MapRegistry::SetExpiry(uint64_t id, std::chrono::nanoseconds default_timeout,
                            std::function<void(std::span<const uint8_t>, void*)> on_expire) {
  auto it = maps_.find(id);
  S6_CHECK(it != maps_.end()) << "SetExpiry on unregistered map " << id;
  S6_CHECK(it->second.kind == ObjectKind::kSingleWriter) << "expiry is for SingleWriter maps";
  it->second.default_idle_ns = static_cast<uint64_t>(std::max<int64_t>(0, default_timeout.count()));
  it->second.on_expire = std::move(on_expire);
}

ObjectKey SpaceCore::MakeKey(uint64_t map, std::span<const uint8_t> key) const {
  return ObjectKey{map, HashBytes(key.data(), key.size(), map),
                   std::string(reinterpret_cast<const char*>(key.data()), key.size())};
}

void SpaceCore::RequireFiber(const char* what) const {
  S6_CHECK(scheduler.InFiber()) << "s6: " << what
                                << " must run inside a micro-thread (Instance::Spawn/Post)";
}

void SpaceCore::Send(InstanceId to, ObjectMessageType type, const ObjectMessage& m) {
  scratch_.clear();
  ByteWriter w(scratch_);
  EncodeObjectMessage(m, w);
  if (to == self) {
    local.emplace_back(static_cast<uint16_t>(type), scratch_);
    ++stats.messages_local;
    return;
  }
  S6_CHECK(transport != nullptr) << "object space used before the instance started";
  transport->Send(to, ToTransport(type), scratch_.span());
  ++stats.messages_sent;
  stats.bytes_sent += scratch_.size();
}

}  // namespace s6::objspace

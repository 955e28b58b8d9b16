// SPDX-License-Identifier: Apache-2.0
// File: s6/space.h
//
// The distributed object space as the typed maps (s6/map.h) see it: a type-erased interface
// that the runtime implements (runtime/src/objspace/object_space.h). NF code normally uses the
// maps and refs only; this header is what they are built on.
//
// Theory of operation: a map registers its name and its value type's operations (`ObjectOps`,
// filled from the s6c-generated codec, skeleton and descriptor) and gets a map id. An object is
// named by (map id, canonical key bytes); its home instance follows from the slot table.
//  - SingleWriter: `SwAcquire` returns a `SwHold`, the local copy of the object plus a count of
//    the refs that use it. While any ref is alive the object cannot leave this instance; the
//    refs touch the copy directly (no encoding, no lookup), which is what makes local access
//    cheap. When the last ref goes and the space asked for `attention` (a recall, an expiry, a
//    removal is waiting), the ref tells the space through `SwIdle`.
//  - MultiWriter: a ref owns an `MwBinding` (a RemoteCaller bound to one object) and the
//    generated `Stub<T>` on top of it; every call goes through `Space::MwCall`, which runs it
//    directly when this instance is the home and ships it otherwise.
// Every method must be called from the instance's data-plane thread; those that may wait for
// another instance (acquire, strict and stale calls) must run inside a micro-thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <s6/bytes.h>
#include <s6/call.h>
#include <s6/codec.h>
#include <s6/descriptor.h>
#include <s6/instance_id.h>
#include <s6/object.h>

namespace s6 {

/// Thrown into a micro-thread whose state access cannot complete (home unreachable, call
/// refused, reply malformed, object lost). The runtime catches it at the top of the
/// micro-thread, counts it and ends the micro-thread (the packet is dropped, never processed
/// with made-up state).
class CallAbandoned : public std::runtime_error {
 public:
  CallAbandoned(std::string what, CallStatus status)
      : std::runtime_error(std::move(what)), status_(status) {}
  CallStatus status() const noexcept { return status_; }

 private:
  CallStatus status_;
};

/// Type-erased operations on one state class. `OpsFor<T>()` fills them from generated code.
struct ObjectOps {
  const TypeDescriptor* type = nullptr;
  void* (*create)() = nullptr;                ///< new T() (value-initialised)
  void (*destroy)(void*) noexcept = nullptr;  ///< delete
  void (*encode)(const void*, ByteWriter&) = nullptr;
  bool (*decode)(ByteReader&, void*) = nullptr;  ///< decodes into an existing object
  DispatchStatus (*dispatch)(void*, uint32_t, ByteReader&, ByteBuffer&) = nullptr;
};

/// The operations of state class `T` (one static instance per T).
template <typename T>
const ObjectOps& OpsFor() {
  static const ObjectOps ops{
      &TypeInfo<T>::Descriptor(),
      []() -> void* { return new T(); },
      [](void* p) noexcept { delete static_cast<T*>(p); },
      [](const void* p, ByteWriter& w) { Codec<T>::Encode(w, *static_cast<const T*>(p)); },
      [](ByteReader& r, void* p) { return Codec<T>::Decode(r, *static_cast<T*>(p)); },
      [](void* p, uint32_t id, ByteReader& args, ByteBuffer& reply) {
        return Skeleton<T>::Dispatch(*static_cast<T*>(p), id, args, reply);
      },
  };
  return ops;
}

namespace internal {

/// The local copy of a SingleWriter object, as refs see it. Owned by the space; refs borrow it
/// and count themselves in `refs`.
struct SwHold {
  void* object = nullptr;  ///< the T; valid while refs > 0
  uint32_t refs = 0;       ///< live SwRefs on this instance
  bool attention = false;  ///< call Space::SwIdle when refs drops to 0
  bool removed = false;    ///< removed from the space; the copy lives on until refs is 0
};

}  // namespace internal

/// How an acquisition treats a missing object.
enum class AcquireMode : uint8_t {
  kGetOrCreate = 1,  ///< create a default-constructed object if none exists
  kLookup = 2,       ///< report "absent" if none exists
};

/// What SwAcquire returns.
struct SwAcquireResult {
  internal::SwHold* hold = nullptr;  ///< null: absent (kLookup only)
  bool created = false;              ///< this acquisition created the object
};

/// What a MultiWriter existence operation did at the home.
enum class MwTouchOp : uint8_t { kGetOrCreate = 1, kLookup = 2, kRemove = 3 };
enum class MwTouchResult : uint8_t { kExisted = 1, kCreated = 2, kAbsent = 3, kRemoved = 4 };

class MwBinding;

/// The object space. See the theory of operation above.
class Space {
 public:
  virtual ~Space() = default;

  /// Registers map `name` holding `kind` objects with `ops`; returns its id, derived from the
  /// name and the value type's schema hash (so every instance computes the same id). Maps must
  /// be registered before the instance starts; registering the same name again with the same
  /// type returns the same id, with another type is a checked error.
  virtual uint64_t RegisterMap(std::string_view name, ObjectKind kind, const ObjectOps& ops) = 0;

  /// Gets the SingleWriter object (map, key) onto this instance and holds it (refs + 1). May
  /// suspend the calling micro-thread while the object travels here. Throws CallAbandoned if
  /// the object cannot be obtained.
  virtual SwAcquireResult SwAcquire(uint64_t map, std::span<const uint8_t> key,
                                    AcquireMode mode) = 0;
  /// Called by a ref when `hold->refs` dropped to 0 while `hold->attention` was set.
  virtual void SwIdle(internal::SwHold* hold) noexcept = 0;
  /// Removes the held object from the space. The hold stays valid for its remaining refs
  /// (detached, `removed` set); the caller's own ref must still be released. Returns false if
  /// it was removed already (through another ref).
  virtual bool SwRemove(internal::SwHold* hold) = 0;
  /// Sets the object's idle timeout: it is removed (after the map's expiry handler ran) once
  /// no ref used it for `timeout`. Zero disables expiry. Travels with the object.
  virtual void SwSetIdleTimeout(internal::SwHold* hold, std::chrono::nanoseconds timeout) = 0;

  /// Ships (or runs locally) one call of a stub bound by `binding`. See RemoteCaller::Call.
  virtual CallStatus MwCall(const MwBinding& binding, const MethodDescriptor& m,
                            const ByteBuffer& args, ByteBuffer& reply) = 0;
  /// Creates, looks up or removes the MultiWriter object at its home (strict: may suspend).
  virtual MwTouchResult MwTouch(uint64_t map, std::span<const uint8_t> key, MwTouchOp op) = 0;

  /// Calls `fn(key bytes, object)` for every object of `map` this instance holds
  /// (SingleWriter) or homes (MultiWriter). `fn` must not acquire, remove or suspend.
  virtual void ForEachLocal(uint64_t map,
                            const std::function<void(std::span<const uint8_t>, void*)>& fn) = 0;

  /// Sets the handler run (in a micro-thread, holding the object) before an idle SingleWriter
  /// object of `map` is removed by expiry, and the map's default idle timeout (0: none).
  virtual void SetExpiry(uint64_t map, std::chrono::nanoseconds default_timeout,
                         std::function<void(std::span<const uint8_t>, void*)> on_expire) = 0;

  /// This instance.
  virtual InstanceId self() const = 0;
};

/// A RemoteCaller bound to one MultiWriter object: what a generated Stub<T> calls through.
class MwBinding final : public RemoteCaller {
 public:
  MwBinding(Space& space, uint64_t map, std::span<const uint8_t> key) : space_(&space), map_(map) {
    key_.Append(key.data(), key.size());
  }
  MwBinding(const MwBinding&) = default;
  MwBinding& operator=(const MwBinding&) = default;
  MwBinding(MwBinding&&) noexcept = default;
  MwBinding& operator=(MwBinding&&) noexcept = default;
  ~MwBinding() override = default;

  CallStatus Call(const MethodDescriptor& m, const ByteBuffer& args, ByteBuffer& reply) override {
    return space_->MwCall(*this, m, args, reply);
  }
  [[noreturn]] void Abandon(const MethodDescriptor& m, CallStatus why) override {
    throw CallAbandoned("s6: call to '" + std::string(m.signature) + "' abandoned (status " +
                            std::to_string(static_cast<int>(why)) + ")",
                        why);
  }

  Space& space() const noexcept { return *space_; }
  uint64_t map() const noexcept { return map_; }
  std::span<const uint8_t> key() const noexcept { return key_.span(); }

 private:
  Space* space_;  // not owned
  uint64_t map_;
  ByteBuffer key_;
};

}  // namespace s6

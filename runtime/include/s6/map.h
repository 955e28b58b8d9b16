// SPDX-License-Identifier: Apache-2.0
// File: s6/map.h
//
// Named, typed maps of the distributed object space and the RAII refs they hand out.
//
//   struct Nf {
//     explicit Nf(s6::Space& s) : flows(s, "nat.flows"), pools(s, "nat.pools") {}
//     s6::SwMap<FlowKey, NatEntry> flows;   // per-flow state: moves to its user
//     s6::MwMap<PoolKey, PortPool> pools;   // shared state: stays home, calls are shipped
//   };
//   auto e = nf.flows.get_or_create(key);   // may suspend while the object travels here
//   if (e.created()) e->set_public_port(nf.pools.get(pool_key)->allocate(hash));
//
// Theory of operation: a map is a light handle (its id and a Space&); the objects live in the
// space. Refs are what keep things safe:
//  - `SwRef<V>` holds the local copy of a SingleWriter object. While it lives the object stays
//    on this instance; `->` is a plain pointer access (no encoding, no lookup). Copying adds a
//    hold, moving transfers it, assigning releases the old one first, destruction releases:
//    the count can never leak (the original S6's copy-assignment leaked it and locked objects
//    in place forever).
//  - `MwRef<V>` holds a binding to a MultiWriter object; `->` is the s6c-generated stub, whose
//    calls run at the object's home (directly when that is this instance).
// Refs belong to the instance's data-plane thread and must not outlive the map's Space.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include <s6/bytes.h>
#include <s6/check.h>
#include <s6/codec.h>
#include <s6/space.h>

namespace s6 {

namespace internal {

/// The canonical key bytes of `key` (inline buffer: no allocation for keys up to 120 bytes).
template <typename K>
ByteBuffer EncodeKey(const K& key) {
  ByteBuffer b;
  ByteWriter w(b);
  Codec<K>::Encode(w, key);
  return b;
}

template <typename K>
bool DecodeKey(std::span<const uint8_t> bytes, K& key) {
  return DecodeExact(bytes.data(), bytes.size(), key);
}

/// Space::ForEachLocal with typed keys and objects: `fn(const K&, V&)`.
template <typename K, typename V, typename Fn>
void ForEachLocalTyped(Space& space, uint64_t map, Fn& fn) {
  space.ForEachLocal(map, [&fn](std::span<const uint8_t> kb, void* obj) {
    K key{};
    if (DecodeKey(kb, key)) fn(static_cast<const K&>(key), *static_cast<V*>(obj));
  });
}

}  // namespace internal

/// A hold on the local copy of a SingleWriter object (or empty). See the file comment.
template <typename V>
class SwRef {
 public:
  /// The empty ref.
  SwRef() noexcept = default;
  SwRef(const SwRef& other) noexcept
      : space_(other.space_), hold_(other.hold_), created_(other.created_) {
    if (hold_ != nullptr) ++hold_->refs;
  }
  SwRef(SwRef&& other) noexcept
      : space_(other.space_),
        hold_(std::exchange(other.hold_, nullptr)),
        created_(std::exchange(other.created_, false)) {}
  SwRef& operator=(const SwRef& other) noexcept {
    if (this != &other) {
      if (other.hold_ != nullptr) ++other.hold_->refs;  // first: other may share our hold
      reset();
      space_ = other.space_;
      hold_ = other.hold_;
      created_ = other.created_;
    }
    return *this;
  }
  SwRef& operator=(SwRef&& other) noexcept {
    if (this != &other) {
      reset();
      space_ = other.space_;
      hold_ = std::exchange(other.hold_, nullptr);
      created_ = std::exchange(other.created_, false);
    }
    return *this;
  }
  ~SwRef() { reset(); }

  /// Releases the hold (the ref becomes empty).
  void reset() noexcept {
    if (hold_ == nullptr) return;
    internal::SwHold* h = std::exchange(hold_, nullptr);
    created_ = false;
    if (--h->refs == 0 && h->attention) space_->SwIdle(h);
  }

  explicit operator bool() const noexcept { return hold_ != nullptr; }
  V* get() const noexcept { return hold_ != nullptr ? static_cast<V*>(hold_->object) : nullptr; }
  V* operator->() const {
    S6_DCHECK(hold_ != nullptr) << "use of an empty SwRef";
    return static_cast<V*>(hold_->object);
  }
  V& operator*() const { return *operator->(); }

  /// True when the acquisition that produced this ref created the object.
  bool created() const noexcept { return created_; }
  /// True when the object was removed (through another ref) while this ref held it: the copy
  /// is still readable but no longer part of the space, and changes to it are lost.
  bool removed() const noexcept { return hold_ != nullptr && hold_->removed; }

  /// The object is removed once no ref used it for `timeout` (0: never). Travels with it.
  void set_idle_timeout(std::chrono::nanoseconds timeout) const {
    S6_CHECK(hold_ != nullptr) << "set_idle_timeout on an empty SwRef";
    space_->SwSetIdleTimeout(hold_, timeout);
  }

 private:
  template <typename, typename>
  friend class SwMap;
  SwRef(Space* space, internal::SwHold* hold, bool created) noexcept
      : space_(space), hold_(hold), created_(created) {}

  Space* space_ = nullptr;
  internal::SwHold* hold_ = nullptr;
  bool created_ = false;
};

/// A map of SingleWriter objects of type V keyed by K.
template <typename K, typename V>
class SwMap {
  static_assert(TypeInfo<V>::kKind == ObjectKind::kSingleWriter,
                "SwMap needs a SingleWriter value type (use MwMap for MultiWriter)");

 public:
  /// Registers the map `name` in `space` (before the instance starts).
  SwMap(Space& space, std::string_view name)
      : space_(&space), id_(space.RegisterMap(name, ObjectKind::kSingleWriter, OpsFor<V>())) {}

  /// The object for `key`, created (default-constructed) if it does not exist anywhere.
  SwRef<V> get(const K& key) { return Acquire(key, AcquireMode::kGetOrCreate); }
  /// Same as get(); `created()` on the ref tells whether this call created the object.
  SwRef<V> get_or_create(const K& key) { return Acquire(key, AcquireMode::kGetOrCreate); }
  /// The object for `key` if it exists anywhere in the cluster (it moves here), else empty.
  SwRef<V> lookup(const K& key) { return Acquire(key, AcquireMode::kLookup); }

  /// Removes the object `ref` holds from the space and empties `ref`. Other refs to it stay
  /// valid until released but no longer name a live object (SwRef::removed()). Returns false
  /// if `ref` was empty or the object had been removed already.
  bool remove(SwRef<V>& ref) {
    if (!ref) return false;
    const bool removed = space_->SwRemove(ref.hold_);
    ref.reset();
    return removed;
  }
  /// Removes the object for `key` if it exists. Returns whether it existed.
  bool remove(const K& key) {
    SwRef<V> ref = lookup(key);
    return remove(ref);
  }

  /// Calls `fn(const K&, V&)` for each object of this map held on this instance. `fn` must not
  /// acquire, remove or suspend.
  template <typename Fn>
  void for_each_local(Fn&& fn) {
    internal::ForEachLocalTyped<K, V>(*space_, id_, fn);
  }

  /// Idle expiry for this map: objects unused for `default_timeout` (0: only those given a
  /// timeout with SwRef::set_idle_timeout) are removed; `on_expire(const K&, V&)`, if given,
  /// runs first, in a micro-thread (it may make remote calls, e.g. to release a port).
  template <typename Fn>
  void set_expiry(std::chrono::nanoseconds default_timeout, Fn on_expire) {
    space_->SetExpiry(id_, default_timeout,
                      [fn = std::move(on_expire)](std::span<const uint8_t> kb, void* obj) {
                        K key{};
                        if (internal::DecodeKey(kb, key))
                          fn(static_cast<const K&>(key), *static_cast<V*>(obj));
                      });
  }
  void set_expiry(std::chrono::nanoseconds default_timeout) {
    space_->SetExpiry(id_, default_timeout, nullptr);
  }

  uint64_t id() const noexcept { return id_; }

 private:
  SwRef<V> Acquire(const K& key, AcquireMode mode) {
    const ByteBuffer kb = internal::EncodeKey(key);
    const SwAcquireResult r = space_->SwAcquire(id_, kb.span(), mode);
    return SwRef<V>(space_, r.hold, r.created);
  }

  Space* space_;
  uint64_t id_;
};

/// A binding to a MultiWriter object (or empty); `->` is its generated stub.
template <typename V>
class MwRef {
 public:
  MwRef() noexcept = default;
  MwRef(const MwRef& other) : binding_(other.binding_), created_(other.created_) { Rebind(); }
  MwRef(MwRef&& other) noexcept : binding_(std::move(other.binding_)), created_(other.created_) {
    other.reset();
    Rebind();
  }
  MwRef& operator=(const MwRef& other) {
    if (this != &other) {
      stub_.reset();
      binding_ = other.binding_;
      created_ = other.created_;
      Rebind();
    }
    return *this;
  }
  MwRef& operator=(MwRef&& other) noexcept {
    if (this != &other) {
      stub_.reset();
      binding_ = std::move(other.binding_);
      created_ = other.created_;
      other.reset();
      Rebind();
    }
    return *this;
  }
  ~MwRef() = default;

  void reset() noexcept {
    stub_.reset();
    binding_.reset();
    created_ = false;
  }
  explicit operator bool() const noexcept { return binding_.has_value(); }
  /// The stub: `ref->method(args)` runs `method` at the object's home.
  Stub<V>* operator->() {
    S6_CHECK(stub_.has_value()) << "use of an empty MwRef";
    return &*stub_;
  }
  /// True when get_or_create() created the object at its home.
  bool created() const noexcept { return created_; }

 private:
  template <typename, typename>
  friend class MwMap;
  MwRef(Space& space, uint64_t map, std::span<const uint8_t> key, bool created)
      : binding_(std::in_place, space, map, key), created_(created) {
    Rebind();
  }
  void Rebind() {
    stub_.reset();
    if (binding_) stub_.emplace(*binding_);
  }

  std::optional<MwBinding> binding_;
  std::optional<Stub<V>> stub_;  // refers to *binding_
  bool created_ = false;
};

/// A map of MultiWriter objects of type V keyed by K.
template <typename K, typename V>
class MwMap {
  static_assert(TypeInfo<V>::kKind == ObjectKind::kMultiWriter,
                "MwMap needs a MultiWriter value type (use SwMap for SingleWriter)");

 public:
  MwMap(Space& space, std::string_view name)
      : space_(&space), id_(space.RegisterMap(name, ObjectKind::kMultiWriter, OpsFor<V>())) {}

  /// A binding to the object for `key`; no message is sent. The home creates the object
  /// (default-constructed) on the first call that reaches it.
  MwRef<V> get(const K& key) {
    const ByteBuffer kb = internal::EncodeKey(key);
    return MwRef<V>(*space_, id_, kb.span(), false);
  }
  /// Makes sure the object exists at its home; `created()` tells whether this call made it.
  MwRef<V> get_or_create(const K& key) {
    const ByteBuffer kb = internal::EncodeKey(key);
    const MwTouchResult r = space_->MwTouch(id_, kb.span(), MwTouchOp::kGetOrCreate);
    return MwRef<V>(*space_, id_, kb.span(), r == MwTouchResult::kCreated);
  }
  /// A binding if the object exists at its home, else empty.
  MwRef<V> lookup(const K& key) {
    const ByteBuffer kb = internal::EncodeKey(key);
    if (space_->MwTouch(id_, kb.span(), MwTouchOp::kLookup) == MwTouchResult::kAbsent) return {};
    return MwRef<V>(*space_, id_, kb.span(), false);
  }
  /// Removes the object at its home. Returns whether it existed.
  bool remove(const K& key) {
    const ByteBuffer kb = internal::EncodeKey(key);
    return space_->MwTouch(id_, kb.span(), MwTouchOp::kRemove) == MwTouchResult::kRemoved;
  }

  /// Calls `fn(const K&, V&)` for each object of this map homed on this instance. `fn` must
  /// not suspend.
  template <typename Fn>
  void for_each_local(Fn&& fn) {
    internal::ForEachLocalTyped<K, V>(*space_, id_, fn);
  }

  uint64_t id() const noexcept { return id_; }

 private:
  Space* space_;
  uint64_t id_;
};

}  // namespace s6

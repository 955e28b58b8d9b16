// SPDX-License-Identifier: Apache-2.0
// File: s6/descriptor.h
//
// What s6c tells the runtime about a state class: its name, kind, schema hash and method table.
// Descriptors are immutable data generated at build time; the runtime reads them through
// `s6::TypeInfo<T>::Descriptor()` and checks schema hashes when instances join.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <s6/object.h>

namespace s6 {

/// Method flags (a bit set in MethodDescriptor::flags).
enum MethodFlag : uint32_t {
  kMethodConst = 1u << 0,         ///< `const` member function.
  kMethodStale = 1u << 1,         ///< S6_STALE / S6_STALE_MS: may be served from a cache.
  kMethodUntether = 1u << 2,      ///< S6_UNTETHER: queued, caller does not wait.
  kMethodReturnsValue = 1u << 3,  ///< Non-void return; the caller needs a reply.
  kMethodLocalOnly = 1u << 4,     ///< SingleWriter method with arguments that can't be shipped.
};

/// One public method of a state class.
struct MethodDescriptor {
  /// Stable id: a hash of the name and the parameter types; adding, removing or reordering
  /// other methods never changes it.
  uint32_t id;
  /// MethodFlag bits.
  uint32_t flags;
  /// For stale methods, the maximum age of a cached result in milliseconds; 0 means the
  /// runtime's default bound.
  uint32_t stale_max_age_ms;
  std::string_view name;
  /// Normalised signature, e.g. "allocate(u64)" or "in_use() const".
  std::string_view signature;

  constexpr bool is_const() const { return (flags & kMethodConst) != 0; }
  constexpr bool is_stale() const { return (flags & kMethodStale) != 0; }
  constexpr bool is_untether() const { return (flags & kMethodUntether) != 0; }
  constexpr bool returns_value() const { return (flags & kMethodReturnsValue) != 0; }
  /// A strict call: neither stale nor untether; the caller waits for it to run at the home.
  constexpr bool is_strict() const { return (flags & (kMethodStale | kMethodUntether)) == 0; }
};

/// A state class as the runtime sees it.
struct TypeDescriptor {
  /// Fully qualified class name, e.g. "nat::PortPool".
  std::string_view name;
  ObjectKind kind;
  /// Hash over the class's fields (names and normalised types, recursively) and method table.
  /// Two binaries agree on an object's layout and calls iff the hashes are equal.
  uint64_t schema_hash;
  /// Methods sorted by id.
  std::span<const MethodDescriptor> methods;

  /// The method with `id`, or nullptr.
  constexpr const MethodDescriptor* FindMethod(uint32_t id) const {
    std::size_t lo = 0;
    std::size_t hi = methods.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (methods[mid].id == id) return &methods[mid];
      if (methods[mid].id < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return nullptr;
  }
};

/// Generated per state class: `static const TypeDescriptor& Descriptor()` and `kKind`.
template <typename T>
struct TypeInfo;

}  // namespace s6

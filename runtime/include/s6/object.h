// SPDX-License-Identifier: Apache-2.0
// File: s6/object.h
//
// The NF author's vocabulary for state classes: the two base classes and the annotations that
// s6c reads.
//
//   class PortPool : public s6::MultiWriter {
//    public:
//     uint16_t allocate(uint64_t flow_hash);        // strict: the caller waits for the result
//     void release(uint16_t port) S6_UNTETHER;      // fire-and-forget, FIFO per caller
//     uint32_t in_use() const S6_STALE;             // may be served from a cached copy
//     uint32_t peak() const S6_STALE_MS(50);        // ... at most 50 ms old
//    private:
//     std::bitset<65536> used_;
//     S6_STATE(PortPool);                           // lets generated code see private fields
//   };
//
// Theory of operation: the bases are empty, non-virtual tag types (so a state class may be an
// aggregate). A state class never has a
// vtable; the runtime learns everything it needs (codec, stub, skeleton, descriptor) from code
// that s6c generates next to the header. Under GCC the annotations expand to nothing; under Clang
// (which is what s6c parses with) they are `annotate` attributes that s6c turns into method flags
// and checks (untether must return void, stale must be const, ...).
#pragma once

#include <cstdint>

namespace s6 {

/// How a state class is shared between instances.
enum class ObjectKind : uint8_t {
  /// Exactly one instance holds the object; it moves to whoever uses it.
  kSingleWriter = 1,
  /// The object stays at its home instance; calls are shipped there.
  kMultiWriter = 2,
};

/// Base of state classes that move to their user (per-flow state). Exactly one instance holds
/// such an object at any time; every access is local to the holder.
class SingleWriter {
 public:
  /// The base carries no state: state classes may default their comparisons.
  friend constexpr bool operator==(const SingleWriter&, const SingleWriter&) noexcept {
    return true;
  }
};

/// Base of state classes that stay at their home instance (shared state). Calls from other
/// instances are shipped to the home and run there in arrival order.
class MultiWriter {
 public:
  /// The base carries no state: state classes may default their comparisons.
  friend constexpr bool operator==(const MultiWriter&, const MultiWriter&) noexcept { return true; }
};

/// Primary template of the generated codecs (see s6/codec.h). Declared here so that
/// `S6_STATE` can befriend every specialisation.
template <typename T, typename Enable = void>
struct Codec;

}  // namespace s6

#if defined(__clang__)
#define S6_INTERNAL_ANNOTATE(...) __attribute__((annotate(__VA_ARGS__)))
#else
#define S6_INTERNAL_ANNOTATE(...)
#endif

/// Marks a MultiWriter method as non-blocking: the call is queued, batched with the caller's
/// other calls to the same home and run there exactly once, in order. Only for `void` methods.
#define S6_UNTETHER S6_INTERNAL_ANNOTATE("s6.untether")

/// Marks a `const` MultiWriter method whose result may come from a cached copy no older than the
/// runtime's default bound (see docs/programming-guide.md).
#define S6_STALE S6_INTERNAL_ANNOTATE("s6.stale")

/// Like `S6_STALE`, with an explicit bound: the result is at most `max_age_ms` milliseconds old.
/// `max_age_ms` must be a positive integer constant expression.
#define S6_STALE_MS(max_age_ms) S6_INTERNAL_ANNOTATE("s6.stale", max_age_ms)

/// Placed inside a state class (or any struct reachable from one) whose fields are not all
/// public: grants the s6c-generated codec access to them. Takes the enclosing class's name.
#define S6_STATE(Class)         \
  template <typename, typename> \
  friend struct ::s6::Codec;    \
  using S6StateTag_ S6_INTERNAL_ANNOTATE("s6.state") = Class

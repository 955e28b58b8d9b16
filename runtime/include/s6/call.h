// SPDX-License-Identifier: Apache-2.0
// File: s6/call.h
//
// The call interface between generated stubs and skeletons and whatever carries calls between
// them (the runtime's object space, or an in-memory channel in tests).
//
// Theory of operation: a generated `s6::Stub<T>` has one method per public method of `T` with
// the same signature. Each encodes its arguments with the codecs, hands the bytes and the
// method's descriptor to a `RemoteCaller` bound to one object, and decodes the reply. The
// caller decides, from the descriptor flags, whether to wait (strict), queue (untether) or serve
// from a cache (stale). At the home, `s6::Skeleton<T>::Dispatch` decodes the arguments, calls
// the real method and encodes the result. A call that cannot complete (peer gone, reply
// malformed) never yields a made-up value: the stub reports it to `RemoteCaller::Abandon`,
// which does not return (the runtime ends the packet's micro-thread there).
#pragma once

#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include <s6/bytes.h>
#include <s6/codec.h>
#include <s6/descriptor.h>

namespace s6 {

/// Outcome of shipping one call.
enum class CallStatus : uint8_t {
  kOk = 0,           ///< Ran at the home; the reply (if any) is in the reply buffer.
  kQueued = 1,       ///< Accepted for later delivery (untether); no reply will come.
  kUnreachable = 2,  ///< The home can't be reached.
  kRemoteError = 3,  ///< The home refused the call (unknown method, bad arguments).
  kBadReply = 4,     ///< The reply did not decode as the method's return type.
};

/// Outcome of dispatching one call at the home.
enum class DispatchStatus : uint8_t {
  kOk = 0,
  kUnknownMethod = 1,  ///< No method with that id (or not callable this way, e.g. non-const).
  kBadArguments = 2,   ///< Arguments did not decode, or bytes were left over.
};

/// Carries calls from a stub to one object's home. Implemented by the runtime; bound to a
/// single object (map and key) for the lifetime of the stub.
class RemoteCaller {
 public:
  virtual ~RemoteCaller() = default;

  /// Ships a call to method `m` with encoded `args`. When `m.returns_value()`, the result's
  /// encoding must be in `reply` on kOk. Untether calls may return kQueued at once.
  virtual CallStatus Call(const MethodDescriptor& m, const ByteBuffer& args, ByteBuffer& reply) = 0;

  /// A call that could not complete. Must not return: the runtime unwinds the calling
  /// micro-thread; test doubles throw.
  [[noreturn]] virtual void Abandon(const MethodDescriptor& m, CallStatus why) = 0;
};

/// Generated: the stub for state class `T` (constructed from a `RemoteCaller&`).
template <typename T>
class Stub;

/// Generated: `static DispatchStatus Dispatch(T&, uint32_t method_id, ByteReader& args,
/// ByteBuffer& reply)` and `DispatchConst(const T&, ...)` (const methods only).
template <typename T>
struct Skeleton;

namespace internal {

/// Stub side of one call: encode arguments, ship, decode the result.
template <typename R, typename... A>
R InvokeRemote(RemoteCaller& caller, const MethodDescriptor& m, const A&... args) {
  ByteBuffer request;
  ByteWriter w(request);
  (Codec<A>::Encode(w, args), ...);
  ByteBuffer reply;
  const CallStatus st = caller.Call(m, request, reply);
  if constexpr (std::is_void_v<R>) {
    if (st != CallStatus::kOk && st != CallStatus::kQueued) caller.Abandon(m, st);
  } else {
    if (st != CallStatus::kOk) caller.Abandon(m, st);
    R result{};
    ByteReader r(reply);
    if (!Codec<R>::Decode(r, result) || !r.AtEnd()) caller.Abandon(m, CallStatus::kBadReply);
    return result;
  }
}

template <typename Obj, typename Fn, typename R, typename... A>
DispatchStatus DispatchImpl(Obj& obj, Fn fn, ByteReader& args, ByteBuffer& reply) {
  std::tuple<std::remove_cvref_t<A>...> values;
  const bool decoded = std::apply(
      [&args](auto&... v) {
        return (true && ... && Codec<std::remove_cvref_t<decltype(v)>>::Decode(args, v));
      },
      values);
  if (!decoded || !args.AtEnd()) return DispatchStatus::kBadArguments;
  auto call = [&obj, fn](auto&... v) -> R { return (obj.*fn)(static_cast<A&&>(v)...); };
  if constexpr (std::is_void_v<R>) {
    std::apply(call, values);
  } else {
    const R result = std::apply(call, values);
    ByteWriter w(reply);
    Codec<std::remove_cvref_t<R>>::Encode(w, result);
  }
  return DispatchStatus::kOk;
}

/// Skeleton side of one call: decode arguments, run the member function, encode the result.
template <typename T, typename C, typename R, typename... A>
DispatchStatus Dispatch(T& obj, R (C::*fn)(A...), ByteReader& args, ByteBuffer& reply) {
  return DispatchImpl<T, R (C::*)(A...), R, A...>(obj, fn, args, reply);
}
template <typename T, typename C, typename R, typename... A>
DispatchStatus Dispatch(T& obj, R (C::*fn)(A...) noexcept, ByteReader& args, ByteBuffer& reply) {
  return DispatchImpl<T, R (C::*)(A...) noexcept, R, A...>(obj, fn, args, reply);
}
template <typename T, typename C, typename R, typename... A>
DispatchStatus Dispatch(const T& obj, R (C::*fn)(A...) const, ByteReader& args, ByteBuffer& reply) {
  return DispatchImpl<const T, R (C::*)(A...) const, R, A...>(obj, fn, args, reply);
}
template <typename T, typename C, typename R, typename... A>
DispatchStatus Dispatch(const T& obj, R (C::*fn)(A...) const noexcept, ByteReader& args,
                        ByteBuffer& reply) {
  return DispatchImpl<const T, R (C::*)(A...) const noexcept, R, A...>(obj, fn, args, reply);
}

}  // namespace internal
}  // namespace s6

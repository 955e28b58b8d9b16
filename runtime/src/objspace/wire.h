// SPDX-License-Identifier: Apache-2.0
// File: objspace/wire.h
//
// The object space's messages (types in the transport's object range, 0x100-0x1ff).
//
// Every object-space message has the same layout, so there is one encoder and one validating
// decoder, and a fuzzer exercises both:
//
//   req u64 | origin u32 | hops u8 | code u8 | method u32 | map u64 | a u64 | b u64 |
//   key_len u32 | key[key_len] | body_len u32 | body[body_len]             (nothing after)
//
// `code` means the acquire mode, the grant result, the call status, the touch op or whether a
// transfer carries an object, depending on the type (see ObjectMessageType). Keys and bodies are
// s6 codec bytes (canonical key encodings, encoded arguments/replies/objects), never raw C++
// objects. Decoding checks every length against the bytes present and that nothing trails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <s6/bytes.h>
#include <s6/instance_id.h>
#include "transport/message.h"

namespace s6::objspace {

/// Object-space message types (values are part of the wire contract).
enum class ObjectMessageType : uint16_t {
  kSwAcquire = 0x100,     ///< requester -> home: origin wants (map,key); code = AcquireMode.
  kSwRecall = 0x101,      ///< home -> holder: send (map,key) to `origin` (for its request
                          ///< `req`) when idle; code = mode; a = the holder's own request id,
                          ///< naming the stay of the object the recall is for.
  kSwTransfer = 0x102,    ///< holder -> requester: code 1 = object in body, 0 = object gone;
                          ///< a = idle timeout ns (the idle clock restarts on arrival: the
                          ///< requester is using the object).
  kSwGrant = 0x103,       ///< home -> requester: code = GrantResult (no holder existed).
  kSwRemove = 0x104,      ///< holder -> home: origin no longer holds (map,key); a = the request
                          ///< that made it the holder (stale removals are ignored).
  kSwHandback = 0x105,    ///< departing holder -> home: please take (map,key) back; a = the
                          ///< holder's stay (the home recalls it to itself if that still holds).
  kMwCall = 0x110,        ///< caller -> home: call `method` with body = args; req 0 = no reply.
  kMwReply = 0x111,       ///< home -> caller: code = CallStatus, body = encoded result.
  kMwTouch = 0x112,       ///< caller -> home: code = MwTouchOp.
  kMwTouchReply = 0x113,  ///< home -> caller: code = MwTouchResult.
  // Scaling (DESIGN §6, docs/protocol.md). a = slot table version, b = slot.
  kSwitched = 0x120,  ///< every instance -> every peer, once, at its switch to table `a`: nothing
                      ///< routed by the older table follows on this channel.
  kSlotPull = 0x121,  ///< new home -> old home: send slot `b` (of table `a`).
  kSlotData = 0x122,  ///< old home -> new home: slot `b`'s directory and MultiWriter objects in
                      ///< body (see migration.cc); the old home forgets them.
};

constexpr transport::MessageType ToTransport(ObjectMessageType t) noexcept {
  return static_cast<transport::MessageType>(static_cast<uint16_t>(t));
}

/// kSwGrant results.
enum class GrantResult : uint8_t { kCreated = 1, kAbsent = 2 };

/// The fixed part: 8 + 4 + 1 + 1 + 4 + 8 + 8 + 8 + 4 + 4.
inline constexpr std::size_t kObjectMessageFixedSize = 50;
/// Longest key accepted (canonical key bytes).
inline constexpr std::size_t kMaxKeyBytes = 64 * 1024;
/// A message forwarded more often than this is dropped (a routing loop).
inline constexpr uint8_t kMaxHops = 4;

/// One decoded message; `key` and `body` view the payload they were decoded from.
struct ObjectMessage {
  uint64_t req = 0;
  InstanceId origin{};
  uint8_t hops = 0;
  uint8_t code = 0;
  uint32_t method = 0;
  uint64_t map = 0;
  uint64_t a = 0;
  uint64_t b = 0;
  std::span<const uint8_t> key;
  std::span<const uint8_t> body;
};

/// A key or body kept in a std::string, as the span a message field takes.
inline std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// Appends the encoding of `m` to `w`.
void EncodeObjectMessage(const ObjectMessage& m, ByteWriter& w);

/// Decodes exactly one message from `payload`; false if it is malformed (short, long, lengths
/// that don't match, an oversized key).
bool DecodeObjectMessage(std::span<const uint8_t> payload, ObjectMessage& out) noexcept;

/// "sw_acquire", ..., or "unknown".
std::string_view ObjectMessageTypeName(uint16_t type) noexcept;

}  // namespace s6::objspace

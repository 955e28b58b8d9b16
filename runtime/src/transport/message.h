// SPDX-License-Identifier: Apache-2.0
// File: transport/message.h
//
// The wire format between instances: one ZeroMQ message carries one *batch* from one sender to
// one receiver, and a batch carries any number of typed *messages*.
//
//   batch   := header message*
//   header  := magic u16 ('S6' = 0x3653: bytes 'S' '6' on the wire)
//              version u8 (kWireVersion)  flags u8 (reserved, must be 0 in version 1)
//              sender u32 (InstanceId)  sequence u64  count u32            (20 bytes)
//   message := type u16 (MessageType)  flags u16  length u32  payload[length]   (8 + length)
//
// Every integer is little-endian and every field is written with ByteWriter and read with
// ByteReader (s6/bytes.h); no C++ object is ever copied to the wire as raw memory. Batch flags
// could change the framing, so a receiver rejects bits it does not know; message flags are
// per-message hints (none defined yet: senders write 0, the transport ignores them).
//
// Theory of operation: the sequence number is per channel (one sender -> one receiver), starts
// at 1 and grows by one per batch, so the receiver can count lost and reordered batches (the
// original S6 had no sequencing at all). `ParseBatch` is the single entry point for bytes from
// the network; it validates the whole batch before anyone looks at a message: magic, version,
// flags, sequence, every length against the bytes actually present, the message count, and that
// nothing trails the last message. It reports a precise `ParseError` on failure, never reads out
// of bounds (everything goes through a ByteReader), never allocates (messages are views into the
// received bytes) and never trusts a claimed length or count before checking it against the
// bytes that are really there. Only after a batch passed does a caller iterate its messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include <s6/bytes.h>
#include <s6/instance_id.h>

namespace s6::transport {

// Instance ids are shared with the key space and the controller (s6/instance_id.h).
using ::s6::InstanceId;
using ::s6::ToUint;

/// `'S'` then `'6'` on the wire: 0x53, 0x36 read as a little-endian u16.
inline constexpr uint16_t kBatchMagic = 0x3653;
/// Bumped on any incompatible change of the batch or message framing.
inline constexpr uint8_t kWireVersion = 1;
/// magic u16 + version u8 + flags u8 + sender u32 + sequence u64 + count u32.
inline constexpr std::size_t kBatchHeaderSize = 2 + 1 + 1 + 4 + 8 + 4;
/// Where the sequence field starts in the batch header (after magic, version, flags, sender).
inline constexpr std::size_t kBatchSequenceOffset = 2 + 1 + 1 + 4;
/// type u16 + flags u16 + length u32.
inline constexpr std::size_t kMessageHeaderSize = 2 + 2 + 4;
/// Batch flag bits defined by this wire version (none yet); other bits are rejected.
inline constexpr uint8_t kKnownBatchFlags = 0;

/// What a message is. The numeric values are part of the wire contract.
///
/// The transport itself consumes the hello handshake. kPing/kPong are delivered to the receiver
/// like any other message (liveness and latency probes belong to the instance). The object
/// space and the control plane own the two reserved ranges. A value outside every known range
/// is counted and skipped by the receiver: a newer peer may send types we do not know yet.
enum class MessageType : uint16_t {
  kHello = 1,        ///< HelloPayload: "I am instance N, wire version V, schema hash H".
  kHelloAck = 2,     ///< HelloReplyPayload: schema hashes match; data may flow.
  kHelloReject = 3,  ///< HelloReplyPayload: schema hashes differ; the peer is refused.
  kPing = 4,         ///< Opaque payload, echoed by the instance as kPong.
  kPong = 5,         ///< Opaque payload.

  kObjectBase = 0x100,   ///< First type reserved for the object space.
  kObjectLast = 0x1ff,   ///< Last type reserved for the object space.
  kControlBase = 0x200,  ///< First type reserved for control (scaling, slot tables).
  kControlLast = 0x2ff,  ///< Last type reserved for control.
};

/// The type's wire value.
constexpr uint16_t ToWire(MessageType t) noexcept { return static_cast<uint16_t>(t); }

/// True for the three handshake messages, which the transport consumes itself.
constexpr bool IsHandshakeType(MessageType t) noexcept {
  return t == MessageType::kHello || t == MessageType::kHelloAck || t == MessageType::kHelloReject;
}

/// True for types in the object-space range [kObjectBase, kObjectLast].
constexpr bool IsObjectType(MessageType t) noexcept {
  return ToWire(t) >= ToWire(MessageType::kObjectBase) &&
         ToWire(t) <= ToWire(MessageType::kObjectLast);
}

/// True for types in the control range [kControlBase, kControlLast].
constexpr bool IsControlType(MessageType t) noexcept {
  return ToWire(t) >= ToWire(MessageType::kControlBase) &&
         ToWire(t) <= ToWire(MessageType::kControlLast);
}

/// True for every type this wire version defines (handshake, ping/pong and both ranges).
constexpr bool IsKnownType(MessageType t) noexcept {
  return (ToWire(t) >= ToWire(MessageType::kHello) && ToWire(t) <= ToWire(MessageType::kPong)) ||
         IsObjectType(t) || IsControlType(t);
}

/// Why ParseBatch rejected a batch. Values index TransportStats::malformed.
enum class ParseError : uint8_t {
  kOk = 0,                  ///< Not an error.
  kTruncatedHeader,         ///< Fewer than kBatchHeaderSize bytes.
  kBadMagic,                ///< The first two bytes are not 'S' '6'.
  kBadVersion,              ///< A wire version other than kWireVersion.
  kBadFlags,                ///< Batch flag bits this version does not define.
  kZeroSequence,            ///< Sequence 0 (channels start at 1).
  kTruncatedMessageHeader,  ///< Bytes end inside a message header.
  kPayloadOutOfBounds,      ///< A message length runs past the end of the batch.
  kCountMismatch,           ///< The batch ends (at a message boundary) before `count` messages.
  kTrailingBytes,           ///< Bytes remain after the `count`-th message.
};
inline constexpr std::size_t kParseErrorCount = 10;

/// A short snake_case name for `e` ("truncated_header", ...), used in logs and JSON.
std::string_view ParseErrorName(ParseError e) noexcept;

/// The decoded batch header.
struct BatchHeader {
  uint8_t version = 0;
  uint8_t flags = 0;
  InstanceId sender{};
  uint64_t sequence = 0;
  uint32_t message_count = 0;
};

/// One message of a validated batch. `payload` points into the batch's bytes and is valid only
/// as long as they are.
struct MessageView {
  MessageType type = MessageType::kPing;
  uint16_t flags = 0;
  std::span<const uint8_t> payload;
};

/// Iterates the messages of a batch that ParseBatch accepted (input iterator, end is a sentinel).
class MessageIterator {
 public:
  using value_type = MessageView;
  using difference_type = std::ptrdiff_t;
  struct Sentinel {};

  MessageIterator() noexcept = default;
  MessageIterator(std::span<const uint8_t> body, uint32_t count) noexcept
      : reader_(body), left_(count) {
    Advance();
  }
  const MessageView& operator*() const noexcept { return current_; }
  const MessageView* operator->() const noexcept { return &current_; }
  MessageIterator& operator++() noexcept {
    Advance();
    return *this;
  }
  void operator++(int) noexcept { Advance(); }
  friend bool operator==(const MessageIterator& it, Sentinel) noexcept { return it.done_; }

 private:
  void Advance() noexcept;

  ByteReader reader_;
  uint32_t left_ = 0;
  bool done_ = true;
  MessageView current_;
};

/// The result of ParseBatch: an error, or the header plus a view of the validated messages.
struct ParsedBatch {
  ParseError error = ParseError::kOk;
  BatchHeader header;
  /// The bytes after the header (all messages); empty on error.
  std::span<const uint8_t> body;

  bool ok() const noexcept { return error == ParseError::kOk; }

  /// The messages, in order. Only meaningful when ok().
  MessageIterator begin() const noexcept {
    return ok() ? MessageIterator(body, header.message_count) : MessageIterator();
  }
  MessageIterator::Sentinel end() const noexcept { return {}; }
};

/// Validates `bytes` as one complete batch (see the file comment for every check) and returns
/// its header and messages, or the first reason it is invalid. Never reads outside `bytes`,
/// never allocates, never throws.
ParsedBatch ParseBatch(std::span<const uint8_t> bytes) noexcept;

/// Builds one batch for one receiver. Messages are appended (copied) in order; `Seal` writes the
/// header and returns the finished bytes; `Clear` starts the next batch, reusing the buffer.
///
/// The builder enforces nothing about sizes beyond the u32 length field (checked); callers that
/// bound batch sizes (ZmqTransport) check `size_bytes()` before appending.
class BatchBuilder {
 public:
  explicit BatchBuilder(InstanceId sender) : sender_(sender) { Clear(); }

  /// Appends one message. `payload.size()` must fit in u32 (checked).
  void Append(MessageType type, std::span<const uint8_t> payload, uint16_t flags = 0);

  /// Appends one message whose payload `encode(ByteWriter&)` writes straight into the batch
  /// (no intermediate buffer); the length field is patched afterwards.
  template <typename Encode>
  void AppendEncoded(MessageType type, Encode&& encode, uint16_t flags = 0) {
    const std::size_t start = BeginMessage(type, flags);
    ByteWriter w(buffer_);
    std::forward<Encode>(encode)(w);
    EndMessage(start);
  }

  /// Number of messages appended since the last Clear.
  uint32_t message_count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// Size of the batch so far, header included (what Seal would return).
  std::size_t size_bytes() const noexcept { return buffer_.size(); }

  /// Writes the header with `sequence` and the current count; returns the complete batch. The
  /// span stays valid until the next Append/Clear.
  std::span<const uint8_t> Seal(uint64_t sequence);

  /// Like Seal, but with sequence 0, "not numbered yet": a sender that numbers batches only when
  /// they leave (ZmqTransport) writes the number with SetBatchSequence then. ParseBatch rejects
  /// sequence 0, so a batch that escaped unnumbered could never pass for a real one.
  std::span<const uint8_t> SealUnnumbered();

  /// Drops all messages (keeps the buffer's capacity).
  void Clear();

  InstanceId sender() const noexcept { return sender_; }

 private:
  std::size_t BeginMessage(MessageType type, uint16_t flags);
  void EndMessage(std::size_t start);
  std::span<const uint8_t> WriteHeader(uint64_t sequence);

  InstanceId sender_;
  uint32_t count_ = 0;
  ByteBuffer buffer_;
};

/// Writes `sequence` (not 0) into the header of the sealed batch `batch` (at least
/// kBatchHeaderSize bytes), in place.
void SetBatchSequence(std::span<uint8_t> batch, uint64_t sequence);

/// kHello payload.
struct HelloPayload {
  InstanceId instance{};
  uint8_t wire_version = kWireVersion;
  uint64_t schema_hash = 0;
};
inline constexpr std::size_t kHelloPayloadSize = 4 + 1 + 8;

/// kHelloAck / kHelloReject payload: who answers and with which schema hash.
struct HelloReplyPayload {
  InstanceId instance{};
  uint64_t schema_hash = 0;
};
inline constexpr std::size_t kHelloReplyPayloadSize = 4 + 8;

/// Appends the encoding of `h` to `out`.
void EncodeHello(const HelloPayload& h, ByteWriter& out);
/// Decodes a kHello payload; false unless it is exactly kHelloPayloadSize well-formed bytes.
bool DecodeHello(std::span<const uint8_t> payload, HelloPayload& out) noexcept;
/// Appends the encoding of `r` to `out`.
void EncodeHelloReply(const HelloReplyPayload& r, ByteWriter& out);
/// Decodes a kHelloAck/kHelloReject payload; false unless exactly kHelloReplyPayloadSize bytes.
bool DecodeHelloReply(std::span<const uint8_t> payload, HelloReplyPayload& out) noexcept;

}  // namespace s6::transport

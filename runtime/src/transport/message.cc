// SPDX-License-Identifier: Apache-2.0
#include "transport/message.h"

#include <cstring>
#include <limits>

#include <s6/check.h>
#include <s6/codec.h>

namespace s6::transport {

std::string_view ParseErrorName(ParseError e) noexcept {
  switch (e) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kTruncatedHeader:
      return "truncated_header";
    case ParseError::kBadMagic:
      return "bad_magic";
    case ParseError::kBadVersion:
      return "bad_version";
    case ParseError::kBadFlags:
      return "bad_flags";
    case ParseError::kZeroSequence:
      return "zero_sequence";
    case ParseError::kTruncatedMessageHeader:
      return "truncated_message_header";
    case ParseError::kPayloadOutOfBounds:
      return "payload_out_of_bounds";
    case ParseError::kCountMismatch:
      return "count_mismatch";
    case ParseError::kTrailingBytes:
      return "trailing_bytes";
  }
  return "unknown";
}

ParsedBatch ParseBatch(std::span<const uint8_t> bytes) noexcept {
  ParsedBatch out;
  const auto fail = [&out](ParseError e) {
    out.error = e;
    out.body = {};
    return out;
  };
  if (bytes.size() < kBatchHeaderSize) return fail(ParseError::kTruncatedHeader);

  ByteReader r(bytes.first(kBatchHeaderSize));
  uint16_t magic = 0;
  r.GetUnsigned(magic);
  r.GetU8(out.header.version);
  r.GetU8(out.header.flags);
  uint32_t sender = 0;
  r.GetU32(sender);
  out.header.sender = InstanceId{sender};
  r.GetUnsigned(out.header.sequence);
  r.GetU32(out.header.message_count);
  S6_DCHECK(r.AtEnd());
  if (magic != kBatchMagic) return fail(ParseError::kBadMagic);
  if (out.header.version != kWireVersion) return fail(ParseError::kBadVersion);
  if ((out.header.flags & ~kKnownBatchFlags) != 0) return fail(ParseError::kBadFlags);
  if (out.header.sequence == 0) return fail(ParseError::kZeroSequence);

  // Walk every message once, checking each claimed length against the bytes really present.
  // Each iteration consumes at least kMessageHeaderSize bytes or returns, so a huge claimed
  // count costs at most size/8 iterations and no memory.
  const std::span<const uint8_t> body = bytes.subspan(kBatchHeaderSize);
  ByteReader b(body);
  for (uint32_t i = 0; i < out.header.message_count; ++i) {
    if (b.remaining() == 0) return fail(ParseError::kCountMismatch);
    if (b.remaining() < kMessageHeaderSize) return fail(ParseError::kTruncatedMessageHeader);
    uint16_t type = 0;
    uint16_t flags = 0;
    uint32_t length = 0;
    b.GetUnsigned(type);
    b.GetUnsigned(flags);
    b.GetU32(length);
    if (length > b.remaining()) return fail(ParseError::kPayloadOutOfBounds);
    b.Take(length);
  }
  if (!b.AtEnd()) return fail(ParseError::kTrailingBytes);
  out.body = body;
  return out;
}

void MessageIterator::Advance() noexcept {
  if (left_ == 0) {
    done_ = true;
    return;
  }
  uint16_t type = 0;
  uint32_t length = 0;
  reader_.GetUnsigned(type);
  reader_.GetUnsigned(current_.flags);
  reader_.GetU32(length);
  const uint8_t* payload = reader_.Take(length);
  // The batch was validated, so this only fails if someone iterates an unvalidated body.
  if (!reader_.ok()) {
    done_ = true;
    left_ = 0;
    return;
  }
  current_.type = static_cast<MessageType>(type);
  current_.payload = {payload, length};
  --left_;
  done_ = false;
}

namespace {

// Overwrites the 4 bytes at `at` with `v` in wire order, encoded by ByteWriter like everything
// else (the scratch buffer is inline: no allocation).
void PatchU32(uint8_t* at, uint32_t v) {
  ByteBuffer scratch;
  ByteWriter w(scratch);
  w.PutU32(v);
  std::memcpy(at, scratch.data(), sizeof v);
}

}  // namespace

void BatchBuilder::Clear() {
  buffer_.clear();
  std::memset(buffer_.Extend(kBatchHeaderSize), 0, kBatchHeaderSize);
  count_ = 0;
}

std::size_t BatchBuilder::BeginMessage(MessageType type, uint16_t flags) {
  S6_CHECK(count_ < std::numeric_limits<uint32_t>::max()) << "too many messages in one batch";
  const std::size_t start = buffer_.size();
  ByteWriter w(buffer_);
  w.PutUnsigned(ToWire(type));
  w.PutUnsigned(flags);
  w.PutU32(0);  // length, patched by EndMessage
  return start;
}

void BatchBuilder::EndMessage(std::size_t start) {
  const std::size_t length = buffer_.size() - start - kMessageHeaderSize;
  S6_CHECK_LE(length, std::numeric_limits<uint32_t>::max()) << "message payload too large";
  PatchU32(buffer_.data() + start + 4, static_cast<uint32_t>(length));
  ++count_;
}

void BatchBuilder::Append(MessageType type, std::span<const uint8_t> payload, uint16_t flags) {
  S6_CHECK_LE(payload.size(), std::numeric_limits<uint32_t>::max()) << "message payload too large";
  const std::size_t start = BeginMessage(type, flags);
  buffer_.Append(payload.data(), payload.size());
  EndMessage(start);
}

std::span<const uint8_t> BatchBuilder::Seal(uint64_t sequence) {
  S6_CHECK_NE(sequence, 0u) << "batch sequences start at 1";
  return WriteHeader(sequence);
}

std::span<const uint8_t> BatchBuilder::SealUnnumbered() { return WriteHeader(0); }

std::span<const uint8_t> BatchBuilder::WriteHeader(uint64_t sequence) {
  ByteBuffer header;
  ByteWriter w(header);
  w.PutUnsigned(kBatchMagic);
  w.PutU8(kWireVersion);
  w.PutU8(0);  // flags
  w.PutU32(ToUint(sender_));
  w.PutUnsigned(sequence);
  w.PutU32(count_);
  S6_DCHECK_EQ(header.size(), kBatchHeaderSize);
  std::memcpy(buffer_.data(), header.data(), kBatchHeaderSize);
  return buffer_.span();
}

void SetBatchSequence(std::span<uint8_t> batch, uint64_t sequence) {
  S6_CHECK_LE(kBatchHeaderSize, batch.size()) << "not a sealed batch";
  S6_CHECK_NE(sequence, 0u) << "batch sequences start at 1";
  ByteBuffer scratch;  // inline storage: no allocation
  ByteWriter w(scratch);
  w.PutUnsigned(sequence);
  std::memcpy(batch.data() + kBatchSequenceOffset, scratch.data(), sizeof sequence);
}

// Hello payloads are encoded field by field with the s6 codecs (InstanceId is a fixed-type enum).
void EncodeHello(const HelloPayload& h, ByteWriter& out) {
  Encode(out, h.instance);
  Encode(out, h.wire_version);
  Encode(out, h.schema_hash);
}

bool DecodeHello(std::span<const uint8_t> payload, HelloPayload& out) noexcept {
  ByteReader r(payload);
  return Decode(r, out.instance) && Decode(r, out.wire_version) && Decode(r, out.schema_hash) &&
         r.AtEnd();
}

void EncodeHelloReply(const HelloReplyPayload& p, ByteWriter& out) {
  Encode(out, p.instance);
  Encode(out, p.schema_hash);
}

bool DecodeHelloReply(std::span<const uint8_t> payload, HelloReplyPayload& out) noexcept {
  ByteReader r(payload);
  return Decode(r, out.instance) && Decode(r, out.schema_hash) && r.AtEnd();
}

}  // namespace s6::transport

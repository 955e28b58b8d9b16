// SPDX-License-Identifier: Apache-2.0
// The batch wire format: builder/parser round trips, the exact header layout, every rejection
// reason (including every truncation of a valid batch) and a deterministic fuzz loop.
#include "transport/message.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <s6/bytes.h>

// Instance ids are a strong type; `2_id` keeps the tests readable.
constexpr s6::InstanceId operator""_id(unsigned long long v) {
  return s6::InstanceId{static_cast<uint32_t>(v)};
}

namespace s6::transport {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

Bytes Payload(std::size_t n, uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

struct Msg {
  MessageType type;
  uint16_t flags;
  Bytes payload;
};

// A batch with messages of awkward sizes (empty, 1 byte, odd, bigger than inline storage).
std::vector<Msg> SampleMessages() {
  return {{MessageType::kPing, 0, Payload(0, 1)},
          {MessageType::kObjectBase, 3, Payload(1, 2)},
          {MessageType::kControlBase, 0, Payload(5, 3)},
          {static_cast<MessageType>(0x1234), 0xffff, Payload(200, 4)},
          {MessageType::kPong, 0, Payload(33, 5)}};
}

Bytes Build(const std::vector<Msg>& msgs, InstanceId sender = 7_id, uint64_t seq = 42) {
  BatchBuilder b(sender);
  for (const Msg& m : msgs) b.Append(m.type, m.payload, m.flags);
  return ToBytes(b.Seal(seq));
}

// Writes a raw header with arbitrary (possibly invalid) fields.
Bytes RawHeader(uint16_t magic, uint8_t version, uint8_t flags, uint32_t sender, uint64_t seq,
                uint32_t count) {
  ByteBuffer buf;
  ByteWriter w(buf);
  w.PutUnsigned(magic);
  w.PutU8(version);
  w.PutU8(flags);
  w.PutU32(sender);
  w.PutUnsigned(seq);
  w.PutU32(count);
  return ToBytes(buf.span());
}

void AppendRawMessage(Bytes& out, uint16_t type, uint16_t flags, uint32_t length,
                      std::span<const uint8_t> payload) {
  ByteBuffer buf;
  ByteWriter w(buf);
  w.PutUnsigned(type);
  w.PutUnsigned(flags);
  w.PutU32(length);
  w.PutBytes(payload.data(), payload.size());
  out.insert(out.end(), buf.data(), buf.data() + buf.size());
}

ParseError Parse(const Bytes& b) { return ParseBatch(b).error; }

TEST(BatchBuilderTest, RoundTrip) {
  const std::vector<Msg> msgs = SampleMessages();
  const Bytes bytes = Build(msgs, /*sender=*/0xdeadbeef_id, /*seq=*/0x0102030405060708ull);
  const ParsedBatch batch = ParseBatch(bytes);
  ASSERT_TRUE(batch.ok()) << ParseErrorName(batch.error);
  EXPECT_EQ(batch.header.version, kWireVersion);
  EXPECT_EQ(batch.header.flags, 0);
  EXPECT_EQ(batch.header.sender, 0xdeadbeef_id);
  EXPECT_EQ(batch.header.sequence, 0x0102030405060708ull);
  EXPECT_EQ(batch.header.message_count, msgs.size());
  std::size_t i = 0;
  for (const MessageView& m : batch) {
    ASSERT_LT(i, msgs.size());
    EXPECT_EQ(m.type, msgs[i].type);
    EXPECT_EQ(m.flags, msgs[i].flags);
    EXPECT_EQ(ToBytes(m.payload), msgs[i].payload);
    ++i;
  }
  EXPECT_EQ(i, msgs.size());
}

TEST(BatchBuilderTest, ExactWireLayout) {
  BatchBuilder b(0x04030201_id);
  const uint8_t payload[] = {0xaa, 0xbb};
  b.Append(MessageType::kControlBase, payload, 0x0605);
  const Bytes bytes = ToBytes(b.Seal(0x1112131415161718ull));
  const Bytes expected = {'S',  '6',  1,    0,                             // magic, version, flags
                          0x01, 0x02, 0x03, 0x04,                          // sender
                          0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,  // sequence
                          0x01, 0x00, 0x00, 0x00,                          // count
                          0x00, 0x02, 0x05, 0x06, 0x02, 0x00, 0x00, 0x00,  // type, flags, length
                          0xaa, 0xbb};
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(kBatchHeaderSize, 20u);
  EXPECT_EQ(kMessageHeaderSize, 8u);
}

// ZmqTransport seals a batch when it queues it and numbers it when ZeroMQ takes it: the
// unnumbered batch must be unusable as is, and numbering it must give exactly Seal's bytes.
TEST(BatchBuilderTest, UnnumberedBatchIsRejectedUntilSetBatchSequence) {
  BatchBuilder b(0x04030201_id);
  b.Append(MessageType::kControlBase, Payload(3, 9));
  const Bytes numbered = ToBytes(b.Seal(0x1112131415161718ull));
  Bytes unnumbered = ToBytes(b.SealUnnumbered());
  EXPECT_EQ(ParseBatch(unnumbered).error, ParseError::kZeroSequence);
  EXPECT_EQ(kBatchSequenceOffset, 8u);
  SetBatchSequence(unnumbered, 0x1112131415161718ull);
  EXPECT_EQ(unnumbered, numbered);
  SetBatchSequence(unnumbered, 2);  // renumbering overwrites only the sequence
  const ParsedBatch batch = ParseBatch(unnumbered);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch.header.sequence, 2u);
  EXPECT_EQ(batch.header.sender, 0x04030201_id);
  EXPECT_EQ(batch.header.message_count, 1u);
}

TEST(BatchBuilderTest, ClearReusesAndEmptyBatchIsValid) {
  BatchBuilder b(1_id);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size_bytes(), kBatchHeaderSize);
  b.Append(MessageType::kPing, Payload(500, 1));
  EXPECT_EQ(b.message_count(), 1u);
  b.Clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size_bytes(), kBatchHeaderSize);
  const ParsedBatch batch = ParseBatch(b.Seal(1));
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch.header.message_count, 0u);
  EXPECT_TRUE(batch.begin() == batch.end());
}

TEST(BatchBuilderTest, AppendEncodedPatchesLength) {
  BatchBuilder b(3_id);
  b.AppendEncoded(MessageType::kObjectBase, [](ByteWriter& w) {
    w.PutU32(0x01020304);
    w.PutUnsigned(uint64_t{99});
  });
  b.AppendEncoded(MessageType::kPing, [](ByteWriter&) {});
  const Bytes bytes = ToBytes(b.Seal(9));
  const ParsedBatch batch = ParseBatch(bytes);
  ASSERT_TRUE(batch.ok());
  auto it = batch.begin();
  ASSERT_FALSE(it == batch.end());
  EXPECT_EQ(it->payload.size(), 12u);
  ByteReader r(it->payload);
  uint32_t a = 0;
  uint64_t c = 0;
  r.GetU32(a);
  r.GetUnsigned(c);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(a, 0x01020304u);
  EXPECT_EQ(c, 99u);
  ++it;
  ASSERT_FALSE(it == batch.end());
  EXPECT_TRUE(it->payload.empty());
  ++it;
  EXPECT_TRUE(it == batch.end());
}

// Every proper prefix of a valid batch is rejected, and with the reason that matches where the
// cut falls: inside the header, at a message boundary (too few messages), inside a message
// header, or inside a payload.
TEST(ParseBatchTest, EveryTruncationRejectedWithTheRightReason) {
  const std::vector<Msg> msgs = SampleMessages();
  const Bytes full = Build(msgs);
  ASSERT_EQ(Parse(full), ParseError::kOk);

  // Offsets where each message starts and where its payload starts.
  std::vector<std::size_t> starts;
  std::size_t off = kBatchHeaderSize;
  for (const Msg& m : msgs) {
    starts.push_back(off);
    off += kMessageHeaderSize + m.payload.size();
  }
  ASSERT_EQ(off, full.size());

  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    ParseError want;
    if (cut < kBatchHeaderSize) {
      want = ParseError::kTruncatedHeader;
    } else {
      want = ParseError::kPayloadOutOfBounds;
      for (std::size_t s : starts) {
        if (cut == s) want = ParseError::kCountMismatch;
        if (cut > s && cut < s + kMessageHeaderSize) want = ParseError::kTruncatedMessageHeader;
      }
    }
    // An exactly-sized heap copy, so a sanitizer would catch any read past the end.
    const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_EQ(Parse(prefix), want) << "cut at " << cut << " got " << ParseErrorName(Parse(prefix));
  }
}

TEST(ParseBatchTest, BadMagicVersionFlagsSequence) {
  Bytes b = RawHeader(0x3654, kWireVersion, 0, 1, 1, 0);
  EXPECT_EQ(Parse(b), ParseError::kBadMagic);
  b = RawHeader(0x5336, kWireVersion, 0, 1, 1, 0);  // '6' 'S': byte-swapped magic
  EXPECT_EQ(Parse(b), ParseError::kBadMagic);
  b = RawHeader(kBatchMagic, 0, 0, 1, 1, 0);
  EXPECT_EQ(Parse(b), ParseError::kBadVersion);
  b = RawHeader(kBatchMagic, kWireVersion + 1, 0, 1, 1, 0);
  EXPECT_EQ(Parse(b), ParseError::kBadVersion);
  b = RawHeader(kBatchMagic, kWireVersion, 0x80, 1, 1, 0);
  EXPECT_EQ(Parse(b), ParseError::kBadFlags);
  b = RawHeader(kBatchMagic, kWireVersion, 0, 1, 0, 0);
  EXPECT_EQ(Parse(b), ParseError::kZeroSequence);
  b = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 0);
  EXPECT_EQ(Parse(b), ParseError::kOk);
}

TEST(ParseBatchTest, LengthOverflow) {
  const uint8_t p[4] = {1, 2, 3, 4};
  for (uint32_t length : {5u, 0x7fffffffu, 0xfffffff8u, 0xffffffffu}) {
    Bytes b = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 1);
    AppendRawMessage(b, 0x100, 0, length, p);
    EXPECT_EQ(Parse(b), ParseError::kPayloadOutOfBounds) << length;
  }
  // A huge length in the second message, after a valid first one.
  Bytes b = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 2);
  AppendRawMessage(b, 0x100, 0, 4, p);
  AppendRawMessage(b, 0x100, 0, 0xffffffffu, p);
  EXPECT_EQ(Parse(b), ParseError::kPayloadOutOfBounds);
}

TEST(ParseBatchTest, CountMismatchAndTrailingBytes) {
  const uint8_t p[3] = {1, 2, 3};
  Bytes two = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 2);
  AppendRawMessage(two, 0x100, 0, 3, p);
  AppendRawMessage(two, 0x101, 0, 3, p);
  EXPECT_EQ(Parse(two), ParseError::kOk);

  Bytes claims_three = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 3);
  claims_three.insert(claims_three.end(), two.begin() + kBatchHeaderSize, two.end());
  EXPECT_EQ(Parse(claims_three), ParseError::kCountMismatch);

  Bytes claims_one = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 1);
  claims_one.insert(claims_one.end(), two.begin() + kBatchHeaderSize, two.end());
  EXPECT_EQ(Parse(claims_one), ParseError::kTrailingBytes);

  Bytes extra = two;
  extra.push_back(0);
  EXPECT_EQ(Parse(extra), ParseError::kTrailingBytes);

  Bytes zero_count_with_body = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 0);
  zero_count_with_body.push_back(0);
  EXPECT_EQ(Parse(zero_count_with_body), ParseError::kTrailingBytes);

  // A count of 4 billion with no messages: rejected without looping or allocating.
  Bytes huge = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1, 0xffffffffu);
  EXPECT_EQ(Parse(huge), ParseError::kCountMismatch);
  AppendRawMessage(huge, 0x100, 0, 0, {});
  EXPECT_EQ(Parse(huge), ParseError::kCountMismatch);
}

TEST(ParseBatchTest, UnknownTypesParseButAreNotKnown) {
  const Bytes b = Build({{static_cast<MessageType>(0x7777), 0, Payload(3, 1)}});
  const ParsedBatch batch = ParseBatch(b);
  ASSERT_TRUE(batch.ok());
  EXPECT_FALSE(IsKnownType(batch.begin()->type));
  EXPECT_TRUE(IsKnownType(MessageType::kHello));
  EXPECT_TRUE(IsKnownType(MessageType::kPong));
  EXPECT_FALSE(IsKnownType(static_cast<MessageType>(0)));
  EXPECT_FALSE(IsKnownType(static_cast<MessageType>(6)));
  EXPECT_TRUE(IsKnownType(static_cast<MessageType>(0x1ff)));
  EXPECT_TRUE(IsObjectType(static_cast<MessageType>(0x180)));
  EXPECT_TRUE(IsControlType(static_cast<MessageType>(0x2ff)));
  EXPECT_FALSE(IsKnownType(static_cast<MessageType>(0x300)));
  EXPECT_TRUE(IsHandshakeType(MessageType::kHelloReject));
  EXPECT_FALSE(IsHandshakeType(MessageType::kPing));
}

TEST(ParseBatchTest, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kParseErrorCount; ++i) {
    names.insert(ParseErrorName(static_cast<ParseError>(i)));
  }
  EXPECT_EQ(names.size(), kParseErrorCount);
  EXPECT_EQ(ParseErrorName(static_cast<ParseError>(kParseErrorCount)), "unknown");
  EXPECT_EQ(ParseErrorName(ParseError::kTrailingBytes), "trailing_bytes");
}

TEST(HelloPayloadTest, RoundTripAndStrictSize) {
  ByteBuffer buf;
  ByteWriter w(buf);
  EncodeHello({.instance = 3_id, .wire_version = 1, .schema_hash = 0xabcdef0123456789ull}, w);
  ASSERT_EQ(buf.size(), kHelloPayloadSize);
  HelloPayload h;
  ASSERT_TRUE(DecodeHello(buf.span(), h));
  EXPECT_EQ(h.instance, 3_id);
  EXPECT_EQ(h.wire_version, 1);
  EXPECT_EQ(h.schema_hash, 0xabcdef0123456789ull);
  EXPECT_FALSE(DecodeHello(buf.span().first(kHelloPayloadSize - 1), h));
  buf.Append("x", 1);
  EXPECT_FALSE(DecodeHello(buf.span(), h));

  ByteBuffer rbuf;
  ByteWriter rw(rbuf);
  EncodeHelloReply({.instance = 9_id, .schema_hash = 5}, rw);
  HelloReplyPayload r;
  ASSERT_TRUE(DecodeHelloReply(rbuf.span(), r));
  EXPECT_EQ(r.instance, 9_id);
  EXPECT_EQ(r.schema_hash, 5u);
  EXPECT_FALSE(DecodeHelloReply(rbuf.span().first(3), r));
}

// Checks the invariants of whatever ParseBatch returns for `input`: never a crash, accepted
// batches have every payload inside the input, and the messages tile the body exactly.
void CheckParseInvariants(const Bytes& input) {
  const ParsedBatch batch = ParseBatch(input);
  if (!batch.ok()) {
    EXPECT_TRUE(batch.body.empty());
    EXPECT_TRUE(batch.begin() == batch.end());
    return;
  }
  std::size_t consumed = kBatchHeaderSize;
  uint32_t n = 0;
  for (const MessageView& m : batch) {
    ASSERT_GE(m.payload.data(), input.data());
    ASSERT_LE(m.payload.data() + m.payload.size(), input.data() + input.size());
    consumed += kMessageHeaderSize + m.payload.size();
    ++n;
  }
  EXPECT_EQ(n, batch.header.message_count);
  EXPECT_EQ(consumed, input.size());
}

// ~50k deterministic iterations: random bytes (some behind a valid header prefix, to get past
// the first checks) and random mutations of valid batches. Run under ASan/UBSan in CI.
TEST(ParseBatchFuzzTest, RandomBytesAndMutationsNeverCrash) {
  std::mt19937_64 rng(0x5336'2024'0001ull);
  const auto uniform = [&rng](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  const Bytes valid = Build(SampleMessages());
  const Bytes valid_small = Build({{MessageType::kPing, 0, Payload(2, 9)}});
  std::size_t accepted = 0;
  std::array<std::size_t, kParseErrorCount> seen{};

  for (int iter = 0; iter < 50000; ++iter) {
    Bytes input;
    switch (iter % 5) {
      case 0: {  // pure noise
        input.resize(uniform(0, 96));
        for (auto& b : input) b = static_cast<uint8_t>(rng());
        break;
      }
      case 1: {  // valid header prefix, noise after
        input = RawHeader(kBatchMagic, kWireVersion, 0, 1, 1 + rng() % 4,
                          static_cast<uint32_t>(uniform(0, 4)));
        const std::size_t n = uniform(0, 64);
        for (std::size_t i = 0; i < n; ++i) {
          // Small values make plausible lengths and types.
          input.push_back(static_cast<uint8_t>(rng() % 3 == 0 ? rng() : rng() % 8));
        }
        break;
      }
      case 2: {  // flip a few bytes of a valid batch
        input = (iter & 8) ? valid : valid_small;
        const std::size_t flips = uniform(1, 4);
        for (std::size_t f = 0; f < flips; ++f) {
          input[uniform(0, input.size() - 1)] ^= static_cast<uint8_t>(1u << uniform(0, 7));
        }
        break;
      }
      case 3: {  // truncate or extend a valid batch
        input = (iter & 8) ? valid : valid_small;
        if (rng() & 1) {
          input.resize(uniform(0, input.size()));
        } else {
          const std::size_t n = uniform(1, 16);
          for (std::size_t i = 0; i < n; ++i) input.push_back(static_cast<uint8_t>(rng()));
        }
        break;
      }
      default: {  // overwrite a length or count field with an extreme value
        input = valid;
        const std::size_t field = uniform(0, 5);
        const uint32_t values[] = {0, 1, 0x7fffffff, 0xffffffff, 8, 0x10000};
        const uint32_t v = values[uniform(0, 5)];
        const std::size_t at = field == 0 ? 16 : kBatchHeaderSize + 4;  // count or 1st length
        std::memcpy(input.data() + at, &v, 4);  // host order is fine: any value will do
        break;
      }
    }
    // Exactly-sized heap copy so a sanitizer catches a read past the end.
    const Bytes exact(input.begin(), input.end());
    CheckParseInvariants(exact);
    const ParsedBatch b = ParseBatch(exact);
    ++seen[static_cast<std::size_t>(b.error)];
    if (b.ok()) ++accepted;
  }
  // The corpus must actually reach the deep checks, not only fail on the magic.
  EXPECT_GT(accepted, 0u);
  for (ParseError e :
       {ParseError::kTruncatedHeader, ParseError::kBadMagic, ParseError::kTruncatedMessageHeader,
        ParseError::kPayloadOutOfBounds, ParseError::kCountMismatch, ParseError::kTrailingBytes}) {
    EXPECT_GT(seen[static_cast<std::size_t>(e)], 0u) << ParseErrorName(e);
  }
}

}  // namespace
}  // namespace s6::transport

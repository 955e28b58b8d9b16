// SPDX-License-Identifier: Apache-2.0
// Pins s6/bytes.h: ByteBuffer storage semantics (inline storage, growth to the heap, copy, move,
// self-assignment, Truncate, equality), ByteWriter's little-endian byte layout, and ByteReader's
// bounds checking (short reads fail, failure is sticky, AtEnd/remaining/Take behave).
#include <s6/bytes.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace s6 {
namespace {

std::vector<uint8_t> Bytes(const ByteBuffer& b) { return {b.data(), b.data() + b.size()}; }

// Fills `b` with `n` bytes 0, 1, 2, ... (mod 256).
void FillPattern(ByteBuffer& b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<uint8_t>(i);
    b.Append(&v, 1);
  }
}

bool HasPattern(const ByteBuffer& b, std::size_t n) {
  if (b.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (b.data()[i] != static_cast<uint8_t>(i)) return false;
  }
  return true;
}

// True if `p` points into the object `b` itself (i.e. the inline storage).
bool PointsInside(const ByteBuffer& b, const uint8_t* p) {
  const auto* lo = reinterpret_cast<const uint8_t*>(&b);
  return p >= lo && p < lo + sizeof(ByteBuffer);
}

// ---- ByteBuffer ------------------------------------------------------------------------------

TEST(ByteBufferTest, DefaultIsEmptyWithInlineCapacity) {
  ByteBuffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), ByteBuffer::kInline);
  EXPECT_NE(b.data(), nullptr);
  EXPECT_TRUE(PointsInside(b, b.data()));
  EXPECT_TRUE(b.span().empty());
}

TEST(ByteBufferTest, StaysInlineUpToKInline) {
  ByteBuffer b;
  FillPattern(b, ByteBuffer::kInline);
  EXPECT_EQ(b.capacity(), ByteBuffer::kInline);
  EXPECT_TRUE(PointsInside(b, b.data()));
  EXPECT_TRUE(HasPattern(b, ByteBuffer::kInline));
}

TEST(ByteBufferTest, GrowsToHeapAndKeepsContents) {
  ByteBuffer b;
  FillPattern(b, ByteBuffer::kInline);
  const uint8_t extra = static_cast<uint8_t>(ByteBuffer::kInline);
  b.Append(&extra, 1);
  EXPECT_FALSE(PointsInside(b, b.data()));
  EXPECT_GE(b.capacity(), ByteBuffer::kInline + 1);
  EXPECT_TRUE(HasPattern(b, ByteBuffer::kInline + 1));
  // Keep growing (realloc path) through several doublings.
  ByteBuffer c;
  FillPattern(c, 100000);
  EXPECT_GE(c.capacity(), 100000u);
  EXPECT_TRUE(HasPattern(c, 100000));
}

TEST(ByteBufferTest, ExtendReturnsPointerToNewBytes) {
  ByteBuffer b;
  uint8_t* p = b.Extend(3);
  p[0] = 1;
  p[1] = 2;
  p[2] = 3;
  uint8_t* q = b.Extend(200);  // crosses to the heap
  EXPECT_EQ(q, b.data() + 3);
  std::memset(q, 0xAB, 200);
  ASSERT_EQ(b.size(), 203u);
  EXPECT_EQ(b.data()[0], 1);
  EXPECT_EQ(b.data()[2], 3);
  EXPECT_EQ(b.data()[3], 0xAB);
  EXPECT_EQ(b.data()[202], 0xAB);
}

TEST(ByteBufferTest, AppendZeroBytesIsNoOp) {
  ByteBuffer b;
  b.Append(nullptr, 0);
  EXPECT_TRUE(b.empty());
}

TEST(ByteBufferTest, ReserveGrowsCapacityOnly) {
  ByteBuffer b;
  FillPattern(b, 10);
  b.reserve(5000);
  EXPECT_GE(b.capacity(), 5000u);
  EXPECT_TRUE(HasPattern(b, 10));
  const std::size_t cap = b.capacity();
  b.reserve(10);  // never shrinks
  EXPECT_EQ(b.capacity(), cap);
}

TEST(ByteBufferTest, ClearKeepsCapacity) {
  ByteBuffer b;
  FillPattern(b, 1000);
  const std::size_t cap = b.capacity();
  const uint8_t* data = b.data();
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), cap);
  EXPECT_EQ(b.data(), data);
  FillPattern(b, 1000);
  EXPECT_EQ(b.data(), data);  // reused, not reallocated
  EXPECT_TRUE(HasPattern(b, 1000));
}

TEST(ByteBufferTest, CopyInline) {
  ByteBuffer a;
  FillPattern(a, 50);
  ByteBuffer b(a);
  EXPECT_TRUE(HasPattern(a, 50));
  EXPECT_TRUE(HasPattern(b, 50));
  EXPECT_TRUE(PointsInside(b, b.data()));
  EXPECT_EQ(a, b);
}

TEST(ByteBufferTest, CopyHeapIsDeep) {
  ByteBuffer a;
  FillPattern(a, 1000);
  ByteBuffer b(a);
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(a, b);
  b.data()[0] = 0xFF;
  EXPECT_EQ(a.data()[0], 0);
  EXPECT_NE(a, b);
}

TEST(ByteBufferTest, CopyAssignBetweenInlineAndHeap) {
  ByteBuffer small;
  FillPattern(small, 7);
  ByteBuffer big;
  FillPattern(big, 500);

  ByteBuffer x;
  FillPattern(x, 300);
  x = small;  // heap target, inline source
  EXPECT_TRUE(HasPattern(x, 7));
  x = big;  // heap target, heap source
  EXPECT_TRUE(HasPattern(x, 500));

  ByteBuffer y;
  y = big;  // inline target, heap source
  EXPECT_TRUE(HasPattern(y, 500));
  EXPECT_TRUE(HasPattern(big, 500));
}

TEST(ByteBufferTest, MoveInline) {
  ByteBuffer a;
  FillPattern(a, 60);
  ByteBuffer b(std::move(a));
  EXPECT_TRUE(HasPattern(b, 60));
  EXPECT_TRUE(PointsInside(b, b.data()));
  // The moved-from buffer is empty and usable.
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  FillPattern(a, 10);
  EXPECT_TRUE(HasPattern(a, 10));
}

TEST(ByteBufferTest, MoveHeapStealsStorage) {
  ByteBuffer a;
  FillPattern(a, 1000);
  const uint8_t* heap = a.data();
  ByteBuffer b(std::move(a));
  EXPECT_EQ(b.data(), heap);
  EXPECT_TRUE(HasPattern(b, 1000));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.capacity(), ByteBuffer::kInline);
  EXPECT_TRUE(PointsInside(a, a.data()));
  FillPattern(a, 500);  // the moved-from buffer can grow again
  EXPECT_TRUE(HasPattern(a, 500));
  EXPECT_TRUE(HasPattern(b, 1000));
}

TEST(ByteBufferTest, MoveAssignAllCombinations) {
  for (std::size_t target_size : {std::size_t{5}, std::size_t{700}}) {
    for (std::size_t source_size : {std::size_t{0}, std::size_t{9}, std::size_t{900}}) {
      SCOPED_TRACE(testing::Message() << "target " << target_size << " source " << source_size);
      ByteBuffer target;
      FillPattern(target, target_size);
      ByteBuffer source;
      FillPattern(source, source_size);
      target = std::move(source);
      EXPECT_TRUE(HasPattern(target, source_size));
      EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)
      FillPattern(source, 300);
      EXPECT_TRUE(HasPattern(source, 300));
      EXPECT_TRUE(HasPattern(target, source_size));
    }
  }
}

TEST(ByteBufferTest, SelfAssignment) {
  for (std::size_t n : {std::size_t{0}, std::size_t{40}, std::size_t{400}}) {
    ByteBuffer b;
    FillPattern(b, n);
    ByteBuffer& alias = b;
    b = alias;
    EXPECT_TRUE(HasPattern(b, n));
    b = std::move(alias);
    EXPECT_TRUE(HasPattern(b, n));
  }
}

TEST(ByteBufferTest, Truncate) {
  ByteBuffer b;
  FillPattern(b, 300);
  const std::size_t cap = b.capacity();
  b.Truncate(1000);  // larger than size: no-op
  EXPECT_EQ(b.size(), 300u);
  b.Truncate(300);
  EXPECT_EQ(b.size(), 300u);
  b.Truncate(17);
  EXPECT_TRUE(HasPattern(b, 17));
  EXPECT_EQ(b.capacity(), cap);
  b.Truncate(0);
  EXPECT_TRUE(b.empty());
}

TEST(ByteBufferTest, Equality) {
  ByteBuffer a;
  ByteBuffer b;
  EXPECT_EQ(a, b);
  FillPattern(a, 3);
  EXPECT_NE(a, b);
  FillPattern(b, 3);
  EXPECT_EQ(a, b);
  b.data()[2] = 9;
  EXPECT_NE(a, b);
  // Same prefix, different length.
  ByteBuffer c;
  FillPattern(c, 4);
  EXPECT_NE(a, c);
  // Inline vs heap with equal contents compare equal; capacity does not matter.
  ByteBuffer d;
  d.reserve(4096);
  FillPattern(d, 3);
  EXPECT_EQ(a, d);
}

// ---- ByteWriter ------------------------------------------------------------------------------

TEST(ByteWriterTest, LittleEndianLayout) {
  ByteBuffer b;
  ByteWriter w(b);
  w.PutU8(0xAB);
  w.PutUnsigned(uint16_t{0x0102});
  w.PutU32(0x01020304u);
  w.PutUnsigned(uint64_t{0x0102030405060708ull});
  EXPECT_EQ(w.size(), 1u + 2 + 4 + 8);
  EXPECT_EQ(Bytes(b), (std::vector<uint8_t>{0xAB, 0x02, 0x01, 0x04, 0x03, 0x02, 0x01, 0x08, 0x07,
                                            0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
}

TEST(ByteWriterTest, ExtremeValues) {
  ByteBuffer b;
  ByteWriter w(b);
  w.PutU32(0xFFFFFFFFu);
  w.PutU32(0);
  w.PutUnsigned(uint64_t{0x8000000000000001ull});
  EXPECT_EQ(Bytes(b), (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0,
                                            0, 0x80}));
}

TEST(ByteWriterTest, PutBytesAndExtendAppend) {
  ByteBuffer b;
  const uint8_t pre = 0x55;
  b.Append(&pre, 1);  // the writer appends after existing contents
  ByteWriter w(b);
  const char text[] = "xyz";
  w.PutBytes(text, 3);
  uint8_t* p = w.Extend(2);
  p[0] = 0xEE;
  p[1] = 0xFF;
  EXPECT_EQ(&w.buffer(), &b);
  EXPECT_EQ(Bytes(b), (std::vector<uint8_t>{0x55, 'x', 'y', 'z', 0xEE, 0xFF}));
}

// ---- ByteReader ------------------------------------------------------------------------------

TEST(ByteReaderTest, ReadsLittleEndian) {
  const uint8_t in[] = {0xAB, 0x02, 0x01, 0x04, 0x03, 0x02, 0x01, 0x08,
                        0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
  ByteReader r(in, sizeof in);
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(r.GetU8(u8));
  ASSERT_TRUE(r.GetUnsigned(u16));
  ASSERT_TRUE(r.GetU32(u32));
  ASSERT_TRUE(r.GetUnsigned(u64));
  EXPECT_EQ(u8, 0xAB);
  EXPECT_EQ(u16, 0x0102);
  EXPECT_EQ(u32, 0x01020304u);
  EXPECT_EQ(u64, 0x0102030405060708ull);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, WriterReaderRoundTrip) {
  ByteBuffer b;
  ByteWriter w(b);
  for (uint32_t i = 0; i < 100; ++i) {
    w.PutU32(i * 0x01010101u);
    w.PutUnsigned(uint64_t{i} << 40 | i);
  }
  ByteReader r(b);
  for (uint32_t i = 0; i < 100; ++i) {
    uint32_t a;
    uint64_t c;
    ASSERT_TRUE(r.GetU32(a));
    ASSERT_TRUE(r.GetUnsigned(c));
    EXPECT_EQ(a, i * 0x01010101u);
    EXPECT_EQ(c, uint64_t{i} << 40 | i);
  }
  EXPECT_TRUE(r.AtEnd());
}

TEST(ByteReaderTest, ShortReadFailsAndIsSticky) {
  const uint8_t in[] = {1, 2, 3};
  ByteReader r(in, sizeof in);
  uint32_t v = 0xDEADBEEF;
  EXPECT_FALSE(r.GetU32(v));  // 3 bytes left, 4 needed
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.AtEnd());
  EXPECT_EQ(r.remaining(), 0u);
  // Sticky: even a read that would fit now fails.
  uint8_t b = 0;
  EXPECT_FALSE(r.GetU8(b));
  EXPECT_EQ(r.Take(0), nullptr);
  EXPECT_FALSE(r.ok());
}

TEST(ByteReaderTest, ShortReadOfEveryWidth) {
  const uint8_t in[8] = {};
  for (std::size_t n = 0; n < 8; ++n) {
    ByteReader r(in, n);
    uint64_t v;
    EXPECT_FALSE(r.GetUnsigned(v)) << n;
    EXPECT_FALSE(r.ok());
  }
  for (std::size_t n = 0; n < 2; ++n) {
    ByteReader r(in, n);
    uint16_t v;
    EXPECT_FALSE(r.GetUnsigned(v)) << n;
  }
  ByteReader empty(in, 0);
  uint8_t b;
  EXPECT_FALSE(empty.GetU8(b));
}

TEST(ByteReaderTest, FailIsSticky) {
  const uint8_t in[] = {1, 2, 3, 4};
  ByteReader r(in, sizeof in);
  EXPECT_FALSE(r.Fail());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.AtEnd());
  uint8_t b;
  EXPECT_FALSE(r.GetU8(b));
}

TEST(ByteReaderTest, AtEndAndRemaining) {
  const uint8_t in[] = {1, 2, 3, 4, 5};
  ByteReader r(in, sizeof in);
  EXPECT_EQ(r.remaining(), 5u);
  EXPECT_FALSE(r.AtEnd());
  uint8_t b;
  ASSERT_TRUE(r.GetU8(b));
  EXPECT_EQ(b, 1);
  EXPECT_EQ(r.remaining(), 4u);
  uint32_t v;
  ASSERT_TRUE(r.GetU32(v));
  EXPECT_EQ(v, 0x05040302u);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.AtEnd());

  ByteReader empty(in, 0);
  EXPECT_TRUE(empty.AtEnd());
  EXPECT_TRUE(empty.ok());

  ByteReader defaulted;
  EXPECT_TRUE(defaulted.ok());
  EXPECT_TRUE(defaulted.AtEnd());
  EXPECT_EQ(defaulted.remaining(), 0u);
}

TEST(ByteReaderTest, Take) {
  const uint8_t in[] = {10, 20, 30, 40, 50};
  ByteReader r(in, sizeof in);
  const uint8_t* p = r.Take(2);
  ASSERT_EQ(p, in);
  const uint8_t* q = r.Take(0);  // zero-length take at a non-null position succeeds
  EXPECT_EQ(q, in + 2);
  EXPECT_TRUE(r.ok());
  const uint8_t* s = r.Take(3);
  EXPECT_EQ(s, in + 2);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(r.Take(1), nullptr);
  EXPECT_FALSE(r.ok());
}

TEST(ByteReaderTest, TakeTooMuchDoesNotAdvance) {
  const uint8_t in[] = {10, 20, 30};
  ByteReader r(in, sizeof in);
  EXPECT_EQ(r.Take(4), nullptr);
  EXPECT_FALSE(r.ok());
  // A huge request must not overflow the pointer arithmetic.
  ByteReader r2(in, sizeof in);
  EXPECT_EQ(r2.Take(SIZE_MAX), nullptr);
  EXPECT_FALSE(r2.ok());
}

TEST(ByteReaderTest, GetBytes) {
  const uint8_t in[] = {1, 2, 3, 4, 5, 6};
  ByteReader r(std::span<const uint8_t>(in, sizeof in));
  uint8_t out[4] = {};
  ASSERT_TRUE(r.GetBytes(out, 4));
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[3], 4);
  EXPECT_TRUE(r.GetBytes(out, 0));
  EXPECT_FALSE(r.GetBytes(out, 3));  // only 2 left
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(out[0], 1);  // a failed read leaves the output alone
}

TEST(ByteReaderTest, ReadsFromByteBuffer) {
  ByteBuffer b;
  FillPattern(b, 300);
  ByteReader r(b);
  EXPECT_EQ(r.remaining(), 300u);
  const uint8_t* p = r.Take(300);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p, b.data());
  EXPECT_TRUE(r.AtEnd());
}

// Regression test (a defect this suite found, now fixed; s6/bytes.h, ByteReader::Take/GetBytes): a
// reader over an empty range whose base pointer is null (e.g. ByteReader(std::span<const
// uint8_t>{}), or a std::vector<uint8_t>{}'s data()) returns nullptr from a successful Take(0).
// GetBytes(out, 0) then reports failure while ok() stays true, so decoding a zero-byte value
// (std::array<uint8_t, 0>, bitset<0>) from such a reader fails although the input is valid.
// Expected: GetBytes(out, 0) succeeds on any healthy reader.
TEST(ByteReaderTest, ZeroLengthReadFromNullEmptyRange) {
  ByteReader r(std::span<const uint8_t>{});
  uint8_t out[1];
  EXPECT_TRUE(r.GetBytes(out, 0)) << "zero-length GetBytes fails on a null base";
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.AtEnd());
}

}  // namespace
}  // namespace s6

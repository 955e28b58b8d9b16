// SPDX-License-Identifier: Apache-2.0
// Pins the s6c-generated codecs: every field of every construct in inputs/ survives
// encode -> bytes -> decode, including empty containers, extreme values, private fields,
// bit-fields, bases, nested and recursive records; truncated or padded bytes are rejected.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <s6/key.h>

#include "containers.s6.h"
#include "flows.s6.h"
#include "keys.s6.h"
#include "methods.s6.h"
#include "nested.s6.h"
#include "scalars.s6.h"

namespace {

// `canonical`: the type has no unordered containers, so its encoding is unique.
template <typename T>
void ExpectRoundTrip(const T& original, bool canonical = true) {
  const s6::ByteBuffer bytes = s6::EncodeToBuffer(original);
  T decoded{};
  ASSERT_TRUE(s6::DecodeExact(bytes, decoded));
  EXPECT_TRUE(decoded == original);
  if (canonical) {
    EXPECT_EQ(s6::EncodeToBuffer(decoded), bytes) << "re-encoding differs";
  } else {
    EXPECT_EQ(s6::EncodeToBuffer(decoded).size(), bytes.size());
  }
  EXPECT_GE(bytes.size(), s6::kMinEncodedSize<T>);
  // Every strict prefix fails cleanly; so does a trailing byte.
  for (std::size_t n = 0; n < bytes.size(); n += 1 + n / 64) {
    T partial{};
    EXPECT_FALSE(s6::DecodeExact(bytes.data(), n, partial)) << "prefix of " << n << " bytes";
  }
  s6::ByteBuffer padded = bytes;
  padded.Append("x", 1);
  T extra{};
  EXPECT_FALSE(s6::DecodeExact(padded, extra));
}

t::Scalars ExtremeScalars(bool max) {
  t::Scalars s;
  s.b = max;
  s.c = max ? std::numeric_limits<char>::max() : std::numeric_limits<char>::min();
  s.sc = max ? 127 : -128;
  s.uc = max ? 255 : 0;
  s.i8 = max ? INT8_MAX : INT8_MIN;
  s.u8 = max ? UINT8_MAX : 0;
  s.i16 = max ? INT16_MAX : INT16_MIN;
  s.u16 = max ? UINT16_MAX : 0;
  s.i32 = max ? INT32_MAX : INT32_MIN;
  s.u32 = max ? UINT32_MAX : 0;
  s.i64 = max ? INT64_MAX : INT64_MIN;
  s.u64 = max ? UINT64_MAX : 0;
  s.l = max ? std::numeric_limits<long>::max() : std::numeric_limits<long>::min();
  s.ull = max ? ~0ull : 0;
  s.f = max ? std::numeric_limits<float>::max() : -std::numeric_limits<float>::infinity();
  s.d = max ? std::numeric_limits<double>::denorm_min() : -0.0;
  s.color = max ? t::kBlue : t::kRed;
  s.tiny = max ? t::Tiny::kHigh : t::Tiny::kLow;
  s.wide = t::Wide::kMax;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) s.grid[i][j] = max ? INT32_MAX - i - j : INT32_MIN + i + j;
  }
  return s;
}

TEST(RoundTripTest, ScalarsAtBothExtremes) {
  ExpectRoundTrip(ExtremeScalars(true));
  ExpectRoundTrip(ExtremeScalars(false));
  ExpectRoundTrip(t::Scalars{});
}

TEST(RoundTripTest, NegativeZeroKeepsItsSign) {
  t::Scalars s;
  s.d = -0.0;
  t::Scalars out;
  ASSERT_TRUE(s6::DecodeExact(s6::EncodeToBuffer(s), out));
  EXPECT_TRUE(std::signbit(out.d));
}

TEST(RoundTripTest, SingleWriterWithPrivateFieldsAndBitFields) {
  t::Counter c;
  c.add(-42);
  c.set_flags(5, true);
  c.scalars() = ExtremeScalars(true);
  ExpectRoundTrip(c);
  ExpectRoundTrip(t::Counter{});
}

TEST(RoundTripTest, BitFieldValuesWiderThanTheFieldAreRejected) {
  t::Counter c;
  c.set_flags(7, true);
  s6::ByteBuffer bytes = s6::EncodeToBuffer(c);
  // Layout: total_ (8 bytes), mode_ (4 bytes, unsigned), on_ (1 byte), ...
  bytes.data()[8] = 8;  // 8 does not fit in 3 bits
  t::Counter out;
  EXPECT_FALSE(s6::DecodeExact(bytes, out));
}

t::Everything FullEverything() {
  t::Everything e;
  e.name = std::string("name\0with nul", 13);
  e.bytes = {0, 1, 2, 255};
  e.words = {"", "a", std::string(1000, 'w')};
  e.bits = {true, false, true, true, false};
  e.queue = {INT32_MIN, 0, INT32_MAX};
  e.samples = {1.5, -2.25, 1e300};
  e.ports = {1, 2, 65535, 0};
  e.counters = {{"a", 1}, {"b", INT64_MIN}, {"", INT64_MAX}};
  e.multi = {{1, "x"}, {1, "y"}, {2, "z"}};
  e.buckets = {{7, {1, 2, 3}}, {UINT64_MAX, {}}};
  e.endpoints = {{1, 2}, {3, 4}, {0xffffffff, 0xffff}};
  e.repeats = {1, 1, -1, 32767};
  e.tags = {"x", "yy", "zzz"};
  e.small_bits.set(0).set(12);
  for (int i = 0; i < 65536; i += 7) e.used.set(static_cast<std::size_t>(i));
  e.peer = t::Endpoint{10, 20};
  e.maybe_maybe = std::optional<int32_t>{};  // engaged outer, empty inner
  e.labeled = {{5, 6}, "label"};
  e.mixed = {-1, "mixed", {1, 2, 3}};
  e.deep = {{{"k", {std::nullopt, std::make_tuple(1, std::string("one"))}}, {"", {}}}, {}};
  e.touch();
  return e;
}

TEST(RoundTripTest, EveryContainerFullAndEmpty) {
  ExpectRoundTrip(FullEverything(), /*canonical=*/false);
  ExpectRoundTrip(t::Everything{});
}

TEST(RoundTripTest, NestedRecursiveAndInherited) {
  t::Derived d;
  d.set_base(99);
  d.packets = 10;
  d.bytes = 15000;
  d.put({1, 2, 3, 4, 6}, t::Derived::Slot(-5));
  d.put({9, 9, 9, 9, 17}, t::Derived::Slot(7));
  t::Tree& tree = d.tree;
  tree.label = "root";
  tree.children.resize(2);
  tree.children[0].label = "left";
  tree.children[1].children.resize(1);
  t::Tree* leaf = &tree.children[1].children[0];
  for (int depth = 0; depth < 60; ++depth) {  // deep recursion
    leaf->label = std::to_string(depth);
    leaf->children.resize(1);
    leaf = &leaf->children[0];
  }
  ExpectRoundTrip(d);
  t::Holder h;
  h.inner = d;
  ExpectRoundTrip(h);
  ExpectRoundTrip(t::Derived{});
  EXPECT_EQ(s6::kMinEncodedSize<t::Empty>, 0u);
  EXPECT_EQ(s6::EncodeToBuffer(t::Empty{}).size(), 0u);
}

TEST(RoundTripTest, KeysHaveCanonicalBytesAndAStableHash) {
  const t::FlowId a{0x0a000001, 0xc0a80001, 40000, 80, 6};
  const t::FlowId b{0x0a000001, 0xc0a80001, 40000, 80, 17};
  EXPECT_EQ(s6::KeyBytes(a).size(), 13u);  // no padding on the wire
  EXPECT_EQ(s6::kMinEncodedSize<t::FlowId>, 13u);
  EXPECT_TRUE(s6::KeyEqual(a, a));
  EXPECT_FALSE(s6::KeyEqual(a, b));
  EXPECT_EQ(s6::KeyHash(a), s6::KeyHash(t::FlowId(a)));
  EXPECT_NE(s6::KeyHash(a), s6::KeyHash(b));
  EXPECT_NE(s6::KeyHash(a, 1), s6::KeyHash(a, 2));
  // Field order and little-endian layout are the wire contract.
  const s6::ByteBuffer bytes = s6::KeyBytes(a);
  const uint8_t expected[13] = {0x01, 0, 0, 0x0a, 0x01, 0, 0xa8, 0xc0, 0x40, 0x9c, 80, 0, 6};
  ASSERT_EQ(bytes.size(), sizeof expected);
  EXPECT_EQ(0, std::memcmp(bytes.data(), expected, sizeof expected));
}

// s6::net::FiveTuple's codec is the runtime's (s6/net.h); the generated codecs of the records
// holding it call that one.
TEST(RoundTripTest, RuntimeFiveTupleInStateAndContainers) {
  const s6::net::FiveTuple a{0x0a000001, 0xc0000209, 40000, 80, s6::net::kProtoTcp};
  const s6::net::FiveTuple b{0x0a000002, 0xc0000209, 1, 0, s6::net::kProtoIcmp};
  t::FlowEntry e;
  e.set_key(a);
  e.see(a);
  e.see(b);
  e.see(a.Reversed());
  ExpectRoundTrip(e);
  ExpectRoundTrip(t::FlowEntry{});
  // Exactly the runtime codec's bytes: the key, then the vector's count and elements.
  const s6::ByteBuffer bytes = s6::EncodeToBuffer(e);
  const s6::ByteBuffer key = s6::EncodeToBuffer(a);
  ASSERT_EQ(key.size(), 13u);
  EXPECT_EQ(0, std::memcmp(bytes.data(), key.data(), key.size()));
  EXPECT_EQ(s6::kMinEncodedSize<t::FlowEntry>, 13u + s6::kMinEncodedSize<std::vector<int>>);

  t::FlowTable table;
  table.add(a, 3);
  table.add(b, 1);
  table.add(a, 2);
  table.pinned = b;
  table.conns = {{a, 1500}, {b.Reversed(), 64}};
  ExpectRoundTrip(table);
  ExpectRoundTrip(t::FlowTable{});
  ExpectRoundTrip(t::Conn{a, 7});
}

TEST(RoundTripTest, MalformedBytesNeverCrash) {
  const s6::ByteBuffer good = s6::EncodeToBuffer(FullEverything());
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int iter = 0; iter < 3000; ++iter) {
    s6::ByteBuffer bad = good;
    for (int flips = 0; flips < 4; ++flips) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      bad.data()[(state >> 33) % bad.size()] ^= static_cast<uint8_t>(state >> 13);
    }
    t::Everything out;
    (void)s6::DecodeExact(bad, out);  // must return, true or false, and be ASan-clean
  }
}

}  // namespace

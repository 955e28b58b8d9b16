// SPDX-License-Identifier: Apache-2.0
// Pins s6/hash.h and s6/key.h: exact HashBytes values (part of the wire contract: slot tables
// and method ids derive from them), seed sensitivity, every length 0..64 hashing only its own
// bytes, avalanche on 13-byte keys, KeyHash/KeyEqual agreeing with KeyBytes on tuple keys, and
// an even spread of sequential 5-tuple-like keys over 4096 slots.
//
// Tests marked "Regression test" pin defects this suite found in the headers (all fixed).
#include <s6/hash.h>
#include <s6/key.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace s6 {
namespace {

// Hashes a heap copy of exactly `n` bytes so that AddressSanitizer sees any over-read.
uint64_t HashCopy(const uint8_t* p, std::size_t n, uint64_t seed = 0) {
  static constexpr uint8_t kNoBytes = 0;
  const std::vector<uint8_t> copy(p, p + n);
  return HashBytes(copy.empty() ? &kNoBytes : copy.data(), n, seed);
}

std::vector<uint8_t> Sequence(std::size_t n) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i);
  return v;
}

// ---- Pinned values ---------------------------------------------------------------------------

// Computed once from the implementation in s6/hash.h. If one of these changes, every deployed
// slot table and method id changes with it: that is a wire-format break, not a refactoring.
TEST(HashBytesTest, PinnedValues) {
  EXPECT_EQ(HashBytes("", 0), 0xaea0dfad7439d8a5ull);
  EXPECT_EQ(HashBytes("a", 1), 0xb9495f7948319770ull);
  EXPECT_EQ(HashBytes("0123456789abcdef", 16), 0x096872af3cdc2065ull);
  const std::vector<uint8_t> hundred = Sequence(100);  // bytes 0, 1, ..., 99
  EXPECT_EQ(HashBytes(hundred.data(), hundred.size()), 0x1760b875b18f69c0ull);
  EXPECT_EQ(HashBytes("a", 1, 42), 0x6cb6db3ef420b6dfull);
}

TEST(HashBytesTest, HashStringMatchesHashBytes) {
  const std::string s = "some key";
  EXPECT_EQ(HashString(s), HashBytes(s.data(), s.size()));
  EXPECT_EQ(HashString(s, 7), HashBytes(s.data(), s.size(), 7));
  EXPECT_EQ(HashString(""), HashBytes("", 0));
}

// ---- Seeds and lengths -----------------------------------------------------------------------

TEST(HashBytesTest, SeedChangesTheHash) {
  const std::vector<uint8_t> data = Sequence(64);
  for (std::size_t n : {0, 1, 3, 4, 8, 13, 16, 17, 32, 33, 64}) {
    std::set<uint64_t> seen;
    for (uint64_t seed : {0ull, 1ull, 2ull, 42ull, 0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull}) {
      seen.insert(HashBytes(data.data(), n, seed));
    }
    EXPECT_EQ(seen.size(), 6u) << "length " << n;
  }
  // The default seed is 0.
  EXPECT_EQ(HashBytes("xyz", 3), HashBytes("xyz", 3, 0));
}

TEST(HashBytesTest, EveryLengthUpTo64) {
  const std::vector<uint8_t> data = Sequence(64 + 32);
  std::set<uint64_t> prefixes;
  for (std::size_t n = 0; n <= 64; ++n) {
    SCOPED_TRACE(testing::Message() << "length " << n);
    const uint64_t h = HashCopy(data.data(), n);
    // Deterministic.
    EXPECT_EQ(HashBytes(data.data(), n), h);
    // Depends only on the n bytes: same bytes elsewhere (unaligned, other neighbours) agree.
    std::vector<uint8_t> shifted(n + 9, 0xEE);
    if (n != 0) std::memcpy(shifted.data() + 7, data.data(), n);
    EXPECT_EQ(HashBytes(shifted.data() + 7, n), h);
    // Every byte matters: changing any single one changes the hash.
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<uint8_t> changed(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      changed[i] ^= 0x01;
      EXPECT_NE(HashCopy(changed.data(), n), h) << "byte " << i;
    }
    prefixes.insert(h);
  }
  // The 65 prefixes of one buffer (the length is part of the hash) all differ.
  EXPECT_EQ(prefixes.size(), 65u);
  // Zero-filled inputs of different lengths differ too.
  std::set<uint64_t> zeros;
  const std::vector<uint8_t> zero(64, 0);
  for (std::size_t n = 0; n <= 64; ++n) zeros.insert(HashBytes(zero.data(), n));
  EXPECT_EQ(zeros.size(), 65u);
}

// Regression test (a defect this suite found, now fixed; s6/hash.h, HashBytes): the construction
// multiplies (a ^ kP1) by (b ^ s). When the input makes a ^ kP1 zero, the product is zero whatever
// b and the seed are, so
//  * for 9..16-byte inputs, fixing bytes 0..3 = d1 7e 03 e7 and 8..11 = db 28 b4 a0 makes the
//    hash independent of the other 8 bytes AND of the seed (2^64 colliding keys, any seed);
//  * for inputs over 16 bytes starting with the 8 bytes db 28 b4 a0 d1 7e 03 e7, the first
//    round zeroes the state, erasing the seed and bytes 8..15.
// key.h says the seed "separates key spaces (e.g. a map id)", and placement uses it; such keys
// land in the same slot in every map and can be flooded without knowing the seed. Expected: the
// seed changes the hash of every input (e.g. mix the seed into both multiplicands, or keep the
// full 128-bit product as wyhash's final mum does).
TEST(HashBytesTest, SeedMattersForEveryInput) {
  const uint8_t short_key[16] = {0xd1, 0x7e, 0x03, 0xe7, 1, 2, 3, 4,
                                 0xdb, 0x28, 0xb4, 0xa0, 5, 6, 7, 8};
  EXPECT_NE(HashBytes(short_key, 16, 0), HashBytes(short_key, 16, 12345))
      << "the seed has no effect on this 16-byte input";
  uint8_t other_key[16];
  std::memcpy(other_key, short_key, 16);
  other_key[4] = 0x99;
  other_key[15] = 0x99;
  EXPECT_NE(HashBytes(short_key, 16), HashBytes(other_key, 16))
      << "bytes 4..7 and 12..15 have no effect on this 16-byte input";

  uint8_t long_key[40] = {0xdb, 0x28, 0xb4, 0xa0, 0xd1, 0x7e, 0x03, 0xe7};
  EXPECT_NE(HashBytes(long_key, 40, 0), HashBytes(long_key, 40, 999))
      << "the seed has no effect on this 40-byte input";
}

// ---- Avalanche -------------------------------------------------------------------------------

// Flipping one input bit should flip each output bit with probability ~1/2: on average ~32 of
// the 64 output bits.
double AverageFlippedBits(std::size_t len, int keys, uint64_t seed) {
  std::mt19937_64 rng(seed);
  uint64_t total = 0;
  uint64_t trials = 0;
  std::vector<uint8_t> key(len);
  for (int k = 0; k < keys; ++k) {
    for (uint8_t& b : key) b = static_cast<uint8_t>(rng());
    const uint64_t h = HashBytes(key.data(), key.size());
    for (std::size_t bit = 0; bit < len * 8; ++bit) {
      key[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      total += static_cast<uint64_t>(std::popcount(h ^ HashBytes(key.data(), key.size())));
      key[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      ++trials;
    }
  }
  return static_cast<double>(total) / static_cast<double>(trials);
}

TEST(HashBytesTest, AvalancheOn13ByteKeys) {
  const double avg = AverageFlippedBits(13, 500, 13);
  EXPECT_GT(avg, 24.0);
  EXPECT_LT(avg, 40.0);
  // Every single-bit flip changes the hash of a fixed key.
  std::vector<uint8_t> key = Sequence(13);
  const uint64_t h = HashBytes(key.data(), key.size());
  for (std::size_t bit = 0; bit < 13 * 8; ++bit) {
    key[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_NE(HashBytes(key.data(), key.size()), h) << "bit " << bit;
    key[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
}

TEST(HashBytesTest, AvalancheOnOtherLengths) {
  for (std::size_t len : {1, 2, 3, 4, 7, 8, 12, 16, 17, 31, 32, 64, 100}) {
    const double avg = AverageFlippedBits(len, 100, len);
    EXPECT_GT(avg, 24.0) << "length " << len;
    EXPECT_LT(avg, 40.0) << "length " << len;
  }
}

// ---- Keys ------------------------------------------------------------------------------------

using FiveTuple = std::tuple<uint32_t, uint32_t, uint16_t, uint16_t, uint8_t>;

FiveTuple SequentialFlow(uint32_t i) {
  return FiveTuple{0x0A000000u + (i >> 8), 0xC0A80001u, static_cast<uint16_t>(10000 + (i & 0xFF)),
                   80, 6};
}

TEST(KeyTest, KeyBytesIsTheEncoding) {
  const FiveTuple k{0x0A000001, 0xC0A80001, 40000, 80, 6};
  const ByteBuffer b = KeyBytes(k);
  EXPECT_EQ(b.size(), 13u);
  EXPECT_EQ(b, EncodeToBuffer(k));
  const uint8_t expected[] = {0x01, 0x00, 0x00, 0x0A, 0x01, 0x00, 0xA8,
                              0xC0, 0x40, 0x9C, 0x50, 0x00, 0x06};
  ASSERT_EQ(b.size(), sizeof expected);
  EXPECT_EQ(std::memcmp(b.data(), expected, sizeof expected), 0);
  // AppendKeyBytes appends after existing contents.
  ByteBuffer out;
  const uint8_t prefix = 0x77;
  out.Append(&prefix, 1);
  AppendKeyBytes(k, out);
  ASSERT_EQ(out.size(), 14u);
  EXPECT_EQ(out.data()[0], 0x77);
  EXPECT_EQ(std::memcmp(out.data() + 1, expected, sizeof expected), 0);
}

TEST(KeyTest, KeyHashAndKeyEqualAgreeWithKeyBytes) {
  std::mt19937_64 rng(5);
  std::vector<FiveTuple> keys;
  for (int i = 0; i < 200; ++i) {
    keys.emplace_back(static_cast<uint32_t>(rng() % 4), static_cast<uint32_t>(rng() % 2),
                      static_cast<uint16_t>(rng() % 3), uint16_t{80},
                      static_cast<uint8_t>(rng() % 2));
  }
  for (const FiveTuple& a : keys) {
    const ByteBuffer ba = KeyBytes(a);
    for (uint64_t seed : {0ull, 1ull, 0xABCDEFull}) {
      EXPECT_EQ(KeyHash(a, seed), HashBytes(ba.data(), ba.size(), seed));
    }
    EXPECT_EQ(KeyHash(a), KeyHash(a, 0));
    EXPECT_EQ(KeyHasher{}(a), static_cast<std::size_t>(KeyHash(a)));
    for (const FiveTuple& b : keys) {
      const bool bytes_equal = ba == KeyBytes(b);
      EXPECT_EQ(KeyEqual(a, b), bytes_equal);
      EXPECT_EQ(KeyEq{}(a, b), bytes_equal);
      EXPECT_EQ(bytes_equal, a == b);  // a tuple of integers: byte identity == value identity
      if (bytes_equal) {
        EXPECT_EQ(KeyHash(a), KeyHash(b));
      }
    }
  }
}

TEST(KeyTest, StringFieldsAreLengthPrefixed) {
  using K = std::tuple<std::string, std::string>;
  const K a{"ab", "c"};
  const K b{"a", "bc"};
  EXPECT_FALSE(KeyEqual(a, b));
  EXPECT_NE(KeyBytes(a), KeyBytes(b));
  EXPECT_NE(KeyHash(a), KeyHash(b));
  EXPECT_TRUE(KeyEqual(a, K{"ab", "c"}));
  EXPECT_EQ(KeyHash(a), KeyHash(K{"ab", "c"}));
}

TEST(KeyTest, FloatKeysDistinguishSignedZero) {
  // As key.h warns: +0.0 == -0.0 as values but they are different keys.
  EXPECT_FALSE(KeyEqual(std::tuple<double>{0.0}, std::tuple<double>{-0.0}));
  EXPECT_NE(KeyHash(std::tuple<double>{0.0}), KeyHash(std::tuple<double>{-0.0}));
}

TEST(KeyTest, WorksAsUnorderedContainerHasher) {
  std::unordered_map<FiveTuple, int, KeyHasher, KeyEq> m;
  for (uint32_t i = 0; i < 1000; ++i) m[SequentialFlow(i)] = static_cast<int>(i);
  EXPECT_EQ(m.size(), 1000u);
  for (uint32_t i = 0; i < 1000; ++i) {
    const auto it = m.find(SequentialFlow(i));
    ASSERT_NE(it, m.end());
    EXPECT_EQ(it->second, static_cast<int>(i));
  }
  std::unordered_set<std::tuple<std::string, int>, KeyHasher, KeyEq> s;
  s.insert({"a", 1});
  s.insert({"a", 1});
  s.insert({"a", 2});
  EXPECT_EQ(s.size(), 2u);
}

TEST(KeyTest, SequentialFiveTuplesSpreadOverSlots) {
  constexpr uint32_t kKeys = 100000;
  constexpr uint32_t kSlots = 4096;
  std::vector<uint32_t> counts(kSlots, 0);
  for (uint32_t i = 0; i < kKeys; ++i) ++counts[KeyHash(SequentialFlow(i)) % kSlots];
  const double mean = static_cast<double>(kKeys) / kSlots;
  const uint32_t max = *std::max_element(counts.begin(), counts.end());
  const uint32_t min = *std::min_element(counts.begin(), counts.end());
  EXPECT_LT(max, 2 * mean) << "max bucket " << max << ", mean " << mean;
  EXPECT_GT(min, 0u) << "an empty slot among " << kSlots;
  // Same with the map-id seed and with another sequential pattern (port-major).
  std::fill(counts.begin(), counts.end(), 0);
  for (uint32_t i = 0; i < kKeys; ++i) {
    const FiveTuple k{0x0A000001u + (i % 391), 0x08080808u, static_cast<uint16_t>(1024 + i / 391),
                      443, 17};
    ++counts[KeyHash(k, 0x5EED) % kSlots];
  }
  EXPECT_LT(*std::max_element(counts.begin(), counts.end()), 2 * mean);
}

}  // namespace
}  // namespace s6

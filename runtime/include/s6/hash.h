// SPDX-License-Identifier: Apache-2.0
// File: s6/hash.h
//
// One strong, portable 64-bit hash for everything that must agree across instances and builds:
// key placement (slot = hash(map, key bytes) mod slots), method ids and schema hashes in s6c.
//
// Theory of operation: the input is read as little-endian 64-bit words (the last one padded with
// zeros), so the result does not depend on the host. Each word is scrambled by a bijective
// finalizer and folded into the state by a step that is bijective in the state and in the word
// (xor, rotate, multiply by an odd constant, add). Nothing can be absorbed: two seeds always give
// different results for the same input, and two inputs of the same length that differ in one
// word always differ. The length is mixed in last. It is not a cryptographic hash; it is fast on
// short keys (a 5-tuple is two rounds) and avalanches well, which is what placement needs. The
// value for a given input never changes: it is part of the wire contract (slot tables and method
// ids are derived from it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace s6 {

namespace hash_internal {
inline constexpr uint64_t kP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;

/// A bijection on 64-bit values with full avalanche (the MurmurHash3 finalizer).
constexpr uint64_t Scramble(uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}
constexpr uint64_t Rotl(uint64_t v, int r) noexcept { return (v << r) | (v >> (64 - r)); }
constexpr uint64_t Step(uint64_t h, uint64_t word) noexcept {
  return Rotl(h ^ Scramble(word), 27) * 5 + 0x52dce729ull;
}
inline uint64_t LoadLittle(const uint8_t* p, std::size_t n) noexcept {
  uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}
}  // namespace hash_internal

/// Hashes `n` bytes at `data` with `seed`. Stable across hosts, builds and releases.
inline uint64_t HashBytes(const void* data, std::size_t n, uint64_t seed = 0) noexcept {
  using namespace hash_internal;
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = Scramble(seed ^ kP0);
  std::size_t left = n;
  for (; left >= 8; left -= 8, p += 8) h = Step(h, LoadLittle(p, 8));
  if (left != 0) h = Step(h, LoadLittle(p, left) ^ (uint64_t{left} << 56));
  return Scramble(h ^ Scramble(uint64_t{n} ^ kP1));
}

inline uint64_t HashString(std::string_view s, uint64_t seed = 0) noexcept {
  return HashBytes(s.data(), s.size(), seed);
}

}  // namespace s6

// SPDX-License-Identifier: Apache-2.0
// File: s6/hash.h
//
// One strong, portable 64-bit hash for everything that must agree across instances and builds:
// key placement (slot = hash(map, key bytes) mod slots), method ids and schema hashes in s6c.
//
// Theory of operation: a multiply-fold construction (128-bit product folded to 64 bits), reading
// input as little-endian words so the result does not depend on the host. It is not a
// cryptographic hash; it is fast on short keys (a 5-tuple is one round) and passes avalanche
// tests, which is what placement needs. The value for a given input never changes: it is part of
// the wire contract (slot tables and method ids are derived from it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace s6 {

namespace hash_internal {
inline constexpr uint64_t kP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
inline constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

inline uint64_t Fold(uint64_t a, uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t Load64(const uint8_t* p) noexcept {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t Load32(const uint8_t* p) noexcept {
  return uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 | uint64_t{p[3]} << 24;
}
}  // namespace hash_internal

/// Hashes `n` bytes at `data` with `seed`. Stable across hosts, builds and releases.
inline uint64_t HashBytes(const void* data, std::size_t n, uint64_t seed = 0) noexcept {
  using namespace hash_internal;
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t s = seed ^ kP0;
  uint64_t a = 0;
  uint64_t b = 0;
  if (n <= 16) {
    if (n >= 4) {
      const std::size_t mid = (n >> 3) << 2;
      a = (Load32(p) << 32) | Load32(p + mid);
      b = (Load32(p + n - 4) << 32) | Load32(p + n - 4 - mid);
    } else if (n > 0) {
      a = (uint64_t{p[0]} << 16) | (uint64_t{p[n >> 1]} << 8) | p[n - 1];
    }
  } else {
    std::size_t left = n;
    while (left > 16) {
      s = Fold(Load64(p) ^ kP1, Load64(p + 8) ^ s);
      p += 16;
      left -= 16;
    }
    a = Load64(p + left - 16);
    b = Load64(p + left - 8);
  }
  return Fold(kP1 ^ n, Fold(a ^ kP1, b ^ s) ^ kP2);
}

inline uint64_t HashString(std::string_view s, uint64_t seed = 0) noexcept {
  return HashBytes(s.data(), s.size(), seed);
}

}  // namespace s6

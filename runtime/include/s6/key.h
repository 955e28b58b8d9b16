// SPDX-License-Identifier: Apache-2.0
// File: s6/key.h
//
// Keys of the distributed object space. Any type with a codec is a valid key: plain structs get
// theirs from s6c, vocabulary types from s6/codec.h. A key's identity is its canonical byte form
// (its encoding), so equality and hashing agree on every instance regardless of padding, host
// byte order or compiler. Avoid floating-point members in keys: +0.0 and -0.0 (and NaNs with
// different payloads) are different keys.
#pragma once

#include <cstdint>

#include <s6/bytes.h>
#include <s6/codec.h>
#include <s6/hash.h>

namespace s6 {

/// The canonical byte form of `key`, appended to `out`.
template <typename K>
void AppendKeyBytes(const K& key, ByteBuffer& out) {
  ByteWriter w(out);
  Codec<K>::Encode(w, key);
}

/// The canonical byte form of `key`.
template <typename K>
ByteBuffer KeyBytes(const K& key) {
  return EncodeToBuffer(key);
}

/// Hash of `key`'s canonical bytes; `seed` separates key spaces (e.g. a map id).
template <typename K>
uint64_t KeyHash(const K& key, uint64_t seed = 0) {
  const ByteBuffer b = EncodeToBuffer(key);
  return HashBytes(b.data(), b.size(), seed);
}

/// Key equality by canonical bytes.
template <typename K>
bool KeyEqual(const K& a, const K& b) {
  return EncodeToBuffer(a) == EncodeToBuffer(b);
}

/// Function objects so user key types work in std::unordered_map without writing std::hash.
struct KeyHasher {
  template <typename K>
  std::size_t operator()(const K& k) const {
    return static_cast<std::size_t>(KeyHash(k));
  }
};
struct KeyEq {
  template <typename K>
  bool operator()(const K& a, const K& b) const {
    return KeyEqual(a, b);
  }
};

}  // namespace s6

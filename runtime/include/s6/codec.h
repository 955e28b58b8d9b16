// SPDX-License-Identifier: Apache-2.0
// File: s6/codec.h
//
// Field-wise, endian-explicit encoding of state, keys, call arguments and results.
//
// `s6::Codec<T>` knows how to encode and decode one type. This header defines it for the
// vocabulary types; s6c generates the specialisations for user structs and state classes (one
// per record, encoding its bases and then its fields in declaration order). Every codec has:
//
//   static constexpr std::size_t kMinSize;           // fewest bytes any value encodes to
//   static void Encode(ByteWriter&, const T&);
//   static bool Decode(ByteReader&, T&);             // false (and reader failed) on bad input
//
// Wire format (also in docs/programming-guide.md): integers and floats are fixed-width
// little-endian, bool is one byte 0/1, enums use their underlying type, strings and containers
// are a u32 element count followed by the elements, optional is a u8 presence flag plus value,
// fixed-size arrays, pairs and tuples are their elements, bitset<N> is ceil(N/8) bytes (bit i in
// byte i/8, bit i%8).
//
// Invariants: decoding never reads out of bounds, never trusts a count further than the bytes
// left can back, and never allocates beyond the reader's allocation budget (no allocation
// bombs, however deeply nested). It rejects non-canonical input: bool other than 0/1, keys of
// ordered maps and sets out of order (or repeated, for unique ones), duplicate keys in
// unordered ones, bits beyond N in a bitset. On failure the target is left valid but
// unspecified. Because the encoding is canonical for everything except unordered containers and
// floats, the encoding of a key is its identity (see s6/key.h). Enums must have a fixed
// underlying type, so that every decoded value is a valid value of the enum.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <s6/bytes.h>
#include <s6/object.h>

namespace s6 {

/// Encodes `v` at the end of `w`'s buffer.
template <typename T>
void Encode(ByteWriter& w, const T& v) {
  Codec<T>::Encode(w, v);
}

/// Decodes one `T` from `r` into `v`. Returns false (and leaves `r` failed) on malformed input.
template <typename T>
[[nodiscard]] bool Decode(ByteReader& r, T& v) {
  return Codec<T>::Decode(r, v);
}

/// The smallest number of bytes any value of `T` encodes to.
template <typename T>
inline constexpr std::size_t kMinEncodedSize = Codec<T>::kMinSize;

/// Encodes `v` into a fresh buffer.
template <typename T>
ByteBuffer EncodeToBuffer(const T& v) {
  ByteBuffer b;
  ByteWriter w(b);
  Codec<T>::Encode(w, v);
  return b;
}

/// Decodes `v` from exactly the bytes [p, p+n): trailing bytes are an error.
template <typename T>
[[nodiscard]] bool DecodeExact(const uint8_t* p, std::size_t n, T& v) {
  ByteReader r(p, n);
  return Codec<T>::Decode(r, v) && r.AtEnd();
}
template <typename T>
[[nodiscard]] bool DecodeExact(const ByteBuffer& b, T& v) {
  return DecodeExact(b.data(), b.size(), v);
}

namespace internal {

/// Reads a container element count, checks that the remaining input can hold that many
/// elements of at least `min_size` bytes each, and charges the memory the elements will take
/// (`elem_size` each) to the reader's allocation budget. The budget is what bounds elements of
/// zero encoded size (empty structs), whose count the input length can't bound.
inline bool ReadCount(ByteReader& r, std::size_t min_size, std::size_t elem_size, uint32_t& n) {
  if (!r.GetU32(n)) return false;
  if (min_size != 0 && n > r.remaining() / min_size) return r.Fail();
  if (elem_size == 0) elem_size = 1;
  if (n != 0 && elem_size > r.allocation_budget() / n) return r.Fail();
  return r.ChargeAllocation(n * elem_size);
}

inline void WriteCount(ByteWriter& w, std::size_t n) {
  // Containers beyond 4 Gi elements are not representable; that is a programming error.
  if (n > UINT32_MAX) std::abort();
  w.PutU32(static_cast<uint32_t>(n));
}

template <typename T>
inline constexpr bool kIsPlainNumber =
    std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, long double>;

/// Arithmetic element types whose in-memory form is the wire form (single bytes, or any
/// number on a little-endian host): arrays of them are copied in one go.
template <typename T>
inline constexpr bool kIsMemcpyable = kIsPlainNumber<T> &&
                                      (sizeof(T) == 1 ||
                                       std::endian::native == std::endian::little);

template <typename T>
void EncodeRange(ByteWriter& w, const T* p, std::size_t n) {
  if constexpr (kIsMemcpyable<T>) {
    w.PutBytes(p, n * sizeof(T));
  } else {
    for (std::size_t i = 0; i < n; ++i) Codec<T>::Encode(w, p[i]);
  }
}

template <typename T>
bool DecodeRange(ByteReader& r, T* p, std::size_t n) {
  if constexpr (kIsMemcpyable<T>) {
    return r.GetBytes(p, n * sizeof(T));
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      if (!Codec<T>::Decode(r, p[i])) return false;
    }
    return true;
  }
}

/// Sequence containers (vector, deque, list): count, then elements.
template <typename C>
struct SequenceCodec {
  using T = typename C::value_type;
  static constexpr std::size_t kMinSize = 4;
  static void Encode(ByteWriter& w, const C& c) {
    WriteCount(w, c.size());
    if constexpr (std::is_same_v<C, std::vector<T, typename C::allocator_type>> &&
                  kIsMemcpyable<T>) {
      w.PutBytes(c.data(), c.size() * sizeof(T));
    } else {
      for (const auto& e : c) Codec<T>::Encode(w, e);
    }
  }
  static bool Decode(ByteReader& r, C& c) {
    uint32_t n;
    if (!ReadCount(r, kMinEncodedSize<T>, sizeof(T), n)) return false;
    c.clear();
    if constexpr (std::is_same_v<C, std::vector<T, typename C::allocator_type>> &&
                  kIsMemcpyable<T>) {
      c.resize(n);
      return r.GetBytes(c.data(), n * sizeof(T));
    } else {
      if constexpr (std::is_same_v<C, std::vector<T, typename C::allocator_type>>) c.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        T e{};
        if (!Codec<T>::Decode(r, e)) return false;
        c.push_back(std::move(e));
      }
      return true;
    }
  }
};

/// For ordered containers, whether `k` may follow `last` in a canonical encoding: strictly
/// after it for unique containers, not before it for multi ones.
template <typename C, bool kUnique, typename K>
bool InCanonicalOrder(const C& c, const K& last, const K& k) {
  return kUnique ? c.key_comp()(last, k) : !c.key_comp()(k, last);
}

/// Maps (ordered and unordered, unique and multi): count, then key/value pairs. Ordered maps
/// encode in key order, and decoding insists on it (the encoding stays canonical).
template <typename C, bool kUnique, bool kOrdered>
struct MapCodec {
  using K = typename C::key_type;
  using V = typename C::mapped_type;
  static constexpr std::size_t kMinSize = 4;
  static void Encode(ByteWriter& w, const C& c) {
    WriteCount(w, c.size());
    for (const auto& [k, v] : c) {
      Codec<K>::Encode(w, k);
      Codec<V>::Encode(w, v);
    }
  }
  static bool Decode(ByteReader& r, C& c) {
    uint32_t n;
    if (!ReadCount(r, kMinEncodedSize<K> + kMinEncodedSize<V>, sizeof(typename C::value_type), n)) {
      return false;
    }
    c.clear();
    for (uint32_t i = 0; i < n; ++i) {
      K k{};
      V v{};
      if (!Codec<K>::Decode(r, k) || !Codec<V>::Decode(r, v)) return false;
      if constexpr (kOrdered) {
        if (!c.empty() && !InCanonicalOrder<C, kUnique>(c, std::prev(c.end())->first, k)) {
          return r.Fail();
        }
        c.emplace_hint(c.end(), std::move(k), std::move(v));
      } else if constexpr (kUnique) {
        if (!c.emplace(std::move(k), std::move(v)).second) return r.Fail();
      } else {
        c.emplace(std::move(k), std::move(v));
      }
    }
    return true;
  }
};

/// Sets (ordered and unordered, unique and multi): count, then keys (in order, if ordered).
template <typename C, bool kUnique, bool kOrdered>
struct SetCodec {
  using K = typename C::key_type;
  static constexpr std::size_t kMinSize = 4;
  static void Encode(ByteWriter& w, const C& c) {
    WriteCount(w, c.size());
    for (const auto& k : c) Codec<K>::Encode(w, k);
  }
  static bool Decode(ByteReader& r, C& c) {
    uint32_t n;
    if (!ReadCount(r, kMinEncodedSize<K>, sizeof(K), n)) return false;
    c.clear();
    for (uint32_t i = 0; i < n; ++i) {
      K k{};
      if (!Codec<K>::Decode(r, k)) return false;
      if constexpr (kOrdered) {
        if (!c.empty() && !InCanonicalOrder<C, kUnique>(c, *std::prev(c.end()), k)) {
          return r.Fail();
        }
        c.insert(c.end(), std::move(k));
      } else if constexpr (kUnique) {
        if (!c.insert(std::move(k)).second) return r.Fail();
      } else {
        c.insert(std::move(k));
      }
    }
    return true;
  }
};

template <typename Tuple, std::size_t... I>
constexpr std::size_t TupleMinSize(std::index_sequence<I...>) {
  return (std::size_t{0} + ... + kMinEncodedSize<std::tuple_element_t<I, Tuple>>);
}

}  // namespace internal

// ---- Scalars ---------------------------------------------------------------------------------

template <>
struct Codec<bool> {
  static constexpr std::size_t kMinSize = 1;
  static void Encode(ByteWriter& w, bool v) { w.PutU8(v ? 1 : 0); }
  static bool Decode(ByteReader& r, bool& v) {
    uint8_t b;
    if (!r.GetU8(b)) return false;
    if (b > 1) return r.Fail();
    v = b == 1;
    return true;
  }
};

template <typename T>
struct Codec<T, std::enable_if_t<internal::kIsPlainNumber<T>>> {
  using Bits = std::conditional_t<
      sizeof(T) == 1, uint8_t,
      std::conditional_t<sizeof(T) == 2, uint16_t,
                         std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
  static_assert(sizeof(Bits) == sizeof(T), "unsupported arithmetic type width");
  static constexpr std::size_t kMinSize = sizeof(T);
  static void Encode(ByteWriter& w, T v) { w.PutUnsigned(std::bit_cast<Bits>(v)); }
  static bool Decode(ByteReader& r, T& v) {
    Bits b;
    if (!r.GetUnsigned(b)) return false;
    v = std::bit_cast<T>(b);
    return true;
  }
};

namespace internal {
// An enum has a fixed underlying type iff it can be list-initialised from an integer.
template <typename T>
concept EnumWithFixedType = std::is_enum_v<T> && requires(std::underlying_type_t<T> u) {
  T{u};
};
}  // namespace internal

template <typename T>
struct Codec<T, std::enable_if_t<std::is_enum_v<T>>> {
  static_assert(internal::EnumWithFixedType<T>,
                "enums in state need a fixed underlying type (enum E : uint8_t { ... }): any "
                "decoded value must be a valid value of the enum");
  using U = std::underlying_type_t<T>;
  static constexpr std::size_t kMinSize = kMinEncodedSize<U>;
  static void Encode(ByteWriter& w, T v) { Codec<U>::Encode(w, static_cast<U>(v)); }
  static bool Decode(ByteReader& r, T& v) {
    U u;
    if (!Codec<U>::Decode(r, u)) return false;
    v = static_cast<T>(u);
    return true;
  }
};

// ---- Fixed-size aggregates -------------------------------------------------------------------

template <typename T, std::size_t N>
struct Codec<T[N]> {
  static constexpr std::size_t kMinSize = N * kMinEncodedSize<T>;
  static void Encode(ByteWriter& w, const T (&v)[N]) { internal::EncodeRange(w, v, N); }
  static bool Decode(ByteReader& r, T (&v)[N]) { return internal::DecodeRange(r, v, N); }
};

template <typename T, std::size_t N>
struct Codec<std::array<T, N>> {
  static constexpr std::size_t kMinSize = N * kMinEncodedSize<T>;
  static void Encode(ByteWriter& w, const std::array<T, N>& v) {
    internal::EncodeRange(w, v.data(), N);
  }
  static bool Decode(ByteReader& r, std::array<T, N>& v) {
    return internal::DecodeRange(r, v.data(), N);
  }
};

template <std::size_t N>
struct Codec<std::bitset<N>> {
  static constexpr std::size_t kMinSize = (N + 7) / 8;
  static void Encode(ByteWriter& w, const std::bitset<N>& v) {
    uint8_t* out = w.Extend(kMinSize);
    for (std::size_t byte = 0; byte < kMinSize; ++byte) {
      uint8_t b = 0;
      for (std::size_t bit = 0; bit < 8 && byte * 8 + bit < N; ++bit) {
        if (v[byte * 8 + bit]) b |= static_cast<uint8_t>(1u << bit);
      }
      out[byte] = b;
    }
  }
  static bool Decode(ByteReader& r, std::bitset<N>& v) {
    const uint8_t* in = r.Take(kMinSize);
    if (in == nullptr) return false;
    if constexpr (N % 8 != 0) {
      if ((in[kMinSize - 1] >> (N % 8)) != 0) return r.Fail();  // bits beyond N
    }
    v.reset();
    for (std::size_t byte = 0; byte < kMinSize; ++byte) {
      if (in[byte] == 0) continue;
      for (std::size_t bit = 0; bit < 8 && byte * 8 + bit < N; ++bit) {
        if ((in[byte] >> bit) & 1u) v.set(byte * 8 + bit);
      }
    }
    return true;
  }
};

template <typename A, typename B>
struct Codec<std::pair<A, B>> {
  static constexpr std::size_t kMinSize = kMinEncodedSize<A> + kMinEncodedSize<B>;
  static void Encode(ByteWriter& w, const std::pair<A, B>& v) {
    Codec<A>::Encode(w, v.first);
    Codec<B>::Encode(w, v.second);
  }
  static bool Decode(ByteReader& r, std::pair<A, B>& v) {
    return Codec<A>::Decode(r, v.first) && Codec<B>::Decode(r, v.second);
  }
};

template <typename... T>
struct Codec<std::tuple<T...>> {
  static constexpr std::size_t kMinSize =
      internal::TupleMinSize<std::tuple<T...>>(std::index_sequence_for<T...>{});
  static void Encode(ByteWriter& w, const std::tuple<T...>& v) {
    std::apply([&w](const T&... e) { (Codec<T>::Encode(w, e), ...); }, v);
  }
  static bool Decode(ByteReader& r, std::tuple<T...>& v) {
    return std::apply([&r](T&... e) { return (true && ... && Codec<T>::Decode(r, e)); }, v);
  }
};

template <typename T>
struct Codec<std::optional<T>> {
  static constexpr std::size_t kMinSize = 1;
  static void Encode(ByteWriter& w, const std::optional<T>& v) {
    w.PutU8(v.has_value() ? 1 : 0);
    if (v.has_value()) Codec<T>::Encode(w, *v);
  }
  static bool Decode(ByteReader& r, std::optional<T>& v) {
    uint8_t present;
    if (!r.GetU8(present)) return false;
    if (present > 1) return r.Fail();
    if (present == 0) {
      v.reset();
      return true;
    }
    if (!v.has_value()) v.emplace();
    return Codec<T>::Decode(r, *v);
  }
};

// ---- Strings and containers ------------------------------------------------------------------

template <typename Traits, typename Alloc>
struct Codec<std::basic_string<char, Traits, Alloc>> {
  using S = std::basic_string<char, Traits, Alloc>;
  static constexpr std::size_t kMinSize = 4;
  static void Encode(ByteWriter& w, const S& s) {
    internal::WriteCount(w, s.size());
    w.PutBytes(s.data(), s.size());
  }
  static bool Decode(ByteReader& r, S& s) {
    uint32_t n;
    if (!internal::ReadCount(r, 1, 1, n)) return false;
    const uint8_t* p = r.Take(n);
    if (p == nullptr) return false;
    s.assign(reinterpret_cast<const char*>(p), n);
    return true;
  }
};

template <typename T, typename A>
struct Codec<std::vector<T, A>> : internal::SequenceCodec<std::vector<T, A>> {};
template <typename T, typename A>
struct Codec<std::deque<T, A>> : internal::SequenceCodec<std::deque<T, A>> {};
template <typename T, typename A>
struct Codec<std::list<T, A>> : internal::SequenceCodec<std::list<T, A>> {};

template <typename K, typename V, typename C, typename A>
struct Codec<std::map<K, V, C, A>> : internal::MapCodec<std::map<K, V, C, A>, true, true> {};
template <typename K, typename V, typename C, typename A>
struct Codec<std::multimap<K, V, C, A>>
    : internal::MapCodec<std::multimap<K, V, C, A>, false, true> {};
template <typename K, typename V, typename H, typename E, typename A>
struct Codec<std::unordered_map<K, V, H, E, A>>
    : internal::MapCodec<std::unordered_map<K, V, H, E, A>, true, false> {};

template <typename K, typename C, typename A>
struct Codec<std::set<K, C, A>> : internal::SetCodec<std::set<K, C, A>, true, true> {};
template <typename K, typename C, typename A>
struct Codec<std::multiset<K, C, A>> : internal::SetCodec<std::multiset<K, C, A>, false, true> {};
template <typename K, typename H, typename E, typename A>
struct Codec<std::unordered_set<K, H, E, A>>
    : internal::SetCodec<std::unordered_set<K, H, E, A>, true, false> {};

}  // namespace s6

// SPDX-License-Identifier: Apache-2.0
// State classes for the codec micro-benchmarks (bench/codec_bench.cc). s6c generates their
// codecs (bench_objects.s6.h), so the benchmarks measure the code real NFs run.
//
//   Obj64: integers of every width plus a small byte array, exactly 64 encoded bytes.
//   Obj4K: a 1000-element uint32_t table, a few counters and a name; 4096 encoded bytes when the
//          name is kNameLength characters long.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <s6/object.h>

namespace bench {

/// A per-flow record of 64 encoded bytes (8+8+8 + 4+4+4 + 2+2 + 1+1 + 22).
class Obj64 : public s6::SingleWriter {
 public:
  static constexpr std::size_t kEncodedSize = 64;

  /// Sets every field to a value derived from `seed`.
  void Fill(uint32_t seed);
  uint64_t checksum() const;

 private:
  uint64_t id_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  uint32_t src_ip_ = 0;
  uint32_t dst_ip_ = 0;
  uint32_t flags_ = 0;
  uint16_t src_port_ = 0;
  uint16_t dst_port_ = 0;
  uint8_t protocol_ = 0;
  uint8_t state_ = 0;
  std::array<uint8_t, 22> tag_{};
  S6_STATE(Obj64);
};

/// A table-like object of ~4 KiB: 4000 bytes of table, 14 bytes of counters, 4 + name bytes.
class Obj4K : public s6::SingleWriter {
 public:
  static constexpr std::size_t kNameLength = 78;
  static constexpr std::size_t kEncodedSize = 4000 + 8 + 4 + 2 + 4 + kNameLength;  // 4096

  /// Sets every field to a value derived from `seed`; the name is kNameLength characters.
  void Fill(uint32_t seed);
  uint64_t checksum() const;

 private:
  std::array<uint32_t, 1000> table_{};
  uint64_t version_ = 0;
  uint32_t count_ = 0;
  uint16_t kind_ = 0;
  std::string name_;
  S6_STATE(Obj4K);
};

inline void Obj64::Fill(uint32_t seed) {
  id_ = 0x0123456789ABCDEFull ^ seed;
  packets_ = seed * 3ull;
  bytes_ = seed * 1500ull;
  src_ip_ = 0x0A000000u + seed;
  dst_ip_ = 0xC0A80001u;
  flags_ = seed & 0xFFu;
  src_port_ = static_cast<uint16_t>(1024 + seed);
  dst_port_ = 443;
  protocol_ = 6;
  state_ = static_cast<uint8_t>(seed);
  for (std::size_t i = 0; i < tag_.size(); ++i) tag_[i] = static_cast<uint8_t>(seed + i);
}

inline uint64_t Obj64::checksum() const {
  uint64_t sum = id_ ^ packets_ ^ bytes_ ^ src_ip_ ^ dst_ip_ ^ flags_ ^ src_port_ ^ dst_port_ ^
                 protocol_ ^ state_;
  for (uint8_t b : tag_) sum = sum * 31 + b;
  return sum;
}

inline void Obj4K::Fill(uint32_t seed) {
  for (std::size_t i = 0; i < table_.size(); ++i) {
    table_[i] = static_cast<uint32_t>(seed * 2654435761u + i);
  }
  version_ = seed;
  count_ = static_cast<uint32_t>(table_.size());
  kind_ = 7;
  name_.assign(kNameLength, static_cast<char>('a' + seed % 26));
}

inline uint64_t Obj4K::checksum() const {
  uint64_t sum = version_ ^ count_ ^ kind_;
  for (uint32_t v : table_) sum = sum * 31 + v;
  for (char c : name_) sum = sum * 31 + static_cast<uint8_t>(c);
  return sum;
}

}  // namespace bench

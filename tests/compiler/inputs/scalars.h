// SPDX-License-Identifier: Apache-2.0
// Construct: scalar fields (every integer width, floats, bool, char, enums), C arrays, private
// fields through S6_STATE, bit-fields, a SingleWriter state class.
#pragma once

#include <cstdint>

#include <s6/object.h>

namespace t {

enum Color : int { kRed = 1, kGreen = 2, kBlue = 4 };
enum class Tiny : int8_t { kLow = -128, kZero = 0, kHigh = 127 };
enum class Wide : uint64_t { kMax = ~0ull };

struct Scalars {
  bool b = false;
  char c = 0;
  signed char sc = 0;
  unsigned char uc = 0;
  int8_t i8 = 0;
  uint8_t u8 = 0;
  int16_t i16 = 0;
  uint16_t u16 = 0;
  int32_t i32 = 0;
  uint32_t u32 = 0;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  long l = 0;
  unsigned long long ull = 0;
  float f = 0;
  double d = 0;
  Color color = kRed;
  Tiny tiny = Tiny::kZero;
  Wide wide = Wide::kMax;
  int32_t grid[2][3] = {};
  friend bool operator==(const Scalars&, const Scalars&) = default;
};

class Counter : public s6::SingleWriter {
 public:
  void add(int64_t v) { total_ += v; }
  int64_t total() const { return total_; }
  void set_flags(unsigned mode, bool on) {
    mode_ = mode & 7u;
    on_ = on;
  }
  Scalars& scalars() { return scalars_; }  // returns a reference: a local-only method
  friend bool operator==(const Counter&, const Counter&) = default;

 private:
  int64_t total_ = 0;
  unsigned mode_ : 3 = 0;
  bool on_ : 1 = false;
  Scalars scalars_;
  S6_STATE(Counter);
};

}  // namespace t

// SPDX-License-Identifier: Apache-2.0
// Construct: default arguments that only resolve in the class's scope — an enumerator of a
// nested enum class, a nested struct's braced value, a static constant of the class, a nested
// type of an enclosing class, sizeof of a field, a protected constant of a base — and, on a method
// inherited from a plain base in another namespace, a constant of that namespace. The stub must
// evaluate each default where the class does; a final class's defaults qualified from the namespace
// work too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <s6/object.h>

namespace other {

inline constexpr int64_t kBaseStep = 7;

class Tally {
 public:
  void bump(int64_t by = kBaseStep) { tally += by; }
  int64_t total() const { return tally; }
  friend bool operator==(const Tally&, const Tally&) = default;

  int64_t tally = 0;

 protected:
  static constexpr int64_t kProtectedStart = 100;
};

}  // namespace other

namespace t {

class Palette : public s6::MultiWriter, public other::Tally {
 public:
  enum class Color : uint8_t { kRed = 1, kGreen = 2, kBlue = 3 };
  struct Span {
    int32_t from = 0;
    int32_t to = 0;
    friend bool operator==(const Span&, const Span&) = default;
  };
  static constexpr uint32_t kStep = 5;

  void paint(Color c = Color::kGreen) { color_ = c; }
  void widen(Span s = Span{-2, 9}) { span_ = s; }
  void step(uint32_t by = kStep) { steps_ += by; }
  void reset(int64_t to = kProtectedStart) { start_ = to; }
  uint64_t field_size(uint64_t n = sizeof(width)) const { return n; }
  // A braced default: its source range starts at the `=` (found by the generated corpus).
  void mark(const std::vector<int32_t>& marks = {}) { marks_ = marks.size(); }
  uint64_t marks() const { return marks_; }
  Color color() const { return color_; }
  Span span() const { return span_; }
  uint32_t steps() const { return steps_; }
  int64_t start() const { return start_; }

  friend bool operator==(const Palette&, const Palette&) = default;

  uint16_t width = 0;

 private:
  Color color_ = Color::kRed;
  Span span_;
  uint32_t steps_ = 0;
  int64_t start_ = 0;
  uint64_t marks_ = 7;
  S6_STATE(Palette);
};

struct Outer {
  enum Mode : uint8_t { kSlow = 1, kFast = 2 };
  class Inner : public s6::SingleWriter {
   public:
    void set(Mode m = kFast, int32_t scale = Outer::kScale) {
      mode_ = m;
      scale_ = scale;
    }
    Mode mode() const { return mode_; }
    int32_t scale() const { return scale_; }

   private:
    Mode mode_ = kSlow;
    int32_t scale_ = 0;
    S6_STATE(Inner);
  };
  static constexpr int32_t kScale = 3;
};

// A final class can't lend its scope; its defaults name class members from the namespace.
class Sealed final : public s6::MultiWriter {
 public:
  void go(Outer::Mode m = Outer::kFast, int32_t scale = ::t::Outer::kScale) {
    mode_ = m;
    scale_ = scale;
  }
  int32_t value() const { return static_cast<int32_t>(mode_) * 100 + scale_; }

 private:
  Outer::Mode mode_ = Outer::kSlow;
  int32_t scale_ = 0;
  S6_STATE(Sealed);
};

}  // namespace t

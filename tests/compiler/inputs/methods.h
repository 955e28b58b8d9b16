// SPDX-License-Identifier: Apache-2.0
// Construct: every method shape a stub and skeleton must carry — no arguments, several, const
// references, rvalue references, by-value containers and structs, overloads, const, noexcept,
// default arguments, enum arguments, struct/optional/container results, S6_STALE,
// S6_STALE_MS, S6_UNTETHER, methods inherited from a base — plus a SingleWriter method that
// can't be shipped (kept out of the stub, flagged local-only).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <s6/object.h>

namespace t {

inline constexpr int32_t kDefaultStep = 3;

enum class Op : uint8_t { kAdd, kSub };

struct Point {
  int32_t x = 0;
  int32_t y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

struct Journal {
  std::vector<std::string> log;
  void note(const std::string& s) { log.push_back(s); }
  friend bool operator==(const Journal&, const Journal&) = default;
};

class Shapes : public s6::MultiWriter, public Journal {
 public:
  void reset() { value_ = 0; }
  int64_t value() const { return value_; }
  void add(int32_t a, int32_t b, int32_t c) { value_ += int64_t{a} + b + c; }
  void step(int32_t by = kDefaultStep) { value_ += by; }
  void apply(Op op, int64_t v) { value_ = op == Op::kAdd ? value_ + v : value_ - v; }
  std::string greet(const std::string& who) const { return "hello " + who; }
  size_t consume(std::string&& s) {
    last_ = std::move(s);
    return last_.size();
  }
  void set(int64_t v) { value_ = v; }  // overloads
  void set(const std::string& s) { last_ = s; }
  void set(int64_t v, const std::string& s) {
    value_ = v;
    last_ = s;
  }
  Point move_to(Point p, std::vector<Point> path) {
    for (const Point& q : path) {
      p.x += q.x;
      p.y += q.y;
    }
    where_ = p;
    return p;
  }
  std::optional<Point> where() const { return where_; }
  std::map<std::string, int64_t> snapshot() const { return {{last_, value_}}; }
  int64_t fast() const noexcept { return value_ * 2; }
  void bump() S6_UNTETHER { ++value_; }
  void record(std::string what, int64_t amount) S6_UNTETHER {
    note(what);
    value_ += amount;
  }
  int64_t cached_value() const S6_STALE { return value_; }
  std::string cached_last() const S6_STALE_MS(250) { return last_; }
  friend bool operator==(const Shapes&, const Shapes&) = default;

 private:
  int64_t value_ = 0;
  std::string last_;
  std::optional<Point> where_;
  S6_STATE(Shapes);
};

class Local : public s6::SingleWriter {
 public:
  void fill(int32_t* out) const { *out = v_; }  // pointer argument: local only
  int32_t v() const { return v_; }
  void set_v(int32_t v) { v_ = v; }

 private:
  int32_t v_ = 7;
  S6_STATE(Local);
};

}  // namespace t

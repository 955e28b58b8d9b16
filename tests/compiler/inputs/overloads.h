// SPDX-License-Identifier: Apache-2.0
// Construct: overloads that C++ tells apart but whose wire forms are the same — by reference
// kind (`const T&` / `T&&`) and by integer types of one width (`long` / `long long`, `char` /
// `signed char`). Each gets its own method id (from its exact signature), and a stub call
// reaches the overload the same direct call would. Also a reference-to-array parameter,
// `const T (&)[N]`, which carries a `T[N]` as a field of that type would.
#pragma once

#include <cstdint>
#include <string>

#include <s6/object.h>

namespace t {

class Overloads : public s6::MultiWriter {
 public:
  void take(const std::string& s) { last_ = "copy:" + s; }
  void take(std::string&& s) { last_ = "move:" + s; }
  void width(long v) { last_ = "long:" + std::to_string(v); }
  void width(long long v) { last_ = "long long:" + std::to_string(v); }
  void ch(char c) { last_ = std::string("char:") + c; }
  void ch(signed char c) { last_ = std::string("schar:") + char(c); }
  void bytes(const uint8_t (&v)[4]) {
    last_ = "bytes:" + std::to_string(v[0] + v[1] * 10 + v[2] * 100 + v[3] * 1000);
  }
  std::string last() const { return last_; }

 private:
  std::string last_;
  S6_STATE(Overloads);
};

}  // namespace t

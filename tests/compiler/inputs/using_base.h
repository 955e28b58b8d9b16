// SPDX-License-Identifier: Apache-2.0
// Construct: `using Base::f;` beside a derived overload of f. The using-declaration brings the
// base's overloads into the class's interface (they were dropped as hidden), except one with
// the same signature as a derived method, which the derived one hides as in C++.
#pragma once

#include <cstdint>
#include <string>

#include <s6/object.h>

namespace t {

struct Writer {
  void put(int64_t v) { last = "int:" + std::to_string(v); }
  void put(const std::string& v) { last = "base str:" + v; }
  std::string last;
};

class UsingWriter : public s6::MultiWriter, public Writer {
 public:
  using Writer::put;
  void put(bool b) { last = b ? "bool:1" : "bool:0"; }
  void put(const std::string& v) { last = "derived str:" + v; }
  std::string get() const { return last; }

  S6_STATE(UsingWriter);
};

}  // namespace t

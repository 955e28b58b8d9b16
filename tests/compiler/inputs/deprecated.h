// SPDX-License-Identifier: Apache-2.0
// Construct: [[deprecated]] public methods of a state class, one of them an overload next to a
// current one. The generated skeleton still ships them, and must build with
// -Werror=deprecated-declarations (the project's -Wall -Wextra -Werror).
#pragma once

#include <cstdint>

#include <s6/object.h>

namespace t {

class Legacy : public s6::MultiWriter {
 public:
  [[deprecated("use add")]] void increment() { ++value_; }
  void add(int64_t by) { value_ += by; }
  [[deprecated]] int64_t total() const { return value_; }
  int64_t value() const { return value_; }
  [[deprecated("pass an int64_t")]] void set(int32_t v) { value_ = v; }
  void set(int64_t v) { value_ = v; }

 private:
  int64_t value_ = 0;
  S6_STATE(Legacy);
};

}  // namespace t

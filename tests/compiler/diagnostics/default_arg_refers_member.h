// The stub is generated outside the class, where the default argument's class member can't be
// named without qualification.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  static constexpr uint64_t kStep = 1;
  void add(uint64_t n = kStep);  // expected-error {{the default argument of 'n' refers to class members}}

  uint64_t total = 0;
};

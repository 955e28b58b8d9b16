// The stub is generated outside the class, where a private member can't be named, even from a
// helper that borrows the class's scope.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  void add(uint64_t n = kStep);  // expected-error {{the default argument of 'n' names 'Counter::kStep', which is private}}

  uint64_t total = 0;

 private:
  static constexpr uint64_t kStep = 1;
};

// A member function template has no single signature that a stub could ship.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  template <typename T>
  void add(T n) { total += static_cast<uint64_t>(n); }  // expected-error {{member function templates can't be shipped to a MultiWriter home}}

  uint64_t total = 0;
};

// A stale read exists to return a value.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  void peek() const S6_STALE;  // expected-error {{S6_STALE method 'peek' returns void; a stale read must return a value}}

  uint64_t total = 0;
};

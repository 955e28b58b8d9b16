// A pointer argument would point into the caller's memory, not the home's.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  void add(const uint64_t* n);  // expected-error {{parameter 'n' of type 'const uint64_t *' can't be shipped: raw pointers can't move between instances}}

  uint64_t total = 0;
};

// An S6_UNTETHER method is fire-and-forget: nobody waits for its result.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  uint64_t add(uint64_t n) S6_UNTETHER;  // expected-error {{S6_UNTETHER method 'add' must return void}}

  uint64_t total = 0;
};

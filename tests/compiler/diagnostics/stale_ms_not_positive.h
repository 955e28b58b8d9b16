// The staleness bound of S6_STALE_MS is in milliseconds and must be positive.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  uint64_t read() const S6_STALE_MS(0);  // expected-error {{S6_STALE_MS needs a positive integer constant}}

  uint64_t total = 0;
};

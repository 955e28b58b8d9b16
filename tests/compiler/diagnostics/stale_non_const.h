// An S6_STALE method may be answered by a cached copy, so it must not modify the object.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  uint64_t read() S6_STALE;  // expected-error {{S6_STALE method 'read' must be const}}

  uint64_t total = 0;
};

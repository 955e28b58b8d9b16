// A method is either a (possibly stale) read or a fire-and-forget write, not both.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  void touch() const S6_STALE S6_UNTETHER;  // expected-error {{'touch' can't be both S6_STALE and S6_UNTETHER}}

  uint64_t total = 0;
};

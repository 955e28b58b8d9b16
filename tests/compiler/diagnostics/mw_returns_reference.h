// A remote call can only return a copy of the result.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  const uint64_t& total() const;  // expected-error {{'total' returns a reference ('const uint64_t &'); a remote call can only return a value}}

 private:
  uint64_t total_ = 0;
  S6_STATE(Counter);
};

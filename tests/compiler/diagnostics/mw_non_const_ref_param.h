// A call shipped to the MultiWriter home can't write back into the caller's variable.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  void take(uint64_t& out);  // expected-error {{parameter 'out' is a non-const reference}}

  uint64_t total = 0;
};

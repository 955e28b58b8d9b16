// The runtime default-constructs an object and then decodes its state into it.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {  // expected-error {{state class 'Flow' needs a public, non-deleted default constructor}}
 public:
  explicit Flow(uint32_t first) : packets(first) {}

  uint32_t packets = 0;
};

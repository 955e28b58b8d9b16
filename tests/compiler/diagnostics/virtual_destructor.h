// A virtual destructor also gives the class a vtable.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {
 public:
  virtual ~Flow() = default;  // expected-error {{state classes can't have virtual methods}}

  uint32_t packets = 0;
};

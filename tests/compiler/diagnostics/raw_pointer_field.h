// A raw pointer is only meaningful inside one instance's address space.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {
 public:
  uint32_t* counter = nullptr;  // expected-error {{field 'counter' has unsupported type 'uint32_t *': raw pointers can't move between instances}}
};

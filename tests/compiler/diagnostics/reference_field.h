// A reference field can't be re-targeted when the object is decoded elsewhere.
#pragma once

#include <s6/object.h>

#include <cstdint>

inline uint32_t g_value = 0;

class Flow : public s6::SingleWriter {
 public:
  uint32_t& value = g_value;  // expected-error {{field 'value' has unsupported type 'uint32_t &': references can't move between instances}}
};

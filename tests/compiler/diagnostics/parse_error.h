// Plain C++ syntax errors are reported by Clang and stop s6c before any analysis.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {
 public:
  uint32_t packets = 0  // expected-error {{expected ';' at end of declaration list}}
};

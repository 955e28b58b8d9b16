// Helper for ../type_from_non_input_header.h: a plain struct defined outside the s6c inputs.
// Not a test case itself (the runner only picks up *.h directly in diagnostics/).
#pragma once

#include <cstdint>

// The struct below must stay on line 9: the test case refers to it by line number.

struct Endpoint {
  uint32_t address = 0;
  uint16_t port = 0;
};

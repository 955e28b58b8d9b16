// S6_STATE must name the class it is in (a copy-paste mistake otherwise goes unnoticed).
#pragma once

#include <s6/object.h>

#include <cstdint>

class Other {};

class Flow : public s6::SingleWriter {
 private:
  uint32_t packets_ = 0;
  S6_STATE(Other);  // expected-error {{S6_STATE names 'Other' but is inside 'Flow'}}
};

// Misuse: an enum without a fixed underlying type has a value range the decoder can't check, so
// a decoded out-of-range value would be undefined behaviour.
#pragma once

#include <s6/object.h>

enum Mode { kIdle, kBusy };

class Flow : public s6::SingleWriter {
 public:
  Mode mode = kIdle;  // expected-error {{enum 'Mode' has no fixed underlying type}}
};

// SingleWriter methods always run locally; there is nothing to untether from.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {
 public:
  void count() S6_UNTETHER { ++packets; }  // expected-error {{S6_UNTETHER on 'count' has no meaning in SingleWriter class 'Flow'}}

  uint32_t packets = 0;
};

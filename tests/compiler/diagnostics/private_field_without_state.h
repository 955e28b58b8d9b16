// Generated codecs can only read private fields when the class grants access with S6_STATE.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {
 public:
  uint32_t packets() const { return packets_; }

 private:
  uint32_t packets_ = 0;  // expected-error {{'Flow' has non-public field 'packets_'; add S6_STATE(Flow)}}
};

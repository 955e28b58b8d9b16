// SingleWriter methods always run on the local copy; staleness has no meaning there.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Flow : public s6::SingleWriter {
 public:
  uint32_t packets() const S6_STALE { return packets_; }  // expected-error {{S6_STALE on 'packets' has no meaning in SingleWriter class 'Flow'}}

 private:
  uint32_t packets_ = 0;
  S6_STATE(Flow);
};

// SPDX-License-Identifier: Apache-2.0
// The state of my-nf: a counter per flow (moves with the flow) and one shared total per
// protocol (stays at its home; updates are shipped there, fire-and-forget).
#pragma once

#include <cstdint>

#include <s6/object.h>

namespace my_nf {

class FlowCounter : public s6::SingleWriter {
 public:
  void add(uint32_t bytes) {
    ++packets_;
    bytes_ += bytes;
  }
  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  S6_STATE(FlowCounter);
};

class ProtocolTotal : public s6::MultiWriter {
 public:
  void add(uint64_t packets) S6_UNTETHER { packets_ += packets; }
  uint64_t packets() const { return packets_; }

 private:
  uint64_t packets_ = 0;
  S6_STATE(ProtocolTotal);
};

}  // namespace my_nf

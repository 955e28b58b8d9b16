// SPDX-License-Identifier: Apache-2.0
#include "detection.h"

namespace prads {

std::string_view DetectionName(Detection d) noexcept {
  switch (d) {
    case Detection::kSyn:
      return "SYN";
    case Detection::kSynAck:
      return "SYNACK";
    case Detection::kAck:
      return "ACK";
    case Detection::kFin:
      return "FIN";
    case Detection::kRst:
      return "RST";
    case Detection::kUdp:
      return "UDP";
    case Detection::kIcmp:
      return "ICMP";
  }
  return "?";
}

int DetectionProto(Detection d) noexcept {
  switch (d) {
    case Detection::kUdp:
      return 17;
    case Detection::kIcmp:
      return 1;
    default:
      return 6;
  }
}

}  // namespace prads

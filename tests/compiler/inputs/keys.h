// SPDX-License-Identifier: Apache-2.0
// Construct: key types in their own header (no state class here), used by nested.h. Also a
// helper type that can't be encoded: it is skipped, not an error, because no state uses it.
#pragma once

#include <compare>
#include <cstdint>

namespace t {

struct FlowId {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  friend bool operator==(const FlowId&, const FlowId&) = default;
  friend auto operator<=>(const FlowId&, const FlowId&) = default;
};

struct NotState {
  const char* name = nullptr;  // not encodable, but nothing needs it
};

}  // namespace t

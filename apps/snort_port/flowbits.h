// SPDX-License-Identifier: Apache-2.0
// A flow's flowbits: plain data, so it can live in the flow's S6 object (s6c reads this file).
#pragma once

#include <cstdint>
#include <vector>

namespace snort {

/// A flow's flowbits (ids from RuleSet::flowbit_names). Plain data.
struct FlowBits {
  std::vector<uint64_t> words;
  bool Test(uint16_t id) const;
  void Set(uint16_t id);
  void Clear(uint16_t id);
  void Toggle(uint16_t id);
};

}  // namespace snort

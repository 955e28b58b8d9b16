// SPDX-License-Identifier: Apache-2.0
// Theory of operation: Snort 3's default rule classifications (lua/snort_defaults.lua
// default_classifications, installed by snort.lua as `classifications`), as a constant table.
// A rule's classtype names one; the fast alert format prints its text and priority
// ("[Classification: Attempted Administrator Privilege Gain] [Priority: 1]"). The table is
// immutable program data, not state; lookups are by exact, case-sensitive name as in Snort.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace snort {

struct Classification {
  std::string_view name;  ///< classtype value, e.g. "attempted-admin"
  std::string_view text;  ///< description printed in alerts
  uint32_t priority = 0;  ///< 1 is the most severe
};

/// All of Snort 3's default classifications, in snort_defaults.lua order.
std::span<const Classification> DefaultClassifications();

/// The classification called `name`, if Snort 3 defines it.
std::optional<Classification> FindClassification(std::string_view name);

}  // namespace snort

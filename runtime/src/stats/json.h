// SPDX-License-Identifier: Apache-2.0
// File: stats/json.h
//
// The one way counters become JSON members: every component's stats (transport, object space,
// migration) are flat objects of unsigned counters that tests and the controller read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace s6::stats {

/// Appends `"name":v` to the JSON object being built in `out`, after a comma unless it is the
/// object's first member (`out` ends with '{').
inline void AppendCounter(std::string& out, std::string_view name, uint64_t v) {
  if (!out.empty() && out.back() != '{') out += ',';
  out += '"';
  out += name;
  out += "\":";
  out += std::to_string(v);
}

}  // namespace s6::stats

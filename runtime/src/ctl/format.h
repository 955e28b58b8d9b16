// SPDX-License-Identifier: Apache-2.0
// File: ctl/format.h — printf into a std::string, for s6ctl's fixed-width text (table, summary).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>

namespace s6::ctl {

/// vsnprintf into a string of any length; the attribute checks the format against the
/// arguments at compile time.
__attribute__((format(printf, 1, 2))) inline std::string Format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  std::string out(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, again);
  va_end(again);
  return out;
}

}  // namespace s6::ctl

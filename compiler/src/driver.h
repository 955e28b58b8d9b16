// SPDX-License-Identifier: Apache-2.0
// One s6c run: parse the command line (command_line.h), run Clang on every header, write the
// outputs.
//
// Theory of operation: each header is parsed as its own C++20 translation unit (with the s6
// runtime headers and Clang's resource directory on the path), analysed into a FileModel and
// emitted. Nothing is written unless every header succeeded; a file whose content did not change
// is left untouched (so build systems don't rebuild needlessly). Exit codes: 0 ok,
// 1 diagnostics (Clang errors or s6c errors), 2 usage.
#pragma once

#include <string>
#include <vector>

namespace s6c {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDiagnostics = 1;
inline constexpr int kExitUsage = 2;

/// Runs s6c with `args` (without the program name). Diagnostics go to stderr.
int RunS6c(const std::vector<std::string>& args);

}  // namespace s6c

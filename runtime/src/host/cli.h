// SPDX-License-Identifier: Apache-2.0
// File: host/cli.h
//
// The command-line conventions of the host's executables, on CLI11: `--help` prints every
// option with its default and exits 0; a usage error is one line on stderr, "PROGRAM: WHY
// (see --help)", and exit status 2; `--log-level` (and $S6_LOG) configure logging.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <s6/host.h>

namespace s6::host {

/// The executable's name as invoked (argv[0]'s file name), or `fallback`.
std::string ProgramName(int argc, char** argv, const std::string& fallback);

/// Adds `--log-level SPEC` bound to `spec`.
void AddLogLevelOption(CLI::App& app, std::string& spec);

// ParseCommandLine is public (s6/host.h).

}  // namespace s6::host

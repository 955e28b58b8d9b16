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

namespace s6::host {

/// The executable's name as invoked (argv[0]'s file name), or `fallback`.
std::string ProgramName(int argc, char** argv, const std::string& fallback);

/// Adds `--log-level SPEC` bound to `spec`.
void AddLogLevelOption(CLI::App& app, std::string& spec);

/// Parses `argv` into `app` (a lone "--" is dropped: the NF's options may follow it), then
/// applies the log spec. Returns nothing to go on, or the exit status to return now.
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                    const std::string& log_spec);

}  // namespace s6::host

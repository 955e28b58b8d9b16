// SPDX-License-Identifier: Apache-2.0
// s6c's command line: the options, their help text, and their validation.
//
// Theory of operation: options are declared with llvm::cl (already linked for Clang, so no new
// dependency), in their own category so that `--help` lists s6c's options and not the hundreds
// LLVM registers. Everything after the first `--` goes to Clang unchanged and is split off
// before llvm::cl sees it. Unknown options land in a sink and are reported by s6c itself, so
// every usage error is one line on stderr and exit status 2 (llvm::cl would exit with 1).
// `--help` and `--version` print to stdout and exit the process with 0 (llvm::cl's behaviour).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace s6c {

struct Options {
  std::vector<std::string> headers;
  std::string out_dir;
  std::vector<std::string> clang_args;  // -I/-D in command-line order, then those after `--`
  std::string depfile;                  // empty: no dependency file
};

/// Parses `args` (without the program name) into `opt`. Returns an exit code when the run
/// should stop here: kExitUsage after reporting a usage error. Validates that the headers
/// exist and that their outputs don't collide.
std::optional<int> ParseCommandLine(const std::vector<std::string>& args, Options& opt);

}  // namespace s6c

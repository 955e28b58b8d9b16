// SPDX-License-Identifier: Apache-2.0
// File: ctl/binaries.h
//
// Where s6ctl finds the executables it starts: s6-trafgen and the app's instance.
//
// Theory of operation
// -------------------
// An installed s6ctl sits beside the tools and instances of the same package, and a build tree
// puts every executable in one bin/ directory, so s6ctl's own directory (/proc/self/exe) is
// searched first: the cluster then runs the binaries s6ctl was built with, whatever PATH says.
// Then --bin-dir (an NF built elsewhere, by name), then PATH. `--app-binary` names the
// instance executable directly (an out-of-tree NF) and is not searched for. A lookup that
// fails names every place it tried, so the one-line error is enough to fix the command.
#pragma once

#include <string>
#include <vector>

#include <s6/status.h>
#include "ctl/options.h"

namespace s6::ctl {

/// The places to look, in order; empty entries are skipped.
struct SearchPath {
  std::string self_dir;  ///< s6ctl's own directory
  std::string bin_dir;   ///< --bin-dir
  std::string path_env;  ///< $PATH (colon-separated)
};

/// The directory of the running executable (empty if /proc/self/exe cannot be read).
std::string SelfDirectory();

/// The search path of this process for `bin_dir`.
SearchPath DefaultSearchPath(const std::string& bin_dir);

/// The first executable file called `name` along `where`; NotFound naming the places tried.
StatusOr<std::string> FindExecutable(const std::string& name, const SearchPath& where);

/// The executables of a run.
struct Binaries {
  std::string trafgen;
  std::string instance;
};

/// s6-trafgen and the instance of `run` (--app-binary, or s6-NAME-instance along `where`).
StatusOr<Binaries> ResolveBinaries(const RunOptions& run, const SearchPath& where);

}  // namespace s6::ctl

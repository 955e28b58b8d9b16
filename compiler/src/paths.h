// SPDX-License-Identifier: Apache-2.0
// File paths as s6c compares them: inputs and defining files are matched by real path, so the
// same header reached through different spellings (relative, symlinked) is one file.
#pragma once

#include <string>

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace s6c {

/// `path` made absolute, with `.` and `..` removed (no file system lookups beyond the cwd).
inline std::string AbsolutePath(llvm::StringRef path) {
  llvm::SmallString<256> p(path);
  llvm::sys::fs::make_absolute(p);
  llvm::sys::path::remove_dots(p, /*remove_dot_dot=*/true);
  return std::string(p.str());
}

/// `path` with symlinks resolved; the absolute path when it can't be resolved.
inline std::string RealPath(llvm::StringRef path) {
  llvm::SmallString<256> out;
  if (llvm::sys::fs::real_path(path, out)) return AbsolutePath(path);
  return std::string(out.str());
}

}  // namespace s6c

// SPDX-License-Identifier: Apache-2.0
#include "ctl/binaries.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace s6::ctl {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::string SelfDirectory() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.parent_path().string();
}

SearchPath DefaultSearchPath(const std::string& bin_dir) {
  const char* path = std::getenv("PATH");
  return SearchPath{SelfDirectory(), bin_dir, path != nullptr ? path : ""};
}

StatusOr<std::string> FindExecutable(const std::string& name, const SearchPath& where) {
  std::string tried;
  auto look_in = [&](const std::string& dir, const std::string& label) -> bool {
    if (dir.empty()) return false;
    if (IsExecutableFile(fs::path(dir) / name)) return true;
    tried += (tried.empty() ? "" : ", ") + label + dir;
    return false;
  };
  if (look_in(where.self_dir, "")) return (fs::path(where.self_dir) / name).string();
  if (look_in(where.bin_dir, "--bin-dir ")) return (fs::path(where.bin_dir) / name).string();
  std::string_view path = where.path_env;
  bool path_tried = false;
  while (!path.empty()) {
    const std::size_t colon = path.find(':');
    const std::string dir(path.substr(0, colon));
    path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
    if (dir.empty()) continue;
    path_tried = true;
    if (IsExecutableFile(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  }
  if (path_tried) tried += (tried.empty() ? "" : ", ") + std::string("$PATH");
  return NotFoundError(name + " not found (looked in " + (tried.empty() ? "nowhere" : tried) + ")");
}

StatusOr<Binaries> ResolveBinaries(const RunOptions& run, const SearchPath& where) {
  Binaries b;
  S6_ASSIGN_OR_RETURN(b.trafgen, FindExecutable("s6-trafgen", where));
  if (!run.app_binary.empty()) {
    if (!IsExecutableFile(run.app_binary)) {
      return NotFoundError("--app-binary " + run.app_binary + " is not an executable file");
    }
    b.instance = fs::absolute(run.app_binary).string();
  } else {
    S6_ASSIGN_OR_RETURN(b.instance, FindExecutable("s6-" + run.app + "-instance", where));
  }
  return b;
}

}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: outputs are checked before the run (so a mistake costs nothing: an
// output named like the input would be truncated before the input is read) and every write is
// checked after it (a full disk is an error with the path, never a silent short file).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <s6/host.h>

namespace s6::host {

Status CheckOutputPath(const std::string& what, const std::string& path,
                       const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return OkStatus();  // a new file
  if (fs::is_directory(st)) {
    return InvalidArgumentError(what + ": '" + path + "' is a directory");
  }
  if (!fs::is_regular_file(st)) {
    return InvalidArgumentError(what + ": '" + path +
                                "' is not a regular file (a device, FIFO or socket)");
  }
  for (const std::string& in : inputs) {
    if (!in.empty() && fs::equivalent(path, in, ec) && !ec) {
      return InvalidArgumentError(what + ": '" + path + "' is the input '" + in +
                                  "'; writing it would destroy the input");
    }
  }
  return OkStatus();
}

Status WriteFileChecked(const std::string& path, std::string_view content) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return UnavailableError("cannot write '" + path + "': " + std::strerror(errno));
  }
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;  // a full disk often shows only here
  if (!written || !closed) {
    return UnavailableError("cannot write '" + path +
                            "': " + std::strerror(written ? errno : write_errno));
  }
  return OkStatus();
}

}  // namespace s6::host

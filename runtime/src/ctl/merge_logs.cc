// SPDX-License-Identifier: Apache-2.0
#include "ctl/merge_logs.h"

#include <fstream>

namespace s6::ctl {

std::string LogPathFor(const std::string& pattern, int id) {
  std::string path = pattern;
  const std::string id_text = std::to_string(id);
  for (size_t at = path.find("{id}"); at != std::string::npos; at = path.find("{id}", at)) {
    path.replace(at, 4, id_text);
    at += id_text.size();
  }
  return path;
}

StatusOr<uint64_t> MergeLogs(const std::string& pattern, const std::vector<int>& ids,
                             const std::string& out) {
  std::vector<std::vector<std::string>> logs;
  for (int id : ids) {
    const std::string path = LogPathFor(pattern, id);
    std::ifstream in(path);
    if (!in) return NotFoundError("instance " + std::to_string(id) + " wrote no log at " + path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
    logs.push_back(std::move(lines));
  }
  bool common_header = !logs.empty();
  for (const auto& l : logs) {
    common_header = common_header && !l.empty() && l.front() == logs.front().front();
  }
  std::ofstream f(out, std::ios::trunc);
  if (!f) return InvalidArgumentError("cannot write " + out);
  if (common_header) f << logs.front().front() << "\n";
  uint64_t n = 0;
  for (const auto& l : logs) {
    for (size_t i = common_header ? 1 : 0; i < l.size(); ++i, ++n) f << l[i] << "\n";
  }
  f.flush();
  if (!f) return InternalError("writing " + out + " failed");
  return n;
}

}  // namespace s6::ctl

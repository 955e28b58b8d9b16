// SPDX-License-Identifier: Apache-2.0
#include "ctl/health.h"

#include <algorithm>
#include <fstream>

#include "ctl/format.h"

namespace s6::ctl {

std::vector<std::string> LastLogLines(const std::string& path, std::size_t lines,
                                      std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size <= 0) return {};
  const std::streamoff from =
      std::max<std::streamoff>(0, size - static_cast<std::streamoff>(max_bytes));
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(in.gcount()));
  std::vector<std::string> all;
  std::size_t at = 0;
  // A partial first line (the read started mid-line) is dropped.
  if (from > 0) at = std::min(tail.size(), tail.find('\n') + 1);
  while (at < tail.size()) {
    std::size_t end = tail.find('\n', at);
    if (end == std::string::npos) end = tail.size();
    std::string line = tail.substr(at, std::min<std::size_t>(end - at, 200));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) all.push_back(std::move(line));
    at = end + 1;
  }
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(lines));
  return all;
}

double StallThreshold(int stats_interval_ms) {
  return std::max(2.0, 10.0 * stats_interval_ms / 1000.0);
}

void StallWatch::Observe(int id, double now_s, std::optional<double> age_s) {
  const auto open = open_.find(id);
  if (!age_s || *age_s < threshold_s_) {
    if (open != open_.end()) {
      Episode& e = episodes_[open->second];
      e.to_s = now_s - (age_s ? *age_s : 0);
      e.ongoing = false;
      open_.erase(open);
    }
    return;
  }
  if (open == open_.end()) {
    open_[id] = episodes_.size();
    episodes_.push_back(Episode{id, now_s - *age_s, now_s, true});
  } else {
    episodes_[open->second].to_s = now_s;
  }
}

void StallWatch::Forget(int id, double now_s) {
  const auto open = open_.find(id);
  if (open == open_.end()) return;
  Episode& e = episodes_[open->second];
  e.to_s = now_s;
  e.ongoing = false;
  open_.erase(open);
}

std::vector<std::string> StallWatch::Report(double now_s) const {
  std::vector<std::string> out;
  for (const Episode& e : episodes_) {
    const double from = std::max(0.0, e.from_s);
    std::string line = Format("instance %d stalled at %.1f s (no stats written)", e.id, from);
    if (e.ongoing) {
      line += Format(" and still was %.1f s later, at the end of the run", now_s - from);
    } else {
      line += Format(" for %.1f s", e.to_s - from);
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// File: ctl/health.h
//
// What s6ctl says about an instance that died or stopped making progress.
//
// Theory of operation
// -------------------
// A run's summary must say which instance failed, when and why, so the operator need not dig
// through the workdir. Two things are watched from the main loop:
// - An instance that exits is described by its wait status (an exit code, or the signal by
//   name) and by the last lines of its own log, read with a size bound (a log can be huge).
// - An instance that is alive but stuck (SIGSTOP, a hang, a livelock) stops rewriting its stats
//   file, which its loop rewrites every --stats-interval-ms. StallWatch turns the age of that
//   file into episodes: stalled from when it was last written, until it is written again (or
//   the run ends). The threshold is generous (see StallThreshold) so a merely busy instance on
//   a loaded machine is not called stalled. Times are the caller's (seconds since the traffic
//   started), so the logic is tested without waiting.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace s6::ctl {

/// The last `lines` lines of the file at `path`, reading at most its last `max_bytes`; each
/// line is cut to 200 characters. Empty when it can't be read.
std::vector<std::string> LastLogLines(const std::string& path, std::size_t lines,
                                      std::size_t max_bytes = 8192);

/// How long an instance's stats file may go unwritten before it counts as stalled: ten
/// intervals, and never less than 2 s.
double StallThreshold(int stats_interval_ms);

class StallWatch {
 public:
  explicit StallWatch(double threshold_s) : threshold_s_(threshold_s) {}

  /// At `now_s`, instance `id`'s stats file was last written `age_s` seconds ago (nullopt: no
  /// file yet, which is not a stall: the instance is starting).
  void Observe(int id, double now_s, std::optional<double> age_s);
  /// The instance is gone (exited or removed): an ongoing stall of it ends at `now_s`.
  void Forget(int id, double now_s);

  /// One line per stall, ended or ongoing at `now_s`, in the order they began:
  /// "instance 2 stalled at 4.1 s for 3.0 s (no stats written)" or "... and still was at the
  /// end of the run".
  std::vector<std::string> Report(double now_s) const;

 private:
  struct Episode {
    int id = 0;
    double from_s = 0;
    double to_s = 0;
    bool ongoing = true;
  };

  double threshold_s_;
  std::vector<Episode> episodes_;
  std::map<int, std::size_t> open_;  // id -> its ongoing episode
};

}  // namespace s6::ctl

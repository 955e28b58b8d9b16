// SPDX-License-Identifier: Apache-2.0
// File: ctl/merge_logs.h — `s6ctl run --merge-log PATTERN --merged-log OUT`.
//
// Theory of operation: an NF that writes a log per instance (e.g. PRADS's asset log, with
// "{id}" in its path) gets one file for the whole run. After every instance has stopped, the
// logs of every instance that ran are concatenated in instance order; when they all start with
// the same first line (a CSV header), it is written once. Each instance's lines keep their
// order. A missing log is an error (the instance was told to write one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <s6/status.h>

namespace s6::ctl {

/// `pattern` with each "{id}" replaced by `id`.
std::string LogPathFor(const std::string& pattern, int id);

/// Merges the logs of `ids` (see the theory of operation) into `out`; returns the number of
/// lines written after the header.
StatusOr<uint64_t> MergeLogs(const std::string& pattern, const std::vector<int>& ids,
                             const std::string& out);

}  // namespace s6::ctl

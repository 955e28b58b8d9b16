// SPDX-License-Identifier: Apache-2.0
// File: ctl/summary.h
//
// The result of `s6ctl run`: the summary JSON (--summary-json) and its printed form.
//
// Theory of operation
// -------------------
// At the end of a run, what s6-trafgen measured (its summary, with one window per scale
// event), what each instance reported last (its stats file) and what s6ctl itself recorded
// (the events it executed, the errors it saw) are combined into one JSON object, built with
// nlohmann-json in a fixed key order: sent, received, lost, throughput_pps, latency_us,
// instances, instances_at_end, state_lost (NAT mappings that changed or were shared), errors,
// scaling {mode, events, objects_moved, migration_ms, latency_us}, reordered, missteered,
// link_refused, backlog_max, instance_stats, config, workdir. Each event gets the `traffic` of
// its trafgen window ({sent, received, lost, latency_us}, or null when it never opened one).
// Anything that could not be read — a missing file, a field missing or of the wrong type, a
// window an event should have — is added to `errors`, so such a run never passes as clean.
// The printed lines are rendered from the JSON, so the two never disagree.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <s6/status.h>
#include "ctl/stats.h"
#include "objspace/space_stats.h"

namespace s6::ctl {

struct SummaryInputs {
  objspace::MigrationMode mode = objspace::MigrationMode::kGradual;
  int instances = 0;                 ///< at the start
  std::size_t instances_at_end = 0;  ///< members of the table in force at the end
  std::string workdir;
  std::vector<std::string> errors;  ///< what the run recorded
  /// Each executed event: kind, origin, at_s, window, then the scale report's fields or
  /// `error` (and for a kill, `instance` and `note`).
  std::vector<Json> events;
  StatusOr<TrafgenSummary> trafgen = NotFoundError("no trafgen summary");
  /// The last stats of every instance ever started, by id.
  std::vector<std::pair<int, StatusOr<InstanceStats>>> instance_stats;
};

/// The summary JSON (see the theory of operation).
Json BuildSummary(const SummaryInputs& in);

/// The printed summary: a blank line, `summary: ...`, `scaling (...)` when there were events,
/// and one `  error: ...` line per error.
std::string SummaryText(const Json& summary);

}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
#include "engine.h"

#include <algorithm>
#include <utility>

namespace snort {

Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

s6::StatusOr<Engine> Engine::Create(RuleSet rules, Mode mode) {
  S6_ASSIGN_OR_RETURN(Detector detector, Detector::Create(std::move(rules)));
  Engine e(std::move(detector), mode);
  const std::size_t n = e.rules().rules.size();
  e.from_prefilter_.assign(n, 0);
  if (mode == Mode::kNaive) return e;
  std::vector<std::vector<Prefilter::Pattern>> by_buffer(std::size_t(Buffer::kCount));
  for (std::size_t i = 0; i < n; ++i) {
    const FastPatternInfo* fp = e.detector_.fast_pattern(i);
    if (fp == nullptr || fp->negated || fp->pattern.empty() || fp->buffer == Buffer::kBase64Data) {
      e.always_.push_back(i);
      continue;
    }
    by_buffer[std::size_t(fp->buffer)].push_back({uint32_t(i), fp->pattern, fp->nocase});
  }
  for (std::vector<Prefilter::Pattern>& patterns : by_buffer) {
    S6_ASSIGN_OR_RETURN(Prefilter f, Prefilter::Build(patterns));
    e.prefilters_.push_back(std::move(f));
  }
  return e;
}

bool Engine::ServiceAllows(const Rule& rule, std::string_view service) const {
  if (!rule.service_only) return true;
  return std::find(rule.services.begin(), rule.services.end(), service) != rule.services.end();
}

std::vector<size_t> Engine::Inspect(const PacketHeader& header, const Buffers& buffers,
                                    const PacketFacts& facts, std::string_view service,
                                    FlowBits* bits, const std::function<bool(size_t)>& allow) {
  ++stats_.inspections;
  std::vector<size_t> candidates;
  if (mode_ == Mode::kNaive) {
    candidates.resize(rules().rules.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) candidates[i] = i;
  } else {
    scratch_.clear();
    for (std::size_t b = 0; b < prefilters_.size(); ++b) {
      prefilters_[b].Scan(buffers.Get(static_cast<Buffer>(b)), &scratch_);
    }
    candidates.assign(always_.begin(), always_.end());
    for (uint32_t id : scratch_) {
      if (!from_prefilter_[id]) candidates.push_back(id);
      from_prefilter_[id] = 1;
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }
  std::vector<size_t> alerts;
  for (size_t i : candidates) {
    const Rule& rule = rules().rules[i];
    if (!HeaderMatches(rule.header, header) || !ServiceAllows(rule, service)) continue;
    ++stats_.candidates;
    EvalOptions opts;
    opts.fast_pattern_matched = mode_ == Mode::kPrefilter && from_prefilter_[i] != 0;
    const MatchResult m = detector_.Evaluate(i, buffers, facts, *bits, opts);
    if (!m.matched) continue;
    ++stats_.matches;
    if (allow && !allow(i)) continue;  // detection_filter: no event, no flowbit change
    ApplyFlowbitOps(m.flowbit_ops, bits);
    if (m.noalert) continue;
    ++stats_.alerts;
    alerts.push_back(i);
  }
  for (uint32_t id : scratch_) from_prefilter_[id] = 0;
  return alerts;
}

}  // namespace snort

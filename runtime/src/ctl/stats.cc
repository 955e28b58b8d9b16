// SPDX-License-Identifier: Apache-2.0
#include "ctl/stats.h"

#include <fstream>
#include <sstream>

namespace s6::ctl {
namespace {

StatusOr<Json> ParseObject(std::string_view text, const std::string& what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError(what + ": not JSON");
  if (!j.is_object()) return InvalidArgumentError(what + ": not a JSON object");
  return j;
}

Latency ReadLatency(JsonFields& f, const std::string& path) {
  Latency l;
  l.json = f.Object(path);
  l.p50 = f.Number(path + ".p50");
  l.p99 = f.Number(path + ".p99");
  l.max = f.Number(path + ".max");
  return l;
}

}  // namespace

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

StatusOr<InstanceStats> ParseInstanceStats(std::string_view text, const std::string& source) {
  S6_ASSIGN_OR_RETURN(const Json j, ParseObject(text, source));
  JsonFields f(j, source);
  InstanceStats s;
  s.instance = f.Count("instance");
  s.received = f.Count("packets.received");
  s.forwarded = f.Count("packets.forwarded");
  s.aborted = f.Count("packets.aborted");
  s.sw_held = f.Count("space.sw_held");
  s.homed = f.Count("space.sw_homed") + f.Count("space.mw_homed");
  s.remote = f.Count("space.sw_acquires_sent") + f.Count("space.mw_strict_sent");
  s.fibers = f.Count("fibers.in_use");
  s.version = f.Count("migration.version");
  s.incoming_left = f.Count("migration.incoming_left");
  s.outgoing_left = f.Count("migration.outgoing_left");
  s.nf = f.Object("nf");
  s.migration = f.Object("migration");
  s.problems = f.problems();
  return s;
}

StatusOr<InstanceStats> ReadInstanceStats(const std::string& path, const std::string& source) {
  S6_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return ParseInstanceStats(text, source);
}

StatusOr<TrafgenStatus> ParseTrafgenStatus(std::string_view reply) {
  S6_ASSIGN_OR_RETURN(const Json j, ParseObject(reply, "trafgen status"));
  JsonFields f(j, "trafgen status");
  TrafgenStatus s;
  s.sent = f.Count("sent");
  const Json* links = f.Find("links");
  if (links == nullptr || !links->is_array()) {
    return InvalidArgumentError("trafgen status: links is not an array");
  }
  for (const Json& l : *links) {
    JsonFields lf(l, "trafgen status link");
    const uint64_t id = lf.Count("id");
    const Json* up = lf.Find("up");
    if (up == nullptr || !up->is_boolean()) {
      return InvalidArgumentError("trafgen status: a link without a boolean up");
    }
    if (!lf.problems().empty()) return InvalidArgumentError(lf.problems().front());
    s.link_up[static_cast<uint32_t>(id)] = up->get<bool>();
  }
  // What s6ctl decides on must be there: a status without it is no status.
  if (!f.problems().empty()) return InvalidArgumentError(f.problems().front());
  return s;
}

StatusOr<TrafgenInterval> ParseTrafgenInterval(std::string_view line) {
  S6_ASSIGN_OR_RETURN(const Json j, ParseObject(line, "trafgen interval"));
  JsonFields f(j, "trafgen interval");
  TrafgenInterval i;
  i.t_ms = f.Count("t_ms");
  i.sent = f.Count("sent");
  i.received = f.Count("received");
  i.throughput_pps = f.Number("throughput_pps");
  i.p99_us = f.Number("latency_us.p99");
  if (!f.problems().empty()) return InvalidArgumentError(f.problems().front());
  return i;
}

StatusOr<TrafgenInterval> ReadLastTrafgenInterval(const std::string& path) {
  S6_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  // trafgen flushes whole lines; a last line without its newline is still being written.
  const std::size_t end = text.rfind('\n');
  if (end == std::string::npos) return NotFoundError(path + ": no complete interval yet");
  const std::size_t begin = text.rfind('\n', end == 0 ? 0 : end - 1);
  const std::size_t from = (begin == std::string::npos || begin == end) ? 0 : begin + 1;
  return ParseTrafgenInterval(std::string_view(text).substr(from, end - from));
}

const TrafgenWindow* TrafgenSummary::FindWindow(std::string_view name) const {
  for (const TrafgenWindow& w : windows) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

StatusOr<TrafgenSummary> ParseTrafgenSummary(std::string_view text) {
  S6_ASSIGN_OR_RETURN(const Json j, ParseObject(text, "trafgen summary"));
  JsonFields f(j, "trafgen summary");
  TrafgenSummary s;
  s.sent = f.Count("sent");
  s.received = f.Count("received");
  s.lost = f.Count("lost");
  s.reordered = f.Count("reordered");
  s.missteered = f.Count("missteered");
  s.mapping_changes = f.Count("mapping_changes");
  s.shared_endpoints = f.Count("shared_endpoints");
  s.tx_dropped = f.Count("tx_dropped");
  s.backlog_unsent = f.Count("backlog_unsent");
  s.backlog_max = f.Count("backlog_max");
  s.throughput_pps = f.Number("throughput_pps");
  s.latency = ReadLatency(f, "latency_us");
  s.config = f.Object("config");
  s.problems = f.problems();
  if (const Json* links = f.Find("links"); links != nullptr && links->is_array()) {
    for (const Json& l : *links) {
      JsonFields lf(l, "trafgen summary link");
      TrafgenLink tl;
      tl.id = static_cast<uint32_t>(lf.Count("id"));
      tl.tx_dropped = lf.Count("tx_dropped");
      tl.backlog_unsent = lf.Count("backlog_unsent");
      s.problems.insert(s.problems.end(), lf.problems().begin(), lf.problems().end());
      s.links.push_back(tl);
    }
  } else {
    s.problems.push_back("trafgen summary: links is not an array");
  }
  const Json* windows = f.Find("windows");
  if (windows == nullptr || !windows->is_array()) {
    s.problems.push_back("trafgen summary: windows is not an array");
    return s;
  }
  for (const Json& w : *windows) {
    JsonFields wf(w, "trafgen summary window");
    TrafgenWindow tw;
    tw.name = wf.String("name");
    tw.sent = wf.Count("sent");
    tw.received = wf.Count("received");
    tw.lost = wf.Count("lost");
    tw.latency = ReadLatency(wf, "latency_us");
    s.problems.insert(s.problems.end(), wf.problems().begin(), wf.problems().end());
    s.windows.push_back(std::move(tw));
  }
  return s;
}

}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
#include "ctl/summary.h"

#include <algorithm>
#include <cstdio>

#include "ctl/format.h"
#include "ctl/options.h"

namespace s6::ctl {
namespace {

// The scaling object, and what it could not find.
Json Scaling(const SummaryInputs& in, const TrafgenSummary& tg, std::vector<std::string>& errors) {
  Json events = Json::array();
  uint64_t objects_moved = 0;
  double migration_ms = 0;
  double p50 = 0, p99 = 0, lmax = 0;
  for (const Json& e : in.events) {
    Json event = e;
    JsonFields f(e, "event");
    const std::string window = f.String("window");
    const bool ran = f.Find("version") != nullptr;  // it has a scale report
    if (const TrafgenWindow* w = tg.FindWindow(window)) {
      event["traffic"] = Json{{"sent", w->sent},
                              {"received", w->received},
                              {"lost", w->lost},
                              {"latency_us", w->latency.json}};
      p50 = std::max(p50, w->latency.p50);
      p99 = std::max(p99, w->latency.p99);
      lmax = std::max(lmax, w->latency.max);
    } else {
      // Only events that failed before the switch never opened a window.
      event["traffic"] = nullptr;
      if (ran) errors.push_back("trafgen summary: no window " + window);
    }
    if (ran) {
      objects_moved += f.Count("objects_moved");
      migration_ms = std::max(migration_ms, f.Number("migration_ms"));
    }
    errors.insert(errors.end(), f.problems().begin(), f.problems().end());
    events.push_back(std::move(event));
  }
  return Json{{"mode", MigrationModeName(in.mode)},
              {"events", std::move(events)},
              {"objects_moved", objects_moved},
              {"migration_ms", migration_ms},
              {"latency_us", Json{{"p50", p50}, {"p99", p99}, {"max", lmax}}}};
}

std::string Packets(uint64_t n) { return std::to_string(n) + (n == 1 ? " packet" : " packets"); }

// What the traffic did not get through, said as errors: a run that lost anything never passes
// as clean, and each line names where it was lost.
void Losses(const TrafgenSummary& tg, std::vector<std::string>& errors) {
  if (tg.lost > 0) {
    errors.push_back(Packets(tg.lost) + " lost: sent to the instances, never came back");
  }
  uint64_t refused_on_links = 0;
  uint64_t unsent_on_links = 0;
  for (const TrafgenLink& l : tg.links) {
    const std::string link = "instance " + std::to_string(l.id) + "'s link";
    if (l.tx_dropped > 0) {
      errors.push_back(Packets(l.tx_dropped) + " refused at " + link +
                       ": its backlog was full (the instance stopped taking packets)");
    }
    if (l.backlog_unsent > 0) {
      errors.push_back(Packets(l.backlog_unsent) + " never left " + link + "'s backlog");
    }
    refused_on_links += l.tx_dropped;
    unsent_on_links += l.backlog_unsent;
  }
  if (tg.tx_dropped > refused_on_links) {
    errors.push_back(Packets(tg.tx_dropped - refused_on_links) + " refused at the links");
  }
  if (tg.backlog_unsent > unsent_on_links) {
    errors.push_back(Packets(tg.backlog_unsent - unsent_on_links) +
                     " never left the links' backlogs");
  }
  const uint64_t state_lost = tg.mapping_changes + tg.shared_endpoints;
  if (state_lost > 0) {
    errors.push_back(std::to_string(state_lost) +
                     " flows lost their state: their translation changed mid-flow or was shared");
  }
}

}  // namespace

Json BuildSummary(const SummaryInputs& in) {
  std::vector<std::string> errors = in.errors;
  TrafgenSummary tg;
  if (in.trafgen.ok()) {
    tg = *in.trafgen;
    errors.insert(errors.end(), tg.problems.begin(), tg.problems.end());
    Losses(tg, errors);
  } else {
    errors.push_back("trafgen summary: " + in.trafgen.status().ToString());
  }
  Json scaling = Scaling(in, tg, errors);

  Json instance_stats = Json::array();
  for (const auto& [id, stats] : in.instance_stats) {
    if (!stats.ok()) {
      errors.push_back("instance " + std::to_string(id) + " stats: " + stats.status().ToString());
      instance_stats.push_back(Json{{"instance", id},
                                    {"nf", Json::object()},
                                    {"migration", Json::object()},
                                    {"packets_aborted", 0}});
      continue;
    }
    errors.insert(errors.end(), stats->problems.begin(), stats->problems.end());
    instance_stats.push_back(Json{{"instance", id},
                                  {"nf", stats->nf},
                                  {"migration", stats->migration},
                                  {"packets_aborted", stats->aborted}});
  }

  // Without s6-trafgen's result the traffic counts are unknown: null, never a number.
  const bool measured = in.trafgen.ok();
  auto count = [measured](uint64_t v) { return measured ? Json(v) : Json(nullptr); };
  Json out;
  out["sent"] = count(tg.sent);
  out["received"] = count(tg.received);
  out["lost"] = count(tg.lost);
  out["throughput_pps"] = measured ? Json(tg.throughput_pps) : Json(nullptr);
  out["latency_us"] = tg.latency.json;
  out["instances"] = in.instances;
  out["instances_at_end"] = in.instances_at_end;
  out["state_lost"] = count(tg.mapping_changes + tg.shared_endpoints);
  out["errors"] = errors;
  out["scaling"] = std::move(scaling);
  out["reordered"] = tg.reordered;
  out["missteered"] = tg.missteered;
  // Packets the links refused with trafgen's backlog full: they never entered the network, so
  // they are neither in `sent` nor `lost`.
  out["link_refused"] = count(tg.tx_dropped);
  out["link_unsent"] = count(tg.backlog_unsent);
  out["backlog_max"] = tg.backlog_max;
  out["instance_stats"] = std::move(instance_stats);
  out["config"] = tg.config;
  out["workdir"] = in.workdir;
  return out;
}

std::string SummaryText(const Json& s) {
  // Our own object, built above: every field is there with its type (null: not measured).
  const Json& errors = s.at("errors");
  std::string out;
  if (s.at("sent").is_null()) {
    out = Format("\nsummary: no traffic result from s6-trafgen, errors %zu\n", errors.size());
  } else {
    auto count = [&](const char* key) {
      return static_cast<unsigned long long>(s.at(key).get<uint64_t>());
    };
    out = Format(
        "\nsummary: sent %llu, received %llu, lost %llu, state_lost %llu, refused at the links "
        "%llu, %s pkt/s, latency_us %s, errors %zu\n",
        count("sent"), count("received"), count("lost"), count("state_lost"), count("link_refused"),
        s.at("throughput_pps").dump().c_str(), s.at("latency_us").dump().c_str(), errors.size());
  }
  const Json& scaling = s.at("scaling");
  if (!scaling.at("events").empty()) {
    const Json& lat = scaling.at("latency_us");
    out += Format(
        "scaling (%s): %zu event(s), %llu objects moved, migration max %.1f ms, latency during "
        "migration p50 %.0f us, p99 %.0f us, max %.0f us\n",
        scaling.at("mode").get<std::string>().c_str(), scaling.at("events").size(),
        static_cast<unsigned long long>(scaling.at("objects_moved").get<uint64_t>()),
        scaling.at("migration_ms").get<double>(), lat.at("p50").get<double>(),
        lat.at("p99").get<double>(), lat.at("max").get<double>());
  }
  for (const Json& e : errors) out += "  error: " + e.get<std::string>() + "\n";
  return out;
}

}  // namespace s6::ctl

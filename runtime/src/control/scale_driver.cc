// SPDX-License-Identifier: Apache-2.0
#include "control/scale_driver.h"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

namespace s6::control {
namespace {

using SteadyClock = std::chrono::steady_clock;

double MsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t).count();
}

Status Annotate(InstanceId id, const char* step, const Status& st) {
  return Status(st.code(), std::string(step) + " at instance " + std::to_string(ToUint(id)) + ": " +
                               std::string(st.message()));
}

}  // namespace

std::string ScaleReport::ToJson() const {
  // Insertion-ordered, so the report reads in the order the fields are documented.
  auto ids = [](const std::vector<InstanceId>& v) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (InstanceId id : v) a.push_back(ToUint(id));
    return a;
  };
  const nlohmann::ordered_json j = {{"version", version},
                                    {"from", ids(from)},
                                    {"to", ids(to)},
                                    {"slots_moved", slots_moved},
                                    {"objects_moved", objects_moved},
                                    {"handbacks", handbacks},
                                    {"pulls_on_demand", pulls_on_demand},
                                    {"pulls_background", pulls_background},
                                    {"queued", queued},
                                    {"prepare_ms", prepare_ms},
                                    {"migration_ms", migration_ms},
                                    {"total_ms", total_ms}};
  return j.dump();
}

StatusOr<ScaleReport> RunScaleEvent(const keyspace::SlotTable& current,
                                    const keyspace::SlotTable& next,
                                    const std::map<InstanceId, ScaleTarget*>& targets,
                                    const std::map<InstanceId, std::string>& endpoints,
                                    const ScaleOptions& options) {
  const auto start = SteadyClock::now();
  if (current.empty() || next.empty() || next.version() != current.version() + 1) {
    return InvalidArgumentError("scale: table v" + std::to_string(next.version()) +
                                " does not follow v" + std::to_string(current.version()));
  }
  std::vector<InstanceId> all = current.instances();
  all.insert(all.end(), next.instances().begin(), next.instances().end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<std::pair<InstanceId, std::string>> peers;
  for (InstanceId id : all) {
    if (!targets.contains(id)) {
      return InvalidArgumentError("scale: no control of instance " + std::to_string(ToUint(id)));
    }
    auto ep = endpoints.find(id);
    if (ep == endpoints.end()) {
      return InvalidArgumentError("scale: no endpoint for instance " + std::to_string(ToUint(id)));
    }
    peers.emplace_back(id, ep->second);
  }

  ScaleReport report;
  report.version = next.version();
  report.from = current.instances();
  report.to = next.instances();
  report.slots_moved = static_cast<uint32_t>(keyspace::Diff(current, next).size());

  // Baselines: the instances' counters are totals over all events.
  std::map<InstanceId, objspace::MigrationStatus> before;
  for (InstanceId id : all) {
    StatusOr<ScaleTarget::Progress> p = targets.at(id)->Poll();
    if (!p.ok()) return Annotate(id, "status", p.status());
    before[id] = p->migration;
  }

  // Prepare, and wait until everyone can reach everyone.
  auto abort_all = [&] {
    for (InstanceId id : all) targets.at(id)->Abort(next.version()).IgnoreError();
  };
  for (InstanceId id : all) {
    const Status st = targets.at(id)->Prepare(current, next, peers, options.migration);
    if (!st.ok()) {
      abort_all();
      return Annotate(id, "prepare", st);
    }
  }
  const auto connect_deadline = SteadyClock::now() + options.connect_timeout;
  for (;;) {
    uint32_t not_ready = 0;
    InstanceId waiting{};
    for (InstanceId id : all) {
      StatusOr<ScaleTarget::Progress> p = targets.at(id)->Poll();
      if (!p.ok()) {
        abort_all();
        return Annotate(id, "prepare (status)", p.status());
      }
      if (p->peers_not_ready != 0) waiting = id;
      not_ready += p->peers_not_ready;
    }
    if (not_ready == 0) break;
    if (SteadyClock::now() > connect_deadline) {
      abort_all();
      return DeadlineExceededError("prepare: instance " + std::to_string(ToUint(waiting)) +
                                   " could not connect to " + std::to_string(not_ready) +
                                   " peer(s) in time");
    }
    std::this_thread::sleep_for(options.poll_interval);
  }
  report.prepare_ms = MsSince(start);

  // Switch: from here on there is no way back.
  if (options.before_switch) options.before_switch();
  for (InstanceId id : all) {
    const Status st = targets.at(id)->Switch(next.version());
    if (!st.ok()) return Annotate(id, "switch", st);
  }
  if (options.on_switched) options.on_switched();

  // Settle.
  const auto settle_deadline = SteadyClock::now() + options.settle_timeout;
  std::map<InstanceId, objspace::MigrationStatus> after;
  for (;;) {
    bool settled = true;
    std::string left;
    uint32_t slots_left = 0;
    uint64_t moved = 0;
    for (InstanceId id : all) {
      StatusOr<ScaleTarget::Progress> p = targets.at(id)->Poll();
      if (!p.ok()) return Annotate(id, "settle (status)", p.status());
      after[id] = p->migration;
      const objspace::MigrationStatus& m = p->migration;
      slots_left += m.incoming_left;
      moved += m.objects_in - before[id].objects_in;
      if (!m.settled()) {
        settled = false;
        left += " instance " + std::to_string(ToUint(id)) + ": " + std::to_string(m.incoming_left) +
                " slots to receive, " + std::to_string(m.outgoing_left) + " to hand over, " +
                std::to_string(m.markers_missing) + " markers missing" +
                (m.departing ? ", " + std::to_string(m.held) + " objects held" : "") + ", " +
                std::to_string(m.handbacks_pending) + " handed-back objects in flight;";
      }
    }
    if (options.on_progress) options.on_progress(slots_left, moved);
    if (settled) break;
    if (SteadyClock::now() > settle_deadline) {
      return DeadlineExceededError("scale to v" + std::to_string(next.version()) +
                                   " did not settle in time:" + left);
    }
    std::this_thread::sleep_for(options.poll_interval);
  }
  for (InstanceId id : all) {
    const Status st = targets.at(id)->Complete(next.version());
    if (!st.ok()) return Annotate(id, "complete", st);
  }

  uint64_t first_switch = UINT64_MAX;
  uint64_t last_settle = 0;
  for (InstanceId id : all) {
    const objspace::MigrationStatus& a = after[id];
    const objspace::MigrationStatus& b = before[id];
    report.objects_moved += a.objects_in - b.objects_in;
    report.handbacks += a.handbacks_taken - b.handbacks_taken;
    report.pulls_on_demand += a.pulls_on_demand - b.pulls_on_demand;
    report.pulls_background += a.pulls_background - b.pulls_background;
    report.queued += a.queued - b.queued;
    first_switch = std::min(first_switch, a.switched_at_ns);
    last_settle = std::max(last_settle, a.settled_at_ns);
  }
  report.migration_ms =
      last_settle > first_switch ? static_cast<double>(last_settle - first_switch) / 1e6 : 0.0;
  report.total_ms = MsSince(start);
  return report;
}

}  // namespace s6::control

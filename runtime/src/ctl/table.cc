// SPDX-License-Identifier: Apache-2.0
#include "ctl/table.h"

#include <cstdio>

#include "ctl/format.h"
#include "ctl/launcher.h"

namespace s6::ctl {
namespace {

std::string Moving(const InstanceStats& s) {
  if (s.incoming_left == 0 && s.outgoing_left == 0) return "-";
  return std::to_string(s.incoming_left) + "/" + std::to_string(s.outgoing_left);
}

}  // namespace

std::string LiveTable::Header() {
  return Format("%6s %5s %9s %9s %7s %7s %9s %7s %9s\n", "t(s)", "inst", "rx pkt/s", "fwd", "held",
                "homed", "remote", "fibers", "moving");
}

std::string LiveTable::InstanceRow(double t_s, int id, const StatusOr<InstanceStats>& stats) {
  if (!stats.ok()) {
    return Format("%6.1f %5d %9s %9s %7s %7s %9s %7s %9s\n", t_s, id, "-", "-", "-", "-", "-", "-",
                  "-");
  }
  const InstanceStats& s = *stats;
  const auto last = last_rx_.find(id);
  const uint64_t pps =
      last != last_rx_.end() && s.received >= last->second ? s.received - last->second : s.received;
  last_rx_[id] = s.received;
  return Format("%6.1f %5d %9llu %9llu %7llu %7llu %9llu %7llu %9s\n", t_s, id,
                static_cast<unsigned long long>(pps), static_cast<unsigned long long>(s.forwarded),
                static_cast<unsigned long long>(s.sw_held),
                static_cast<unsigned long long>(s.homed), static_cast<unsigned long long>(s.remote),
                static_cast<unsigned long long>(s.fibers), Moving(s).c_str());
}

std::string LiveTable::ClusterRow(double t_s, const TrafgenInterval& interval) {
  return Format("%6.1f %5s %9.0f   last 100 ms: sent %llu, back %llu, p99 %.0f us\n", t_s, "all",
                interval.throughput_pps, static_cast<unsigned long long>(interval.sent),
                static_cast<unsigned long long>(interval.received), interval.p99_us);
}

std::string RenderStatus(uint64_t version, const std::vector<InstanceId>& members,
                         std::size_t queued, const std::vector<StatusRow>& rows) {
  std::string out = "table v" + std::to_string(version) + ", members " + IdList(members) + ", " +
                    std::to_string(queued) + " event(s) queued\n";
  out +=
      Format("%5s %8s %10s %7s %7s %8s %9s\n", "inst", "pid", "rx", "held", "homed", "v", "moving");
  for (const StatusRow& r : rows) {
    if (!r.stats.ok()) {
      out += Format("%5d %8d %10s %7s %7s %8s %9s\n", r.id, static_cast<int>(r.pid), "-", "-", "-",
                    "-", "-");
      continue;
    }
    const InstanceStats& s = *r.stats;
    out += Format(
        "%5d %8d %10llu %7llu %7llu %8llu %4llu/%-4llu\n", r.id, static_cast<int>(r.pid),
        static_cast<unsigned long long>(s.received), static_cast<unsigned long long>(s.sw_held),
        static_cast<unsigned long long>(s.homed), static_cast<unsigned long long>(s.version),
        static_cast<unsigned long long>(s.incoming_left),
        static_cast<unsigned long long>(s.outgoing_left));
  }
  return out;
}

}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// File: objspace/space_stats.cc
//
// The object-space counters as stats (s6/stats.h): the stats file, the control socket and the
// controller read them as JSON objects; flags are written as 0/1.
#include "objspace/space_stats.h"

namespace s6::objspace {

void ObjectSpaceStats::Write(StatsSink& out) const {
#define S6_FIELD(f) out.Counter(#f, f)
  S6_FIELD(sw_local_hits);
  S6_FIELD(sw_acquires_sent);
  S6_FIELD(sw_coalesced);
  S6_FIELD(sw_created);
  S6_FIELD(sw_absent);
  S6_FIELD(sw_transfers_in);
  S6_FIELD(sw_transfers_out);
  S6_FIELD(sw_recalls);
  S6_FIELD(sw_recalls_deferred);
  S6_FIELD(sw_removed);
  S6_FIELD(sw_expired);
  S6_FIELD(sw_acquire_timeouts);
  S6_FIELD(sw_unexpected_arrivals);
  S6_FIELD(dir_grants);
  S6_FIELD(dir_recalls);
  S6_FIELD(mw_local_calls);
  S6_FIELD(mw_calls_served);
  S6_FIELD(mw_strict_sent);
  S6_FIELD(mw_untether_sent);
  S6_FIELD(mw_stale_hits);
  S6_FIELD(mw_stale_misses);
  S6_FIELD(mw_stale_refreshes);
  S6_FIELD(mw_created);
  S6_FIELD(mw_touches_sent);
  S6_FIELD(call_timeouts);
  S6_FIELD(late_replies);
  S6_FIELD(malformed);
  S6_FIELD(unknown_map);
  S6_FIELD(unexpected);
  S6_FIELD(forwarded);
  S6_FIELD(dropped_hops);
  S6_FIELD(messages_sent);
  S6_FIELD(bytes_sent);
  S6_FIELD(messages_local);
  S6_FIELD(abandoned);
#undef S6_FIELD
  out.Gauge("sw_held", static_cast<double>(sw_held));
  out.Gauge("sw_homed", static_cast<double>(sw_homed));
  out.Gauge("mw_homed", static_cast<double>(mw_homed));
  out.Gauge("pending", static_cast<double>(pending));
  out.Gauge("stale_entries", static_cast<double>(stale_entries));
}

void MigrationStatus::Write(StatsSink& out) const {
  const auto flag = [](bool b) { return b ? 1.0 : 0.0; };  // gauges 0/1
  out.Gauge("version", static_cast<double>(version));
  out.Gauge("next_version", static_cast<double>(next_version));
  out.Gauge("in_transition", flag(in_transition));
  out.Gauge("departing", flag(departing));
  out.Gauge("settled", flag(settled()));
  out.Gauge("incoming_left", static_cast<double>(incoming_left));
  out.Gauge("outgoing_left", static_cast<double>(outgoing_left));
  out.Gauge("markers_missing", static_cast<double>(markers_missing));
  out.Gauge("held", static_cast<double>(held));
  out.Gauge("handbacks_pending", static_cast<double>(handbacks_pending));
  // Instants in ns: exact integers (a double would round them after ~104 days of uptime).
  out.Counter("switched_at_ns", switched_at_ns);
  out.Counter("settled_at_ns", settled_at_ns);
  out.Counter("slots_in", slots_in);
  out.Counter("slots_out", slots_out);
  out.Counter("objects_in", objects_in);
  out.Counter("objects_out", objects_out);
  out.Counter("pulls_on_demand", pulls_on_demand);
  out.Counter("pulls_background", pulls_background);
  out.Gauge("queued", static_cast<double>(queued));
  out.Counter("handbacks_sent", handbacks_sent);
  out.Counter("handbacks_taken", handbacks_taken);
  out.Counter("bad_slot_data", bad_slot_data);
}

}  // namespace s6::objspace

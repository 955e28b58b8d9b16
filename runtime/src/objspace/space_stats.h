// SPDX-License-Identifier: Apache-2.0
// File: objspace/space_stats.h
//
// What an object space reports about itself: its counters (ObjectSpaceStats), and where it
// stands in a scale event (MigrationStatus), plus the options of a scale event. Plain values,
// copied out by ObjectSpace::stats() / migration_status(); Write reports them as stats (the
// flat JSON objects the stats file, the control socket and the controller read).
#pragma once

#include <cstdint>
#include <string>

#include <s6/stats.h>

namespace s6::objspace {

/// Counters of one object space (monotonic unless marked as a gauge).
struct ObjectSpaceStats {
  uint64_t sw_local_hits = 0;        ///< acquisitions served by an object already held here
  uint64_t sw_acquires_sent = 0;     ///< acquisitions that asked the home
  uint64_t sw_coalesced = 0;         ///< micro-threads that joined an acquisition in flight
  uint64_t sw_created = 0;           ///< objects created here
  uint64_t sw_absent = 0;            ///< lookups that found nothing
  uint64_t sw_transfers_in = 0;      ///< objects received from their previous holder
  uint64_t sw_transfers_out = 0;     ///< objects sent to their next holder
  uint64_t sw_recalls = 0;           ///< recalls received
  uint64_t sw_recalls_deferred = 0;  ///< recalls that had to wait for local refs
  uint64_t sw_removed = 0;           ///< objects removed here (including expiry)
  uint64_t sw_expired = 0;           ///< objects removed by idle expiry
  uint64_t sw_acquire_timeouts = 0;
  uint64_t sw_unexpected_arrivals = 0;  ///< objects that arrived unasked (installed, not lost)
  uint64_t dir_grants = 0;              ///< home: grants sent
  uint64_t dir_recalls = 0;             ///< home: recalls sent
  uint64_t mw_local_calls = 0;          ///< calls run here by a local caller
  uint64_t mw_calls_served = 0;         ///< calls run here for a remote caller
  uint64_t mw_strict_sent = 0;
  uint64_t mw_untether_sent = 0;
  uint64_t mw_stale_hits = 0;
  uint64_t mw_stale_misses = 0;     ///< stale calls that had to wait for a fill
  uint64_t mw_stale_refreshes = 0;  ///< fill/refresh requests sent
  uint64_t mw_created = 0;          ///< MultiWriter objects created here (home)
  uint64_t mw_touches_sent = 0;
  uint64_t call_timeouts = 0;
  uint64_t late_replies = 0;    ///< replies for requests no longer waiting
  uint64_t malformed = 0;       ///< object messages that failed to decode
  uint64_t unknown_map = 0;     ///< messages naming a map not registered here
  uint64_t unexpected = 0;      ///< well-formed messages that did not fit local state
  uint64_t forwarded = 0;       ///< messages forwarded to the key's home
  uint64_t dropped_hops = 0;    ///< messages dropped after kMaxHops forwards
  uint64_t messages_sent = 0;   ///< object messages sent to other instances
  uint64_t bytes_sent = 0;      ///< their payload bytes
  uint64_t messages_local = 0;  ///< object messages to this instance itself (no network)
  uint64_t abandoned = 0;       ///< calls/acquisitions that failed their micro-thread
  // Gauges.
  uint64_t sw_held = 0;   ///< SingleWriter objects held here
  uint64_t sw_homed = 0;  ///< directory entries (SingleWriter objects homed here)
  uint64_t mw_homed = 0;  ///< MultiWriter objects homed here
  uint64_t pending = 0;   ///< requests waiting for an answer
  uint64_t stale_entries = 0;

  void Write(StatsSink& out) const;
  std::string ToJson() const {
    return StatsToJson([this](StatsSink& out) { Write(out); });
  }
};

/// How a scale event moves slots (DESIGN §6).
enum class MigrationMode : uint8_t {
  kGradual,      ///< pull on first use + bounded background mover; only a slot in flight waits
  kStopAndCopy,  ///< all moved slots are pulled at once and all wait until every one arrived
};

/// Parameters of one scale event at one instance.
struct MigrationOptions {
  MigrationMode mode = MigrationMode::kGradual;
  /// Background mover: slots pulled per second (first-use pulls are not limited).
  uint32_t slots_per_sec = 20000;
  /// Background pulls in flight at once.
  uint32_t max_inflight = 8;
};

/// Where this instance stands in a scale event (or after the last one).
struct MigrationStatus {
  uint64_t version = 0;            ///< slot table in force
  uint64_t next_version = 0;       ///< prepared, not yet switched to (0: none)
  bool in_transition = false;      ///< switched, not yet completed
  bool departing = false;          ///< not a member of the table in force
  uint32_t incoming_left = 0;      ///< slots this instance waits for
  uint32_t outgoing_left = 0;      ///< slots this instance has not handed over yet
  uint32_t markers_missing = 0;    ///< peers whose kSwitched has not arrived
  uint64_t held = 0;               ///< SingleWriter objects held here
  uint64_t handbacks_pending = 0;  ///< home: handed-back objects still on their way here
  uint64_t switched_at_ns = 0;
  uint64_t settled_at_ns = 0;  ///< 0 until nothing is left to move (this instance's part)
  // Totals over all events.
  uint64_t slots_in = 0;
  uint64_t slots_out = 0;
  uint64_t objects_in = 0;  ///< directory entries and MultiWriter objects received
  uint64_t objects_out = 0;
  uint64_t pulls_on_demand = 0;   ///< pulls started by a message for a slot not here yet
  uint64_t pulls_background = 0;  ///< pulls started by the mover
  uint64_t queued = 0;            ///< home-side messages that waited for their slot
  uint64_t handbacks_sent = 0;    ///< departing: objects offered back to their home
  uint64_t handbacks_taken = 0;   ///< home: objects recalled to here on a hand-back
  uint64_t slots_in_event = 0;    ///< slots received in the current transition
  uint64_t bad_slot_data = 0;     ///< slot data that failed to decode (counted, dropped)

  /// True when this instance has nothing left to move for the current transition.
  bool settled() const {
    return in_transition && incoming_left == 0 && outgoing_left == 0 && handbacks_pending == 0 &&
           (!departing || held == 0);
  }
  void Write(StatsSink& out) const;
  std::string ToJson() const {
    return StatsToJson([this](StatsSink& out) { Write(out); });
  }
};

}  // namespace s6::objspace

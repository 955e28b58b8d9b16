// SPDX-License-Identifier: Apache-2.0
// File: control/scale_driver.h
//
// The controller's side of a scale event (DESIGN §6, docs/protocol.md).
//
// Theory of operation
// -------------------
// RunScaleEvent() takes the slot table in force (v) and the next one (v+1, from
// SlotTable::Rebalance: minimal movement) and drives every instance of either table through
//   prepare  — each learns v+1 and connects to the instances it does not know yet; the driver
//              waits until every handshake has completed (a newcomer is reachable by all);
//   switch   — each routes by v+1 from now on; `on_switched` re-steers traffic. The instances
//              propagate the switch among themselves too (kSwitched markers), so the order and
//              spacing of these commands does not matter for correctness;
//   settle   — the driver polls until every instance has received its incoming slots, handed
//              over its outgoing ones and (a departing instance) handed back every object;
//   complete — each forgets v; a departing instance may then exit.
// Each step has a deadline. A failure before the switch aborts the preparation everywhere (the
// cluster stays at v, nothing moved). After the switch there is no way back: a failure to
// settle is reported with what is left where, and the cluster keeps serving at v+1 (objects
// that did not arrive wait; nothing is dropped or invented).
//
// The driver talks to instances through ScaleTarget, so the same code drives in-process
// instances (tests, testing/cluster.h) and instance processes over their control sockets
// (s6ctl, control/control.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <s6/instance_id.h>
#include <s6/status.h>
#include "keyspace/slot_table.h"
#include "objspace/object_space.h"

namespace s6::control {

/// One instance as the driver sees it.
class ScaleTarget {
 public:
  virtual ~ScaleTarget() = default;
  virtual Status Prepare(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                         const std::vector<std::pair<InstanceId, std::string>>& peers,
                         const objspace::MigrationOptions& options) = 0;
  /// Withdraws a prepared, not yet switched table (the event was abandoned).
  virtual Status Abort(uint64_t version) = 0;
  virtual Status Switch(uint64_t version) = 0;
  virtual Status Complete(uint64_t version) = 0;
  struct Progress {
    objspace::MigrationStatus migration;
    uint32_t peers_not_ready = 0;
  };
  virtual StatusOr<Progress> Poll() = 0;
};

struct ScaleOptions {
  objspace::MigrationOptions migration;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds settle_timeout{10000};
  std::chrono::milliseconds poll_interval{2};
  /// Called just before the first switch command (e.g. open a measurement window).
  std::function<void()> before_switch;
  /// Called right after every instance was told to switch (re-steer the traffic here).
  std::function<void()> on_switched;
  /// Called at every poll while settling: slots still to move, objects moved so far.
  std::function<void(uint32_t slots_left, uint64_t objects_moved)> on_progress;
};

/// What one scale event did.
struct ScaleReport {
  uint64_t version = 0;  ///< the table switched to
  std::vector<InstanceId> from;
  std::vector<InstanceId> to;
  uint32_t slots_moved = 0;
  uint64_t objects_moved = 0;  ///< directory entries and MultiWriter objects that changed home
  uint64_t handbacks = 0;      ///< objects a departing instance handed back
  uint64_t pulls_on_demand = 0;
  uint64_t pulls_background = 0;
  uint64_t queued = 0;      ///< home-side messages that waited for their slot
  double prepare_ms = 0;    ///< prepare sent -> every peer connected
  double migration_ms = 0;  ///< first switch -> last instance settled (instance clocks)
  double total_ms = 0;      ///< prepare -> complete, as the driver saw it
  std::string ToJson() const;
};

/// Drives one scale event from `current` to `next` (see the theory of operation). `targets`
/// must hold every member of both tables; `endpoints` their transport endpoints.
StatusOr<ScaleReport> RunScaleEvent(const keyspace::SlotTable& current,
                                    const keyspace::SlotTable& next,
                                    const std::map<InstanceId, ScaleTarget*>& targets,
                                    const std::map<InstanceId, std::string>& endpoints,
                                    const ScaleOptions& options);

}  // namespace s6::control

// SPDX-License-Identifier: Apache-2.0
// File: trafgen/run.h
//
// The run loop of s6-trafgen: drives the declared links from start to summary.
//
// Theory of operation
// - Start: the ready file is written once the loop owns every link (their devices already
//   listen), then the loop waits — serving control requests, since a controller may change
//   the active set meanwhile — until every active link is up; UnavailableError after 30 s.
// - Pacing: packets are generated at the times a Pacer draws (inter-arrival times of mean
//   1/rate); the probe carries the generation time, so any wait after it — in the backlog, in
//   a ring, in an instance — shows up as latency. At most 64 packets per iteration.
// - Backlog: each link has a bounded FIFO of built frames. A frame is transmitted from its
//   head; what the link refuses stays and is retried first, in order, on the next iteration
//   (at most 256 frames a link per iteration, so receiving is never starved). Only a frame
//   that finds the backlog full is refused (tx_dropped). A packet counts as sent once its link
//   accepted it; frames still waiting when the run ends are backlog_unsent, in neither sent
//   nor lost.
// - Control: polled without blocking at most once a millisecond, after the iteration's
//   packets, so a window begins after the packets already sent.
// - Reports: every interval_ms, the tracker's interval goes to the interval report; when the
//   duration is over the loop keeps receiving for drain_ms, closes any open window and returns
//   the RunSummary.
// - Idle: an iteration that found nothing to send or receive yields the CPU for 10 us (the
//   instances share the machine).
// Devices are the caller's (RunLink): DPDK memif ports in s6-trafgen, memory ports in tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <s6/status.h>
#include "packetio/port.h"
#include "trafgen/config.h"
#include "trafgen/control.h"
#include "trafgen/pcap_replay.h"
#include "trafgen/summary.h"

namespace s6::trafgen {

/// A declared link as the loop drives it.
struct RunLink {
  uint32_t id = 0;
  packetio::Port* port = nullptr;  ///< not owned; outlives the loop
  std::function<bool()> up;        ///< whether the device's link is up (memif: peer connected)
};

class RunLoop {
 public:
  /// `links`: one per config.instances, in the same order. `replay`: replaces synthetic flows
  /// (config.pcap_path was loaded into it). `control`: may be null (no --control).
  RunLoop(const Config& config, std::vector<RunLink> links, std::optional<PcapReplay> replay,
          ControlSocket* control);
  ~RunLoop();
  RunLoop(const RunLoop&) = delete;
  RunLoop& operator=(const RunLoop&) = delete;

  /// Runs once: start, send for the duration, drain, summary. Unavailable if an active link
  /// never came up; InvalidArgument if a report file cannot be written.
  StatusOr<RunSummary> Run();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace s6::trafgen

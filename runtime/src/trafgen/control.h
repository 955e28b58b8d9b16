// SPDX-License-Identifier: Apache-2.0
// File: trafgen/control.h
//
// Run-time control of s6-trafgen by a controller (scale-out / scale-in): which instances
// receive traffic, status, named measurement windows.
//
// Theory of operation: requests and replies are single text frames on a ZeroMQ REP socket
// (--control ENDPOINT). ControlSocket::Poll never blocks — the main loop calls it between
// packet bursts, so a controller can never stall the data path; the reply goes out before the
// next request is taken (REP's strict alternation). HandleControl is the command logic, apart
// from the socket so tests can drive it directly:
//   steer ID ID ...   the active instance set: every ID must be a declared link that is up,
//                     else `error <why>` and nothing changes; flows re-steer by rendezvous
//                     hash over the new set, so only the flows of instances that came or went
//                     move. Reply `ok`.
//   status            one JSON object: t_ms, sent, received, lost_so_far (sent and not back
//                     yet: in flight or lost), backlog, active, links [{id, up, active, sent,
//                     received, backlog}].
//   mark-begin NAME   opens a measurement window (Tracker::BeginWindow). Reply `ok`.
//   mark-end NAME     closes it. Reply `ok`.
// Anything else: `error unknown command`. Requests are free text from another process: none
// can stop the run — whatever fails while handling one is answered `error <why>`, and JSON
// replies are serialised with invalid UTF-8 replaced rather than refused.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>
#include "trafgen/report.h"
#include "trafgen/traffic.h"

namespace s6::trafgen {

/// Executes `request` on the run's steering and tracker; returns the reply. `links` are the
/// declared links in declaration order; times are the caller's clock (ns), `start_ns` the start
/// of sending (t_ms is 0 before it).
std::string HandleControl(std::string_view request, Steering& steering, Tracker& tracker,
                          const std::vector<LinkState>& links, uint64_t now_ns, uint64_t start_ns);

/// The REP socket of --control.
class ControlSocket {
 public:
  /// Binds `endpoint` (e.g. ipc:///tmp/x/trafgen.ctl, tcp://127.0.0.1:7000).
  static StatusOr<std::unique_ptr<ControlSocket>> Bind(const std::string& endpoint);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  /// A request waiting for its reply, if one arrived (never blocks). Call Reply before the
  /// next Poll returns anything else.
  std::optional<std::string> Poll();
  void Reply(std::string_view reply);
  /// The endpoint actually bound (a tcp port given as * resolved).
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Impl;
  explicit ControlSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string endpoint_;
  bool awaiting_reply_ = false;
};

}  // namespace s6::trafgen

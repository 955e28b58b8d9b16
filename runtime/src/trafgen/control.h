// SPDX-License-Identifier: Apache-2.0
// File: trafgen/control.h
//
// Run-time control of s6-trafgen by a controller (scale-out / scale-in): which instances
// receive traffic, status, named measurement windows.
//
// Theory of operation: requests and replies are single text frames on a ZeroMQ socket
// (--control ENDPOINT) that REQ clients (s6ctl's ControlClient) talk to as to a REP socket.
// ControlSocket::Poll never blocks — the main loop calls it between packet bursts, so a
// controller can never stall the data path. HandleControl is the command logic, apart from the
// socket so tests can drive it directly:
//   steer ID ID ...   the active instance set: every ID must be a declared link that is up,
//                     else `error <why>` and nothing changes (all IDs are checked before the
//                     set is touched); flows re-steer by rendezvous hash over the new set, so
//                     only the flows of instances that came or went move. Reply `ok`. Every
//                     accepted steer is logged (logger `trafgen`, info) with the old and new
//                     active sets, so a re-steer never goes unnoticed.
//   status            one JSON object: t_ms, sent, received, lost_so_far (sent and not back
//                     yet: in flight or lost), backlog, active, links [{id, up, active, sent,
//                     received, backlog}].
//   mark-begin NAME   opens a measurement window (Tracker::BeginWindow). Reply `ok`.
//   mark-end NAME     closes it. Reply `ok`.
// Anything else: `error unknown command`. Requests are free text from another process: none
// can stop the run — whatever fails while handling one is answered `error <why>`, and JSON
// replies are serialised with invalid UTF-8 replaced rather than refused.
//
// Hostile clients. The socket is a ROUTER, not a REP: REP's receive/send alternation is shared
// by all clients, so one request read half or one reply not sent leaves it refusing everything
// after. Here each request carries its envelope ([routing id][route...][empty delimiter]) and
// is answered on its own: a message without a delimiter (raw ZMTP frames, a DEALER that omits
// it) is dropped and counted (malformed()); a request of several frames, or of none, is
// answered `error ...` before HandleControl sees it; a frame over kMaxRequestBytes closes its
// connection (ZMQ_MAXMSGSIZE); bytes that are not ZMTP never get past ZeroMQ's handshake; a
// reply to a client that left is dropped. The same design as the instances' control socket
// (control/control.h, RequestServer), in a few lines of its own because s6-trafgen does not
// link the instance runtime. An ipc:// endpoint is created owner-only (0600: bound under umask
// 077, then chmod-ed), so only the user running the cluster can steer; a tcp:// endpoint has no
// access control and belongs on a trusted interface.
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

/// The control socket of --control.
class ControlSocket {
 public:
  /// Largest request frame accepted; a client that sends more is disconnected.
  static constexpr int64_t kMaxRequestBytes = 4096;

  /// Binds `endpoint` (e.g. ipc:///tmp/x/trafgen.ctl, tcp://127.0.0.1:7000); an ipc:// socket
  /// file is made mode 0600.
  static StatusOr<std::unique_ptr<ControlSocket>> Bind(const std::string& endpoint);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  /// A request waiting for its reply, if one arrived (never blocks). Call Reply before the
  /// next Poll returns anything else. Malformed messages are answered or dropped on the way.
  std::optional<std::string> Poll();
  /// Answers the request Poll returned (dropped if its client left).
  void Reply(std::string_view reply);
  /// The endpoint actually bound (a tcp port given as * resolved).
  const std::string& endpoint() const { return endpoint_; }
  /// Messages dropped (no envelope) or refused before HandleControl (no body, several frames).
  uint64_t malformed() const;

 private:
  struct Impl;
  explicit ControlSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string endpoint_;
  bool awaiting_reply_ = false;
};

}  // namespace s6::trafgen

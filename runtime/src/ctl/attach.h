// SPDX-License-Identifier: Apache-2.0
// File: ctl/attach.h
//
// Attaching to a running `s6ctl run`: its request socket (DIR/s6ctl.ctl) and the client of
// `s6ctl status|scale-out|scale-in|kill ID`.
//
// Theory of operation
// -------------------
// A run binds ipc://DIR/s6ctl.ctl and records DIR in /tmp/s6ctl-latest-UID, so an operator in
// another terminal needs no arguments to reach the latest run. A request is one text frame
// (`status`, `scale-out`, `scale-in`, `kill ID`); the reply is one frame, `ok ...` or
// `error ...` (docs/protocol.md §3.3). AttachServer::Poll never blocks: the run's main loop (and
// a scale event's progress callback) calls it between other work, parses the request and hands
// a well-formed one to the run, which answers it; a malformed one is answered `error ...` here
// and the run never sees it. The socket is a control::RequestServer (control/control.h): a
// ROUTER that keeps no state between requests, so no client — raw bytes, odd framing, a
// client that leaves before its reply — can wedge it or make the run fail; a request of more
// than one frame is refused, frames are bounded (kMaxRequestBytes) and the socket file is
// owner-only (0600). A handler that throws is an `error` reply, never an abort of the run. The
// client gives the request a deadline, so a run that ended or hangs is reported rather than
// waited for.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include <s6/status.h>
#include "control/control.h"
#include "ctl/options.h"

namespace s6::ctl {

/// Where a run records its directory for attaching clients: one file per user
/// (/tmp/s6ctl-latest-UID), so `s6ctl kill N` never reaches another user's run; the run
/// removes it when it ends.
std::string LatestRunFile();

struct AttachRequest {
  enum class Kind { kStatus, kScaleOut, kScaleIn, kKill };
  Kind kind = Kind::kStatus;
  uint32_t target = 0;  ///< kKill

  /// The request as sent on the socket.
  std::string ToText() const;
};

/// Parses a request frame; InvalidArgument for anything else.
StatusOr<AttachRequest> ParseAttachRequest(std::string_view text);

/// The request an attach subcommand sends.
AttachRequest RequestFor(const Config& config);

/// The run's side: a request socket polled from its main loop.
class AttachServer {
 public:
  /// Answers one request: the reply frame ("ok ..." / "error ...").
  using Handler = std::function<std::string(const AttachRequest&)>;
  /// Largest request frame accepted; a client that sends more is disconnected.
  static constexpr int64_t kMaxRequestBytes = 4096;

  /// Binds `endpoint` (ipc://DIR/s6ctl.ctl; the socket file is made mode 0600).
  static StatusOr<std::unique_ptr<AttachServer>> Bind(zmq::context_t& context,
                                                      const std::string& endpoint);
  /// Serves at most one pending request without blocking. Returns whether there was one.
  bool Poll(const Handler& handler);
  /// Messages dropped or refused before parsing (no envelope, no body, several frames).
  uint64_t malformed() const;

 private:
  explicit AttachServer(std::unique_ptr<control::RequestServer> server)
      : server_(std::move(server)) {}
  std::unique_ptr<control::RequestServer> server_;
};

/// The directory of the run to attach to: `explicit_dir`, or the one recorded in
/// `latest_file`; NotFound (naming it) when there is no run socket there.
StatusOr<std::string> ResolveAttachDir(const std::string& explicit_dir,
                                       const std::string& latest_file = LatestRunFile());

/// Sends `request` to the run in `dir` and returns the reply's text after "ok ";
/// an "error" reply or no reply within `timeout` is an error.
StatusOr<std::string> SendAttachRequest(const std::string& dir, const AttachRequest& request,
                                        std::chrono::milliseconds timeout);

}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// File: control/control.h
//
// The control socket of an instance process, and the controller's client for it.
//
// Theory of operation
// -------------------
// Each instance process binds a ZeroMQ ROUTER socket (ipc:// on one host, tcp:// across hosts)
// that its own data-plane loop polls without blocking, about once a millisecond: commands run on
// the loop thread between iterations, so they see and change the instance without locks and
// never stall packets for longer than the command itself (microseconds; a prepare adds peers).
// A request is a multipart message, frame 0 the command:
//   status                                   -> ok {stats JSON, with "migration",
//                                               "peers_not_ready" and "control"}
//   progress                                 -> ok {"migration":{..},"peers_not_ready":N}
//   prepare | current table | next table | options | ID=ENDPOINT...
//                                            -> ok   (tables in the s6 codec; options text
//                                                     "mode=gradual|stop-and-copy rate=N
//                                                     inflight=N")
//   abort V | switch V | complete V          -> ok
//   stop                                     -> ok, then the process exits cleanly
// The reply is one frame: "ok[ payload]" or "error <message>". Malformed requests get an error
// reply; they never affect the instance: a request is checked whole before it changes anything
// (a prepare whose tables, options or peer list are wrong adds no peer and prepares nothing).
// The JSON payloads are built and read with nlohmann-json by key; a reply whose JSON lacks a
// member or has one of the wrong type is an error at the client (never a silent zero: the
// driver decides on these numbers).
//
// Hostile clients. The socket is reachable by anything that can connect to it, so it must
// survive any bytes and any framing and still answer the next legitimate request. REP cannot
// promise that: it is a state machine (receive, then send exactly once) shared by every peer,
// so one missed or failed send, or one request read half, leaves it refusing everything after
// it (EFSM), and it silently discards what it cannot parse. RequestServer therefore uses a
// ROUTER socket and does REP's bookkeeping itself, per request: a request is
// [routing id][route...][empty delimiter][body frames], the envelope is kept and sent back in
// front of the reply. There is no state between requests, so no peer can wedge the next one:
//   - bytes that are not ZMTP, a truncated greeting, a silent connection: ZeroMQ's handshake
//     refuses or times out the connection (handshake_ivl); no message ever reaches us;
//   - a message without an empty delimiter (a DEALER that omits it, a ZMTP frame stream made
//     up by hand) cannot be answered: it is dropped and counted (malformed());
//   - an envelope with no body, or a body of more frames than the limit: answered `error ...`
//     and counted, the handler never sees it;
//   - a frame over max_frame_bytes: ZeroMQ closes that connection (ZMQ_MAXMSGSIZE), so no
//     client can make the server buffer an unbounded frame; rcvhwm bounds the messages queued
//     per connection;
//   - a reply to a client that left is dropped by ROUTER (ZMQ_ROUTER_MANDATORY off), never an
//     error and never a block; every receive and send is non-blocking.
// Requests from different clients are fair-queued by ROUTER and answered independently: many
// clients at once are all answered, each in its own order.
// An ipc:// endpoint is created owner-only (mode 0600, bound under umask 077 and chmod-ed right
// after the bind; umask is process-wide, which is fine at start-up when the servers bind): only
// the user who runs the cluster can connect (root excepted). tcp:// has no access control —
// bind it to a trusted interface. Abstract (ipc://@name) endpoints have no file to protect.
//
// ControlClient is the REQ side with a deadline per call: a peer that does not answer in time
// is reported (DeadlineExceeded) and the socket is rebuilt, so one dead instance never wedges
// the controller. RemoteTarget adapts it to the scale driver (control/scale_driver.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include <s6/status.h>
#include "control/scale_driver.h"
#include "instance/instance.h"

namespace s6::control {

/// What one control socket accepts from any client.
struct RequestLimits {
  /// ZMQ_MAXMSGSIZE: a peer that sends a larger frame is disconnected.
  int64_t max_frame_bytes = int64_t{1} << 16;
  /// Frames after the envelope; a request with more is answered with an error.
  std::size_t max_frames = 16;
  /// Frames of routing envelope (routing ids and the delimiter) accepted in front of the body.
  std::size_t max_envelope_frames = 8;
  /// ZMQ_RCVHWM: messages queued per connection before ZeroMQ stops reading it.
  int queued_per_peer = 64;
};

/// One request: who sent it (the envelope, kept for the reply) and its body.
struct Request {
  std::vector<zmq::message_t> envelope;  ///< routing id(s) and the empty delimiter
  std::vector<zmq::message_t> frames;    ///< the body: at least one frame, at most max_frames
};

/// The server side of a request/reply control socket: a ROUTER that REQ clients talk to as if
/// it were REP (see the theory of operation above). Never blocks.
class RequestServer {
 public:
  /// Binds `endpoint` (ipc://, tcp://, inproc://); an ipc:// socket file is made mode 0600.
  static StatusOr<std::unique_ptr<RequestServer>> Bind(zmq::context_t& context,
                                                       const std::string& endpoint,
                                                       const RequestLimits& limits);
  /// The next well-formed request, if one is waiting. Malformed messages met on the way are
  /// dropped or answered with an error, and counted; at most a bounded number per call.
  std::optional<Request> Receive();
  /// Sends `reply` (one frame) to the client of `request`; dropped if that client is gone.
  void Reply(const Request& request, std::string_view reply);
  /// Messages dropped (no envelope) or refused before a handler saw them (no body, too many
  /// frames).
  uint64_t malformed() const { return malformed_; }
  /// The endpoint actually bound (a tcp port given as * resolved).
  const std::string& endpoint() const { return endpoint_; }

 private:
  RequestServer(zmq::socket_t socket, std::string endpoint, const RequestLimits& limits)
      : socket_(std::move(socket)), endpoint_(std::move(endpoint)), limits_(limits) {}
  void Refuse(const Request& request, std::string_view why);

  zmq::socket_t socket_;
  std::string endpoint_;
  RequestLimits limits_;
  uint64_t malformed_ = 0;
  bool draining_ = false;  // a message's tail is still to be read (and dropped)
};

/// The instance side: a RequestServer polled from the loop thread.
class ControlServer {
 public:
  /// Largest frame a client may send: tables of many slots fit easily.
  static constexpr int64_t kMaxFrameBytes = int64_t{16} << 20;
  /// Most frames of a request: prepare's 4 plus one per peer.
  static constexpr std::size_t kMaxFrames = 4 + 1024;

  /// Binds `endpoint` (ipc:// or tcp://).
  static StatusOr<std::unique_ptr<ControlServer>> Bind(zmq::context_t& context,
                                                       const std::string& endpoint);
  /// Serves the pending requests (without blocking) against `instance`. Returns true when a
  /// `stop` (or a `complete` that left this instance out of the cluster) asks the process to
  /// exit after the reply.
  bool Serve(Instance& instance);
  /// Requests handled (well-formed envelopes with a body).
  uint64_t requests() const { return requests_; }
  /// Requests answered with an error.
  uint64_t errors() const { return errors_; }
  /// Messages the socket dropped or refused before a command was read (RequestServer).
  uint64_t malformed() const { return server_->malformed(); }
  /// The endpoint actually bound.
  const std::string& endpoint() const { return server_->endpoint(); }

 private:
  explicit ControlServer(std::unique_ptr<RequestServer> server) : server_(std::move(server)) {}
  std::string Handle(Instance& instance, const std::vector<zmq::message_t>& frames, bool& exit);

  std::unique_ptr<RequestServer> server_;
  keyspace::SlotTable prepared_;  // the `next` of the last prepare accepted (refusal checks)
  uint64_t requests_ = 0;
  uint64_t errors_ = 0;
};

/// The controller side: request/reply with a deadline.
class ControlClient {
 public:
  ControlClient(zmq::context_t& context, std::string endpoint,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  /// Sends `frames` and returns the reply's payload (what follows "ok "); an "error" reply is
  /// an error Status with its message; no reply in time is DeadlineExceeded.
  StatusOr<std::string> Call(const std::vector<std::string>& frames);
  /// Sends `frames` and returns the reply as it came (for peers with their own reply format,
  /// like s6-trafgen's control socket).
  StatusOr<std::string> CallRaw(const std::vector<std::string>& frames);
  StatusOr<std::string> Call(std::string_view command) {
    return Call(std::vector<std::string>{std::string(command)});
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void Reset();

  zmq::context_t& context_;
  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<zmq::socket_t> socket_;
};

/// A ScaleTarget over an instance's control socket.
class RemoteTarget final : public ScaleTarget {
 public:
  explicit RemoteTarget(ControlClient& client) : client_(client) {}
  Status Prepare(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                 const std::vector<std::pair<InstanceId, std::string>>& peers,
                 const objspace::MigrationOptions& options) override;
  Status Abort(uint64_t version) override;
  Status Switch(uint64_t version) override;
  Status Complete(uint64_t version) override;
  StatusOr<Progress> Poll() override;

 private:
  ControlClient& client_;
};

/// The "migration" object of `json_text` (an instance's stats JSON or a `progress` reply).
/// Text that is not a JSON object, a missing "migration" object and a member that is missing
/// or not a non-negative integer (flags: also a boolean) are errors naming the member.
StatusOr<objspace::MigrationStatus> ParseMigrationStatus(std::string_view json_text);

/// A `progress` reply's payload: {"migration":{..},"peers_not_ready":N}; errors as above.
StatusOr<ScaleTarget::Progress> ParseProgress(std::string_view json_text);

}  // namespace s6::control

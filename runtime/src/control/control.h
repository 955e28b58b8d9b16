// SPDX-License-Identifier: Apache-2.0
// File: control/control.h
//
// The control socket of an instance process, and the controller's client for it.
//
// Theory of operation
// -------------------
// Each instance process binds a ZeroMQ REP socket (ipc:// on one host, tcp:// across hosts)
// that its own data-plane loop polls without blocking, about once a millisecond: commands run on
// the loop thread between iterations, so they see and change the instance without locks and
// never stall packets for longer than the command itself (microseconds; a prepare adds peers).
// A request is a multipart message, frame 0 the command:
//   status                                   -> ok {stats JSON, with "migration" and
//                                               "peers_not_ready"}
//   progress                                 -> ok {"migration":{..},"peers_not_ready":N}
//   prepare | current table | next table | options | ID=ENDPOINT...
//                                            -> ok   (tables in the s6 codec; options text
//                                                     "mode=gradual|stop-and-copy rate=N
//                                                     inflight=N")
//   abort V | switch V | complete V          -> ok
//   stop                                     -> ok, then the process exits cleanly
// The reply is one frame: "ok[ payload]" or "error <message>". Malformed requests get an error
// reply; they never affect the instance. The JSON payloads are built and read with
// nlohmann-json by key; a reply whose JSON lacks a member or has one of the wrong type is an
// error at the client (never a silent zero: the driver decides on these numbers).
//
// ControlClient is the REQ side with a deadline per call: a peer that does not answer in time
// is reported (DeadlineExceeded) and the socket is rebuilt, so one dead instance never wedges
// the controller. RemoteTarget adapts it to the scale driver (control/scale_driver.h).
#pragma once

#include <chrono>
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

/// Takes one whole request (every frame: REP must read all of it before it may reply) from a
/// REP socket without blocking; nothing when none is waiting or the socket failed.
std::optional<std::vector<zmq::message_t>> ReceiveRequest(zmq::socket_t& socket);

/// The instance side: a REP socket polled from the loop thread.
class ControlServer {
 public:
  /// Binds `endpoint` (ipc:// or tcp://).
  static StatusOr<std::unique_ptr<ControlServer>> Bind(zmq::context_t& context,
                                                       const std::string& endpoint);
  /// Serves the pending requests (without blocking) against `instance`. Returns true when a
  /// `stop` (or a `complete` that left this instance out of the cluster) asks the process to
  /// exit after the reply.
  bool Serve(Instance& instance);
  uint64_t requests() const { return requests_; }
  uint64_t errors() const { return errors_; }

 private:
  explicit ControlServer(zmq::socket_t socket) : socket_(std::move(socket)) {}
  std::string Handle(Instance& instance, const std::vector<zmq::message_t>& frames, bool& exit);

  zmq::socket_t socket_;
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

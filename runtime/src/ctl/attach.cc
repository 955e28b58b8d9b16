// SPDX-License-Identifier: Apache-2.0
#include "ctl/attach.h"

#include <unistd.h>

#include <charconv>
#include <exception>
#include <filesystem>
#include <vector>

#include "control/control.h"
#include "ctl/stats.h"

namespace s6::ctl {

std::string AttachRequest::ToText() const {
  switch (kind) {
    case Kind::kStatus:
      return "status";
    case Kind::kScaleOut:
      return "scale-out";
    case Kind::kScaleIn:
      return "scale-in";
    case Kind::kKill:
      return "kill " + std::to_string(target);
  }
  return "?";
}

StatusOr<AttachRequest> ParseAttachRequest(std::string_view text) {
  AttachRequest r;
  if (text == "status") return r;
  if (text == "scale-out") {
    r.kind = AttachRequest::Kind::kScaleOut;
    return r;
  }
  if (text == "scale-in") {
    r.kind = AttachRequest::Kind::kScaleIn;
    return r;
  }
  if (text.starts_with("kill ")) {
    const std::string_view id = text.substr(5);
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), r.target);
    if (ec != std::errc() || end != id.data() + id.size() || id.empty()) {
      return InvalidArgumentError("no running instance " + std::string(id.substr(0, 32)));
    }
    r.kind = AttachRequest::Kind::kKill;
    return r;
  }
  return InvalidArgumentError("unknown request");
}

AttachRequest RequestFor(const Config& config) {
  AttachRequest r;
  switch (config.command) {
    case Command::kScaleOut:
      r.kind = AttachRequest::Kind::kScaleOut;
      break;
    case Command::kScaleIn:
      r.kind = AttachRequest::Kind::kScaleIn;
      break;
    case Command::kKill:
      r.kind = AttachRequest::Kind::kKill;
      r.target = config.attach.kill_target;
      break;
    case Command::kStatus:
    case Command::kRun:
      break;
  }
  return r;
}

StatusOr<std::unique_ptr<AttachServer>> AttachServer::Bind(zmq::context_t& context,
                                                           const std::string& endpoint) {
  control::RequestLimits limits;
  limits.max_frame_bytes = kMaxRequestBytes;
  limits.max_frames = 1;
  limits.queued_per_peer = 8;
  StatusOr<std::unique_ptr<control::RequestServer>> server =
      control::RequestServer::Bind(context, endpoint, limits);
  if (!server.ok())
    return UnavailableError("cannot bind " + endpoint + ": " +
                            std::string(server.status().message()));
  return std::unique_ptr<AttachServer>(new AttachServer(std::move(*server)));
}

bool AttachServer::Poll(const Handler& handler) {
  const std::optional<control::Request> request = server_->Receive();
  if (!request) return false;
  const zmq::message_t& frame = request->frames.front();  // the only one (limits.max_frames)
  const std::string_view text(static_cast<const char*>(frame.data()), frame.size());
  const StatusOr<AttachRequest> parsed = ParseAttachRequest(text);
  std::string reply;
  if (!parsed.ok()) {
    reply = "error " + std::string(parsed.status().message());
  } else {
    try {
      reply = handler(*parsed);
    } catch (const std::exception& e) {
      // A request never ends the run: whatever its handling trips is the client's error.
      reply = std::string("error ") + e.what();
    }
  }
  server_->Reply(*request, reply);
  return true;
}

uint64_t AttachServer::malformed() const { return server_->malformed(); }

std::string LatestRunFile() { return "/tmp/s6ctl-latest-" + std::to_string(::getuid()); }

StatusOr<std::string> ResolveAttachDir(const std::string& explicit_dir,
                                       const std::string& latest_file) {
  std::string dir = explicit_dir;
  if (dir.empty()) {
    StatusOr<std::string> latest = ReadFile(latest_file);
    if (latest.ok()) dir = *latest;
    while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
  }
  std::error_code ec;
  if (dir.empty() || !std::filesystem::exists(dir + "/s6ctl.ctl", ec)) {
    return NotFoundError("no running `s6ctl run` found" + (dir.empty() ? "" : " in " + dir) +
                         " (pass --workdir)");
  }
  return dir;
}

StatusOr<std::string> SendAttachRequest(const std::string& dir, const AttachRequest& request,
                                        std::chrono::milliseconds timeout) {
  zmq::context_t zmq(1);
  control::ControlClient client(zmq, "ipc://" + dir + "/s6ctl.ctl", timeout);
  return client.Call(request.ToText());
}

}  // namespace s6::ctl

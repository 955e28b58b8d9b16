// SPDX-License-Identifier: Apache-2.0
#include "ctl/attach.h"

#include <charconv>
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
  try {
    zmq::socket_t s(context, zmq::socket_type::rep);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::maxmsgsize, int64_t{1} << 16);  // requests are a few bytes
    s.bind(endpoint);
    return std::unique_ptr<AttachServer>(new AttachServer(std::move(s)));
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot bind " + endpoint + ": " + e.what());
  }
}

bool AttachServer::Poll(const Handler& handler) {
  const std::optional<std::vector<zmq::message_t>> frames = control::ReceiveRequest(socket_);
  if (!frames) return false;
  // Requests are one frame; extra frames are ignored.
  const zmq::message_t& first = frames->front();
  const std::string_view text(static_cast<const char*>(first.data()), first.size());
  const StatusOr<AttachRequest> request = ParseAttachRequest(text);
  const std::string reply =
      request.ok() ? handler(*request) : "error " + std::string(request.status().message());
  try {
    socket_.send(zmq::buffer(reply), zmq::send_flags::none);
  } catch (const zmq::error_t&) {
    // The client went away; REP is ready for the next request either way.
  }
  return true;
}

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

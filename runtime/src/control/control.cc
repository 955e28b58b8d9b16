// SPDX-License-Identifier: Apache-2.0
#include "control/control.h"

#include <charconv>
#include <exception>

#include <nlohmann/json.hpp>

#include <s6/codec.h>

namespace s6::control {
namespace {

using Json = nlohmann::json;

std::string_view View(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

bool ParseU64(std::string_view s, uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

std::string Reply(const Status& st) {
  return st.ok() ? "ok" : "error " + std::string(st.message());
}

StatusOr<objspace::MigrationOptions> ParseMigrationOptions(std::string_view text) {
  objspace::MigrationOptions o;
  while (!text.empty()) {
    const std::size_t sp = text.find(' ');
    const std::string_view item = text.substr(0, sp);
    text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    uint64_t n = 0;
    if (key == "mode" && value == "gradual") {
      o.mode = objspace::MigrationMode::kGradual;
    } else if (key == "mode" && value == "stop-and-copy") {
      o.mode = objspace::MigrationMode::kStopAndCopy;
    } else if (key == "rate" && ParseU64(value, n) && n > 0 && n <= UINT32_MAX) {
      o.slots_per_sec = static_cast<uint32_t>(n);
    } else if (key == "inflight" && ParseU64(value, n) && n > 0 && n <= 4096) {
      o.max_inflight = static_cast<uint32_t>(n);
    } else {
      return InvalidArgumentError("bad migration option '" + std::string(item) + "'");
    }
  }
  return o;
}

std::string FormatMigrationOptions(const objspace::MigrationOptions& o) {
  return std::string("mode=") +
         (o.mode == objspace::MigrationMode::kGradual ? "gradual" : "stop-and-copy") +
         " rate=" + std::to_string(o.slots_per_sec) + " inflight=" + std::to_string(o.max_inflight);
}

StatusOr<keyspace::SlotTable> DecodeTable(const zmq::message_t& m) {
  keyspace::SlotTable t;
  if (!DecodeExact(static_cast<const uint8_t*>(m.data()), m.size(), t)) {
    return InvalidArgumentError("malformed slot table");
  }
  return t;
}

}  // namespace

StatusOr<std::unique_ptr<ControlServer>> ControlServer::Bind(zmq::context_t& context,
                                                             const std::string& endpoint) {
  try {
    zmq::socket_t s(context, zmq::socket_type::rep);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::maxmsgsize, int64_t{16} << 20);
    s.bind(endpoint);
    return std::unique_ptr<ControlServer>(new ControlServer(std::move(s)));
  } catch (const zmq::error_t& e) {
    return UnavailableError("control socket " + endpoint + ": " + e.what());
  }
}

std::optional<std::vector<zmq::message_t>> ReceiveRequest(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  try {
    zmq::message_t m;
    if (!socket.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
    frames.push_back(std::move(m));
    while (frames.back().more()) {
      zmq::message_t part;
      if (!socket.recv(part, zmq::recv_flags::none)) break;
      frames.push_back(std::move(part));
    }
  } catch (const zmq::error_t&) {
    return std::nullopt;
  }
  return frames;
}

bool ControlServer::Serve(Instance& instance) {
  bool exit = false;
  for (int i = 0; i < 8; ++i) {  // bounded: the loop has packets to process
    std::optional<std::vector<zmq::message_t>> request = ReceiveRequest(socket_);
    if (!request) break;
    const std::vector<zmq::message_t>& frames = *request;
    ++requests_;
    std::string reply;
    try {
      reply = Handle(instance, frames, exit);
    } catch (const std::exception& e) {
      // Whatever a request trips stays a refused request: the instance goes on.
      reply = std::string("error ") + e.what();
    }
    if (reply.rfind("error", 0) == 0) ++errors_;
    try {
      socket_.send(zmq::buffer(reply), zmq::send_flags::none);
    } catch (const zmq::error_t&) {
      ++errors_;
    }
  }
  return exit;
}

std::string ControlServer::Handle(Instance& instance, const std::vector<zmq::message_t>& frames,
                                  bool& exit) {
  if (frames.empty()) return "error empty request";
  const std::string_view cmd = View(frames[0]);
  auto version_arg = [&](uint64_t& v) {
    const std::size_t sp = cmd.find(' ');
    return sp != std::string_view::npos && ParseU64(cmd.substr(sp + 1), v);
  };
  uint64_t v = 0;
  if (cmd == "status") {
    Json json = Json::parse(instance.StatsJson(), nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) return "error status: the instance's stats are not a JSON object";
    json["peers_not_ready"] = instance.PeersNotReady();
    json["control"] = Json{{"requests", requests_}, {"errors", errors_}};
    return "ok " + json.dump();
  }
  if (cmd == "progress") {  // what the scale driver polls: small and cheap
    Json migration = Json::parse(instance.object_space().migration_status().ToJson(), nullptr,
                                 /*allow_exceptions=*/false);
    if (!migration.is_object()) return "error progress: migration status is not a JSON object";
    const Json json = {{"migration", std::move(migration)},
                       {"peers_not_ready", instance.PeersNotReady()}};
    return "ok " + json.dump();
  }
  if (cmd == "prepare") {
    if (frames.size() < 4) return "error prepare: want current table, next table, options";
    StatusOr<keyspace::SlotTable> current = DecodeTable(frames[1]);
    StatusOr<keyspace::SlotTable> next = DecodeTable(frames[2]);
    StatusOr<objspace::MigrationOptions> options = ParseMigrationOptions(View(frames[3]));
    if (!current.ok()) return Reply(current.status());
    if (!next.ok()) return Reply(next.status());
    if (!options.ok()) return Reply(options.status());
    std::vector<std::pair<InstanceId, std::string>> peers;
    for (std::size_t i = 4; i < frames.size(); ++i) {
      const std::string_view p = View(frames[i]);
      const std::size_t eq = p.find('=');
      uint64_t id = 0;
      if (eq == std::string_view::npos || !ParseU64(p.substr(0, eq), id) || id > UINT32_MAX) {
        return "error prepare: bad peer '" + std::string(p) + "'";
      }
      peers.emplace_back(static_cast<InstanceId>(id), std::string(p.substr(eq + 1)));
    }
    return Reply(instance.PrepareScale(*current, *next, peers, *options));
  }
  if (cmd.rfind("abort ", 0) == 0 && version_arg(v)) return Reply(instance.AbortScale(v));
  if (cmd.rfind("switch ", 0) == 0 && version_arg(v)) return Reply(instance.SwitchScale(v));
  if (cmd.rfind("complete ", 0) == 0 && version_arg(v)) {
    const Status st = instance.CompleteScale(v);
    // A departing instance is done once its transition completed: nothing is left here.
    if (st.ok() && !instance.object_space().slot_table().IsMember(instance.id())) exit = true;
    return Reply(st);
  }
  if (cmd == "stop") {
    exit = true;
    return "ok";
  }
  return "error unknown command '" + std::string(cmd.substr(0, 64)) + "'";
}

ControlClient::ControlClient(zmq::context_t& context, std::string endpoint,
                             std::chrono::milliseconds timeout)
    : context_(context), endpoint_(std::move(endpoint)), timeout_(timeout) {
  Reset();
}

void ControlClient::Reset() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::req);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout_.count()));
  socket_->set(zmq::sockopt::sndtimeo, static_cast<int>(timeout_.count()));
  socket_->connect(endpoint_);
}

StatusOr<std::string> ControlClient::Call(const std::vector<std::string>& frames) {
  StatusOr<std::string> reply = CallRaw(frames);
  if (!reply.ok()) return reply;
  const std::string_view r = *reply;
  if (r == "ok") return std::string();
  if (r.rfind("ok ", 0) == 0) return std::string(r.substr(3));
  if (r.rfind("error ", 0) == 0) return FailedPreconditionError(r.substr(6));
  return InternalError("control " + endpoint_ + ": malformed reply");
}

StatusOr<std::string> ControlClient::CallRaw(const std::vector<std::string>& frames) {
  try {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket_->send(zmq::buffer(frames[i]), flags)) {
        Reset();
        return DeadlineExceededError("control " + endpoint_ + ": cannot send");
      }
    }
    zmq::message_t reply;
    if (!socket_->recv(reply, zmq::recv_flags::none)) {
      Reset();  // a REQ socket that missed its reply cannot send again
      return DeadlineExceededError("control " + endpoint_ + ": no reply to '" +
                                   frames.front().substr(0, 32) + "' within " +
                                   std::to_string(timeout_.count()) + " ms");
    }
    return std::string(View(reply));
  } catch (const zmq::error_t& e) {
    Reset();
    return UnavailableError("control " + endpoint_ + ": " + e.what());
  }
}

Status RemoteTarget::Prepare(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                             const std::vector<std::pair<InstanceId, std::string>>& peers,
                             const objspace::MigrationOptions& options) {
  auto bytes = [](const keyspace::SlotTable& t) {
    const ByteBuffer b = EncodeToBuffer(t);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  };
  std::vector<std::string> frames = {"prepare", bytes(current), bytes(next),
                                     FormatMigrationOptions(options)};
  for (const auto& [id, ep] : peers) frames.push_back(std::to_string(ToUint(id)) + "=" + ep);
  return client_.Call(frames).status();
}

Status RemoteTarget::Abort(uint64_t version) {
  return client_.Call("abort " + std::to_string(version)).status();
}

Status RemoteTarget::Switch(uint64_t version) {
  return client_.Call("switch " + std::to_string(version)).status();
}

Status RemoteTarget::Complete(uint64_t version) {
  return client_.Call("complete " + std::to_string(version)).status();
}

StatusOr<ScaleTarget::Progress> RemoteTarget::Poll() {
  StatusOr<std::string> json = client_.Call("progress");
  if (!json.ok()) return json.status();
  StatusOr<Progress> p = ParseProgress(*json);
  if (!p.ok()) return InternalError("control " + client_.endpoint() + ": " + p.status().message());
  return p;
}

namespace {

StatusOr<Json> ParseObject(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("reply is not JSON");
  if (!j.is_object()) return InvalidArgumentError("reply is not a JSON object");
  return j;
}

// A counter of `object`: present and a non-negative integer (booleans too when `flag`).
StatusOr<uint64_t> Member(const Json& object, const char* name, bool flag = false) {
  const auto it = object.find(name);
  if (it == object.end()) return InvalidArgumentError(std::string("missing migration.") + name);
  if (flag && it->is_boolean()) return it->get<bool>() ? 1 : 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  return InvalidArgumentError(std::string("migration.") + name + " is " + it->type_name() +
                              (it->is_number() ? " (negative or fractional)" : "") +
                              ", want a count");
}

StatusOr<objspace::MigrationStatus> MigrationFrom(const Json& root) {
  const auto it = root.find("migration");
  if (it == root.end() || !it->is_object()) {
    return InvalidArgumentError("no \"migration\" object");
  }
  const Json& j = *it;
  objspace::MigrationStatus m;
  uint64_t flag = 0;
  S6_ASSIGN_OR_RETURN(m.version, Member(j, "version"));
  S6_ASSIGN_OR_RETURN(m.next_version, Member(j, "next_version"));
  S6_ASSIGN_OR_RETURN(flag, Member(j, "in_transition", true));
  m.in_transition = flag != 0;
  S6_ASSIGN_OR_RETURN(flag, Member(j, "departing", true));
  m.departing = flag != 0;
  uint64_t n = 0;
  S6_ASSIGN_OR_RETURN(n, Member(j, "incoming_left"));
  m.incoming_left = static_cast<uint32_t>(n);
  S6_ASSIGN_OR_RETURN(n, Member(j, "outgoing_left"));
  m.outgoing_left = static_cast<uint32_t>(n);
  S6_ASSIGN_OR_RETURN(n, Member(j, "markers_missing"));
  m.markers_missing = static_cast<uint32_t>(n);
  S6_ASSIGN_OR_RETURN(m.held, Member(j, "held"));
  S6_ASSIGN_OR_RETURN(m.handbacks_pending, Member(j, "handbacks_pending"));
  S6_ASSIGN_OR_RETURN(m.switched_at_ns, Member(j, "switched_at_ns"));
  S6_ASSIGN_OR_RETURN(m.settled_at_ns, Member(j, "settled_at_ns"));
  S6_ASSIGN_OR_RETURN(m.slots_in, Member(j, "slots_in"));
  S6_ASSIGN_OR_RETURN(m.slots_out, Member(j, "slots_out"));
  S6_ASSIGN_OR_RETURN(m.objects_in, Member(j, "objects_in"));
  S6_ASSIGN_OR_RETURN(m.objects_out, Member(j, "objects_out"));
  S6_ASSIGN_OR_RETURN(m.pulls_on_demand, Member(j, "pulls_on_demand"));
  S6_ASSIGN_OR_RETURN(m.pulls_background, Member(j, "pulls_background"));
  S6_ASSIGN_OR_RETURN(m.queued, Member(j, "queued"));
  S6_ASSIGN_OR_RETURN(m.handbacks_sent, Member(j, "handbacks_sent"));
  S6_ASSIGN_OR_RETURN(m.handbacks_taken, Member(j, "handbacks_taken"));
  S6_ASSIGN_OR_RETURN(m.bad_slot_data, Member(j, "bad_slot_data"));
  return m;
}

}  // namespace

StatusOr<objspace::MigrationStatus> ParseMigrationStatus(std::string_view json_text) {
  S6_ASSIGN_OR_RETURN(const Json root, ParseObject(json_text));
  return MigrationFrom(root);
}

StatusOr<ScaleTarget::Progress> ParseProgress(std::string_view json_text) {
  S6_ASSIGN_OR_RETURN(const Json root, ParseObject(json_text));
  ScaleTarget::Progress p;
  S6_ASSIGN_OR_RETURN(p.migration, MigrationFrom(root));
  const auto it = root.find("peers_not_ready");
  if (it == root.end() || !it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX) {
    return InvalidArgumentError("no peers_not_ready count");
  }
  p.peers_not_ready = static_cast<uint32_t>(it->get<uint64_t>());
  return p;
}

}  // namespace s6::control

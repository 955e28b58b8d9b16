// SPDX-License-Identifier: Apache-2.0
#include "control/control.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>

#include <nlohmann/json.hpp>

#include <s6/codec.h>
#include "transport/bind_owner_only.h"

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

// What Instance::PrepareScale and SlotMigration::Prepare would refuse, checked before either
// changes anything: both tables and their order, the peer list (each id once, an endpoint
// ZeroMQ can take), an endpoint for every other member, and the instance's own state (no
// other transition prepared or under way).
// `prepared` is the table this server's last accepted prepare named (empty: none).
Status CheckPrepare(Instance& instance, const keyspace::SlotTable& current,
                    const keyspace::SlotTable& next,
                    const std::vector<std::pair<InstanceId, std::string>>& peers,
                    const keyspace::SlotTable& prepared) {
  if (current.empty() || next.empty()) return InvalidArgumentError("prepare: empty slot table");
  if (next.version() != current.version() + 1 || next.slot_count() != current.slot_count()) {
    return InvalidArgumentError("prepare: table v" + std::to_string(next.version()) +
                                " does not follow v" + std::to_string(current.version()));
  }
  std::vector<InstanceId> named;
  for (const auto& [id, endpoint] : peers) {
    if (std::find(named.begin(), named.end(), id) != named.end()) {
      return InvalidArgumentError("prepare: instance " + std::to_string(ToUint(id)) +
                                  " named twice");
    }
    named.push_back(id);
    const bool known_scheme = endpoint.starts_with("ipc://") || endpoint.starts_with("tcp://") ||
                              endpoint.starts_with("inproc://");
    if (!known_scheme || endpoint.size() <= endpoint.find("://") + 3) {
      return InvalidArgumentError("prepare: bad endpoint '" + endpoint.substr(0, 64) +
                                  "' for instance " + std::to_string(ToUint(id)));
    }
  }
  for (const keyspace::SlotTable* t : {&current, &next}) {
    for (InstanceId id : t->instances()) {
      if (id != instance.id() && std::find(named.begin(), named.end(), id) == named.end()) {
        return InvalidArgumentError("prepare: no endpoint for instance " +
                                    std::to_string(ToUint(id)));
      }
    }
  }
  objspace::ObjectSpace& space = instance.object_space();
  const objspace::MigrationStatus m = space.migration_status();
  if (m.in_transition && !(space.slot_table() == next)) {
    return FailedPreconditionError("prepare v" + std::to_string(next.version()) +
                                   ": the transition to v" + std::to_string(m.version) +
                                   " has not completed");
  }
  const bool same_as_prepared = m.next_version == next.version() && prepared == next;
  if (!m.in_transition && m.next_version != 0 && !same_as_prepared) {
    return FailedPreconditionError("prepare v" + std::to_string(next.version()) + ": v" +
                                   std::to_string(m.next_version) +
                                   " is already prepared (another table)");
  }
  if (!m.in_transition && !(space.slot_table() == current)) {
    // Only an instance that holds and homes nothing (a newcomer) may adopt `current`.
    const objspace::ObjectSpaceStats stats = space.stats();
    if (stats.sw_homed != 0 || stats.mw_homed != 0 || m.held != 0) {
      return FailedPreconditionError("prepare: this instance is at table v" +
                                     std::to_string(space.slot_table().version()) + ", not v" +
                                     std::to_string(current.version()));
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<RequestServer>> RequestServer::Bind(zmq::context_t& context,
                                                             const std::string& endpoint,
                                                             const RequestLimits& limits) {
  try {
    zmq::socket_t s(context, zmq::socket_type::router);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::maxmsgsize, limits.max_frame_bytes);
    s.set(zmq::sockopt::rcvhwm, limits.queued_per_peer);
    s.set(zmq::sockopt::router_mandatory, false);  // a reply to a gone client is dropped
    s.set(zmq::sockopt::handshake_ivl, 5000);      // a silent connection is closed
    S6_RETURN_IF_ERROR(transport::BindOwnerOnly(s, endpoint));
    std::string bound = s.get(zmq::sockopt::last_endpoint);
    if (bound.empty()) bound = endpoint;  // inproc:// reports nothing
    return std::unique_ptr<RequestServer>(
        new RequestServer(std::move(s), std::move(bound), limits));
  } catch (const zmq::error_t& e) {
    return UnavailableError("control socket " + endpoint + ": " + e.what());
  }
}

std::optional<Request> RequestServer::Receive() {
  // Bounded: a flood of malformed messages must not hold the caller's loop.
  for (int skipped = 0; skipped < 64; ++skipped) {
    Request r;
    bool delimited = false;
    bool envelope_too_long = false;
    bool too_many_frames = false;
    try {
      // The tail of a message an earlier call could not finish reading (EINTR) goes first.
      while (draining_) {
        zmq::message_t rest;
        if (!socket_.recv(rest, zmq::recv_flags::dontwait)) return std::nullopt;
        draining_ = rest.more();
      }
      zmq::message_t id;
      if (!socket_.recv(id, zmq::recv_flags::dontwait)) return std::nullopt;
      bool more = id.more();
      draining_ = more;
      r.envelope.push_back(std::move(id));
      while (more) {
        // ZeroMQ delivers a message whole: the rest of it is there, this never waits.
        zmq::message_t part;
        if (!socket_.recv(part, zmq::recv_flags::none)) return std::nullopt;
        more = part.more();
        draining_ = more;
        if (!delimited) {
          delimited = part.size() == 0;
          if (r.envelope.size() < limits_.max_envelope_frames) {
            r.envelope.push_back(std::move(part));
          } else {
            envelope_too_long = true;
          }
        } else if (r.frames.size() < limits_.max_frames) {
          r.frames.push_back(std::move(part));
        } else {
          too_many_frames = true;  // read and dropped: never held
        }
      }
    } catch (const zmq::error_t&) {
      return std::nullopt;  // e.g. EINTR: the next call goes on (draining_)
    }
    if (!delimited || envelope_too_long) {
      ++malformed_;  // no envelope to answer to
      continue;
    }
    if (r.frames.empty()) {
      Refuse(r, "error empty request");
      continue;
    }
    if (too_many_frames) {
      Refuse(r, "error too many frames (a request has at most " +
                    std::to_string(limits_.max_frames) + ")");
      continue;
    }
    return r;
  }
  return std::nullopt;
}

void RequestServer::Refuse(const Request& request, std::string_view why) {
  ++malformed_;
  Reply(request, why);
}

void RequestServer::Reply(const Request& request, std::string_view reply) {
  try {
    for (const zmq::message_t& f : request.envelope) {
      if (!socket_.send(zmq::buffer(f.data(), f.size()),
                        zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return;  // not with ROUTER_MANDATORY off; nothing half-sent to fix either way
      }
    }
    socket_.send(zmq::buffer(reply.data(), reply.size()), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // The client went away or the context ends: the reply is dropped, the socket goes on.
  }
}

StatusOr<std::unique_ptr<ControlServer>> ControlServer::Bind(zmq::context_t& context,
                                                             const std::string& endpoint) {
  RequestLimits limits;
  limits.max_frame_bytes = kMaxFrameBytes;
  limits.max_frames = kMaxFrames;
  limits.queued_per_peer = 16;
  S6_ASSIGN_OR_RETURN(std::unique_ptr<RequestServer> server,
                      RequestServer::Bind(context, endpoint, limits));
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(server)));
}

bool ControlServer::Serve(Instance& instance) {
  bool exit = false;
  // Bounded: the loop has packets to process. Nothing is taken after an exit request.
  for (int i = 0; i < 8 && !exit; ++i) {
    std::optional<Request> request = server_->Receive();
    if (!request) break;
    ++requests_;
    std::string reply;
    try {
      reply = Handle(instance, request->frames, exit);
    } catch (const std::exception& e) {
      // Whatever a request trips stays a refused request: the instance goes on.
      reply = std::string("error ") + e.what();
    }
    if (reply.rfind("error", 0) == 0) ++errors_;
    server_->Reply(*request, reply);
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
    json["control"] =
        Json{{"requests", requests_}, {"errors", errors_}, {"malformed", server_->malformed()}};
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
    // PrepareScale connects the new peers before it can refuse the tables: whatever it would
    // refuse is refused here first, so a refused prepare changes nothing.
    if (const Status st = CheckPrepare(instance, *current, *next, peers, prepared_); !st.ok()) {
      return Reply(st);
    }
    const Status st = instance.PrepareScale(*current, *next, peers, *options);
    if (st.ok()) prepared_ = *next;
    return Reply(st);
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

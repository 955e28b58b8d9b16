// SPDX-License-Identifier: Apache-2.0
#include "control/control.h"

#include <charconv>
#include <cstdlib>
#include <optional>

#include <s6/codec.h>

namespace s6::control {
namespace {

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

bool ControlServer::Serve(Instance& instance) {
  bool exit = false;
  for (int i = 0; i < 8; ++i) {  // bounded: the loop has packets to process
    std::vector<zmq::message_t> frames;
    try {
      zmq::message_t m;
      if (!socket_.recv(m, zmq::recv_flags::dontwait)) break;
      frames.push_back(std::move(m));
      while (frames.back().more()) {
        zmq::message_t part;
        if (!socket_.recv(part, zmq::recv_flags::none)) break;
        frames.push_back(std::move(part));
      }
    } catch (const zmq::error_t&) {
      break;
    }
    ++requests_;
    const std::string reply = Handle(instance, frames, exit);
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
    std::string json = instance.StatsJson();
    json.pop_back();  // '}'
    json += ",\"peers_not_ready\":" + std::to_string(instance.PeersNotReady()) +
            ",\"control\":{\"requests\":" + std::to_string(requests_) +
            ",\"errors\":" + std::to_string(errors_) + "}}";
    return "ok " + json;
  }
  if (cmd == "progress") {  // what the scale driver polls: small and cheap
    return "ok {\"migration\":" + instance.object_space().migration_status().ToJson() +
           ",\"peers_not_ready\":" + std::to_string(instance.PeersNotReady()) + "}";
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
  Progress p;
  p.migration = ParseMigrationStatus(*json);
  const auto pos = json->rfind("\"peers_not_ready\":");
  if (pos == std::string::npos) return InternalError("status without peers_not_ready");
  p.peers_not_ready = static_cast<uint32_t>(std::strtoul(json->c_str() + pos + 18, nullptr, 10));
  return p;
}

std::optional<double> JsonNumberIn(std::string_view json, std::string_view object,
                                   std::string_view name) {
  const std::string open = "\"" + std::string(object) + "\":{";
  const std::size_t start = json.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const std::size_t end = json.find('}', start);
  const std::string_view body = json.substr(start + open.size(), end - start - open.size());
  const std::string key = "\"" + std::string(name) + "\":";
  std::size_t at = 0;
  for (;;) {
    at = body.find(key, at);
    if (at == std::string_view::npos) return std::nullopt;
    if (at == 0 || body[at - 1] == ',' || body[at - 1] == '{') break;
    ++at;
  }
  const std::string num(body.substr(at + key.size(), 32));
  char* stop = nullptr;
  const double v = std::strtod(num.c_str(), &stop);
  if (stop == num.c_str()) return std::nullopt;
  return v;
}

objspace::MigrationStatus ParseMigrationStatus(std::string_view json) {
  objspace::MigrationStatus m;
  auto get = [&](std::string_view name) {
    return static_cast<uint64_t>(JsonNumberIn(json, "migration", name).value_or(0));
  };
  m.version = get("version");
  m.next_version = get("next_version");
  m.in_transition = get("in_transition") != 0;
  m.departing = get("departing") != 0;
  m.incoming_left = static_cast<uint32_t>(get("incoming_left"));
  m.outgoing_left = static_cast<uint32_t>(get("outgoing_left"));
  m.markers_missing = static_cast<uint32_t>(get("markers_missing"));
  m.held = get("held");
  m.handbacks_pending = get("handbacks_pending");
  m.switched_at_ns = get("switched_at_ns");
  m.settled_at_ns = get("settled_at_ns");
  m.slots_in = get("slots_in");
  m.slots_out = get("slots_out");
  m.objects_in = get("objects_in");
  m.objects_out = get("objects_out");
  m.pulls_on_demand = get("pulls_on_demand");
  m.pulls_background = get("pulls_background");
  m.queued = get("queued");
  m.handbacks_sent = get("handbacks_sent");
  m.handbacks_taken = get("handbacks_taken");
  m.bad_slot_data = get("bad_slot_data");
  return m;
}

}  // namespace s6::control

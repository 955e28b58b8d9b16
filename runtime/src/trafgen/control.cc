// SPDX-License-Identifier: Apache-2.0
#include "trafgen/control.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <zmq.hpp>

#include <s6/log.h>
#include "transport/bind_owner_only.h"

namespace s6::trafgen {
namespace {

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < s.size() && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string IdList(const std::vector<uint32_t>& ids) {
  std::string out;
  for (uint32_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out.empty() ? "none" : out;
}

std::string Steer(const std::vector<std::string_view>& w, Steering& steering,
                  const std::vector<LinkState>& links) {
  if (w.size() < 2) return "error usage: steer ID [ID...]";
  std::vector<uint32_t> ids;
  for (std::size_t i = 1; i < w.size(); ++i) {
    uint32_t id = 0;
    const auto [end, ec] = std::from_chars(w[i].data(), w[i].data() + w[i].size(), id);
    if (ec != std::errc() || end != w[i].data() + w[i].size()) {
      return "error '" + std::string(w[i]) + "' is not an instance id";
    }
    const auto link =
        std::find_if(links.begin(), links.end(), [id](const LinkState& l) { return l.id == id; });
    if (link == links.end()) return "error instance " + std::to_string(id) + " has no link";
    if (!link->up) return "error the link of instance " + std::to_string(id) + " is down";
    ids.push_back(id);
  }
  // A set: order and repetition do not matter to rendezvous hashing.
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const std::string before = IdList(steering.instances());
  steering.SetInstances(std::move(ids));
  log::Get("trafgen")->info("steer: active instances now {} (were {})",
                            IdList(steering.instances()), before);
  return "ok";
}

std::string StatusJson(const Tracker& tracker, const Steering& steering,
                       const std::vector<LinkState>& links, uint64_t now_ns, uint64_t start_ns) {
  const auto& active = steering.instances();
  auto is_active = [&](uint32_t id) {
    return std::find(active.begin(), active.end(), id) != active.end();
  };
  std::size_t backlog = 0;
  Json link_json = Json::array();
  for (const LinkState& l : links) {
    backlog += l.backlog;
    const LinkTotals t = tracker.link(l.id);
    link_json.push_back(Json{{"id", l.id},
                             {"up", l.up},
                             {"active", is_active(l.id)},
                             {"sent", t.sent},
                             {"received", t.received},
                             {"backlog", l.backlog}});
  }
  const IntervalStats& total = tracker.total();
  const uint64_t t_ms = now_ns > start_ns ? (now_ns - start_ns) / 1'000'000 : 0;
  return Dump(Json{{"t_ms", t_ms},
                   {"sent", total.sent},
                   {"received", total.received},
                   {"lost_so_far", tracker.lost()},
                   {"backlog", backlog},
                   {"active", active},
                   {"links", std::move(link_json)}});
}

std::string Execute(std::string_view request, Steering& steering, Tracker& tracker,
                    const std::vector<LinkState>& links, uint64_t now_ns, uint64_t start_ns) {
  const std::vector<std::string_view> w = Words(request);
  if (w.empty()) return "error unknown command";
  if (w[0] == "steer") return Steer(w, steering, links);
  if (w[0] == "status" && w.size() == 1) {
    return StatusJson(tracker, steering, links, now_ns, start_ns);
  }
  if (w[0] == "mark-begin" || w[0] == "mark-end") {
    if (w.size() != 2) return "error usage: " + std::string(w[0]) + " NAME";
    const s6::Status s =
        w[0] == "mark-begin" ? tracker.BeginWindow(w[1], now_ns) : tracker.EndWindow(w[1], now_ns);
    return s.ok() ? "ok" : "error " + std::string(s.message());
  }
  return "error unknown command";
}

}  // namespace

std::string HandleControl(std::string_view request, Steering& steering, Tracker& tracker,
                          const std::vector<LinkState>& links, uint64_t now_ns, uint64_t start_ns) {
  try {
    return Execute(request, steering, tracker, links, now_ns, start_ns);
  } catch (const std::exception& e) {
    // Whatever a controller sends, the run goes on: a request that trips anything is refused.
    return std::string("error ") + e.what();
  }
}

struct ControlSocket::Impl {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::router};
  std::vector<zmq::message_t> envelope;  // of the request awaiting its reply
  uint64_t malformed = 0;
  bool draining = false;  // a message's tail is still to be read (and dropped)

  void Send(const std::vector<zmq::message_t>& to, std::string_view reply) {
    try {
      for (const zmq::message_t& f : to) {
        if (!socket.send(zmq::buffer(f.data(), f.size()),
                         zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
          return;
        }
      }
      socket.send(zmq::buffer(reply.data(), reply.size()), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
      // The requester went away: the reply is dropped, the socket goes on.
    }
  }
};

ControlSocket::ControlSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlSocket::~ControlSocket() = default;

StatusOr<std::unique_ptr<ControlSocket>> ControlSocket::Bind(const std::string& endpoint) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->socket.set(zmq::sockopt::linger, 0);
    impl->socket.set(zmq::sockopt::maxmsgsize, kMaxRequestBytes);
    impl->socket.set(zmq::sockopt::rcvhwm, 16);
    impl->socket.set(zmq::sockopt::router_mandatory, false);  // replies to gone clients dropped
    impl->socket.set(zmq::sockopt::handshake_ivl, 5000);      // silent connections closed
    if (const s6::Status st = s6::transport::BindOwnerOnly(impl->socket, endpoint); !st.ok()) {
      return InvalidArgumentError("cannot bind control endpoint '" + endpoint +
                                  "': " + std::string(st.message()));
    }
    std::unique_ptr<ControlSocket> s(new ControlSocket(std::move(impl)));
    s->endpoint_ = s->impl_->socket.get(zmq::sockopt::last_endpoint);
    return s;
  } catch (const zmq::error_t& e) {
    return InvalidArgumentError("cannot bind control endpoint '" + endpoint + "': " + e.what());
  }
}

std::optional<std::string> ControlSocket::Poll() {
  if (awaiting_reply_) return std::nullopt;
  Impl& m = *impl_;
  // Bounded: a flood of malformed messages must not hold the run loop.
  for (int skipped = 0; skipped < 64; ++skipped) {
    std::vector<zmq::message_t> envelope;
    std::vector<zmq::message_t> body;
    std::size_t body_frames = 0;
    bool delimited = false;
    try {
      while (m.draining) {  // the tail of a message an interrupted call left
        zmq::message_t rest;
        if (!m.socket.recv(rest, zmq::recv_flags::dontwait)) return std::nullopt;
        m.draining = rest.more();
      }
      zmq::message_t id;
      if (!m.socket.recv(id, zmq::recv_flags::dontwait)) return std::nullopt;
      bool more = id.more();
      m.draining = more;
      envelope.push_back(std::move(id));
      while (more) {
        zmq::message_t part;  // messages arrive whole: never waits
        if (!m.socket.recv(part, zmq::recv_flags::none)) return std::nullopt;
        more = part.more();
        m.draining = more;
        if (!delimited) {
          delimited = part.size() == 0;
          envelope.push_back(std::move(part));
          if (envelope.size() > 8) break;  // not a route any client builds
        } else if (++body_frames == 1) {
          body.push_back(std::move(part));
        }
      }
    } catch (const zmq::error_t&) {
      return std::nullopt;  // e.g. EINTR: the next poll goes on
    }
    if (!delimited || envelope.size() > 8) {
      ++m.malformed;  // nothing to answer to (the rest of an over-long route is drained)
      continue;
    }
    if (body_frames != 1) {
      ++m.malformed;
      m.Send(envelope, body_frames == 0 ? "error empty request" : "error a request is one frame");
      continue;
    }
    m.envelope = std::move(envelope);
    awaiting_reply_ = true;
    return body.front().to_string();
  }
  return std::nullopt;
}

void ControlSocket::Reply(std::string_view reply) {
  if (!awaiting_reply_) return;
  awaiting_reply_ = false;
  impl_->Send(impl_->envelope, reply);
  impl_->envelope.clear();
}

uint64_t ControlSocket::malformed() const { return impl_->malformed; }

}  // namespace s6::trafgen

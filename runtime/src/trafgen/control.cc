// SPDX-License-Identifier: Apache-2.0
#include "trafgen/control.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <zmq.hpp>

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
  steering.SetInstances(std::move(ids));
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
  zmq::socket_t socket{context, zmq::socket_type::rep};
};

ControlSocket::ControlSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlSocket::~ControlSocket() = default;

StatusOr<std::unique_ptr<ControlSocket>> ControlSocket::Bind(const std::string& endpoint) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->socket.set(zmq::sockopt::linger, 0);
    impl->socket.bind(endpoint);
    std::unique_ptr<ControlSocket> s(new ControlSocket(std::move(impl)));
    s->endpoint_ = s->impl_->socket.get(zmq::sockopt::last_endpoint);
    return s;
  } catch (const zmq::error_t& e) {
    return InvalidArgumentError("cannot bind control endpoint '" + endpoint + "': " + e.what());
  }
}

std::optional<std::string> ControlSocket::Poll() {
  if (awaiting_reply_) return std::nullopt;
  zmq::message_t msg;
  try {
    if (!impl_->socket.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
    std::string request = msg.to_string();
    // Requests are one frame; further frames of a multi-part message are read and ignored.
    while (impl_->socket.get(zmq::sockopt::rcvmore)) {
      zmq::message_t more;
      if (!impl_->socket.recv(more, zmq::recv_flags::dontwait)) break;
    }
    awaiting_reply_ = true;
    return request;
  } catch (const zmq::error_t&) {
    return std::nullopt;  // e.g. EINTR: the next poll tries again
  }
}

void ControlSocket::Reply(std::string_view reply) {
  if (!awaiting_reply_) return;
  awaiting_reply_ = false;
  try {
    impl_->socket.send(zmq::buffer(reply.data(), reply.size()), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // The requester went away: REP drops the reply and takes the next request.
  }
}

}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// File: runtime/control/hostile_clients.h (tests)
//
// Hostile clients of a control socket, for the tests of every request/reply server (the
// instances' control socket, s6-trafgen's, s6ctl's attach socket): raw stream connections that
// send bytes that are not ZMTP (random garbage, an HTTP request, a truncated greeting, a valid
// greeting then garbage, a handshake then frames without a delimiter, half a request, silence),
// and ZeroMQ clients with odd framing (multi-frame and empty-frame requests, DEALERs without
// the empty delimiter or with nothing after it, clients that leave before the reply, other
// socket types, frames over the server's bound). Everything is generated from a seed, so a
// failure repeats. Nothing here waits for time to pass: the tests poll for the state they need.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace s6test::hostile {

/// The file of an ipc:// endpoint.
inline std::string IpcPath(const std::string& endpoint) { return endpoint.substr(6); }

/// The permission bits of `path` (-1 if it cannot be stat-ed).
inline int FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

/// A plain stream connection to the socket behind `endpoint` (ipc://PATH: Unix; tcp://IP:PORT:
/// TCP), closed when destroyed.
class RawConnection {
 public:
  explicit RawConnection(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0) {
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      const std::string path = IpcPath(endpoint);
      std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Close();
    } else if (endpoint.rfind("tcp://", 0) == 0) {
      const std::string hostport = endpoint.substr(6);
      const std::size_t colon = hostport.rfind(':');
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1))));
      ::inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &a.sin_addr);
      fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Close();
    }
  }
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// Writes `bytes` (a peer that closed meanwhile is not an error: it may refuse garbage).
  void Send(std::string_view bytes) {
    std::size_t done = 0;
    while (fd_ >= 0 && done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

/// A ZMTP 3.0 greeting with the NULL mechanism.
inline std::string Greeting() {
  std::string g("\xff\0\0\0\0\0\0\0\x01\x7f", 10);
  g += std::string("\x03\x00", 2);
  std::string mechanism = "NULL";
  mechanism.resize(20, '\0');
  g += mechanism;
  g += std::string(1, '\0');   // as-server
  g += std::string(31, '\0');  // filler
  return g;
}

/// One ZMTP 3.0 frame (short or long form).
inline std::string Frame(std::string_view body, bool more, bool command = false) {
  std::string f;
  const uint8_t flags = (more ? 1 : 0) | (command ? 4 : 0);
  if (body.size() < 256) {
    f += static_cast<char>(flags);
    f += static_cast<char>(body.size());
  } else {
    f += static_cast<char>(flags | 2);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((uint64_t{body.size()} >> (8 * i)) & 0xff);
  }
  f += body;
  return f;
}

/// The READY command of a NULL handshake, as a `socket_type` peer.
inline std::string Ready(std::string_view socket_type) {
  std::string body = "\x05READY";
  body += "\x0bSocket-Type";
  body += std::string("\0\0\0", 3) + static_cast<char>(socket_type.size());
  body += socket_type;
  return Frame(body, false, /*command=*/true);
}

inline std::string RandomBytes(std::mt19937& rng, std::size_t min, std::size_t max) {
  std::uniform_int_distribution<std::size_t> len(min, max);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(rng), '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

/// Byte streams that are not a legitimate request, each labelled.
inline std::vector<std::pair<std::string, std::string>> RawPayloads(std::mt19937& rng) {
  std::uniform_int_distribution<std::size_t> cut(1, Greeting().size() - 1);
  return {
      {"random garbage", RandomBytes(rng, 1, 512)},
      {"an HTTP request", "GET /status HTTP/1.1\r\nHost: s6\r\n\r\n"},
      {"a truncated greeting", Greeting().substr(0, cut(rng))},
      {"a greeting, then garbage", Greeting() + RandomBytes(rng, 1, 256)},
      {"a REQ handshake, then garbage", Greeting() + Ready("REQ") + RandomBytes(rng, 1, 256)},
      {"a DEALER handshake, then a frame without delimiter",
       Greeting() + Ready("DEALER") + Frame("status", false)},
      {"a REQ handshake, then half a request",
       Greeting() + Ready("REQ") + Frame("", true) + Frame("status", true)},
      {"a PUB handshake (an incompatible peer)", Greeting() + Ready("PUB") + Frame("x", false)},
      {"a frame announcing 2^62 bytes",
       Greeting() + Ready("REQ") + std::string("\x02\x40\0\0\0\0\0\0\0", 9)},
      {"silence", ""},
  };
}

/// Opens one raw connection per payload of `RawPayloads(seed)` and sends it. Every other
/// connection closes at once (a peer gone before the server read what it sent: a REP socket
/// then lost the next legitimate reply); the rest stay open until the result is destroyed (a
/// silent or half-finished peer stays one).
inline std::vector<std::unique_ptr<RawConnection>> SendRawPayloads(const std::string& endpoint,
                                                                   uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::unique_ptr<RawConnection>> open;
  bool leave = seed % 2 == 0;
  for (const auto& [label, bytes] : RawPayloads(rng)) {
    auto c = std::make_unique<RawConnection>(endpoint);
    c->Send(bytes);
    if (!leave) open.push_back(std::move(c));
    leave = !leave;
  }
  return open;
}

/// What OddClients sent that the server must drop or refuse without a handler seeing it.
struct OddTraffic {
  int without_delimiter = 0;  ///< DEALER messages with no empty frame: dropped, counted
  int refused = 0;            ///< enveloped but no body / too many frames: answered `error`
};

/// Sends `iterations` oddly framed messages from ZeroMQ clients: REQ requests of random frames
/// (some empty, some not UTF-8), some abandoned before the reply; DEALER messages without the
/// delimiter, with nothing after it, with more frames than `max_frames`; PUSH and PUB peers.
/// Every socket lingers long enough to deliver and is closed before returning, so the server
/// sees clients that left before their reply. Returns what must be dropped or refused (counted
/// only for kinds whose outcome is certain).
inline OddTraffic OddClients(zmq::context_t& zmq, const std::string& endpoint, uint32_t seed,
                             int iterations, std::size_t max_frames) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kind(0, 6);
  std::uniform_int_distribution<int> nframes(1, 5);
  std::uniform_int_distribution<int> coin(0, 3);
  auto random_frame = [&] { return coin(rng) == 0 ? std::string() : RandomBytes(rng, 1, 64); };
  OddTraffic traffic;
  std::vector<zmq::socket_t> clients;
  auto open = [&](zmq::socket_type type) -> zmq::socket_t& {
    clients.emplace_back(zmq, type);
    clients.back().set(zmq::sockopt::linger, 2000);  // delivered, then gone
    clients.back().connect(endpoint);
    return clients.back();
  };
  auto send = [](zmq::socket_t& s, const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      (void)s.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  };
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::string> frames;
    switch (kind(rng)) {
      case 0:  // REQ: a request of random frames, abandoned (the socket closes unanswered)
      case 1: {
        for (int n = nframes(rng); n > 0; --n) frames.push_back(random_frame());
        send(open(zmq::socket_type::req), frames);
        break;
      }
      case 2: {  // DEALER without the delimiter: no frame is empty
        for (int n = nframes(rng); n > 0; --n) frames.push_back(RandomBytes(rng, 1, 32));
        send(open(zmq::socket_type::dealer), frames);
        ++traffic.without_delimiter;
        break;
      }
      case 3: {  // DEALER: a delimiter and nothing after it
        send(open(zmq::socket_type::dealer), {std::string()});
        ++traffic.refused;
        break;
      }
      case 4: {  // DEALER: a delimiter and more frames than the server takes
        frames.push_back(std::string());
        for (std::size_t n = 0; n <= max_frames; ++n) frames.push_back("status");
        send(open(zmq::socket_type::dealer), frames);
        ++traffic.refused;
        break;
      }
      case 5: {  // DEALER: a well-formed envelope, random body (answered, reply never read)
        frames.push_back(std::string());
        for (int n = nframes(rng); n > 0; --n) frames.push_back(random_frame());
        send(open(zmq::socket_type::dealer), frames);
        break;
      }
      case 6: {  // peers of a type the server does not talk to: refused at the handshake
        zmq::socket_t& s = open(coin(rng) < 2 ? zmq::socket_type::push : zmq::socket_type::pub);
        send(s, {RandomBytes(rng, 0, 16)});
        break;
      }
    }
  }
  return traffic;
}

/// Waits until `socket` (a client) sees its connection closed by the server; false at the
/// deadline. Monitoring starts before `action`, which should provoke the close.
template <typename Action>
bool DisconnectedBy(zmq::context_t& zmq, zmq::socket_t& socket, Action&& action,
                    std::chrono::milliseconds deadline) {
  static int seq = 0;
  const std::string monitor = "inproc://s6-hostile-monitor-" + std::to_string(++seq);
  if (zmq_socket_monitor(socket.handle(), monitor.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
    return false;
  }
  zmq::socket_t events(zmq, zmq::socket_type::pair);
  events.set(zmq::sockopt::rcvtimeo, static_cast<int>(deadline.count()));
  events.connect(monitor);
  action();
  zmq::message_t event;
  const bool seen = events.recv(event).has_value() && event.size() >= 2;
  zmq_socket_monitor(socket.handle(), nullptr, 0);
  if (events.get(zmq::sockopt::rcvmore)) {
    zmq::message_t address;
    (void)events.recv(address, zmq::recv_flags::dontwait);
  }
  return seen;
}

// Whether one request whose body frame is `bytes` long (over the server's bound) makes the
// server close that client's connection.
inline bool OversizedRequestDisconnects(zmq::context_t& zmq, const std::string& endpoint,
                                        std::size_t bytes) {
  zmq::socket_t big(zmq, zmq::socket_type::dealer);
  big.set(zmq::sockopt::linger, 0);
  big.connect(endpoint);
  const std::string huge(bytes, 'x');
  return DisconnectedBy(
      zmq, big,
      [&] {
        (void)big.send(zmq::buffer(std::string()), zmq::send_flags::sndmore);
        (void)big.send(zmq::buffer(huge), zmq::send_flags::none);
      },
      std::chrono::seconds(10));
}

}  // namespace s6test::hostile

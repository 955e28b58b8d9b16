// SPDX-License-Identifier: Apache-2.0
// Transport round trips between two threads of one process, 64-byte payload, per transport:
//
//   BM_ZmqPingPong/<inproc|ipc|tcp>        raw ZeroMQ PUSH/PULL pairs, blocking send/recv: the
//                                          baseline the issue asks for.
//   BM_TransportPingPong/<inproc|ipc|tcp>  the same round trip through ZmqTransport (Send + Flush
//                                          + Poll on both sides, one batch per direction).
//
// Time per iteration is one round trip (wall clock: the benchmark thread mostly waits). The
// ratio Transport/Zmq per transport is the framing, validation and polling overhead. Both use
// one shared context with one I/O thread, and the echo side runs on its own thread.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "raw_pingpong.h"

#include "transport/zmq_transport.h"

// Instance ids are a strong type; `2_id` keeps the tests readable.
constexpr s6::InstanceId operator""_id(unsigned long long v) {
  return s6::InstanceId{static_cast<uint32_t>(v)};
}

namespace {

using s6::transport::InstanceId;
using s6::transport::MessageType;
using s6::transport::PeerState;
using s6::transport::Receiver;
using s6::transport::ZmqTransport;

enum class Kind { kInproc, kIpc, kTcp };

constexpr std::size_t kPayloadBytes = 64;

// Bind endpoints for one benchmark run; owns the temporary directory of ipc:// sockets.
class Endpoints {
 public:
  explicit Endpoints(Kind kind) : kind_(kind) {
    if (kind_ == Kind::kIpc) {
      char tmpl[] = "/tmp/s6-transport-bench-XXXXXX";
      if (mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    }
  }
  ~Endpoints() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Endpoints(const Endpoints&) = delete;
  Endpoints& operator=(const Endpoints&) = delete;

  std::string Bind(const std::string& name) const {
    switch (kind_) {
      case Kind::kInproc:
        return "inproc://s6-bench-" + name;
      case Kind::kIpc:
        return "ipc://" + dir_ + "/" + name;
      case Kind::kTcp:
        return "tcp://127.0.0.1:*";
    }
    return {};
  }

 private:
  Kind kind_;
  std::string dir_;
};

zmq::socket_t MakeSocket(zmq::context_t& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  return s;
}

// Echo side of the raw baseline: receives on its PULL, sends back on its PUSH, until an empty
// message arrives or `stop` is set (checked every 100 ms).
void RawEcho(zmq::context_t& ctx, std::string bind, std::string reply_to,
             std::promise<std::string> bound, const std::atomic<bool>& stop) {
  bool bound_set = false;
  try {
    zmq::socket_t pull = MakeSocket(ctx, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvtimeo, 100);
    pull.bind(bind);
    zmq::socket_t push = MakeSocket(ctx, zmq::socket_type::push);
    push.connect(reply_to);
    bound.set_value(pull.get(zmq::sockopt::last_endpoint));
    bound_set = true;
    zmq::message_t msg;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!pull.recv(msg, zmq::recv_flags::none)) continue;  // timeout: check `stop`
      if (msg.size() == 0) break;
      (void)push.send(msg, zmq::send_flags::none);
    }
  } catch (const zmq::error_t&) {
    // Before binding: the benchmark thread gets the error; after: it times out waiting.
    if (!bound_set) bound.set_exception(std::current_exception());
  }
}

void BM_ZmqPingPong(benchmark::State& state, Kind kind) {
  Endpoints ep(kind);
  zmq::context_t ctx(1);
  std::atomic<bool> stop{false};
  std::thread echo;
  try {
    zmq::socket_t pull = MakeSocket(ctx, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvtimeo, 5000);
    pull.bind(ep.Bind("main"));
    std::promise<std::string> bound;
    std::future<std::string> echo_endpoint = bound.get_future();
    echo = std::thread(RawEcho, std::ref(ctx), ep.Bind("echo"),
                       pull.get(zmq::sockopt::last_endpoint), std::move(bound), std::cref(stop));
    zmq::socket_t push = MakeSocket(ctx, zmq::socket_type::push);
    push.connect(echo_endpoint.get());

    RunRawPingPong(state, push, pull, kPayloadBytes);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  stop = true;
  if (echo.joinable()) echo.join();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel("64B round trip");
}

// Receiver of the echo side: answers pings, stops on a control message.
class EchoReceiver : public Receiver {
 public:
  explicit EchoReceiver(ZmqTransport& t) : t_(t) {}
  void OnMessage(InstanceId from, MessageType type, std::span<const uint8_t> payload) override {
    if (type == MessageType::kPing) {
      t_.Send(from, MessageType::kPong, payload);
    } else if (type == MessageType::kControlBase) {
      done = true;
    }
  }
  bool done = false;

 private:
  ZmqTransport& t_;
};

// Receiver of the benchmark side: notes that the pong came back.
class PongReceiver : public Receiver {
 public:
  void OnMessage(InstanceId, MessageType type, std::span<const uint8_t> payload) override {
    if (type == MessageType::kPong) {
      got = true;
      benchmark::DoNotOptimize(payload.data());
    }
  }
  bool got = false;
};

ZmqTransport::Options BenchOptions(zmq::context_t& ctx) {
  ZmqTransport::Options o;
  o.context = &ctx;
  o.schema_hash = 0x5eed;
  return o;
}

// Echo side of BM_TransportPingPong: answers pings until a control message arrives or `stop`
// is set (checked at least every 100 ms).
void TransportEcho(zmq::context_t& ctx, std::string bind, std::string peer_endpoint,
                   std::promise<std::string> bound, const std::atomic<bool>& stop) {
  ZmqTransport t(2_id, std::move(bind), BenchOptions(ctx));
  s6::Status s = t.Start();
  if (s.ok()) s = t.AddPeer(1_id, std::move(peer_endpoint));
  if (!s.ok()) {
    bound.set_exception(std::make_exception_ptr(std::runtime_error(s.ToString())));
    return;
  }
  bound.set_value(t.endpoint());
  EchoReceiver rx(t);
  while (!rx.done && !stop.load(std::memory_order_relaxed)) {
    t.Poll(rx, 100);
    t.Flush();
  }
}

// The slow path of a round trip: keeps flushing (the ping may have had to wait for room in
// the network) and polling until the pong is back; false after 5 s.
bool WaitForPong(ZmqTransport& t, PongReceiver& rx) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!rx.got && std::chrono::steady_clock::now() < give_up) {
    t.Flush();
    t.Poll(rx, 100);
  }
  return rx.got;
}

void BM_TransportPingPong(benchmark::State& state, Kind kind) {
  Endpoints ep(kind);
  zmq::context_t ctx(1);
  std::atomic<bool> stop{false};
  std::thread echo;
  {
    ZmqTransport t(1_id, ep.Bind("main"), BenchOptions(ctx));
    try {
      if (s6::Status s = t.Start(); !s.ok()) throw std::runtime_error(s.ToString());
      std::promise<std::string> bound;
      std::future<std::string> echo_endpoint = bound.get_future();
      echo = std::thread(TransportEcho, std::ref(ctx), ep.Bind("echo"), t.endpoint(),
                         std::move(bound), std::cref(stop));
      if (s6::Status s = t.AddPeer(2_id, echo_endpoint.get()); !s.ok()) {
        throw std::runtime_error(s.ToString());
      }
    } catch (const std::exception& e) {
      stop = true;
      if (echo.joinable()) echo.join();
      state.SkipWithError(e.what());
      return;
    }
    PongReceiver rx;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // Ready, and our own hello/ack are out (with ZMQ_IMMEDIATE they wait for the connection).
    while ((t.GetPeerState(2_id) != PeerState::kReady || t.QueuedBatches(2_id) != 0) &&
           std::chrono::steady_clock::now() < deadline) {
      t.Flush();
      t.Poll(rx, 10);
    }
    const std::vector<uint8_t> payload(kPayloadBytes, 0x5a);
    if (t.GetPeerState(2_id) != PeerState::kReady) {
      state.SkipWithError("handshake did not complete");
    } else {
      for (auto _ : state) {
        // One loop iteration of the data plane: Send, Flush, Poll (until the pong is back).
        t.Send(2_id, MessageType::kPing, payload);
        t.Flush();
        rx.got = false;
        t.Poll(rx, 1000);
        if (!rx.got && !WaitForPong(t, rx)) [[unlikely]] {
          state.SkipWithError("echo timed out");
          break;
        }
      }
    }
    t.Send(2_id, MessageType::kControlBase, {});  // stop the echo thread...
    t.Flush();
    stop = true;  // ...or, if that message cannot reach it, within 100 ms
    echo.join();
    const s6::transport::TransportStats st = t.stats();
    state.counters["batches_per_rt"] =
        benchmark::Counter(static_cast<double>(st.batches_sent + st.batches_received) /
                           static_cast<double>(std::max<int64_t>(1, state.iterations())));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel("64B round trip");
}

BENCHMARK_CAPTURE(BM_ZmqPingPong, inproc, Kind::kInproc)->UseRealTime();
BENCHMARK_CAPTURE(BM_ZmqPingPong, ipc, Kind::kIpc)->UseRealTime();
BENCHMARK_CAPTURE(BM_ZmqPingPong, tcp, Kind::kTcp)->UseRealTime();
BENCHMARK_CAPTURE(BM_TransportPingPong, inproc, Kind::kInproc)->UseRealTime();
BENCHMARK_CAPTURE(BM_TransportPingPong, ipc, Kind::kIpc)->UseRealTime();
BENCHMARK_CAPTURE(BM_TransportPingPong, tcp, Kind::kTcp)->UseRealTime();

}  // namespace

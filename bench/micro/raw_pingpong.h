// SPDX-License-Identifier: Apache-2.0
// The raw ZeroMQ round-trip loop shared by the thread and the process variants of
// BM_ZmqPingPong: one untimed round trip (connections up), then one timed round trip per
// iteration, then an empty message that stops the echo side.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <zmq.hpp>

inline void RunRawPingPong(benchmark::State& state, zmq::socket_t& push, zmq::socket_t& pull,
                           std::size_t payload_bytes) {
  const std::vector<uint8_t> payload(payload_bytes, 0x5a);
  zmq::message_t reply;
  (void)push.send(zmq::buffer(payload), zmq::send_flags::none);  // untimed: connect
  if (!pull.recv(reply, zmq::recv_flags::none)) throw std::runtime_error("no echo");
  for (auto _ : state) {
    (void)push.send(zmq::buffer(payload), zmq::send_flags::none);
    if (!pull.recv(reply, zmq::recv_flags::none)) [[unlikely]] {
      state.SkipWithError("echo timed out");
      break;
    }
    benchmark::DoNotOptimize(reply.data());
  }
  (void)push.send(zmq::message_t(), zmq::send_flags::none);  // stop
}

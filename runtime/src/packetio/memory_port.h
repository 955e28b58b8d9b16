// SPDX-License-Identifier: Apache-2.0
// File: packetio/memory_port.h
//
// A port in memory: frames injected by any thread are received by the data-plane thread;
// transmitted frames are collected for any thread to take. For tests and for in-process
// traffic. The input queue is bounded (Inject refuses beyond it) and frames wait there, not
// dropped, while every buffer is in use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "packetio/buffer_pool.h"
#include "packetio/port.h"

namespace s6::packetio {

class MemoryPort final : public Port {
 public:
  explicit MemoryPort(std::string name, std::size_t buffers = 4096, std::size_t buffer_bytes = 2048,
                      std::size_t max_queued = 1 << 16);

  /// Thread-safe. Queues `frame` (copied) for Receive; false when the input queue is full or
  /// the frame can't fit a buffer (counted as rx_invalid).
  bool Inject(std::span<const uint8_t> frame, bool ethernet = true);
  /// Thread-safe. The frames transmitted since the last call, in order.
  std::vector<std::vector<uint8_t>> TakeTransmitted();
  /// Thread-safe. Frames injected but not yet received.
  std::size_t queued() const;

  const std::string& name() const override { return name_; }
  std::size_t Receive(std::span<Packet*> out) override;
  std::size_t Transmit(std::span<Packet* const> pkts) override;
  void Release(Packet* pkt) override;
  Packet* Allocate(uint32_t len) override;
  PortStats stats() const override;

 private:
  struct Frame {
    std::vector<uint8_t> bytes;
    bool ethernet;
  };
  const std::string name_;
  const std::size_t max_queued_;
  BufferPool pool_;  // data-plane thread only
  mutable std::mutex mu_;
  std::deque<Frame> in_;                   // guarded by mu_
  std::vector<std::vector<uint8_t>> out_;  // guarded by mu_
  PortStats stats_;                        // counters guarded by mu_
};

}  // namespace s6::packetio

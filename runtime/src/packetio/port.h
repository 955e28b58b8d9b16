// SPDX-License-Identifier: Apache-2.0
// File: packetio/port.h
//
// Packet I/O behind one interface: batched receive and transmit on a "port" whose buffers it
// owns. Backends: MemoryPort (tests, in-process traffic), PcapPort (a capture file in, one
// out); DPDK devices (memif, pcap, af_packet, ring, null) come next behind the same interface.
//
// Theory of operation: Receive hands out up to N packets; each stays valid, and is the
// caller's to rewrite in place, until it is given back with Transmit (which takes ownership of
// every packet passed, counting the ones the device had no room for as tx_dropped) or Release.
// Buffers come from a fixed pool sized at construction, so a port never allocates on the data
// path and a full pool is backpressure (the input waits or is counted as rx_no_buffer), never
// an unbounded queue. Frames too short or too long for a buffer are counted and skipped, never
// truncated silently. Every call belongs to the instance's data-plane thread, except where a
// backend documents a thread-safe entry (MemoryPort::Inject/TakeTransmitted for tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <s6/nf.h>
#include <s6/stats.h>

namespace s6::packetio {

struct PortStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_no_buffer = 0;  ///< frames that could not be taken: the buffer pool was empty
  uint64_t rx_invalid = 0;    ///< frames of a size no buffer can hold (empty or too long)
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;      ///< packets the device had no room for
  uint64_t buffers_in_use = 0;  ///< gauge

  void Write(StatsSink& out) const;
  std::string ToJson() const {
    return StatsToJson([this](StatsSink& out) { Write(out); });
  }
};

class Port {
 public:
  virtual ~Port() = default;
  virtual const std::string& name() const = 0;
  /// Fills `out` with up to out.size() received packets; returns how many. Never blocks.
  virtual std::size_t Receive(std::span<Packet*> out) = 0;
  /// Sends `pkts`, taking ownership of all of them; returns how many were accepted.
  virtual std::size_t Transmit(std::span<Packet* const> pkts) = 0;
  /// Sends a prefix of `pkts` and returns its length; the device takes ownership of those
  /// only, the rest stay the caller's (to retry: backpressure instead of loss). Ports that
  /// never refuse take everything (the default).
  virtual std::size_t TransmitSome(std::span<Packet* const> pkts) { return Transmit(pkts); }
  /// Gives a received (or allocated) packet back without sending it.
  virtual void Release(Packet* pkt) = 0;
  /// A buffer of `len` bytes from the port's pool for a packet that originates here (traffic
  /// generators, replies), to be filled and passed to Transmit or Release; nullptr when the
  /// pool is empty or `len` does not fit a buffer.
  virtual Packet* Allocate(uint32_t len) = 0;
  virtual PortStats stats() const = 0;
};

inline void PortStats::Write(StatsSink& out) const {
  out.Counter("rx_packets", rx_packets);
  out.Counter("rx_bytes", rx_bytes);
  out.Counter("rx_no_buffer", rx_no_buffer);
  out.Counter("rx_invalid", rx_invalid);
  out.Counter("tx_packets", tx_packets);
  out.Counter("tx_bytes", tx_bytes);
  out.Counter("tx_dropped", tx_dropped);
  out.Gauge("buffers_in_use", static_cast<double>(buffers_in_use));
}

}  // namespace s6::packetio

// SPDX-License-Identifier: Apache-2.0
// File: s6/nf.h
//
// What a network function implements, and what the runtime offers it.
//
//   class MyNf : public s6::NetworkFunction {
//    public:
//     explicit MyNf(s6::Space& s) : flows_(s, "my.flows") {}   // maps: before the instance starts
//     s6::Verdict Process(s6::Packet& pkt, s6::Context& ctx) override;
//    private:
//     s6::SwMap<Key, Flow> flows_;
//   };
//
// Theory of operation: the runtime calls Process once per packet, each in its own micro-thread,
// so Process may touch remote state (and suspend) while other packets go on. The packet's bytes
// are the NF's to rewrite in place until Process returns. Everything an NF keeps across packets
// lives in maps (shared, migratable) or in members the NF treats as instance-local (counters);
// there are no globals. Init runs once after the instance joined its cluster; timers and the
// background task come from the Context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <s6/instance_id.h>
#include <s6/space.h>
#include <s6/stats.h>
#include <s6/status.h>

namespace s6 {

/// What happens to a packet after Process.
enum class Verdict : uint8_t {
  kForward = 0,   ///< send it on (possibly rewritten)
  kDrop = 1,      ///< discard it (the NF counts why)
  kConsumed = 2,  ///< the NF kept or answered it; nothing to send
};

/// One packet: a mutable view of its bytes plus metadata. Owned by the runtime.
struct Packet {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  /// Bytes available at `data` (an NF may grow the packet up to this).
  uint32_t capacity = 0;
  /// Link layer: true for Ethernet II frames, false for raw IPv4.
  bool ethernet = true;
  /// Receive time on the instance clock (ns).
  uint64_t rx_ns = 0;
  /// When the packet was originally captured (ns since the epoch), if known: the capture's
  /// timestamp in an offline run, the original timestamp s6-trafgen carries with a replayed
  /// packet; 0 when unknown (synthetic traffic).
  uint64_t capture_ns = 0;
  /// Port the packet arrived on.
  uint16_t port = 0;
  /// The runtime's handle on the buffer (its pool or device); not for NF use.
  void* handle = nullptr;

  std::span<uint8_t> bytes() const noexcept { return {data, len}; }
};

/// The runtime as an NF sees it (the instance that runs it).
class Context {
 public:
  virtual ~Context() = default;
  virtual Space& space() = 0;
  virtual InstanceId self() const = 0;
  /// Instance clock (ns): injected in tests.
  virtual uint64_t NowNs() const = 0;
  /// Suspends the calling micro-thread for `d`.
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
  /// Runs `fn` in a micro-thread every `period`; returns an id for CancelTimer.
  virtual uint64_t AddTimer(std::chrono::nanoseconds period, std::function<void()> fn) = 0;
  virtual void CancelTimer(uint64_t id) = 0;
  /// Runs `fn` in a new micro-thread; false under backpressure.
  virtual bool Spawn(std::function<void()> fn) = 0;
};

/// A network function. Construct its maps from the instance's Space before the instance
/// starts; the runtime then calls Init once and Process per packet.
class NetworkFunction {
 public:
  virtual ~NetworkFunction() = default;
  /// Once, in a micro-thread, after the instance started (timers, background work).
  virtual Status Init(Context& ctx) {
    (void)ctx;
    return OkStatus();
  }
  /// Per packet, in the packet's micro-thread.
  virtual Verdict Process(Packet& packet, Context& ctx) = 0;
  /// Once, in a micro-thread, when the traffic has ended: the end of an offline capture, or
  /// an instance stopping (a signal, its duration, s6ctl's stop). An NF that buffers (stream
  /// reassembly, a parser waiting for more) finishes its work on what it holds, as a tool
  /// does at the end of its input. Remote calls may fail or time out here if peers are
  /// stopping too. The default does nothing.
  virtual void Finish(Context& ctx) { (void)ctx; }
  /// Reports the NF's counters (they appear under "nf" in the instance's stats). Called by
  /// the stats writer on the data-plane thread, between packets.
  virtual void WriteStats(StatsSink& out) const { (void)out; }
};

}  // namespace s6

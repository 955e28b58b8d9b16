// SPDX-License-Identifier: Apache-2.0
// File: trafgen/traffic.h
//
// The traffic model of s6-trafgen: synthetic flows, the load balancer that steers them to
// instances, and the accounting of what comes back.
//
// Theory of operation
// - FlowGenerator keeps `concurrent_flows` flows alive. Each has a size in packets drawn from
//   the configured distribution (fixed, uniform, exponential or Pareto with the given mean);
//   TCP flows are SYN, data..., FIN; UDP flows are data. Every packet comes from a live flow
//   picked at random, so flows interleave as on a real link; a finished flow is replaced at
//   once. Frames are Ethernet/IPv4 with valid checksums and carry a probe in their payload
//   (flow id, per-flow sequence, send time), which survives NAT rewriting of headers.
// - Steering maps a flow to an instance by rendezvous hashing of its 5-tuple over the current
//   instance list: changing the list moves only the flows of instances that came or went
//   (~1/N of them), as the slot table does for state. A configurable fraction of packets is
//   deliberately sent to a different instance (mis-steering).
// - Tracker matches returned frames to their probes: per-instance latency histograms,
//   received/reordered counts per reporting interval; loss is what was sent and never came
//   back by the end of the run.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "trafgen/histogram.h"

namespace s6::trafgen {

enum class SizeDist : uint8_t { kFixed, kUniform, kExponential, kPareto };

struct FlowConfig {
  uint32_t concurrent_flows = 1000;
  /// Ethernet frame size in bytes (at least kMinFrame).
  uint32_t frame_bytes = 128;
  /// Mean flow size in packets (TCP: SYN and FIN included).
  double mean_flow_packets = 50;
  SizeDist size_dist = SizeDist::kExponential;
  /// Pareto shape (> 1); the scale follows from the mean.
  double pareto_shape = 1.5;
  /// Fraction of new flows that are TCP (the rest UDP).
  double tcp_fraction = 0.5;
  /// Inside clients: `inside_net` + [1, inside_hosts]; servers: `server_net` + [1, servers].
  uint32_t inside_net = 0x0a000000;  // 10.0.0.0
  uint32_t inside_hosts = 60000;
  uint32_t server_net = 0xc6336400;  // 198.51.100.0
  uint32_t servers = 200;
  uint64_t seed = 1;
};

/// Smallest frame that holds Ethernet + IPv4 + TCP + the probe.
inline constexpr uint32_t kMinFrame = 14 + 20 + 20 + 20;

struct FlowTuple {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
};

struct GenPacket {
  FlowTuple tuple;
  uint32_t flow = 0;  ///< flow id (unique in a run)
  uint32_t seq = 0;   ///< packet number within the flow, from 0
  uint8_t tcp_flags = 0;
  bool last = false;  ///< the flow's final packet
};

class FlowGenerator {
 public:
  explicit FlowGenerator(FlowConfig config);

  /// The next packet to send.
  GenPacket Next();
  /// Writes `p`'s frame into `out` (at least config.frame_bytes) with send time `tx_ns` in the
  /// probe; returns the frame length.
  uint32_t Build(const GenPacket& p, uint64_t tx_ns, uint8_t* out) const;

  uint64_t flows_started() const { return next_flow_id_; }
  const FlowConfig& config() const { return config_; }

 private:
  struct Flow {
    FlowTuple tuple;
    uint32_t id = 0;
    uint32_t size = 0;  // packets
    uint32_t sent = 0;
  };
  Flow NewFlow();
  uint32_t DrawSize();

  FlowConfig config_;
  std::mt19937_64 rng_;
  std::vector<Flow> live_;
  uint32_t next_flow_id_ = 0;
};

/// The probe in a frame: magic, flow id, sequence, send time. Returns false if `frame` does not
/// carry one (not ours, or cut short).
struct Probe {
  uint32_t flow = 0;
  uint32_t seq = 0;
  uint64_t tx_ns = 0;
};
bool ReadProbe(const uint8_t* frame, uint32_t len, Probe& out);

class Steering {
 public:
  explicit Steering(std::vector<uint32_t> instances, double missteer_fraction = 0,
                    uint64_t seed = 7);
  /// Replaces the instance list (scaling): flows of remaining instances stay where they are.
  void SetInstances(std::vector<uint32_t> instances);
  /// The instance for one packet of `t` (usually its flow's home, sometimes mis-steered).
  uint32_t Pick(const FlowTuple& t);
  /// The flow's home instance (no mis-steering).
  uint32_t Home(const FlowTuple& t) const;
  const std::vector<uint32_t>& instances() const { return instances_; }
  uint64_t missteered() const { return missteered_; }

 private:
  std::vector<uint32_t> instances_;
  double missteer_;
  std::mt19937_64 rng_;
  uint64_t missteered_ = 0;
};

/// Counters of one reporting interval (or a whole run).
struct IntervalStats {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t reordered = 0;
  uint64_t foreign = 0;  ///< received frames without a probe of ours
  /// State check (translating NFs): flows whose returned source endpoint changed mid-flow, and
  /// flows that came back with a source endpoint another flow had already (run totals only).
  uint64_t mapping_changes = 0;
  uint64_t shared_endpoints = 0;
  uint64_t bytes_received = 0;
  LatencyHistogram latency;
};

class Tracker {
 public:
  void OnSent(uint32_t instance, uint64_t bytes);
  /// Accounts a returned frame; `instance` is the link it came back on.
  void OnReceived(uint32_t instance, const uint8_t* frame, uint32_t len, uint64_t now_ns);
  /// The interval since the last call (per instance and total), and starts the next one.
  std::unordered_map<uint32_t, IntervalStats> TakeInterval();
  /// Totals since the start.
  const IntervalStats& total() const { return total_; }
  uint64_t lost() const { return total_.sent - total_.received; }

 private:
  std::unordered_map<uint32_t, IntervalStats> interval_;
  IntervalStats total_;
  std::unordered_map<uint32_t, uint32_t> next_seq_;     // flow -> highest sequence seen + 1
  std::unordered_map<uint32_t, uint64_t> endpoint_of_;  // flow -> (src ip, src port) seen
  std::unordered_map<uint64_t, uint32_t> flow_at_;      // (src ip, src port) -> flow
};

}  // namespace s6::trafgen

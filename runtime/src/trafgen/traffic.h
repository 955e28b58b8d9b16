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
//   instance list, symmetrically (both directions of a connection go to the same instance):
//   changing the list moves only the flows of instances that came or went
//   (~1/N of them), as the slot table does for state. A configurable fraction of packets is
//   deliberately sent to a different instance (mis-steering).
// - The probe sits either at the start of the TCP/UDP payload (synthetic frames) or, for
//   replayed frames whose payload must stay intact, as a trailer after the IPv4 datagram
//   (beyond its total length: NFs rewrite headers in place and keep the frame length, so the
//   trailer travels with the packet). ReadProbe looks for the trailer first, then the payload.
// - Tracker matches returned frames to their probes: per-instance latency histograms,
//   received/reordered counts per reporting interval; loss is what was sent and never came
//   back by the end of the run. Named measurement windows (opened and closed at run time, e.g.
//   around a scale-out) account the packets *generated* while they are open a second time, by
//   the generation time in the probe, so a packet sent or received after the window closed
//   still counts for it.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <s6/net.h>
#include <s6/status.h>
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

/// Bytes of a probe (magic, flow id, sequence, send time).
inline constexpr uint32_t kProbeBytes = 4 + 4 + 4 + 8;
/// Smallest frame that holds Ethernet + IPv4 + TCP + the probe.
inline constexpr uint32_t kMinFrame = 14 + 20 + 20 + kProbeBytes;
/// Largest Ethernet frame (without FCS) a link carries.
inline constexpr uint32_t kMaxFrame = 1514;
/// What a run can be asked for (s6-trafgen's and s6ctl's options): the flow table's size, the
/// pacer's rate, and a duration whose nanoseconds fit the clocks with room to spare.
inline constexpr uint64_t kMaxFlows = uint64_t{1} << 24;
inline constexpr uint64_t kMaxRatePps = 100'000'000;
inline constexpr double kMaxDurationS = 1e7;
/// A replayed frame of up to kMaxFrame bytes plus its trailer (probe and capture time).
inline constexpr uint32_t kMaxReplayFrame = kMaxFrame + kProbeBytes + net::kCaptureTimeBytes;

struct GenPacket {
  net::FiveTuple tuple;
  uint32_t flow = 0;  ///< flow id (unique in a run)
  uint32_t seq = 0;   ///< packet number within the flow, from 0
  uint8_t tcp_flags = 0;
  bool last = false;   ///< the flow's final packet
  uint32_t index = 0;  ///< replay: the packet's position in the capture
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
    net::FiveTuple tuple;
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

/// The probe in a frame: magic, flow id, sequence, send time.
struct Probe {
  uint32_t flow = 0;
  uint32_t seq = 0;
  uint64_t tx_ns = 0;
};
/// Writes `probe` (kProbeBytes) at `at`.
void WriteProbe(const Probe& probe, uint8_t* at);
/// Reads the probe of an Ethernet/IPv4 frame: the trailer after the IPv4 datagram if there is
/// one, else the start of the TCP/UDP payload. Returns false if `frame` carries neither (not
/// ours, or cut short).
bool ReadProbe(const uint8_t* frame, uint32_t len, Probe& out);

class Steering {
 public:
  explicit Steering(std::vector<uint32_t> instances, double missteer_fraction = 0,
                    uint64_t seed = 7);
  /// Replaces the instance list (scaling): flows of remaining instances stay where they are.
  void SetInstances(std::vector<uint32_t> instances);
  /// The instance for one packet of `t` (usually its flow's home, sometimes mis-steered).
  uint32_t Pick(const net::FiveTuple& t);
  /// The flow's home instance (no mis-steering).
  uint32_t Home(const net::FiveTuple& t) const;
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

/// Run totals of one link.
struct LinkTotals {
  uint64_t sent = 0;
  uint64_t received = 0;
};

/// A named measurement window: the packets generated from `start_ns` to `end_ns`.
struct Window {
  std::string name;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;  ///< valid once closed
  bool open = true;
  bool closed_at_end = false;  ///< never ended by its owner: closed when the run ended
  uint64_t sent = 0;
  uint64_t received = 0;
  LatencyHistogram latency;

  bool Contains(uint64_t tx_ns) const { return tx_ns >= start_ns && (open || tx_ns < end_ns); }
  uint64_t lost() const { return sent > received ? sent - received : 0; }
};

class Tracker {
 public:
  /// `check_shared_endpoints`: whether two flows returning with the same source endpoint is a
  /// state error (true for synthetic flows, whose endpoints are unique; replayed captures have
  /// servers answering many flows from one endpoint).
  explicit Tracker(bool check_shared_endpoints = true)
      : check_shared_endpoints_(check_shared_endpoints) {}

  /// A probed packet generated at `tx_ns` entered the network on `instance`'s link.
  void OnSent(uint32_t instance, uint64_t tx_ns);
  /// A packet without a probe entered the network (it can never be matched: not in sent/lost).
  void OnSentUnprobed() { ++unprobed_; }
  /// Accounts a returned frame; `instance` is the link it came back on.
  void OnReceived(uint32_t instance, const uint8_t* frame, uint32_t len, uint64_t now_ns);
  /// The interval since the last call (per instance and total), and starts the next one.
  std::unordered_map<uint32_t, IntervalStats> TakeInterval();
  /// Totals since the start.
  const IntervalStats& total() const { return total_; }
  uint64_t lost() const { return total_.sent - total_.received; }
  uint64_t unprobed() const { return unprobed_; }
  /// Run totals of `instance`'s link (zeros if it never carried traffic).
  LinkTotals link(uint32_t instance) const;

  /// Opens window `name` at `now_ns` (or just after the newest packet already sent, if later);
  /// FailedPrecondition if one of that name is open.
  Status BeginWindow(std::string_view name, uint64_t now_ns);
  /// Closes the open window `name` at `now_ns` (or just after the newest packet already sent);
  /// NotFound if none of that name is open.
  Status EndWindow(std::string_view name, uint64_t now_ns);
  /// Closes every open window at `now_ns` (the end of the run).
  void CloseWindows(uint64_t now_ns);
  /// Every window opened so far, in the order they were opened.
  const std::vector<Window>& windows() const { return windows_; }

 private:
  bool check_shared_endpoints_;
  std::unordered_map<uint32_t, IntervalStats> interval_;
  IntervalStats total_;
  uint64_t unprobed_ = 0;
  std::unordered_map<uint32_t, LinkTotals> links_;
  std::vector<Window> windows_;
  // The latest generation time of a packet already sent. A window's bounds are placed after
  // it, so whether a packet belongs to a window is the same when it is sent and when it comes
  // back, even if the caller's clock reading is a little older than the newest probe.
  uint64_t max_sent_tx_ns_ = 0;
  std::unordered_map<uint32_t, uint32_t> next_seq_;     // flow -> highest sequence seen + 1
  std::unordered_map<uint32_t, uint64_t> endpoint_of_;  // flow -> (src ip, src port) seen
  std::unordered_map<uint64_t, uint32_t> flow_at_;      // (src ip, src port) -> flow
};

}  // namespace s6::trafgen

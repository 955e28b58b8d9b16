// SPDX-License-Identifier: Apache-2.0
// The NAT network function (source NAT / masquerade, like Linux nftables `masquerade`).
//
// Theory of operation
// -------------------
// Outbound (source in an inside network, destination outside): the forward NatEntry of the
// inside 5-tuple is fetched or created; a new flow takes a public port from a PortPool shard
// (hashed from the flow; the other shards are tried before giving up) and creates the reverse
// entry keyed by the reply's 5-tuple. The source address and port are rewritten and the IPv4
// and TCP/UDP checksums updated incrementally (RFC 1624). Inbound (destination a public
// address): the reverse entry names the inside flow; the destination is rewritten back. ICMP
// echo works the same with the identifier as the port. A flow whose port can't be allocated is
// dropped and counted — never forwarded untranslated. Non-IPv4 frames and transit traffic pass
// unchanged; malformed packets, non-first fragments and inbound packets without a mapping are
// dropped and counted.
//
// Timeouts (the forward entry's idle timeout; Linux conntrack defaults): UDP 30 s, ICMP 30 s,
// TCP before the first ACK 120 s, established 5 days, after a FIN 120 s, after an RST 10 s. When
// the forward entry expires, its expiry handler removes the reverse entry and releases the port
// (untether).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <s6/host.h>
#include <s6/map.h>
#include <s6/net.h>
#include <s6/nf.h>
#include <s6/status.h>
#include "nat_state.s6.h"

namespace nat {

struct Cidr {
  uint32_t network = 0;
  uint8_t prefix = 0;
  bool Contains(uint32_t ip) const {
    const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (ip & mask) == (network & mask);
  }
};

struct NatConfig {
  std::vector<uint32_t> public_ips;
  /// Default: the RFC 1918 networks.
  std::vector<Cidr> inside = {{0x0a000000, 8}, {0xac100000, 12}, {0xc0a80000, 16}};
  uint16_t port_lo = 1024;
  uint16_t port_hi = 65535;
  uint16_t shards = 16;
  std::chrono::seconds udp_timeout{30};
  std::chrono::seconds icmp_timeout{30};
  std::chrono::seconds tcp_syn_timeout{120};
  std::chrono::seconds tcp_established_timeout{432000};
  std::chrono::seconds tcp_fin_timeout{120};
  std::chrono::seconds tcp_rst_timeout{10};
  /// Drop packets whose IPv4 header checksum is wrong (RFC 1812 §5.2.2). Off for captures
  /// (s6-nat): a capture taken with checksum offload has 0 there in every outbound packet.
  bool verify_ip_checksum = true;

  /// Checks the configuration (at least one public IP, a non-empty range, 1..4096 shards).
  s6::Status Validate() const;
};

/// Parses "a.b.c.d/len" (or a bare address, /32).
s6::StatusOr<Cidr> ParseCidr(std::string_view s);

/// The NAT's command-line options, bound to `config`: --public-ip A.B.C.D (repeatable, at least
/// one), --inside CIDR (repeatable; replaces the RFC 1918 default), --port-range LO-HI,
/// --shards N. Malformed values are parse errors; NatConfig::Validate checks the whole.
void AddNatOptions(CLI::App& app, NatConfig& config);

/// The NAT as its executables host it (s6-nat-instance, s6-nat), configured into `config`,
/// which must outlive the returned definition's use.
s6::host::NfDefinition NatDefinition(NatConfig& config);

/// Per-instance counters of the NAT.
struct NatStats {
  std::atomic<uint64_t> translated_out{0};
  std::atomic<uint64_t> translated_in{0};
  std::atomic<uint64_t> new_flows{0};
  std::atomic<uint64_t> passed{0};      ///< non-IPv4 or transit, forwarded unchanged
  std::atomic<uint64_t> no_mapping{0};  ///< inbound without a mapping: dropped
  std::atomic<uint64_t> exhausted{0};   ///< no public port left: dropped
  std::atomic<uint64_t> malformed{0};   ///< failed parsing: dropped (sum of the next four)
  std::atomic<uint64_t> truncated{0};
  std::atomic<uint64_t> bad_header{0};
  std::atomic<uint64_t> bad_ip_checksum{0};
  std::atomic<uint64_t> short_l4{0};
  std::atomic<uint64_t> fragments{0};    ///< non-first fragments: dropped
  std::atomic<uint64_t> unsupported{0};  ///< other protocols / ICMP types to/from outside
  std::atomic<uint64_t> expired{0};      ///< flows ended by their idle timeout
};

class Nat final : public s6::NetworkFunction {
 public:
  /// Registers the NAT's maps in `space` (before the instance starts).
  Nat(s6::Space& space, NatConfig config);

  s6::Verdict Process(s6::Packet& packet, s6::Context& ctx) override;
  void WriteStats(s6::StatsSink& out) const override;
  const NatStats& stats() const { return stats_; }
  const NatConfig& config() const { return config_; }

  /// The maps (for tests and tools).
  s6::SwMap<s6::net::FiveTuple, NatEntry>& flows() { return flows_; }
  s6::MwMap<PoolKey, PortPool>& pools() { return pools_; }

 private:
  bool IsInside(uint32_t ip) const;
  bool IsPublic(uint32_t ip) const;
  s6::Verdict Outbound(s6::Packet& pkt, const s6::net::Ipv4Packet& p, s6::Context& ctx);
  s6::Verdict Inbound(s6::Packet& pkt, const s6::net::Ipv4Packet& p);
  /// Per packet of a mapped flow, either direction: TCP phase (and its timeout), counters.
  void Account(s6::SwRef<NatEntry>& fwd, const s6::net::Ipv4Packet& p, uint32_t len) const;
  uint16_t AllocatePort(uint32_t public_ip, uint64_t flow_hash);
  void OnExpire(const s6::net::FiveTuple& key, NatEntry& e);
  std::chrono::nanoseconds TimeoutFor(uint8_t proto, TcpPhase phase) const;

  NatConfig config_;
  s6::SwMap<s6::net::FiveTuple, NatEntry> flows_;
  s6::MwMap<PoolKey, PortPool> pools_;
  NatStats stats_;
};

/// Rewrites the source (outbound) or destination (inbound) address and port of the packet `p`
/// in `frame` and updates the IPv4 and transport checksums incrementally.
void RewriteEndpoint(std::span<uint8_t> frame, const s6::net::Ipv4Packet& p, bool source,
                     uint32_t new_ip, uint16_t new_port);

}  // namespace nat

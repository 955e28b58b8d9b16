// SPDX-License-Identifier: Apache-2.0
// NAT state classes (input of s6c).
//
//  - NatEntry (SingleWriter, per flow): two per translated flow, keyed by the flow's
//    s6::net::FiveTuple as it is seen in each direction. The forward entry (key: inside 5-tuple)
//    holds the public address and port; the reverse entry (key: remote -> public 5-tuple) points
//    back at the inside flow. They move to whichever instance handles the flow. For ICMP echo
//    the identifier stands in for the translated port: forward {inside, remote, id, 0}, reverse
//    {remote, public, 0, public id}.
//  - PortPool (MultiWriter, per public IP and shard): which public ports (or ICMP echo ids) are
//    in use. Sharded so that no single object is a hotspot; shard `s` of `n` hands out the ports
//    p in [lo, hi] with (p - lo) % n == s.
#pragma once

#include <bitset>
#include <cstdint>

#include <s6/net.h>
#include <s6/object.h>

namespace nat {

/// One shard of the public port space of one public address.
struct PoolKey {
  uint32_t public_ip = 0;
  uint16_t shard = 0;
};

class PortPool : public s6::MultiWriter {
 public:
  /// A free port of this shard in [lo, hi] (the shard's ports: (p - lo) % shards == shard),
  /// marked used; 0 when the shard is exhausted.
  uint16_t allocate(uint16_t lo, uint16_t hi, uint16_t shards, uint16_t shard) {
    if (shards == 0 || hi < lo || shard >= shards) return 0;
    const uint32_t first = uint32_t{lo} + shard;
    if (first > hi) return 0;
    const uint32_t count = (uint32_t{hi} - first) / shards + 1;
    if (in_use_ >= count) {  // full: answer at once instead of scanning the shard
      ++exhausted_;
      return 0;
    }
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t idx = (cursor_ + i) % count;
      const uint32_t port = first + idx * shards;
      if (!used_[port]) {
        used_[port] = true;
        ++in_use_;
        cursor_ = idx + 1;
        return static_cast<uint16_t>(port);
      }
    }
    ++exhausted_;
    return 0;
  }
  /// Returns `port` to the pool (idempotent).
  void release(uint16_t port) S6_UNTETHER {
    if (used_[port]) {
      used_[port] = false;
      --in_use_;
    }
  }
  /// Ports in use (cached answer at most 100 ms old).
  uint32_t in_use() const S6_STALE_MS(100) { return in_use_; }
  /// Exact count of ports in use.
  uint32_t in_use_exact() const { return in_use_; }
  /// Allocations refused because the shard was full.
  uint64_t exhausted() const { return exhausted_; }
  bool is_used(uint16_t port) const { return used_[port]; }

 private:
  std::bitset<65536> used_;
  uint32_t in_use_ = 0;
  uint32_t cursor_ = 0;
  uint64_t exhausted_ = 0;
  S6_STATE(PortPool);
};

/// TCP connection progress, for timeouts (Linux conntrack's spirit, simplified).
enum class TcpPhase : uint8_t { kNone = 0, kOpen = 1, kFinSeen = 2, kClosed = 3 };

class NatEntry : public s6::SingleWriter {
 public:
  bool is_forward() const { return forward_; }
  /// Forward entry: the reverse key; reverse entry: the inside (forward) key.
  const s6::net::FiveTuple& peer() const { return peer_; }
  uint32_t public_ip() const { return public_ip_; }
  uint16_t public_port() const { return public_port_; }
  uint64_t packets() const { return packets_; }
  TcpPhase phase() const { return phase_; }
  /// A new forward entry whose public port is being allocated (other packets of the flow wait).
  bool allocating() const { return allocating_; }
  void set_allocating(bool a) { allocating_ = a; }

  void set_forward(const s6::net::FiveTuple& reverse, uint32_t public_ip, uint16_t public_port) {
    forward_ = true;
    peer_ = reverse;
    public_ip_ = public_ip;
    public_port_ = public_port;
  }
  void set_reverse(const s6::net::FiveTuple& inside, uint32_t public_ip, uint16_t public_port) {
    forward_ = false;
    peer_ = inside;
    public_ip_ = public_ip;
    public_port_ = public_port;
  }
  void count(uint32_t bytes) {
    ++packets_;
    bytes_ += bytes;
  }
  void set_phase(TcpPhase p) { phase_ = p; }

 private:
  bool forward_ = false;
  s6::net::FiveTuple peer_;
  uint32_t public_ip_ = 0;
  uint16_t public_port_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  TcpPhase phase_ = TcpPhase::kNone;
  bool allocating_ = false;
  S6_STATE(NatEntry);
};

}  // namespace nat

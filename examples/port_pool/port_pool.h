// SPDX-License-Identifier: Apache-2.0
// The example of DESIGN §3: a shared, sharded NAT port pool (MultiWriter) and per-flow NAT
// mappings (SingleWriter) keyed by a 5-tuple. `s6c port_pool.h -o out/` generates their codecs,
// stubs, skeletons and descriptors.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <vector>

#include <s6/object.h>

namespace example {

/// A flow's 5-tuple: a plain struct, so s6c gives it a codec and it can be a map key.
struct FlowKey {
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t protocol = 0;
};

/// One shard of the public port pool. Shared by every instance; calls are shipped to its home.
class PortPool : public s6::MultiWriter {
 public:
  /// Allocates a free port (strict: the caller waits), or returns 0 when the shard is full.
  uint16_t allocate(uint64_t flow_hash);
  /// Returns a port to the pool; fire-and-forget, ordered with the caller's other calls.
  void release(uint16_t port) S6_UNTETHER;
  /// Ports in use; may be answered from a cached copy at most 100 ms old.
  uint32_t in_use() const S6_STALE_MS(100);
  /// Ports ever handed out (exact).
  uint64_t total_allocations() const { return total_; }

 private:
  std::bitset<65536> used_;
  uint32_t in_use_ = 0;
  uint32_t next_ = 1024;
  uint64_t total_ = 0;
  S6_STATE(PortPool);
};

/// A flow's translation. Exclusive: the object moves to the instance that handles the flow.
class NatEntry : public s6::SingleWriter {
 public:
  uint16_t public_port() const { return public_port_; }
  void set_public_port(uint16_t p) { public_port_ = p; }
  void count(uint32_t bytes) {
    ++packets_;
    bytes_ += bytes;
  }
  uint64_t packets() const { return packets_; }
  std::optional<FlowKey> reverse() const { return reverse_; }
  void set_reverse(const FlowKey& k) { reverse_ = k; }

 private:
  uint16_t public_port_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  std::optional<FlowKey> reverse_;
  S6_STATE(NatEntry);
};

inline uint16_t PortPool::allocate(uint64_t flow_hash) {
  for (uint32_t i = 0; i < 65536 - 1024; ++i) {
    const uint32_t port =
        1024 + (next_ - 1024 + i + static_cast<uint32_t>(flow_hash % 7)) % (65536 - 1024);
    if (!used_[port]) {
      used_[port] = true;
      ++in_use_;
      ++total_;
      next_ = port + 1 < 65536 ? port + 1 : 1024;
      return static_cast<uint16_t>(port);
    }
  }
  return 0;
}
inline void PortPool::release(uint16_t port) {
  if (used_[port]) {
    used_[port] = false;
    --in_use_;
  }
}
inline uint32_t PortPool::in_use() const { return in_use_; }

}  // namespace example

// SPDX-License-Identifier: Apache-2.0
// s6-example: what s6c generated for examples/port_pool/port_pool.h, exercised end to end.
// Calls go through the generated stub, cross a byte boundary and run in the generated skeleton
// (an in-process stand-in for a remote home, until the runtime's object space carries them).
#include <cinttypes>
#include <cstdio>

#include <s6/key.h>
#include <s6/testing/loopback_caller.h>

#include "port_pool.s6.h"

namespace {

void PrintDescriptor(const s6::TypeDescriptor& d) {
  std::printf("%s (%s, schema %016" PRIx64 ")\n", std::string(d.name).c_str(),
              d.kind == s6::ObjectKind::kMultiWriter ? "MultiWriter" : "SingleWriter",
              d.schema_hash);
  for (const s6::MethodDescriptor& m : d.methods) {
    std::printf("  %08" PRIx32 "  %-28s%s%s%s\n", m.id, std::string(m.signature).c_str(),
                m.is_stale() ? " stale" : "", m.is_untether() ? " untether" : "",
                m.is_strict() ? " strict" : "");
  }
}

}  // namespace

int main() {
  PrintDescriptor(s6::TypeInfo<example::PortPool>::Descriptor());
  PrintDescriptor(s6::TypeInfo<example::NatEntry>::Descriptor());

  example::PortPool home;  // the object at its home instance
  s6::testing::LoopbackCaller<example::PortPool> caller(home);
  s6::Stub<example::PortPool> pool(caller);

  uint16_t ports[4];
  for (int i = 0; i < 4; ++i) ports[i] = pool.allocate(1000 + i);  // strict
  std::printf("\nallocated ports %u %u %u %u; in_use=%u (stale read)\n", ports[0], ports[1],
              ports[2], ports[3], pool.in_use());
  pool.release(ports[0]);  // untether: queued, not yet run
  const std::size_t queued = caller.pending();
  const uint32_t cached = pool.in_use();            // stale hit: still the cached value
  const uint64_t total = pool.total_allocations();  // strict: flushes the queue first
  std::printf("after release (queued %zu): stale in_use=%u, exact total=%" PRIu64 "\n", queued,
              cached, total);
  caller.AdvanceMs(101);  // past in_use's 100 ms bound
  std::printf("101 ms later: in_use=%u; calls=%" PRIu64 " executed=%" PRIu64 " stale hits=%" PRIu64
              "\n",
              pool.in_use(), caller.calls(), caller.executed(), caller.stale_hits());

  example::NatEntry entry;
  entry.set_public_port(ports[1]);
  entry.count(1500);
  entry.set_reverse({0x0a000001, 0xc0a80001, 40000, 80, 6});
  const s6::ByteBuffer state = s6::EncodeToBuffer(entry);
  example::NatEntry moved;
  const bool ok = s6::DecodeExact(state, moved);
  std::printf("\nNatEntry encodes to %zu bytes; decoded %s (port %u, %" PRIu64 " packets)\n",
              state.size(), ok ? "ok" : "FAILED", moved.public_port(), moved.packets());
  const bool truncated = s6::DecodeExact(state.data(), state.size() - 1, moved);
  std::printf("truncated copy rejected: %s\n", truncated ? "NO" : "yes");
  const example::FlowKey key{0x0a000001, 0xc0a80001, 40000, 80, 6};
  std::printf("FlowKey canonical bytes: %zu, hash %016" PRIx64 "\n", s6::KeyBytes(key).size(),
              s6::KeyHash(key));
  return ok && !truncated ? 0 : 1;
}

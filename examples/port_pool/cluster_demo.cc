// SPDX-License-Identifier: Apache-2.0
// s6-cluster-demo: three NAT-like instances share state through the object space.
//
// Three real instances (own threads, ZeroMQ over ipc://, on the public test harness
// s6::testing::LocalCluster) process synthetic packets. Each flow has a SingleWriter NatEntry
// (its public port and counters) and the public ports come from a MultiWriter PortPool sharded
// over four keys (strict allocate, untether release, stale in_use). Most packets of a flow go to
// the flow's instance; a fraction is deliberately mis-steered to another one, so the entry moves
// there and back. At the end the demo checks that every flow kept one public port, no two flows
// share one, every packet was counted exactly once, and that releasing every port empties the
// pools; then prints each instance's counters.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include <s6/map.h>
#include <s6/nf.h>
#include <s6/testing/cluster.h>
#include "port_pool.s6.h"

namespace {

using example::FlowKey;
using example::NatEntry;
using example::PortPool;
using namespace std::chrono_literals;

constexpr uint32_t kFlows = 3000;
constexpr int kPacketsPerFlow = 6;
constexpr uint32_t kShards = 4;
constexpr int kInstances = 3;

struct NatState {
  explicit NatState(s6::Space& s) : flows(s, "demo.nat.flows"), pools(s, "demo.nat.pools") {}
  s6::SwMap<FlowKey, NatEntry> flows;
  s6::MwMap<uint32_t, PortPool> pools;
};

FlowKey Flow(uint32_t f) {
  return {0x0a000000u + f, 0x08080808u, static_cast<uint16_t>(1024 + f % 50000), 443, 6};
}

}  // namespace

int main() {
  s6::testing::LocalClusterOptions opt;
  opt.instances = kInstances;
  opt.transport = s6::testing::LocalTransport::kIpc;
  s6::testing::LocalCluster<NatState> c(opt);
  std::printf(
      "3 instances up (ipc://), maps demo.nat.flows (SingleWriter) and demo.nat.pools "
      "(MultiWriter, %u shards)\n",
      kShards);

  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<uint64_t> processed{0};
  uint64_t posted = 0;
  uint64_t missteered = 0;
  for (int p = 0; p < kPacketsPerFlow; ++p) {
    for (uint32_t f = 0; f < kFlows; ++f) {
      int target = static_cast<int>(f % kInstances);
      if ((f * 7 + static_cast<uint32_t>(p)) % 10 == 3) {  // ~10% mis-steered
        target = (target + 1) % kInstances;
        ++missteered;
      }
      while (!c.Post(target, [&processed, f](NatState& st, s6::Context&) {
        auto e = st.flows.get_or_create(Flow(f));
        if (e.created()) e->set_public_port(st.pools.get(f % kShards)->allocate(f));
        e->count(64);
        ++processed;
      })) {
        std::this_thread::sleep_for(1ms);  // backpressure: the instance's queue is full
      }
      ++posted;
    }
  }
  while (processed.load() < posted) std::this_thread::sleep_for(1ms);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("processed %llu packets of %u flows (%llu mis-steered) in %.2f s\n",
              static_cast<unsigned long long>(posted), kFlows,
              static_cast<unsigned long long>(missteered), secs);

  // Check and clean up from the second instance: every flow moves there once more, port
  // releases are untether calls and the final in_use() reads are stale calls to the pools' homes.
  struct Result {
    uint32_t wrong_counts = 0;
    uint32_t duplicate_ports = 0;
    uint32_t in_use_after = 0;
  };
  const Result r = c.Run(1, [](NatState& st, s6::Context& ctx) {
    Result res;
    std::set<std::pair<uint32_t, uint16_t>> ports;
    for (uint32_t f = 0; f < kFlows; ++f) {
      auto e = st.flows.lookup(Flow(f));
      if (!e || e->packets() != kPacketsPerFlow) ++res.wrong_counts;
      if (!e) continue;
      if (!ports.insert({f % kShards, e->public_port()}).second) ++res.duplicate_ports;
      st.pools.get(f % kShards)->release(e->public_port());  // untether
      st.flows.remove(e);
    }
    ctx.SleepFor(150ms);  // past the 100 ms stale bound of in_use()
    for (uint32_t s = 0; s < kShards; ++s) res.in_use_after += st.pools.get(s)->in_use();
    return res;
  });
  std::printf(
      "check: flows with a wrong packet count %u, ports shared by two flows %u, ports "
      "still in use after release %u\n",
      r.wrong_counts, r.duplicate_ports, r.in_use_after);

  std::printf("\n%-9s %10s %10s %10s %10s %10s %10s %10s\n", "instance", "sw_local", "sw_asked",
              "xfer_in", "xfer_out", "mw_strict", "untether", "mw_served");
  for (int i = 0; i < kInstances; ++i) {
    // The object space's counters, from the instance's stats JSON ("space" group).
    const nlohmann::json space = nlohmann::json::parse(c.StatsJson(i)).at("space");
    const auto n = [&space](const char* name) {
      return static_cast<unsigned long long>(space.at(name).get<uint64_t>());
    };
    std::printf("%-9u %10llu %10llu %10llu %10llu %10llu %10llu %10llu\n", s6::ToUint(c.id(i)),
                n("sw_local_hits"), n("sw_acquires_sent"), n("sw_transfers_in"),
                n("sw_transfers_out"), n("mw_strict_sent"), n("mw_untether_sent"),
                n("mw_calls_served"));
  }
  std::printf("\ninstance %u counters (JSON): %s\n", s6::ToUint(c.id(1)), c.StatsJson(1).c_str());
  const bool ok = r.wrong_counts == 0 && r.duplicate_ports == 0 && r.in_use_after == 0;
  std::printf("\n%s\n",
              ok ? "OK: no state lost, no port shared, every packet counted once" : "FAILED");
  return ok ? 0 : 1;
}

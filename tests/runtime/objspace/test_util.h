// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the object-space tests: the maps every test instance registers, key
// placement helpers and polling with a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include <s6/hash.h>
#include <s6/map.h>
#include "keyspace/slot_table.h"
#include "test_objects.s6.h"
#include "testing/cluster.h"

namespace s6test {

/// The maps of every test instance.
struct State {
  explicit State(s6::Space& s) : flows(s, "test.flows"), tallies(s, "test.tallies") {}
  s6::SwMap<FlowKey, Flow> flows;
  s6::MwMap<uint32_t, Tally> tallies;
};

using TestCluster = s6::testing::Cluster<State>;

/// Cluster options for `n` in-process instances over inproc://.
inline s6::testing::ClusterOptions Opts(int n) {
  s6::testing::ClusterOptions o;
  o.instances = n;
  return o;
}

/// The home instance of `key` in `map` under `table`.
template <typename K>
s6::InstanceId HomeOf(const s6::keyspace::SlotTable& table, uint64_t map, const K& key) {
  const s6::ByteBuffer kb = s6::internal::EncodeKey(key);
  return table.HomeOf(s6::HashBytes(kb.data(), kb.size(), map));
}

/// The first FlowKey (by src, from `start`) homed at `home`.
inline FlowKey FlowHomedAt(TestCluster& c, s6::InstanceId home, uint32_t start = 1) {
  const auto& table = c.instance(0).object_space().slot_table();
  const uint64_t map = c.state(0).flows.id();
  for (uint32_t i = start;; ++i) {
    FlowKey k{i, 0x0a000001, 1000, 80, 6};
    if (HomeOf(table, map, k) == home) return k;
  }
}

/// The first tally key (from `start`) homed at `home`.
inline uint32_t TallyHomedAt(TestCluster& c, s6::InstanceId home, uint32_t start = 1) {
  const auto& table = c.instance(0).object_space().slot_table();
  const uint64_t map = c.state(0).tallies.id();
  for (uint32_t i = start;; ++i) {
    if (HomeOf(table, map, i) == home) return i;
  }
}

/// Polls `cond` until it holds or `timeout` passes; returns its last value.
inline bool Eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace s6test

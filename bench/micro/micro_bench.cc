// SPDX-License-Identifier: Apache-2.0
// s6-micro: the runtime's micro-benchmarks (issue "Runtime core"). Names are fixed by the issue
// so results stay comparable across versions: BM_FiberSwitch, BM_SwLocalAccess,
// BM_MwLocalCall, BM_SwRemoteAcquire, BM_MwStrictRemote, BM_ZmqPingPong, BM_MwUntetherRemote,
// BM_MwStaleHit. Those whose runtime parts have not landed yet are not registered.
#include <benchmark/benchmark.h>

#include "uthread/scheduler.h"

namespace {

using s6::uthread::Scheduler;

// One switch = scheduler -> micro-thread or micro-thread -> scheduler. A Yield is two switches.
void BM_FiberSwitch(benchmark::State& state) {
  Scheduler s({.stack_size = 64 * 1024, .max_fibers = 1});
  bool stop = false;
  uint64_t yields = 0;
  s.TrySpawn([&] {
    while (!stop) {
      ++yields;
      s.Yield();
    }
  });
  for (auto _ : state) s.RunReady();
  stop = true;
  s.RunReady();
  benchmark::DoNotOptimize(yields);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2);  // switches
  state.counters["ns_per_switch"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FiberSwitch);

// A micro-thread's whole life: spawn (pooled stack), run, finish.
void BM_FiberSpawnRun(benchmark::State& state) {
  Scheduler s({.stack_size = 64 * 1024, .max_fibers = 64});
  uint64_t runs = 0;
  for (auto _ : state) {
    s.TrySpawn([&runs] { ++runs; });
    s.RunReady();
  }
  benchmark::DoNotOptimize(runs);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FiberSpawnRun);

}  // namespace

// SPDX-License-Identifier: Apache-2.0
// The public test harness s6::testing::LocalCluster (s6/testing/cluster.h), used the way an
// outside NF author would: public headers and targets only. Instances start connected with
// distinct ids over every transport; Run() reaches state homed on other instances (SingleWriter
// objects move, MultiWriter calls are shipped); Async() carries results and exceptions; Post()
// runs fire-and-forget tasks and reports backpressure; StatsJson() is JSON with the object
// space's counters; an injected clock is the instances' clock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <set>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include <s6/clock.h>
#include <s6/map.h>
#include <s6/nf.h>
#include <s6/testing/cluster.h>
#include "test_objects.s6.h"
#include "util/poll.h"

namespace s6test {
namespace {

using s6::testing::LocalCluster;
using s6::testing::LocalClusterOptions;
using s6::testing::LocalTransport;
using namespace std::chrono_literals;

/// The maps of every instance: per-flow SingleWriter state and shared MultiWriter tallies.
struct State {
  explicit State(s6::Space& s) : flows(s, "harness.flows"), tallies(s, "harness.tallies") {}
  s6::SwMap<FlowKey, Flow> flows;
  s6::MwMap<uint32_t, Tally> tallies;
};

using Cluster = LocalCluster<State>;

LocalClusterOptions Opts(int n, LocalTransport t = LocalTransport::kInproc) {
  LocalClusterOptions o;
  o.instances = n;
  o.transport = t;
  return o;
}

/// Instance i's stats, parsed.
nlohmann::json Stats(Cluster& c, int i) { return nlohmann::json::parse(c.StatsJson(i)); }

/// Sum over all instances of the object-space counter `name`.
uint64_t SpaceTotal(Cluster& c, const char* name) {
  uint64_t sum = 0;
  for (int i = 0; i < c.size(); ++i) sum += Stats(c, i).at("space").at(name).get<uint64_t>();
  return sum;
}

class LocalClusterTransportTest : public ::testing::TestWithParam<LocalTransport> {};

TEST_P(LocalClusterTransportTest, RunsOnEveryInstanceAndReachesRemoteState) {
  Cluster c(Opts(3, GetParam()));
  ASSERT_EQ(c.size(), 3);

  // Each task runs on its own instance: the context is that instance.
  std::set<uint32_t> ids;
  for (int i = 0; i < c.size(); ++i) {
    const s6::InstanceId self = c.Run(i, [](State&, s6::Context& ctx) { return ctx.self(); });
    EXPECT_EQ(self, c.id(i));
    ids.insert(s6::ToUint(self));
  }
  EXPECT_EQ(ids.size(), 3u);

  // MultiWriter: one tally, called strictly from every instance. It has one home, so at least
  // two of the three calls were shipped to another instance.
  for (int i = 0; i < c.size(); ++i) {
    c.Run(i, [i](State& s, s6::Context&) { s.tallies.get(7)->add_strict(i + 1); });
  }
  EXPECT_EQ(c.Run(0, [](State& s, s6::Context&) { return s.tallies.get(7)->total(); }), 6);
  EXPECT_GE(SpaceTotal(c, "mw_strict_sent"), 2u);
  EXPECT_GE(SpaceTotal(c, "mw_calls_served"), 2u);

  // SingleWriter: created and held on instance 0, then used on instance 2: it moves there.
  const FlowKey k{1, 2, 3, 4, 6};
  c.Run(0, [k](State& s, s6::Context&) { s.flows.get(k)->add(5); });
  const int64_t count = c.Run(2, [k](State& s, s6::Context&) {
    auto f = s.flows.get(k);
    f->add(1);
    return f->count();
  });
  EXPECT_EQ(count, 6);
  EXPECT_EQ(Stats(c, 2).at("space").at("sw_transfers_in").get<uint64_t>(), 1u);
  EXPECT_EQ(Stats(c, 0).at("space").at("sw_transfers_out").get<uint64_t>(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Transports, LocalClusterTransportTest,
                         ::testing::Values(LocalTransport::kInproc, LocalTransport::kIpc,
                                           LocalTransport::kTcp),
                         [](const ::testing::TestParamInfo<LocalTransport>& p) -> std::string {
                           switch (p.param) {
                             case LocalTransport::kInproc:
                               return "Inproc";
                             case LocalTransport::kIpc:
                               return "Ipc";
                             case LocalTransport::kTcp:
                               return "Tcp";
                           }
                           return "Unknown";
                         });

TEST(LocalClusterTest, StatsJsonIsTheInstancesCounters) {
  Cluster c(Opts(3));
  for (int i = 0; i < c.size(); ++i) {
    const std::string text = c.StatsJson(i);
    ASSERT_TRUE(nlohmann::json::accept(text)) << text;
    const nlohmann::json j = nlohmann::json::parse(text);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.at("instance").get<uint32_t>(), s6::ToUint(c.id(i)));
    for (const char* group : {"loop", "fibers", "space", "transport"}) {
      EXPECT_TRUE(j.contains(group) && j.at(group).is_object()) << group << " in " << text;
    }
    EXPECT_TRUE(j.at("space").at("sw_local_hits").is_number_unsigned()) << text;
  }
}

TEST(LocalClusterTest, AsyncCarriesResultsAndExceptions) {
  Cluster c(Opts(3));
  std::future<uint32_t> a = c.Async(1, [](State& s, s6::Context& ctx) {
    s.tallies.get(3)->add_strict(10);
    return s6::ToUint(ctx.self());
  });
  std::future<void> b = c.Async(2, [](State& s, s6::Context&) { s.tallies.get(3)->add(1); });
  EXPECT_EQ(a.get(), s6::ToUint(c.id(1)));
  b.get();

  EXPECT_THROW(c.Run(0, [](State&, s6::Context&) -> int { throw std::logic_error("boom"); }),
               std::logic_error);
  EXPECT_GE(Stats(c, 0).at("fibers").at("aborted").get<uint64_t>(), 1u);
  // The instance goes on serving tasks; instance 2's untether call reached the tally before
  // its own strict read (read-your-writes).
  EXPECT_EQ(c.Run(2, [](State& s, s6::Context&) { return s.tallies.get(3)->add_strict(0); }), 11);
  EXPECT_THROW(c.Run(3, [](State&, s6::Context&) {}), std::out_of_range);
}

TEST(LocalClusterTest, PostRunsFireAndForgetTasks) {
  Cluster c(Opts(3));
  constexpr int kTasks = 200;
  std::atomic<int> done{0};
  for (int n = 0; n < kTasks; ++n) {
    const int target = n % c.size();
    ASSERT_TRUE(c.Post(target, [&done, n](State& s, s6::Context&) {
      s.flows.get(FlowKey{static_cast<uint32_t>(n % 10), 9, 9, 9, 17})->add(1);  // moves around
      s.tallies.get(1)->add(1);                                                  // untether
      done.fetch_add(1, std::memory_order_release);
    }));
  }
  ASSERT_TRUE(
      s6test::PollUntil([&] { return done.load(std::memory_order_acquire) == kTasks; }, 20s))
      << done.load() << " of " << kTasks << " tasks ran";
  // Each instance's untether calls precede its strict read, so after every instance made one
  // the tally saw all of them.
  for (int i = 0; i < c.size(); ++i) {
    c.Run(i, [](State& s, s6::Context&) { s.tallies.get(1)->add_strict(0); });
  }
  EXPECT_EQ(c.Run(0, [](State& s, s6::Context&) { return s.tallies.get(1)->total(); }), kTasks);
  int64_t packets = 0;
  for (uint32_t f = 0; f < 10; ++f) {
    packets += c.Run(static_cast<int>(f % 3), [f](State& s, s6::Context&) {
      return s.flows.get(FlowKey{f, 9, 9, 9, 17})->count();
    });
  }
  EXPECT_EQ(packets, kTasks);
}

TEST(LocalClusterTest, PostReportsBackpressure) {
  Cluster c(Opts(2));
  // Hold instance 0's loop thread inside a task, so its queue only fills.
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<bool> holding{false};
  ASSERT_TRUE(c.Post(0, [open, &holding](State&, s6::Context&) {
    holding.store(true, std::memory_order_release);
    open.wait();
  }));
  ASSERT_TRUE(s6test::PollUntil([&] { return holding.load(std::memory_order_acquire); }, 10s));

  std::atomic<int> ran{0};
  int accepted = 0;
  bool refused = false;
  for (int n = 0; n < (1 << 20) && !refused; ++n) {
    if (c.Post(0, [&ran](State&, s6::Context&) { ran.fetch_add(1, std::memory_order_relaxed); })) {
      ++accepted;
    } else {
      refused = true;
    }
  }
  EXPECT_TRUE(refused) << accepted << " tasks accepted without backpressure";
  // Async() under backpressure: the future holds the error instead of the task running.
  std::future<int> late = c.Async(0, [](State&, s6::Context&) { return 1; });
  EXPECT_THROW(late.get(), std::runtime_error);
  gate.set_value();
  ASSERT_TRUE(s6test::PollUntil([&] { return ran.load() == accepted; }, 30s))
      << ran.load() << " of " << accepted;
  EXPECT_GE(Stats(c, 0).at("loop").at("tasks_refused").get<uint64_t>(), 2u);
  EXPECT_TRUE(c.Post(0, [](State&, s6::Context&) {}));  // accepted again once drained
}

TEST(LocalClusterTest, InjectedClockIsTheInstancesClock) {
  s6::ManualClock clock(5'000'000'000);
  LocalClusterOptions o = Opts(2);
  o.clock = &clock;
  Cluster c(o);
  EXPECT_EQ(c.Run(1, [](State&, s6::Context& ctx) { return ctx.NowNs(); }), 5'000'000'000u);
  clock.Advance(3s);
  EXPECT_EQ(c.Run(0, [](State&, s6::Context& ctx) { return ctx.NowNs(); }), 8'000'000'000u);
}

}  // namespace
}  // namespace s6test

// SPDX-License-Identifier: Apache-2.0
// MultiWriter objects against DESIGN §4 on real instances: local homes run calls directly;
// strict calls are linearizable; untether calls run exactly once, FIFO per caller, are visible
// to the caller's next strict call and leave without waiting for more traffic; stale calls
// respect their age bound on a manual clock, fill once and refresh single-flight; existence
// operations report truthfully; schema mismatches are refused at the handshake; an unreachable
// home fails the micro-thread instead of inventing a result.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <numeric>
#include <vector>

#include "test_util.h"

namespace s6test {
namespace {

using s6::Instance;
using namespace std::chrono_literals;

TEST(MwTest, LocalHomeRunsCallsDirectly) {
  TestCluster c(Opts(1));
  c.Run(0, [](State& s, Instance& inst) {
    auto t = s.tallies.get(5);
    EXPECT_EQ(t->add_strict(5), 5);
    t->add(2);  // untether at a local home: runs at once
    EXPECT_EQ(t->total(), 7);
    EXPECT_EQ(t->total_stale(), 7);
    EXPECT_EQ(t->echo("hi"), "hi");
    const auto st = inst.object_space().stats();
    EXPECT_EQ(st.mw_local_calls, 5u);
    EXPECT_EQ(st.messages_sent, 0u);
    EXPECT_EQ(st.mw_homed, 1u);
  });
}

// Strict increments from 3 instances x 8 micro-threads: every returned running total is
// distinct and together they are exactly 1..N, which only a linearizable counter produces.
TEST(MwTest, StrictCallsAreLinearizable) {
  TestCluster c(Opts(3));
  const uint32_t key = TallyHomedAt(c, c.id(0));
  constexpr int kPerFiber = 25;
  std::vector<std::future<std::vector<int64_t>>> parts;
  for (int i = 0; i < 3; ++i) {
    for (int f = 0; f < 8; ++f) {
      parts.push_back(c.Async(i, [key](State& s, Instance&) {
        std::vector<int64_t> seen;
        auto t = s.tallies.get(key);
        for (int n = 0; n < kPerFiber; ++n) seen.push_back(t->add_strict(1));
        EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));  // each caller's view advances
        return seen;
      }));
    }
  }
  std::vector<int64_t> all;
  for (auto& p : parts) {
    auto v = p.get();
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(all.size());
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(all, expected);
}

// Two callers each send 3000 numbered untether calls to one home, then one strict read:
// every call ran exactly once, in each caller's order, and the strict read saw all of them.
TEST(MwTest, UntetherExactlyOnceFifoAndReadYourWrites) {
  TestCluster c(Opts(3));
  const uint32_t key = TallyHomedAt(c, c.id(0));
  constexpr uint64_t kCalls = 3000;
  std::vector<std::future<uint64_t>> callers;
  for (int i = 1; i <= 2; ++i) {
    callers.push_back(c.Async(i, [key](State& s, Instance& inst) {
      const uint32_t me = s6::ToUint(inst.id());
      auto t = s.tallies.get(key);
      for (uint64_t seq = 1; seq <= kCalls; ++seq) {
        t->record(me, seq);
        if (seq % 500 == 0) inst.SleepFor(0ns);  // spread over several loop iterations
      }
      return t->last(me);  // strict: must observe every earlier untether from this instance
    }));
  }
  for (auto& f : callers) EXPECT_EQ(f.get(), kCalls);
  c.Run(0, [key](State& s, Instance&) {
    auto t = s.tallies.get(key);
    EXPECT_EQ(t->records(), 2 * kCalls);
    EXPECT_EQ(t->out_of_order(), 0u);
  });
  const std::string json = c.StatsJson(1);
  const auto st = c.Run(1, [](State&, Instance& i) { return i.object_space().stats(); });
  EXPECT_EQ(st.mw_untether_sent, kCalls);
  const auto ts = c.Run(1, [](State&, Instance& i) { return i.transport()->stats(); });
  EXPECT_LT(ts.batches_sent * 20, ts.messages_sent) << "untether calls must be batched: " << json;
}

// A single untether call with no traffic after it still reaches the home promptly (the
// original S6 held it until the next append, possibly forever).
TEST(MwTest, LoneUntetherCallLeavesWithoutMoreTraffic) {
  TestCluster c(Opts(2));
  const uint32_t key = TallyHomedAt(c, c.id(0));
  c.Run(1, [key](State& s, Instance&) { s.tallies.get(key)->add(7); });
  EXPECT_TRUE(Eventually(
      [&] {
        return c.Run(0, [key](State& s, Instance&) { return s.tallies.get(key)->total(); }) == 7;
      },
      2s));
}

TEST(MwTest, StaleReadsRespectTheirAgeBound) {
  s6::ManualClock clock;
  s6::testing::ClusterOptions o = Opts(2);
  o.clock = &clock;
  TestCluster c(o);
  const uint32_t key = TallyHomedAt(c, c.id(0));
  auto stale = [&] {
    return c.Run(1, [key](State& s, Instance&) { return s.tallies.get(key)->total_stale(); });
  };
  auto stats1 = [&] {
    return c.Run(1, [](State&, Instance& i) { return i.object_space().stats(); });
  };
  EXPECT_EQ(stale(), 0);  // first call fills the cache
  EXPECT_EQ(stats1().mw_stale_misses, 1u);
  c.Run(0, [key](State& s, Instance&) { s.tallies.get(key)->add_strict(10); });
  EXPECT_EQ(stale(), 0);  // cached, age 0
  clock.Advance(40ms);
  EXPECT_EQ(stale(), 0);  // age 40 ms <= 100 ms, no refresh before half the bound
  EXPECT_EQ(stats1().mw_stale_refreshes, 1u);
  clock.Advance(20ms);
  EXPECT_EQ(stale(), 0);  // age 60 ms: still served, and one refresh starts in the background
  EXPECT_TRUE(Eventually([&] { return stale() == 10; }));
  EXPECT_EQ(stats1().mw_stale_refreshes, 2u);
  EXPECT_EQ(stats1().mw_stale_misses, 1u);
  // Past the bound nothing cached may be returned: the call waits for a fresh answer.
  c.Run(0, [key](State& s, Instance&) { s.tallies.get(key)->add_strict(5); });
  clock.Advance(101ms);
  EXPECT_EQ(stale(), 15);
  EXPECT_EQ(stats1().mw_stale_misses, 2u);
}

TEST(MwTest, StaleDefaultBoundComesFromOptions) {
  s6::ManualClock clock;
  s6::testing::ClusterOptions o = Opts(2);
  o.clock = &clock;
  o.space.default_stale_ms = 20;
  TestCluster c(o);
  const uint32_t key = TallyHomedAt(c, c.id(0));
  auto read = [&] {
    return c.Run(1,
                 [key](State& s, Instance&) { return s.tallies.get(key)->total_stale_default(); });
  };
  EXPECT_EQ(read(), 0);
  c.Run(0, [key](State& s, Instance&) { s.tallies.get(key)->add_strict(3); });
  clock.Advance(21ms);
  EXPECT_EQ(read(), 3);
}

TEST(MwTest, StaleMissesAreSingleFlight) {
  TestCluster c(Opts(2));
  const uint32_t key = TallyHomedAt(c, c.id(0));
  c.Run(0, [key](State& s, Instance&) { s.tallies.get(key)->add_strict(42); });
  std::vector<std::future<int64_t>> reads;
  for (int f = 0; f < 40; ++f) {
    reads.push_back(
        c.Async(1, [key](State& s, Instance&) { return s.tallies.get(key)->total_stale(); }));
  }
  for (auto& r : reads) EXPECT_EQ(r.get(), 42);
  const auto st = c.Run(1, [](State&, Instance& i) { return i.object_space().stats(); });
  EXPECT_EQ(st.mw_stale_refreshes, 1u);
  EXPECT_EQ(st.mw_stale_misses + st.mw_stale_hits, 40u);
}

TEST(MwTest, ExistenceOperationsAreTruthful) {
  TestCluster c(Opts(2));
  const uint32_t key = TallyHomedAt(c, c.id(0));
  c.Run(1, [key](State& s, Instance&) {
    EXPECT_FALSE(s.tallies.lookup(key));
    EXPECT_FALSE(s.tallies.remove(key));
    auto a = s.tallies.get_or_create(key);
    EXPECT_TRUE(a.created());
    auto b = s.tallies.get_or_create(key);
    EXPECT_FALSE(b.created());
    EXPECT_TRUE(s.tallies.lookup(key));
    EXPECT_EQ(a->add_strict(4), 4);
    EXPECT_TRUE(s.tallies.remove(key));
    EXPECT_FALSE(s.tallies.lookup(key));
    EXPECT_EQ(b->total(), 0);  // a call re-creates it at the home, fresh
  });
}

TEST(MwTest, IterationCoversLocallyHomedObjectsOnly) {
  TestCluster c(Opts(2));
  std::vector<uint32_t> keys;
  for (uint32_t k = 1; k <= 40; ++k) keys.push_back(k);
  c.Run(1, [&keys](State& s, Instance&) {
    for (uint32_t k : keys) s.tallies.get(k)->add_strict(k);
  });
  std::vector<uint32_t> seen;
  int64_t sum = 0;
  for (int i = 0; i < 2; ++i) {
    c.Run(i, [&](State& s, Instance& inst) {
      const auto& table = inst.object_space().slot_table();
      s.tallies.for_each_local([&](const uint32_t& k, Tally& t) {
        EXPECT_EQ(HomeOf(table, s.tallies.id(), k), inst.id());
        seen.push_back(k);
        sum += t.total();
      });
    });
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, keys);
  EXPECT_EQ(sum, 40 * 41 / 2);
}

TEST(MwTest, UnreachableHomeAbandonsStrictCalls) {
  s6::testing::ClusterOptions o = Opts(2);
  o.space.call_timeout = 200ms;
  TestCluster c(o);
  const uint32_t key = TallyHomedAt(c, c.id(1));
  c.Run(0, [&c](State&, Instance& inst) { inst.transport()->RemovePeer(c.id(1)); });
  auto strict = c.Async(0, [key](State& s, Instance&) { return s.tallies.get(key)->total(); });
  EXPECT_THROW(strict.get(), s6::CallAbandoned);
  auto touch =
      c.Async(0, [key](State& s, Instance&) { return s.tallies.get_or_create(key).created(); });
  EXPECT_THROW(touch.get(), s6::CallAbandoned);
  const auto st = c.Run(0, [](State&, Instance& i) { return i.object_space().stats(); });
  EXPECT_EQ(st.call_timeouts, 2u);
  EXPECT_EQ(st.pending, 0u);
}

// MwRef copies and moves rebind their stubs: every copy, moved-to ref and relocated ref
// (vector growth) still calls the same object, and a moved-from ref is empty.
TEST(MwTest, RefCopyMoveAndRelocationKeepTheirBinding) {
  TestCluster c(Opts(2));
  const uint32_t key = TallyHomedAt(c, c.id(1));
  c.Run(0, [key](State& s, Instance&) {
    using Ref = s6::MwRef<Tally>;
    Ref a = s.tallies.get(key);
    Ref b = a;
    Ref moved(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(moved->add_strict(1), 1);
    EXPECT_EQ(b->add_strict(1), 2);
    a = b;
    EXPECT_EQ(a->total(), 2);
    std::vector<Ref> refs;
    for (int i = 0; i < 33; ++i) refs.push_back(i % 2 == 0 ? a : s.tallies.get(key));
    for (Ref& r : refs) r->add(1);  // untether through relocated refs
    Ref last;
    last = std::move(refs.back());
    EXPECT_EQ(last->total(), 2 + 33);
    a = s6::MwRef<Tally>();
    EXPECT_FALSE(a);
  });
}

// Instances whose maps differ (here: one more map) have different schema hashes and must not
// exchange state: the handshake refuses them on both sides.
struct OtherState {
  explicit OtherState(s6::Space& s)
      : flows(s, "test.flows"), tallies(s, "test.tallies"), extra(s, "test.extra") {}
  s6::SwMap<FlowKey, Flow> flows;
  s6::MwMap<uint32_t, Tally> tallies;
  s6::MwMap<uint32_t, Tally> extra;
};

TEST(MwTest, SchemaMismatchIsRefused) {
  zmq::context_t ctx;
  auto make = [&ctx](uint32_t id) {
    Instance::Options io;
    io.id = static_cast<s6::InstanceId>(id);
    io.endpoint = "inproc://s6-schema-" + std::to_string(id);
    io.zmq_context = &ctx;
    return std::make_unique<Instance>(io);
  };
  auto a = make(1);
  auto b = make(2);
  State sa(a->space());
  OtherState sb(b->space());
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(b->Start().ok());
  EXPECT_NE(a->object_space().SchemaHash(), b->object_space().SchemaHash());
  ASSERT_TRUE(a->AddPeer(b->id(), b->endpoint()).ok());
  ASSERT_TRUE(b->AddPeer(a->id(), a->endpoint()).ok());
  for (int i = 0; i < 200; ++i) {
    a->RunOnce(0);
    b->RunOnce(0);
    if (a->transport()->GetPeerState(b->id()) == s6::transport::PeerState::kRefused &&
        b->transport()->GetPeerState(a->id()) == s6::transport::PeerState::kRefused) {
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(a->transport()->GetPeerState(b->id()), s6::transport::PeerState::kRefused);
  EXPECT_EQ(b->transport()->GetPeerState(a->id()), s6::transport::PeerState::kRefused);

  // Same maps, same hash, regardless of declaration order.
  auto d = make(4);
  struct Reordered {
    explicit Reordered(s6::Space& s) : tallies(s, "test.tallies"), flows(s, "test.flows") {}
    s6::MwMap<uint32_t, Tally> tallies;
    s6::SwMap<FlowKey, Flow> flows;
  } sd(d->space());
  EXPECT_EQ(a->object_space().SchemaHash(), d->object_space().SchemaHash());
}

}  // namespace
}  // namespace s6test

// SPDX-License-Identifier: Apache-2.0
// SingleWriter objects against DESIGN §4, on real instances (in-process cluster, real ZeroMQ):
// exclusivity under contention from 3 instances, coalescing, per-object arrival order,
// truthful get_or_create, remote lookup, remove/recreate races, idle expiry on a manual clock,
// ref copy/move/assign never leaking a hold, and a clean failure when the home is unreachable.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include "test_util.h"

namespace s6test {
namespace {

using s6::Instance;
using namespace std::chrono_literals;

TEST(SwTest, CreateHoldAndLocalHits) {
  TestCluster c(Opts(1));
  c.Run(0, [](State& s, Instance& inst) {
    const FlowKey k{1, 2, 3, 4, 6};
    auto a = s.flows.get_or_create(k);
    EXPECT_TRUE(a.created());
    a->add(5);
    auto b = s.flows.get_or_create(k);
    EXPECT_FALSE(b.created());
    EXPECT_EQ(b.get(), a.get());  // the same local copy
    EXPECT_EQ(b->count(), 5);
    EXPECT_GE(inst.object_space().stats().sw_local_hits, 1u);
    EXPECT_EQ(inst.object_space().stats().messages_sent, 0u);
  });
}

// Three instances increment the same few objects from many micro-threads at once, suspending
// while they hold a ref. If two instances ever held a copy at the same time, increments made on
// one copy would be lost and the totals would come out short.
TEST(SwTest, ExclusiveAcrossThreeInstancesUnderContention) {
  TestCluster c(Opts(3));
  constexpr int kKeys = 5;
  constexpr int kFibersPerInstance = 8;
  constexpr int kItersPerFiber = 40;
  std::vector<std::future<void>> done;
  for (int i = 0; i < 3; ++i) {
    for (int f = 0; f < kFibersPerInstance; ++f) {
      done.push_back(c.Async(i, [i, f](State& s, Instance& inst) {
        for (int n = 0; n < kItersPerFiber; ++n) {
          const FlowKey k{static_cast<uint32_t>((i * 7 + f * 3 + n) % kKeys), 9, 9, 9, 17};
          auto ref = s.flows.get(k);
          const int64_t before = ref->count();
          ref->set_owner(static_cast<uint32_t>(i));
          if (n % 4 == 0) inst.SleepFor(0ns);  // suspend while holding: the object can't leave
          ref->add(1);
          EXPECT_GE(ref->count(), before + 1);
        }
      }));
    }
  }
  for (auto& f : done) f.get();

  // Inventory: every key is held by exactly one instance, and the counts add up exactly.
  std::multiset<uint32_t> holders;
  int64_t total = 0;
  for (int i = 0; i < 3; ++i) {
    c.Run(i, [&](State& s, Instance&) {
      s.flows.for_each_local([&](const FlowKey& k, Flow& f) {
        holders.insert(k.src);
        total += f.count();
      });
    });
  }
  EXPECT_EQ(holders.size(), static_cast<std::size_t>(kKeys));
  for (uint32_t k = 0; k < kKeys; ++k) EXPECT_EQ(holders.count(k), 1u) << "key " << k;
  EXPECT_EQ(total, int64_t{3} * kFibersPerInstance * kItersPerFiber);
  int64_t fetched = 0;
  for (uint32_t k = 0; k < kKeys; ++k) {
    fetched += c.Run(1, [k](State& s, Instance&) {
      return s.flows.get({k, 9, 9, 9, 17})->count();
    });
  }
  EXPECT_EQ(fetched, int64_t{3} * kFibersPerInstance * kItersPerFiber);
}

// Fifty packets for one object that is elsewhere: one request leaves, the others join it, and
// they get the object in the order they arrived.
TEST(SwTest, ConcurrentRequestsCoalesceAndKeepArrivalOrder) {
  TestCluster c(Opts(2));
  const FlowKey k = FlowHomedAt(c, c.id(0));
  c.Run(0, [k](State& s, Instance&) { s.flows.get(k)->append(0); });
  std::vector<std::future<void>> done;
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    done.push_back(c.Async(1, [k, seq](State& s, Instance&) { s.flows.get(k)->append(seq); }));
  }
  for (auto& f : done) f.get();
  const auto seqs = c.Run(1, [k](State& s, Instance&) { return s.flows.get(k)->seqs(); });
  ASSERT_EQ(seqs.size(), 51u);
  for (uint64_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i);
  const auto st = c.Run(1, [](State&, Instance& inst) { return inst.object_space().stats(); });
  EXPECT_EQ(st.sw_acquires_sent, 1u);
  EXPECT_EQ(st.sw_coalesced + st.sw_local_hits, 49u + 1u);  // +1: the final read
  EXPECT_GE(st.sw_coalesced, 1u);
}

// The object follows its users back and forth; its content travels with it.
TEST(SwTest, PingPongPreservesContentAndOrder) {
  TestCluster c(Opts(3));
  const FlowKey k = FlowHomedAt(c, c.id(2));
  for (uint64_t r = 0; r < 30; ++r) {
    c.Run(static_cast<int>(r % 2), [k, r](State& s, Instance&) { s.flows.get(k)->append(r); });
  }
  const auto seqs = c.Run(2, [k](State& s, Instance&) { return s.flows.get(k)->seqs(); });
  ASSERT_EQ(seqs.size(), 30u);
  for (uint64_t i = 0; i < 30; ++i) EXPECT_EQ(seqs[i], i);
  const auto st0 = c.Run(0, [](State&, Instance& inst) { return inst.object_space().stats(); });
  EXPECT_GE(st0.sw_transfers_in, 14u);
  EXPECT_GE(st0.sw_transfers_out, 15u);
}

TEST(SwTest, GetOrCreateReportsCreatedExactlyOnce) {
  TestCluster c(Opts(3));
  const FlowKey k{77, 1, 2, 3, 6};
  std::vector<std::future<bool>> results;
  for (int i = 0; i < 3; ++i) {
    for (int f = 0; f < 10; ++f) {
      results.push_back(c.Async(i, [k](State& s, Instance&) {
        auto ref = s.flows.get_or_create(k);
        ref->add(1);
        return ref.created();
      }));
    }
  }
  int created = 0;
  for (auto& r : results) created += r.get() ? 1 : 0;
  EXPECT_EQ(created, 1);
  EXPECT_EQ(c.Run(0, [k](State& s, Instance&) { return s.flows.get(k)->count(); }), 30);
}

TEST(SwTest, RemoteLookupFindsOrReportsAbsent) {
  TestCluster c(Opts(2));
  const FlowKey k = FlowHomedAt(c, c.id(0));
  EXPECT_FALSE(c.Run(1, [k](State& s, Instance&) { return static_cast<bool>(s.flows.lookup(k)); }));
  EXPECT_FALSE(c.Run(0, [k](State& s, Instance&) { return static_cast<bool>(s.flows.lookup(k)); }));
  c.Run(0, [k](State& s, Instance&) { s.flows.get(k)->add(5); });
  EXPECT_EQ(c.Run(1, [k](State& s, Instance&) { return s.flows.lookup(k)->count(); }), 5);
  EXPECT_EQ(c.Run(0, [k](State& s, Instance&) { return s.flows.lookup(k)->count(); }), 5);
  // A key homed at the instance that looks it up while another holds it.
  const FlowKey k1 = FlowHomedAt(c, c.id(1));
  c.Run(0, [k1](State& s, Instance&) { s.flows.get(k1)->add(2); });
  EXPECT_EQ(c.Run(1, [k1](State& s, Instance&) { return s.flows.lookup(k1)->count(); }), 2);
}

TEST(SwTest, RemoveThenRecreateEverywhere) {
  TestCluster c(Opts(3));
  const FlowKey k = FlowHomedAt(c, c.id(2));
  c.Run(0, [k](State& s, Instance&) {
    auto r = s.flows.get(k);
    r->add(7);
    s.flows.remove(r);
    EXPECT_FALSE(r);
  });
  EXPECT_FALSE(c.Run(1, [k](State& s, Instance&) { return static_cast<bool>(s.flows.lookup(k)); }));
  const auto [created, count] = c.Run(1, [k](State& s, Instance&) {
    auto r = s.flows.get_or_create(k);
    return std::pair<bool, int64_t>(r.created(), r->count());
  });
  EXPECT_TRUE(created);
  EXPECT_EQ(count, 0);
  EXPECT_TRUE(c.Run(2, [k](State& s, Instance&) { return s.flows.remove(k); }));
  EXPECT_FALSE(c.Run(0, [k](State& s, Instance&) { return s.flows.remove(k); }));
}

// Instance 0 holds the object in a suspended micro-thread; instance 1's request has to wait
// for it; instance 0 then removes it. Instance 1 must get a fresh object, never the removed one,
// and the directory must agree afterwards.
TEST(SwTest, RemoveWhileARecallWaits) {
  TestCluster c(Opts(3));
  const FlowKey k = FlowHomedAt(c, c.id(2));
  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  auto holder = c.Async(0, [&, k](State& s, Instance& inst) {
    auto r = s.flows.get(k);
    r->add(9);
    holding = true;
    while (!release) inst.SleepFor(1ms);
    s.flows.remove(r);
  });
  ASSERT_TRUE(Eventually([&] { return holding.load(); }));
  auto requester = c.Async(1, [k](State& s, Instance&) {
    auto r = s.flows.get_or_create(k);
    return std::pair<bool, int64_t>(r.created(), r->count());
  });
  ASSERT_TRUE(Eventually([&] {
    return c.Run(0, [](State&, Instance& i) { return i.object_space().stats().sw_recalls; }) == 1;
  }));
  EXPECT_EQ(requester.wait_for(20ms), std::future_status::timeout);  // still waiting
  release = true;
  holder.get();
  const auto [created, count] = requester.get();
  EXPECT_TRUE(created);
  EXPECT_EQ(count, 0);
  EXPECT_EQ(c.Run(2, [k](State& s, Instance&) { return s.flows.lookup(k)->count(); }), 0);
}

// A ref held across a suspension delays a recall until it is released, and the recall then
// carries the update made under the ref.
TEST(SwTest, RecallWaitsForLocalRefs) {
  TestCluster c(Opts(2));
  const FlowKey k = FlowHomedAt(c, c.id(0));
  std::atomic<bool> holding{false};
  auto holder = c.Async(0, [&, k](State& s, Instance& inst) {
    auto r = s.flows.get(k);
    holding = true;
    inst.SleepFor(30ms);
    r->add(100);
  });
  ASSERT_TRUE(Eventually([&] { return holding.load(); }));
  EXPECT_EQ(c.Run(1, [k](State& s, Instance&) { return s.flows.get(k)->count(); }), 100);
  holder.get();
}

TEST(SwTest, RefCopyMoveAndAssignNeverLeakAHold) {
  s6::testing::ClusterOptions o = Opts(2);
  o.space.call_timeout = 1s;  // a leaked hold would make the final acquisitions time out
  TestCluster c(o);
  const FlowKey k1 = FlowHomedAt(c, c.id(1), 1);
  const FlowKey k2 = FlowHomedAt(c, c.id(1), k1.src + 1);
  c.Run(0, [k1, k2](State& s, Instance&) {
    using Ref = s6::SwRef<Flow>;
    Ref a = s.flows.get(k1);
    Ref b = a;                // copy: two holds
    Ref moved(std::move(a));  // move: still two
    EXPECT_FALSE(a);          // NOLINT(bugprone-use-after-move): moved-from is empty
    b = s.flows.get(k2);      // assign: releases k1's hold, takes k2
    moved = b;                // copy-assign over the last k1 hold
    {
      Ref d = moved;
      d = d;  // self-assignment keeps exactly one hold
      Ref e;
      e = std::move(d);
      e = std::move(e);
    }
    b->add(1);
    moved.reset();
    b = Ref();
  });
  EXPECT_EQ(c.Run(1, [k1](State& s, Instance&) { return s.flows.get(k1)->count(); }), 0);
  EXPECT_EQ(c.Run(1, [k2](State& s, Instance&) { return s.flows.get(k2)->count(); }), 1);
  EXPECT_EQ(c.Run(0, [](State&, Instance& i) { return i.object_space().stats().sw_held; }), 0u);
}

TEST(SwTest, IdleExpiryRunsHandlerMovesWithObjectAndClearsDirectory) {
  s6::ManualClock clock;
  s6::testing::ClusterOptions o = Opts(2);
  o.clock = &clock;
  TestCluster c(o);
  std::atomic<int> expired_on[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    c.Run(i, [&expired_on, i](State& s, Instance&) {
      s.flows.set_expiry(0ns, [&expired_on, i](const FlowKey&, Flow& f) {
        EXPECT_EQ(f.count(), 3);
        ++expired_on[i];
      });
    });
  }
  const FlowKey k = FlowHomedAt(c, c.id(0));
  c.Run(0, [k](State& s, Instance&) {
    auto r = s.flows.get(k);
    r->add(3);
    r.set_idle_timeout(100ms);
  });
  clock.Advance(60ms);
  // Moves to instance 1 with 60 ms of idle time on it; the timeout travels along.
  EXPECT_EQ(c.Run(1, [k](State& s, Instance&) { return s.flows.get(k)->count(); }), 3);
  clock.Advance(60ms);  // 60 ms since the last use at instance 1: not yet
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(expired_on[1].load(), 0);
  clock.Advance(50ms);
  ASSERT_TRUE(Eventually([&] { return expired_on[1].load() == 1; }));
  EXPECT_EQ(expired_on[0].load(), 0);
  EXPECT_FALSE(c.Run(0, [k](State& s, Instance&) { return static_cast<bool>(s.flows.lookup(k)); }));
  const auto st = c.Run(1, [](State&, Instance& i) { return i.object_space().stats(); });
  EXPECT_EQ(st.sw_expired, 1u);
  EXPECT_EQ(st.sw_held, 0u);
}

TEST(SwTest, MapDefaultIdleTimeoutWithoutHandler) {
  s6::ManualClock clock;
  s6::testing::ClusterOptions o = Opts(1);
  o.clock = &clock;
  TestCluster c(o);
  c.Run(0, [](State& s, Instance&) {
    s.flows.set_expiry(30s);
    for (uint32_t i = 0; i < 10; ++i) s.flows.get({i, 0, 0, 0, 6})->add(1);
  });
  clock.Advance(29s);
  c.Run(0, [](State& s, Instance&) { s.flows.get({0, 0, 0, 0, 6})->add(1); });  // keeps key 0
  clock.Advance(2s);
  ASSERT_TRUE(Eventually([&] {
    return c.Run(0, [](State&, Instance& i) { return i.object_space().stats().sw_expired; }) == 9;
  }));
  EXPECT_EQ(c.Run(0,
                  [](State& s, Instance&) {
                    return s.flows.lookup({0, 0, 0, 0, 6})->count();
                  }),
            2);
}

// Randomised mix of get/add, lookup/add, remove and held-across-suspension accesses from
// 3 instances x 6 micro-threads on 12 keys. Every add lands in exactly one incarnation of its
// object; each incarnation is either removed (its final count recorded by the remover),
// expired (recorded by the expiry handler) or survives to the end. So per key: adds made ==
// recorded counts + surviving count. A duplicated object loses adds, a removed object that
// lived on counts twice: both break it.
void RunConservationStress(uint32_t seed, bool with_expiry) {
  TestCluster c(Opts(3));
  constexpr uint32_t kStressKeys = 12;
  struct Tally {
    std::mutex mu;
    std::vector<int64_t> adds = std::vector<int64_t>(kStressKeys, 0);
    std::vector<int64_t> ended = std::vector<int64_t>(kStressKeys, 0);
  } tally;
  if (with_expiry) {
    for (int i = 0; i < 3; ++i) {
      c.Run(i, [&tally](State& s, Instance&) {
        s.flows.set_expiry(1ms, [&tally](const FlowKey& k, Flow& f) {
          std::lock_guard<std::mutex> l(tally.mu);
          tally.ended[k.src] += f.count();
        });
      });
    }
  }
  std::vector<std::future<void>> done;
  for (int i = 0; i < 3; ++i) {
    for (int f = 0; f < 6; ++f) {
      done.push_back(c.Async(i, [&tally, i, f, seed](State& s, Instance& inst) {
        std::mt19937 rng(seed * 1000 + static_cast<uint32_t>(i * 100 + f));
        for (int n = 0; n < 150; ++n) {
          const uint32_t k = rng() % kStressKeys;
          const FlowKey key{k, 1, 2, 3, 6};
          const uint32_t op = rng() % 10;
          if (op < 6) {  // get and add, sometimes suspending while holding
            auto r = s.flows.get(key);
            if (op == 0) inst.SleepFor(n % 2 == 0 ? 0ns : 1ms);
            if (r.removed()) continue;  // another local micro-thread removed it meanwhile
            r->add(1);
            std::lock_guard<std::mutex> l(tally.mu);
            ++tally.adds[k];
          } else if (op < 8) {  // lookup and add if present
            auto r = s.flows.lookup(key);
            if (!r) continue;
            r->add(1);
            std::lock_guard<std::mutex> l(tally.mu);
            ++tally.adds[k];
          } else {  // remove, recording what the incarnation had
            auto r = s.flows.lookup(key);
            if (!r) continue;
            const int64_t final_count = r->count();
            if (!s.flows.remove(r)) continue;
            std::lock_guard<std::mutex> l(tally.mu);
            tally.ended[k] += final_count;
          }
        }
      }));
    }
  }
  for (auto& d : done) d.get();
  if (with_expiry) {  // let everything expire, then nothing survives
    ASSERT_TRUE(Eventually([&] {
      uint64_t held = 0;
      for (int i = 0; i < 3; ++i) {
        held +=
            c.Run(i, [](State&, Instance& inst) { return inst.object_space().stats().sw_held; });
      }
      return held == 0;
    }));
  }
  uint64_t expired = 0;
  for (uint32_t k = 0; k < kStressKeys; ++k) {
    const int64_t surviving = c.Run(k % 3, [k](State& s, Instance&) {
      auto r = s.flows.lookup({k, 1, 2, 3, 6});
      return r ? r->count() : int64_t{0};
    });
    std::lock_guard<std::mutex> l(tally.mu);
    EXPECT_EQ(tally.adds[k], tally.ended[k] + surviving) << "key " << k << " seed " << seed;
  }
  for (int i = 0; i < 3; ++i) {
    const auto st = c.Run(i, [](State&, Instance& inst) { return inst.object_space().stats(); });
    EXPECT_EQ(st.sw_acquire_timeouts, 0u);
    EXPECT_EQ(st.malformed, 0u);
    expired += st.sw_expired;
  }
  if (with_expiry) {
    EXPECT_GT(expired, 0u);
  } else {
    EXPECT_EQ(expired, 0u);
  }
}

TEST(SwTest, RandomisedGetLookupRemoveConservesEveryAdd) {
  for (uint32_t seed = 1; seed <= 3; ++seed) RunConservationStress(seed, false);
}

TEST(SwTest, RandomisedWithIdleExpiryConservesEveryAdd) {
  for (uint32_t seed = 1; seed <= 3; ++seed) RunConservationStress(seed, true);
}

TEST(SwTest, UnreachableHomeFailsTheMicroThreadCleanly) {
  s6::testing::ClusterOptions o = Opts(2);
  o.space.call_timeout = 200ms;
  TestCluster c(o);
  const FlowKey k = FlowHomedAt(c, c.id(1));
  c.Run(0, [&c](State&, Instance& inst) { inst.transport()->RemovePeer(c.id(1)); });
  auto f = c.Async(0, [k](State& s, Instance&) { s.flows.get(k)->add(1); });
  EXPECT_THROW(f.get(), s6::CallAbandoned);
  const auto st = c.Run(0, [](State&, Instance& i) { return i.object_space().stats(); });
  EXPECT_EQ(st.sw_acquire_timeouts, 1u);
  EXPECT_EQ(st.abandoned, 1u);
  // The instance keeps working for keys it can reach.
  EXPECT_EQ(
      c.Run(0, [&c](State& s, Instance&) { return s.flows.get(FlowHomedAt(c, c.id(0)))->count(); }),
      0);
}

}  // namespace
}  // namespace s6test

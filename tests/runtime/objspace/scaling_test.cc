// SPDX-License-Identifier: Apache-2.0
// Scaling (DESIGN §6): slot tables switched under traffic on real in-process instances, driven
// by the same driver s6ctl uses (control/scale_driver.h). What must hold: every SingleWriter
// update and every untether call is applied exactly once across 1 -> 2 -> 3 -> 2 -> 1; no object
// is duplicated or lost; MultiWriter objects move with their slot (never reset); messages that
// reach an old home after the hand-over are forwarded; removal during migration; a dead
// instance makes the event fail with a report instead of hanging.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <s6/hash.h>
#include "objspace/wire.h"
#include "test_util.h"
#include "util/poll.h"

namespace s6test {
namespace {

// A counter of an instance's stats JSON by JSON pointer ("/space/abandoned"); -1 if absent.
int64_t StatAt(const std::string& stats_json, const char* pointer) {
  const nlohmann::json j = nlohmann::json::parse(stats_json, nullptr, false);
  const nlohmann::json::json_pointer p(pointer);
  if (j.is_discarded() || !j.contains(p) || !j.at(p).is_number_integer()) return -1;
  return j.at(p).get<int64_t>();
}

using s6::Instance;
using s6::InstanceId;
using s6::control::ScaleOptions;
using s6::objspace::MigrationMode;

FlowKey KeyOf(uint32_t f) { return FlowKey{f + 1, 0x0a000001, static_cast<uint16_t>(f), 80, 6}; }

/// Plays the load balancer and the packets: each "packet" of flow f runs on the instance that
/// rendezvous hashing over the current members picks, adds 1 to the flow (SingleWriter) and 1
/// to a shared tally (S6_UNTETHER). Members change at each switch (the driver's on_switched).
class Traffic {
 public:
  Traffic(TestCluster& c, uint32_t flows, uint32_t tallies)
      : c_(c), flows_(flows), tallies_(tallies), sent_(flows, 0) {}

  void SetMembers(std::vector<int> members) {
    std::lock_guard<std::mutex> lock(mu_);
    members_ = std::move(members);
  }
  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  /// Stops sending and waits for every packet to be processed; returns the first failure.
  std::string Stop() {
    stop_.store(true);
    thread_.join();
    std::string error;
    for (auto& f : pending_) {
      try {
        f.get();
      } catch (const std::exception& e) {
        if (error.empty()) error = e.what();
      }
    }
    pending_.clear();
    return error;
  }
  uint64_t sent(uint32_t f) const { return sent_[f]; }
  uint64_t total() const { return total_; }
  uint64_t removed() const { return removed_; }

 private:
  int Pick(uint32_t f) {
    std::lock_guard<std::mutex> lock(mu_);
    int best = members_.front();
    uint64_t best_h = 0;
    for (int m : members_) {
      const uint64_t v[2] = {f, static_cast<uint64_t>(m)};
      const uint64_t h = s6::HashBytes(v, sizeof v, 99);
      if (h >= best_h) {
        best_h = h;
        best = m;
      }
    }
    return best;
  }

  void Loop() {
    std::mt19937 rng(7);
    while (!stop_.load()) {
      const uint32_t f = static_cast<uint32_t>(rng() % flows_);
      const uint32_t t = f % tallies_;
      const FlowKey k = KeyOf(f);
      pending_.push_back(c_.Async(Pick(f), [k, t](State& s, Instance&) {
        s.flows.get(k)->add(1);
        s.tallies.get(t)->add(1);
      }));
      ++sent_[f];
      ++total_;
      if (pending_.size() > 512) {
        pending_.front().get();  // a failure shows in Stop() too: keep the first one
        pending_.pop_front();
      }
      if (total_ % 32 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  }

  TestCluster& c_;
  const uint32_t flows_;
  const uint32_t tallies_;
  std::mutex mu_;
  std::vector<int> members_{0};
  std::vector<uint64_t> sent_;
  uint64_t total_ = 0;
  uint64_t removed_ = 0;
  std::deque<std::future<void>> pending_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

ScaleOptions Options(Traffic& traffic, std::vector<int> members, MigrationMode mode) {
  ScaleOptions o;
  o.migration.mode = mode;
  o.migration.slots_per_sec = 8000;  // slow enough that traffic meets slots in flight
  o.on_switched = [&traffic, members] { traffic.SetMembers(members); };
  return o;
}

void ExpectExactAcross12321(MigrationMode mode) {
  constexpr uint32_t kFlows = 300;
  constexpr uint32_t kTallies = 16;
  TestCluster c(Opts(1));
  c.AddInstance();
  c.AddInstance();
  Traffic traffic(c, kFlows, kTallies);
  traffic.Start();
  const std::vector<std::vector<int>> steps = {{0, 1}, {0, 1, 2}, {0, 1}, {0}};
  uint64_t moved = 0;
  for (const auto& members : steps) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto report = c.Scale(members, Options(traffic, members, mode));
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_GT(report->slots_moved, 0u);
    EXPECT_LT(report->migration_ms, 5000.0);
    moved += report->objects_moved;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string failure = traffic.Stop();
  ASSERT_EQ(failure, "") << "a packet's micro-thread failed";
  EXPECT_GT(moved, 0u);

  // Inventory: every flow held by exactly one instance, the departed ones hold nothing.
  std::map<uint32_t, int> holders;
  for (int i = 0; i < c.size(); ++i) {
    const auto held = c.Run(i, [](State& s, Instance&) {
      std::vector<uint32_t> srcs;
      s.flows.for_each_local([&](const FlowKey& k, Flow&) { srcs.push_back(k.src); });
      return srcs;
    });
    if (i != 0) {
      EXPECT_TRUE(held.empty()) << "departed instance " << i << " still holds objects";
    }
    for (uint32_t src : held) ++holders[src];
  }
  for (const auto& [src, n] : holders) EXPECT_EQ(n, 1) << "flow src " << src << " duplicated";
  uint32_t touched = 0;
  for (uint32_t f = 0; f < kFlows; ++f) touched += traffic.sent(f) != 0 ? 1 : 0;
  EXPECT_EQ(holders.size(), touched) << "objects lost";

  // Exactly once: per-flow SingleWriter counts and the untether tallies equal what was sent.
  const auto counts = c.Run(0, [&](State& s, Instance&) {
    std::vector<int64_t> out(kFlows, 0);
    for (uint32_t f = 0; f < kFlows; ++f) {
      if (traffic.sent(f) != 0) out[f] = s.flows.get(KeyOf(f))->count();
    }
    int64_t tally = 0;
    for (uint32_t t = 0; t < kTallies; ++t) tally += s.tallies.get(t)->total();
    out.push_back(tally);
    return out;
  });
  for (uint32_t f = 0; f < kFlows; ++f) {
    EXPECT_EQ(counts[f], static_cast<int64_t>(traffic.sent(f))) << "flow " << f;
  }
  EXPECT_EQ(counts[kFlows], static_cast<int64_t>(traffic.total())) << "untether tallies";
  // Nothing timed out or was dropped on the way.
  for (int i = 0; i < c.size(); ++i) {
    const std::string stats = c.StatsJson(i);
    EXPECT_EQ(StatAt(stats, "/space/dropped_hops"), 0) << stats;
    EXPECT_EQ(StatAt(stats, "/space/abandoned"), 0) << stats;
    EXPECT_EQ(StatAt(stats, "/migration/bad_slot_data"), 0) << stats;
  }
}

TEST(Scaling, GradualIsExactAcrossOneTwoThreeTwoOne) {
  ExpectExactAcross12321(MigrationMode::kGradual);
}

TEST(Scaling, StopAndCopyIsExactAcrossOneTwoThreeTwoOne) {
  ExpectExactAcross12321(MigrationMode::kStopAndCopy);
}

// MultiWriter objects move with their slot: values survive 2 -> 3 -> 2 (the original S6 reset
// them), and the new home serves them afterwards.
TEST(Scaling, MultiWriterObjectsMoveWithTheirSlot) {
  TestCluster c(Opts(2));
  c.AddInstance();
  constexpr uint32_t kTallies = 200;
  c.Run(0, [](State& s, Instance&) {
    for (uint32_t t = 0; t < kTallies; ++t) s.tallies.get(t)->add_strict(t + 1);
  });
  for (const std::vector<int>& members : {std::vector<int>{0, 1, 2}, std::vector<int>{0, 2}}) {
    auto report = c.Scale(members);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_GT(report->objects_moved, 0u);
  }
  const auto totals = c.Run(0, [](State& s, Instance&) {
    std::vector<int64_t> out;
    for (uint32_t t = 0; t < kTallies; ++t) out.push_back(s.tallies.get(t)->add_strict(0));
    return out;
  });
  for (uint32_t t = 0; t < kTallies; ++t) EXPECT_EQ(totals[t], int64_t{t} + 1) << "tally " << t;
  const auto homed = c.Run(2, [](State& s, Instance&) {
    uint32_t n = 0;
    s.tallies.for_each_local([&](const uint32_t&, Tally&) { ++n; });
    return n;
  });
  EXPECT_GT(homed, 0u) << "the newcomer homes none of the objects";
}

// Scale-in hands back every object the departing instance holds, and the event completes only
// once they have all arrived (none may be in flight when the departing instance is let go).
TEST(Scaling, ScaleInHandsBackEveryHeldObject) {
  TestCluster c(Opts(3));
  constexpr uint32_t kFlows = 3000;
  c.Run(2, [](State& s, Instance&) {  // all held by the instance that will leave
    for (uint32_t f = 0; f < kFlows; ++f) s.flows.get(KeyOf(f))->add(f);
  });
  auto report = c.Scale({0, 1});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GE(report->handbacks, kFlows / 2);  // some are recalled by flows, the rest handed back
  const uint64_t left =
      c.Run(2, [](State&, Instance& inst) { return inst.object_space().stats().sw_held; });
  EXPECT_EQ(left, 0u);
  c.StopInstance(2);  // gone, as a departed process would be
  for (int i : {0, 1}) {
    const auto counts = c.Run(i, [](State& s, Instance&) {
      std::vector<int64_t> out;
      for (uint32_t f = 0; f < kFlows; f += 97) out.push_back(s.flows.get(KeyOf(f))->count());
      return out;
    });
    for (std::size_t j = 0; j < counts.size(); ++j)
      EXPECT_EQ(counts[j], static_cast<int64_t>(j * 97));
  }
  for (int i : {0, 1}) {
    const std::string stats = c.StatsJson(i);
    EXPECT_EQ(StatAt(stats, "/space/sw_acquire_timeouts"), 0) << stats;
  }
}

// A message routed by the old table that reaches the old home after the hand-over is forwarded
// to the new home and applied there exactly once.
TEST(Scaling, LateMessageToTheOldHomeIsForwarded) {
  TestCluster c(Opts(1));
  c.AddInstance();
  const uint64_t map = c.state(0).tallies.id();
  auto report = c.Scale({0, 1});
  ASSERT_TRUE(report.ok()) << report.status();
  uint32_t key = 0;
  while (HomeOf(c.table(), map, key) != c.id(1)) ++key;
  c.Run(1, [key](State& s, Instance&) { s.tallies.get(key)->add_strict(5); });
  // An untether call from instance 1 as if it still routed by v1 (home: instance 0).
  c.Run(0, [&](State&, Instance& inst) {
    const s6::ByteBuffer kb = s6::internal::EncodeKey(key);
    s6::ByteBuffer args;
    s6::ByteWriter aw(args);
    s6::Codec<int64_t>::Encode(aw, 7);
    s6::objspace::ObjectMessage m;
    m.origin = c.id(1);
    for (const s6::MethodDescriptor& md : s6::TypeInfo<Tally>::Descriptor().methods) {
      if (md.name == "add") m.method = md.id;
    }
    m.map = map;
    m.key = kb.span();
    m.body = args.span();
    s6::ByteBuffer wire;
    s6::ByteWriter w(wire);
    s6::objspace::EncodeObjectMessage(m, w);
    inst.object_space().HandleMessage(
        c.id(1), static_cast<uint16_t>(s6::objspace::ObjectMessageType::kMwCall), wire.span());
  });
  const auto total = [&c, key] {
    return c.Run(1, [key](State& s, Instance&) { return s.tallies.get(key)->total(); });
  };
  EXPECT_TRUE(s6test::PollUntil([&] { return total() == 12; }, std::chrono::seconds(2)));
  // Not synchronisation: an observation window in which a second application would show.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(c.Run(1, [key](State& s, Instance&) { return s.tallies.get(key)->total(); }), 12);
  const std::string stats0 = c.StatsJson(0);
  EXPECT_EQ(StatAt(stats0, "/space/forwarded"), 1) << stats0;
}

// Objects removed while their slot moves stay removed; the rest arrive.
TEST(Scaling, RemovalDuringMigration) {
  TestCluster c(Opts(1));
  c.AddInstance();
  constexpr uint32_t kFlows = 400;
  c.Run(0, [](State& s, Instance&) {
    for (uint32_t f = 0; f < kFlows; ++f) s.flows.get(KeyOf(f))->add(1);
  });
  ScaleOptions o;
  o.migration.slots_per_sec = 2000;  // ~1 s for 2048 slots: removals race the mover
  auto remover = std::async(std::launch::async, [&] {
    for (uint32_t f = 0; f < kFlows; f += 2) {
      c.Run(f % 4 == 0 ? 0 : 1, [f](State& s, Instance&) { s.flows.remove(KeyOf(f)); });
    }
  });
  auto report = c.Scale({0, 1}, o);
  remover.get();
  ASSERT_TRUE(report.ok()) << report.status();
  for (uint32_t f = 0; f < kFlows; ++f) {
    const bool present = c.Run(f % 3 == 0 ? 1 : 0, [f](State& s, Instance&) {
      return static_cast<bool>(s.flows.lookup(KeyOf(f)));
    });
    EXPECT_EQ(present, f % 2 == 1) << "flow " << f;
  }
}

// An instance that dies during a scale event makes the event fail, with a report, in bounded
// time; the driver does not hang.
TEST(Scaling, DeadInstanceIsReportedNotHung) {
  TestCluster c(Opts(1));
  const int newcomer = c.AddInstance();
  c.Run(0, [](State& s, Instance&) {
    for (uint32_t f = 0; f < 200; ++f) s.flows.get(KeyOf(f))->add(1);
  });
  ScaleOptions o;
  o.settle_timeout = std::chrono::milliseconds(1500);
  o.migration.slots_per_sec = 100;  // still moving when the newcomer dies
  o.on_switched = [&] { c.StopInstance(newcomer); };
  const auto start = std::chrono::steady_clock::now();
  auto report = c.Scale({0, newcomer}, o);
  EXPECT_FALSE(report.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_NE(std::string(report.status().message()).find("instance 2"), std::string::npos)
      << report.status();
}

// Malformed scaling messages, and well-formed ones for tables nobody prepared, arriving while a
// real event runs: counted and dropped, never fatal, and the event still moves everything.
TEST(Scaling, GarbageScalingMessagesDuringAnEventAreCounted) {
  TestCluster c(Opts(1));
  c.AddInstance();
  constexpr uint32_t kFlows = 500;
  c.Run(0, [](State& s, Instance&) {
    for (uint32_t f = 0; f < kFlows; ++f) s.flows.get(KeyOf(f))->add(f);
    for (uint32_t t = 0; t < 50; ++t) s.tallies.get(t)->add_strict(t);
  });
  ScaleOptions o;
  o.migration.slots_per_sec = 4000;  // ~0.5 s: the garbage meets slots in flight
  auto event = std::async(std::launch::async, [&] { return c.Scale({0, 1}, o); });
  std::mt19937_64 rng(11);
  const uint16_t types[] = {static_cast<uint16_t>(s6::objspace::ObjectMessageType::kSwitched),
                            static_cast<uint16_t>(s6::objspace::ObjectMessageType::kSlotPull),
                            static_cast<uint16_t>(s6::objspace::ObjectMessageType::kSlotData),
                            static_cast<uint16_t>(s6::objspace::ObjectMessageType::kSwHandback)};
  for (int round = 0; round < 20; ++round) {
    for (int i : {0, 1}) {
      c.Run(i, [&](State&, Instance& inst) {
        for (int n = 0; n < 100; ++n) {
          s6::ByteBuffer body;
          const std::size_t len = rng() % 64;
          s6::ByteWriter bw(body);
          for (std::size_t b = 0; b < len; ++b) bw.PutU8(static_cast<uint8_t>(rng()));
          s6::objspace::ObjectMessage m;
          m.origin = c.id(static_cast<int>(rng() % 2));
          m.a = 100 + rng() % 1000;  // a table version nobody prepared
          m.b = rng() % 8192;
          m.map = rng() % 2 == 0 ? c.state(0).flows.id() : rng();
          m.body = body.span();
          s6::ByteBuffer wire;
          s6::ByteWriter w(wire);
          s6::objspace::EncodeObjectMessage(m, w);
          const uint16_t type = types[rng() % 4];
          if (rng() % 2 == 0) {
            inst.object_space().HandleMessage(m.origin, type, wire.span());
          } else {  // cut short or random: fails to decode
            inst.object_space().HandleMessage(m.origin, type,
                                              wire.span().first(rng() % (wire.size() + 1)));
          }
        }
      });
    }
  }
  auto report = event.get();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->objects_moved, 0u);
  const auto counts = c.Run(1, [](State& s, Instance&) {
    std::vector<int64_t> out;
    for (uint32_t f = 0; f < kFlows; f += 7) out.push_back(s.flows.get(KeyOf(f))->count());
    for (uint32_t t = 0; t < 50; ++t) out.push_back(s.tallies.get(t)->add_strict(0));
    return out;
  });
  std::size_t j = 0;
  for (uint32_t f = 0; f < kFlows; f += 7) EXPECT_EQ(counts[j++], int64_t{f}) << "flow " << f;
  for (uint32_t t = 0; t < 50; ++t) EXPECT_EQ(counts[j++], int64_t{t}) << "tally " << t;
  uint64_t counted = 0;  // the garbage was seen and counted, not silently accepted
  for (int i : {0, 1}) {
    const s6::objspace::ObjectSpaceStats st =
        c.Run(i, [](State&, Instance& inst) { return inst.object_space().stats(); });
    counted += st.malformed + st.unexpected + st.unknown_map;
  }
  EXPECT_GE(counted, 3000u);
}

// A second event while one is in progress is refused clearly, never interleaved.
TEST(Scaling, PrepareDuringATransitionIsRefused) {
  TestCluster c(Opts(2));
  auto next = c.table().Rebalance({c.id(0)});
  ASSERT_TRUE(next.ok());
  const auto peers = std::vector<std::pair<InstanceId, std::string>>{
      {c.id(0), c.instance(0).endpoint()}, {c.id(1), c.instance(1).endpoint()}};
  const auto current = c.table();
  ASSERT_TRUE(c.Run(0, [&](State&, Instance& inst) {
                 return inst.PrepareScale(current, *next, peers, {});
               }).ok());
  auto other = c.table().Rebalance({c.id(1)});
  ASSERT_TRUE(other.ok());
  const s6::Status st = c.Run(
      0, [&](State&, Instance& inst) { return inst.PrepareScale(current, *other, peers, {}); });
  EXPECT_EQ(st.code(), s6::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(
      c.Run(0, [&](State&, Instance& inst) { return inst.AbortScale(next->version()); }).ok());
}

}  // namespace
}  // namespace s6test

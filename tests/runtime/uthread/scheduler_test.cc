// SPDX-License-Identifier: Apache-2.0
// Pins the micro-thread scheduler's contract: FIFO wake-ups per wait key, bounded in-flight
// micro-threads (backpressure), RunReady's budget, exceptions and destruction that release
// everything, and stack reuse.
#include "uthread/scheduler.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace s6::uthread {
namespace {

constexpr WaitKey kA{WaitKind::kObject, 1};
constexpr WaitKey kB{WaitKind::kObject, 2};
constexpr WaitKey kReply1{WaitKind::kReply, 1};

TEST(SchedulerTest, RunsSpawnedMicroThreadsToCompletion) {
  Scheduler s;
  int ran = 0;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.TrySpawn([&] { ++ran; }));
  EXPECT_EQ(ran, 0) << "spawn queues; RunReady runs";
  EXPECT_EQ(s.RunReady(), 10u);
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_EQ(s.stats().completed, 10u);
}

TEST(SchedulerTest, WakeResumesParkedMicroThreadsInArrivalOrderPerKey) {
  Scheduler s;
  std::vector<std::string> log;
  for (int i = 0; i < 4; ++i) {
    const WaitKey key = i % 2 == 0 ? kA : kB;
    ASSERT_TRUE(s.TrySpawn([&, i, key] {
      log.push_back("park" + std::to_string(i));
      s.Suspend(key);
      log.push_back("run" + std::to_string(i));
    }));
  }
  s.RunReady();
  EXPECT_EQ(s.waiting(kA), 2u);
  EXPECT_EQ(s.waiting(kB), 2u);
  EXPECT_EQ(s.Wake(kB), 2u);
  s.RunReady();
  EXPECT_EQ(s.Wake(kA), 2u);
  s.RunReady();
  EXPECT_EQ(log, (std::vector<std::string>{"park0", "park1", "park2", "park3", "run1", "run3",
                                           "run0", "run2"}));
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_EQ(s.Wake(kA), 0u) << "nobody left";
}

TEST(SchedulerTest, WakeOneTakesTheOldestWaiter) {
  Scheduler s;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.TrySpawn([&, i] {
      s.Suspend(kReply1);
      order.push_back(i);
    }));
  }
  s.RunReady();
  ASSERT_TRUE(s.WakeOne(kReply1));
  s.RunReady();
  ASSERT_TRUE(s.WakeOne(kReply1));
  ASSERT_TRUE(s.WakeOne(kReply1));
  EXPECT_FALSE(s.WakeOne(kReply1));
  s.RunReady();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(SchedulerTest, RefusesBeyondMaxFibersAndRecovers) {
  Scheduler s({.stack_size = 32 * 1024, .max_fibers = 4});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.TrySpawn([&] { s.Suspend(kA); }));
  EXPECT_FALSE(s.TrySpawn([] {}));
  EXPECT_EQ(s.stats().refused, 1u);
  s.RunReady();
  EXPECT_FALSE(s.TrySpawn([] {})) << "parked micro-threads still count";
  s.Wake(kA);
  s.RunReady();
  EXPECT_TRUE(s.TrySpawn([] {}));
  s.RunReady();
  EXPECT_EQ(s.stats().max_in_flight, 4u);
}

TEST(SchedulerTest, RunReadyRunsOnlyWhatWasReadyWhenCalled) {
  Scheduler s;
  int spins = 0;
  ASSERT_TRUE(s.TrySpawn([&] {
    for (int i = 0; i < 3; ++i) {
      ++spins;
      s.Yield();
    }
  }));
  EXPECT_EQ(s.RunReady(), 1u);
  EXPECT_EQ(spins, 1);
  EXPECT_EQ(s.RunReady(), 1u);
  EXPECT_EQ(spins, 2);
  s.RunReady();
  s.RunReady();
  EXPECT_EQ(s.in_flight(), 0u);
}

TEST(SchedulerTest, ExceptionsEndOnlyTheirMicroThread) {
  Scheduler s;
  int after = 0;
  ASSERT_TRUE(s.TrySpawn([] { throw std::runtime_error("call abandoned"); }));
  ASSERT_TRUE(s.TrySpawn([&] { ++after; }));
  s.RunReady();
  EXPECT_EQ(after, 1);
  EXPECT_EQ(s.stats().aborted, 1u);
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_EQ(s.stacks().in_use(), 0u);
}

struct Flag {
  bool* set;
  ~Flag() { *set = true; }
};

TEST(SchedulerTest, DestroyingTheSchedulerUnwindsParkedMicroThreads) {
  bool destroyed = false;
  {
    Scheduler s;
    ASSERT_TRUE(s.TrySpawn([&] {
      Flag f{&destroyed};
      s.Suspend(kA);
      ADD_FAILURE() << "never resumed";
    }));
    s.RunReady();
    EXPECT_FALSE(destroyed);
  }
  EXPECT_TRUE(destroyed) << "RAII objects on a parked micro-thread's stack are destroyed";
}

TEST(SchedulerTest, StacksAndRecordsAreReused) {
  Scheduler s({.stack_size = 32 * 1024, .max_fibers = 8});
  for (int round = 0; round < 2000; ++round) {
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(s.TrySpawn([&] { s.Suspend(kA); }));
    s.RunReady();
    s.Wake(kA);
    s.RunReady();
  }
  EXPECT_LE(s.stacks().created(), 8u);
  EXPECT_EQ(s.stacks().in_use(), 0u);
  EXPECT_EQ(s.stats().completed, 16000u);
}

int Recurse(int depth) {
  volatile char pad[256];
  pad[0] = static_cast<char>(depth);
  return depth == 0 ? pad[0] : Recurse(depth - 1) + 1;
}

TEST(SchedulerTest, MicroThreadsGetTheConfiguredStack) {
#if defined(__SANITIZE_ADDRESS__)
  // Open item: with GCC 12's ASan, deep recursion on a fiber stack after earlier tests trips an
  // internal ASan CHECK (asan_thread.cpp:371, kCurrentStackFrameMagic) although the test passes
  // alone and in the plain build; the switch annotations are in scheduler.cc.
  GTEST_SKIP() << "deep fiber recursion under ASan: see comment";
#endif
  Scheduler s({.stack_size = 1024 * 1024, .max_fibers = 2});  // ASan frames are ~3x larger
  int result = -1;
  ASSERT_TRUE(s.TrySpawn(
      [&] { result = Recurse(300); }));  // > 75 KiB of frames: more than the 64 KiB default
  s.RunReady();
  EXPECT_EQ(result, 300);
}

TEST(SchedulerTest, ManyParkedAtOnce) {
  Scheduler s({.stack_size = 16 * 1024, .max_fibers = 2000});
  int done = 0;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(s.TrySpawn([&, i] {
      s.Suspend(WaitKey{WaitKind::kObject, static_cast<uint64_t>(i % 37)});
      ++done;
    }));
  }
  s.RunReady();
  EXPECT_EQ(s.in_flight(), 2000u);
  for (uint64_t k = 0; k < 37; ++k) s.Wake(WaitKey{WaitKind::kObject, k});
  s.RunReady();
  EXPECT_EQ(done, 2000);
}

TEST(SchedulerDeathTest, SuspendOutsideAMicroThreadAborts) {
  Scheduler s;
  EXPECT_DEATH(s.Suspend(kA), "Suspend called outside a micro-thread");
}

}  // namespace
}  // namespace s6::uthread

// SPDX-License-Identifier: Apache-2.0
// The instance loop on a manual clock: periodic app timers (and their skip rule), the
// background task with SleepFor, backpressure on posted work (never more than max_fibers
// micro-threads), micro-threads that end with an exception, and the stats JSON.
#include "instance/instance.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace s6 {
namespace {

using namespace std::chrono_literals;

class InstanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Instance> Make(uint32_t max_fibers = 64) {
    Instance::Options o;
    o.id = InstanceId{1};
    o.endpoint = "inproc://s6-instance-test-" + std::to_string(++seq_);
    o.zmq_context = &ctx_;
    o.clock = &clock_;
    o.fibers.max_fibers = max_fibers;
    return std::make_unique<Instance>(o);
  }
  void Spin(Instance& inst, int n = 3) {
    for (int i = 0; i < n; ++i) inst.RunOnce(0);
  }

  zmq::context_t ctx_;
  ManualClock clock_;
  int seq_ = 0;
};

TEST_F(InstanceTest, PeriodicTimerFiresOncePerPeriodUntilCancelled) {
  auto inst = Make();
  ASSERT_TRUE(inst->Start().ok());
  int fired = 0;
  const uint64_t id = inst->AddTimer(10ms, [&] { ++fired; });
  Spin(*inst);
  EXPECT_EQ(fired, 0);
  for (int i = 1; i <= 5; ++i) {
    clock_.Advance(10ms);
    Spin(*inst);
    EXPECT_EQ(fired, i);
  }
  inst->CancelTimer(id);
  clock_.Advance(50ms);
  Spin(*inst);
  EXPECT_EQ(fired, 5);
  EXPECT_EQ(inst->loop_stats().timer_runs, 5u);
}

TEST_F(InstanceTest, TimerSkipsPeriodsWhileThePreviousRunIsStillGoing) {
  auto inst = Make();
  ASSERT_TRUE(inst->Start().ok());
  int started = 0;
  inst->AddTimer(10ms, [&] {
    ++started;
    inst->SleepFor(25ms);  // longer than the period
  });
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(10ms);
    Spin(*inst);
  }
  EXPECT_EQ(started, 2);  // t=10 (runs until 35), t=40 (runs until 65); 20, 30, 50, 60 skipped
  EXPECT_EQ(inst->loop_stats().timer_skips, 4u);
}

TEST_F(InstanceTest, BackgroundTaskRunsFromStartAndSleepsOnTheClock) {
  auto inst = Make();
  int ticks = 0;
  inst->SetBackgroundTask([&] {
    for (;;) {
      ++ticks;
      inst->SleepFor(100ms);
    }
  });
  ASSERT_TRUE(inst->Start().ok());
  Spin(*inst);
  EXPECT_EQ(ticks, 1);
  clock_.Advance(99ms);
  Spin(*inst);
  EXPECT_EQ(ticks, 1);
  clock_.Advance(1ms);
  Spin(*inst);
  EXPECT_EQ(ticks, 2);
}

TEST_F(InstanceTest, PostedWorkIsBoundedByMaxFibers) {
  auto inst = Make(/*max_fibers=*/4);
  ASSERT_TRUE(inst->Start().ok());
  int done = 0;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(inst->Post([&] {
      inst->SleepFor(1ms);
      ++done;
    }));
  }
  inst->RunOnce(0);
  EXPECT_EQ(inst->scheduler().in_flight(), 4u);
  EXPECT_EQ(inst->loop_stats().tasks_started, 4u);
  for (int i = 0; i < 200 && done < 100; ++i) {
    clock_.Advance(1ms);
    inst->RunOnce(0);
    EXPECT_LE(inst->scheduler().in_flight(), 4u);
  }
  EXPECT_EQ(done, 100);
  EXPECT_EQ(inst->scheduler().stats().max_in_flight, 4u);
}

TEST_F(InstanceTest, PostRefusesWhenItsQueueIsFull) {
  Instance::Options o;
  o.id = InstanceId{1};
  o.endpoint = "inproc://s6-instance-test-full";
  o.zmq_context = &ctx_;
  o.max_posted = 3;
  Instance inst(o);
  EXPECT_TRUE(inst.Post([] {}));
  EXPECT_TRUE(inst.Post([] {}));
  EXPECT_TRUE(inst.Post([] {}));
  EXPECT_FALSE(inst.Post([] {}));
  EXPECT_EQ(inst.loop_stats().tasks_refused, 1u);
}

TEST_F(InstanceTest, AMicroThreadEndingInAnExceptionIsCountedNotFatal) {
  auto inst = Make();
  ASSERT_TRUE(inst->Start().ok());
  ASSERT_TRUE(inst->Spawn([] { throw std::runtime_error("boom"); }));
  bool later = false;
  ASSERT_TRUE(inst->Spawn([&] { later = true; }));
  Spin(*inst);
  EXPECT_TRUE(later);
  EXPECT_EQ(inst->scheduler().stats().aborted, 1u);
}

TEST_F(InstanceTest, StatsJsonHasEveryPart) {
  auto inst = Make();
  ASSERT_TRUE(inst->Start().ok());
  Spin(*inst);
  const std::string text = inst->StatsJson();
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(json.is_object()) << text;
  EXPECT_EQ(json.value("instance", 0), 1) << text;
  for (const char* group : {"loop", "fibers", "space", "migration", "transport"}) {
    EXPECT_TRUE(json.contains(group) && json[group].is_object()) << group << " in " << text;
  }
  for (const char* pointer : {"/space/sw_held", "/space/mw_strict_sent", "/space/mw_stale_hits",
                              "/transport/batches_sent", "/transport/malformed/bad_magic",
                              "/loop/iterations", "/fibers/spawned"}) {
    const nlohmann::json::json_pointer p(pointer);
    EXPECT_TRUE(json.contains(p) && json.at(p).is_number_unsigned()) << pointer << " in " << text;
  }
  EXPECT_FALSE(json.contains("packets")) << "no packet path attached: " << text;
}

}  // namespace
}  // namespace s6

// SPDX-License-Identifier: Apache-2.0
// The first vertical slice end to end, as real processes: s6-trafgen (memif server of one link
// per instance) drives two s6-nat-instance processes (peered over ZeroMQ ipc://) with paced
// synthetic TCP and UDP flows, 5 % of packets mis-steered to the other instance. Every packet
// that entered the network must come back (lost == 0), every flow must be translated (no
// exhausted pool, no missing mapping), no message between the instances may be lost, and both
// instances must stop cleanly on SIGTERM.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "util/process.h"
#include "util/run.h"

namespace {

using namespace std::chrono_literals;

using s6test::JsonInt;
using s6test::Launch;
using s6test::ReadFile;
using s6test::WaitExit;

TEST(TrafgenNatTest, TwoInstancesLoseNoPacketAndTranslateEveryFlow) {
  const std::string dir = "/tmp/s6-e2e-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const pid_t tg = Launch({S6_TRAFGEN_BIN,
                           "--instance",
                           "1=" + dir + "/1.memif",
                           "--instance",
                           "2=" + dir + "/2.memif",
                           "--rate",
                           "3000",
                           "--flows",
                           "300",
                           "--duration",
                           "3",
                           "--missteer",
                           "0.05",
                           "--ready-file",
                           dir + "/ready",
                           "--json",
                           dir + "/summary.json",
                           "--csv",
                           dir + "/intervals.csv",
                           "--dpdk-memory",
                           "128"},
                          dir + "/trafgen.log");
  ASSERT_GT(tg, 0);
  ASSERT_TRUE(s6test::PollUntil([&] { return std::filesystem::exists(dir + "/ready"); }, 20s))
      << ReadFile(dir + "/trafgen.log");
  pid_t inst[2];
  for (int i = 1; i <= 2; ++i) {
    const int other = 3 - i;
    inst[i - 1] = Launch(
        {S6_NAT_INSTANCE_BIN, "--id", std::to_string(i), "--endpoint",
         "ipc://" + dir + "/" + std::to_string(i) + ".zmq", "--peer",
         std::to_string(other) + "=ipc://" + dir + "/" + std::to_string(other) + ".zmq",
         "--members", "1,2", "--port", "memif:" + dir + "/" + std::to_string(i) + ".memif:client",
         "--dpdk-memory", "128", "--stats-file", dir + "/" + std::to_string(i) + ".json", "--",
         "--public-ip", "203.0.113.7"},
        dir + "/instance" + std::to_string(i) + ".log");
    ASSERT_GT(inst[i - 1], 0);
  }
  s6test::FinishRun(tg, inst, dir);
  if (HasFatalFailure()) return;
  const std::string summary = ReadFile(dir + "/summary.json");
  ASSERT_FALSE(summary.empty());
  EXPECT_GT(JsonInt(summary, "/sent"), 7000) << summary;
  EXPECT_EQ(JsonInt(summary, "/lost"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/received"), JsonInt(summary, "/sent")) << summary;
  EXPECT_EQ(JsonInt(summary, "/foreign"), 0) << summary;
  EXPECT_GT(JsonInt(summary, "/missteered"), 0) << summary;
  // NAT state check at the receiver: each flow kept one public endpoint, none was shared.
  EXPECT_EQ(JsonInt(summary, "/mapping_changes"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/shared_endpoints"), 0) << summary;
  long long translated = 0;
  for (int i = 1; i <= 2; ++i) {
    const std::string s = ReadFile(dir + "/" + std::to_string(i) + ".json");
    EXPECT_EQ(JsonInt(s, "/nf/exhausted"), 0) << s;
    EXPECT_EQ(JsonInt(s, "/nf/no_mapping"), 0) << s;
    EXPECT_EQ(JsonInt(s, "/packets/aborted"), 0) << s;
    // Nothing lost between the instances, start-up included (they come up at different
    // moments, and what one sends before the other's socket is connected must wait, not be
    // dropped): a lost request shows as a timeout here and as lost packets in the summary.
    EXPECT_EQ(JsonInt(s, "/transport/send_dropped_messages"), 0) << s;
    EXPECT_EQ(JsonInt(s, "/transport/sequence_gaps"), 0) << s;
    EXPECT_EQ(JsonInt(s, "/space/sw_acquire_timeouts"), 0) << s;
    EXPECT_EQ(JsonInt(s, "/space/call_timeouts"), 0) << s;
    translated += JsonInt(s, "/nf/translated_out");
  }
  EXPECT_EQ(translated, JsonInt(summary, "/received"));
  EXPECT_GT(ReadFile(dir + "/intervals.csv").size(), 100u);
  std::filesystem::remove_all(dir);
}

}  // namespace

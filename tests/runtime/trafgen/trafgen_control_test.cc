// SPDX-License-Identifier: Apache-2.0
// s6-trafgen's run-time control, as real processes: trafgen declares two links with only the
// first active, one s6-nat-instance serves it. Over the control socket: `status` shows link 1
// active and up, link 2 declared but down; `steer` refuses a link that is down or undeclared;
// a window opened and closed with mark-begin/mark-end (and one never ended) appears in the
// summary with its own counts. Then a second s6-nat-instance starts on link 2 mid-run (a
// scale-out: a cluster of its own with another public address, so only steering is under
// test), `status` sees the link come up, `steer 1 2` spreads the flows, and at the end both
// links carried traffic and nothing was lost. A second test replays a vendored capture through
// one instance with Pareto arrivals: every probed packet comes back with its trailer.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "util/process.h"
#include "util/run.h"

namespace {

using namespace std::chrono_literals;
using s6test::JsonField;
using s6test::Launch;
using s6test::ReadFile;
using s6test::WaitExit;

// One request, one reply; "" when trafgen did not answer in time.
class ControlClient {
 public:
  explicit ControlClient(const std::string& endpoint) : req_(ctx_, zmq::socket_type::req) {
    req_.set(zmq::sockopt::linger, 0);
    req_.set(zmq::sockopt::rcvtimeo, 10000);
    req_.connect(endpoint);
  }
  std::string Call(const std::string& request) {
    req_.send(zmq::buffer(request), zmq::send_flags::none);
    zmq::message_t reply;
    if (!req_.recv(reply)) return "";
    return reply.to_string();
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t req_;
};

pid_t StartNat(const std::string& dir, int id, const std::string& public_ip) {
  const std::string i = std::to_string(id);
  return Launch(
      {S6_NAT_INSTANCE_BIN, "--id", i, "--endpoint", "ipc://" + dir + "/" + i + ".zmq", "--members",
       i, "--port", "memif:" + dir + "/" + i + ".memif:client", "--dpdk-memory", "128",
       "--stats-file", dir + "/" + i + ".json", "--", "--public-ip", public_ip},
      dir + "/instance" + i + ".log");
}

// The summary's entry for link `id`: {sent, received}, or {-1, -1}.
std::pair<long long, long long> LinkCounts(const std::string& summary, int id) {
  std::smatch m;
  const std::regex re("\\{\"id\":" + std::to_string(id) +
                      ",\"active\":(true|false),\"sent\":([0-9]+),\"received\":([0-9]+)");
  if (!std::regex_search(summary, m, re)) return {-1, -1};
  return {std::stoll(m[2]), std::stoll(m[3])};
}

TEST(TrafgenControlTest, StatusWindowsAndSteeringToAnInstanceStartedMidRun) {
  const std::string dir = "/tmp/s6-tgctl-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string endpoint = "ipc://" + dir + "/trafgen.ctl";
  const pid_t tg = Launch({S6_TRAFGEN_BIN,
                           "--instance",
                           "1=" + dir + "/1.memif",
                           "--instance",
                           "2=" + dir + "/2.memif",
                           "--active",
                           "1",
                           "--control",
                           endpoint,
                           "--rate",
                           "2000",
                           "--flows",
                           "200",
                           "--duration",
                           "10",
                           "--drain-ms",
                           "1000",
                           "--ready-file",
                           dir + "/ready",
                           "--json",
                           dir + "/summary.json",
                           "--interval-json",
                           dir + "/intervals.jsonl",
                           "--dpdk-memory",
                           "128"},
                          dir + "/trafgen.log");
  ASSERT_GT(tg, 0);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!std::filesystem::exists(dir + "/ready") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(std::filesystem::exists(dir + "/ready")) << ReadFile(dir + "/trafgen.log");
  pid_t inst[2] = {StartNat(dir, 1, "203.0.113.7"), -1};
  ASSERT_GT(inst[0], 0);
  ControlClient ctl(endpoint);

  // Sending starts once link 1 is up; link 2 is declared, listening, down and inactive.
  std::string status;
  deadline = std::chrono::steady_clock::now() + 20s;
  do {
    std::this_thread::sleep_for(50ms);
    status = ctl.Call("status");
    ASSERT_FALSE(status.empty()) << "no reply\n" << ReadFile(dir + "/trafgen.log");
  } while (JsonField(status, "sent") <= 0 && std::chrono::steady_clock::now() < deadline);
  ASSERT_GT(JsonField(status, "sent"), 0) << status;
  EXPECT_NE(status.find("\"active\":[1]"), std::string::npos) << status;
  EXPECT_NE(status.find("{\"id\":1,\"up\":true,\"active\":true,"), std::string::npos) << status;
  EXPECT_NE(status.find("{\"id\":2,\"up\":false,\"active\":false,\"sent\":0,\"received\":0,"),
            std::string::npos)
      << status;
  EXPECT_GE(JsonField(status, "lost_so_far"), 0) << status;
  EXPECT_GE(JsonField(status, "t_ms"), 0) << status;

  EXPECT_EQ(ctl.Call("steer 1 2").rfind("error ", 0), 0u);  // link 2 is down
  EXPECT_EQ(ctl.Call("steer 3").rfind("error ", 0), 0u);    // no such link
  EXPECT_EQ(ctl.Call("scale-out 2"), "error unknown command");
  EXPECT_EQ(ctl.Call("mark-begin w"), "ok");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(ctl.Call("mark-end w"), "ok");
  EXPECT_EQ(ctl.Call("mark-end w").rfind("error ", 0), 0u);
  EXPECT_EQ(ctl.Call("mark-begin to-the-end"), "ok");

  // Scale-out: an instance on link 2, then traffic to both.
  inst[1] = StartNat(dir, 2, "203.0.113.8");
  ASSERT_GT(inst[1], 0);
  deadline = std::chrono::steady_clock::now() + 15s;
  do {
    std::this_thread::sleep_for(50ms);
    status = ctl.Call("status");
  } while (status.find("{\"id\":2,\"up\":true") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_NE(status.find("{\"id\":2,\"up\":true,\"active\":false"), std::string::npos)
      << status << "\n"
      << ReadFile(dir + "/instance2.log");
  EXPECT_EQ(ctl.Call("steer 1 2"), "ok");
  status = ctl.Call("status");
  EXPECT_NE(status.find("\"active\":[1,2]"), std::string::npos) << status;

  s6test::FinishRun(tg, inst, dir);
  if (HasFatalFailure()) return;

  const std::string summary = ReadFile(dir + "/summary.json");
  ASSERT_FALSE(summary.empty()) << ReadFile(dir + "/trafgen.log");
  EXPECT_GT(JsonField(summary, "sent"), 5000) << summary;
  EXPECT_EQ(JsonField(summary, "lost"), 0) << summary;
  EXPECT_EQ(JsonField(summary, "received"), JsonField(summary, "sent")) << summary;
  EXPECT_EQ(JsonField(summary, "tx_dropped"), 0) << summary;
  EXPECT_EQ(JsonField(summary, "backlog_unsent"), 0) << summary;
  EXPECT_GE(JsonField(summary, "backlog_max"), 1) << summary;
  const auto [sent1, received1] = LinkCounts(summary, 1);
  const auto [sent2, received2] = LinkCounts(summary, 2);
  EXPECT_GT(received1, 0) << summary;
  EXPECT_GT(received2, 500) << summary;  // a few seconds of about half the flows
  EXPECT_EQ(sent1 + sent2, JsonField(summary, "sent")) << summary;

  // The windows: "w" about a second of traffic, all back; "to-the-end" closed by the run's end.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      summary, m,
      std::regex("\"windows\":\\[\\{\"name\":\"w\",\"start_ms\":[0-9.]+,\"end_ms\":[0-9.]+,"
                 "\"closed_at_end\":false,\"sent\":([0-9]+),\"received\":([0-9]+),\"lost\":0,"
                 "\"latency_us\":\\{\"p50\":[0-9.]+,\"p90\":[0-9.]+,\"p99\":[0-9.]+,\"p999\":"
                 "[0-9.]+,\"max\":[0-9.]+\\}\\},\\{\"name\":\"to-the-end\",[^}]*\"closed_at_end\":"
                 "true,\"sent\":([0-9]+)")))
      << summary;
  EXPECT_GT(std::stoll(m[1]), 1000) << summary;  // 2000 pkt/s for about 1 s
  EXPECT_LT(std::stoll(m[1]), 4000) << summary;
  EXPECT_EQ(m[1], m[2]) << summary;
  EXPECT_GT(std::stoll(m[3]), std::stoll(m[1])) << summary;

  // One JSON object per interval, the declared links in each.
  const std::string intervals = ReadFile(dir + "/intervals.jsonl");
  const auto lines = std::count(intervals.begin(), intervals.end(), '\n');
  EXPECT_GT(lines, 50) << intervals.substr(0, 500);
  const std::string last = intervals.substr(intervals.rfind('\n', intervals.size() - 2) + 1);
  EXPECT_EQ(last.rfind("{\"t_ms\":", 0), 0u) << last;
  EXPECT_NE(last.find("\"instances\":{\"1\":{\"sent\":"), std::string::npos) << last;
  EXPECT_NE(last.find(",\"2\":{\"sent\":"), std::string::npos) << last;
  if (std::getenv("KEEP") == nullptr) std::filesystem::remove_all(dir);
}

TEST(TrafgenReplayTest, ReplaysACaptureThroughAnInstance) {
  const std::string dir = "/tmp/s6-tgpcap-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const pid_t tg = Launch({S6_TRAFGEN_BIN, "--instance", "1=" + dir + "/1.memif", "--pcap",
                           std::string(S6_TEST_PCAPS) + "/EAQ.pcap", "--rate", "3000", "--arrival",
                           "pareto", "--duration", "3", "--ready-file", dir + "/ready", "--json",
                           dir + "/summary.json", "--dpdk-memory", "128"},
                          dir + "/trafgen.log");
  ASSERT_GT(tg, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!std::filesystem::exists(dir + "/ready") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(std::filesystem::exists(dir + "/ready")) << ReadFile(dir + "/trafgen.log");
  const pid_t inst = StartNat(dir, 1, "203.0.113.7");
  ASSERT_GT(inst, 0);
  const int tg_status = WaitExit(tg, 60s);
  ASSERT_TRUE(WIFEXITED(tg_status) && WEXITSTATUS(tg_status) == 0)
      << ReadFile(dir + "/trafgen.log");
  ::kill(inst, SIGTERM);
  const int st = WaitExit(inst, 20s);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << ReadFile(dir + "/instance1.log");
  const std::string summary = ReadFile(dir + "/summary.json");
  ASSERT_FALSE(summary.empty()) << ReadFile(dir + "/trafgen.log");
  EXPECT_GT(JsonField(summary, "sent"), 5000) << summary;
  EXPECT_EQ(JsonField(summary, "lost"), 0) << summary;
  EXPECT_EQ(JsonField(summary, "received"), JsonField(summary, "sent")) << summary;
  EXPECT_EQ(JsonField(summary, "foreign"), 0) << summary;
  EXPECT_EQ(JsonField(summary, "pcap_skipped"), 3) << summary;  // 2818-byte frames
  EXPECT_GT(JsonField(summary, "pcap_loops"), 20) << summary;
  EXPECT_EQ(JsonField(summary, "mapping_changes"), 0) << summary;
  EXPECT_NE(summary.find("\"source\":\"pcap\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"arrival\":\"pareto\""), std::string::npos) << summary;
  // The NAT translated what it saw: the trailer did not disturb its parsing.
  const std::string nat = ReadFile(dir + "/1.json");
  EXPECT_GT(JsonField(nat, "translated_out"), 0) << nat;
  EXPECT_EQ(JsonField(nat, "malformed"), 0) << nat;
  std::filesystem::remove_all(dir);
}

}  // namespace

// SPDX-License-Identifier: Apache-2.0
// s6-trafgen's run-time control, as real processes: trafgen declares two links with only the
// first active, one s6-nat-instance serves it. Over the control socket: `status` shows link 1
// active and up, link 2 declared but down; `steer` refuses a link that is down or undeclared;
// a window opened and closed with mark-begin/mark-end (and one never ended) appears in the
// summary with its own counts. Then a second s6-nat-instance starts on link 2 mid-run (a
// scale-out: a cluster of its own with another public address, so only steering is under
// test), `status` sees the link come up, `steer 1 2` spreads the flows, and at the end both
// links carried traffic and nothing was lost. A second test replays a vendored capture through
// one instance with Pareto arrivals: every probed packet comes back with its trailer. A third
// throws hostile control traffic (runtime/control/hostile_clients.h: raw bytes that are not
// ZMTP, oddly framed ZeroMQ messages, seeded) at both processes' control sockets during a run:
// each legitimate request after it is answered, both socket files are owner-only, an accepted
// steer appears in trafgen's log, and no packet is lost.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "runtime/control/hostile_clients.h"
#include "util/process.h"
#include "util/run.h"

namespace {

using namespace std::chrono_literals;
using s6test::JsonInt;
using s6test::Launch;
using s6test::ParseJson;
using s6test::PollUntil;
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
  const nlohmann::json s = ParseJson(summary);
  if (!s.is_object() || !s.contains("links")) return {-1, -1};
  for (const nlohmann::json& l : s["links"]) {
    if (l.value("id", -1) == id) return {l.value("sent", -1LL), l.value("received", -1LL)};
  }
  return {-1, -1};
}

// The entry for link `id` in a `status` reply (null if there is none).
nlohmann::json StatusLink(const nlohmann::json& status, int id) {
  if (status.is_object() && status.contains("links")) {
    for (const nlohmann::json& l : status["links"]) {
      if (l.value("id", -1) == id) return l;
    }
  }
  return nullptr;
}

// Waits for trafgen's ready file.
bool Ready(const std::string& dir) {
  return PollUntil([&] { return std::filesystem::exists(dir + "/ready"); }, 20s);
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
  ASSERT_TRUE(Ready(dir)) << ReadFile(dir + "/trafgen.log");
  pid_t inst[2] = {StartNat(dir, 1, "203.0.113.7"), -1};
  ASSERT_GT(inst[0], 0);
  ControlClient ctl(endpoint);

  // Sending starts once link 1 is up; link 2 is declared, listening, down and inactive.
  std::string status;
  bool answered = true;
  PollUntil(
      [&] {
        status = ctl.Call("status");
        answered = !status.empty();
        return !answered || JsonInt(status, "/sent") > 0;
      },
      20s, 50ms);
  ASSERT_TRUE(answered) << "no reply\n" << ReadFile(dir + "/trafgen.log");
  ASSERT_GT(JsonInt(status, "/sent"), 0) << status;
  nlohmann::json st = ParseJson(status);
  EXPECT_EQ(st["active"], nlohmann::json::array({1})) << status;
  EXPECT_EQ(StatusLink(st, 1)["up"], true) << status;
  EXPECT_EQ(StatusLink(st, 1)["active"], true) << status;
  EXPECT_EQ(StatusLink(st, 2)["up"], false) << status;
  EXPECT_EQ(StatusLink(st, 2)["active"], false) << status;
  EXPECT_EQ(StatusLink(st, 2)["sent"], 0) << status;
  EXPECT_EQ(StatusLink(st, 2)["received"], 0) << status;
  EXPECT_GE(JsonInt(status, "/lost_so_far"), 0) << status;
  EXPECT_GE(JsonInt(status, "/t_ms"), 0) << status;

  EXPECT_EQ(ctl.Call("steer 1 2").rfind("error ", 0), 0u);  // link 2 is down
  EXPECT_EQ(ctl.Call("steer 3").rfind("error ", 0), 0u);    // no such link
  EXPECT_EQ(ctl.Call("scale-out 2"), "error unknown command");
  // Window "w": about a second of traffic at 2000 pkt/s, measured by what was sent.
  const long long sent_before = JsonInt(ctl.Call("status"), "/sent");
  EXPECT_EQ(ctl.Call("mark-begin w"), "ok");
  EXPECT_TRUE(PollUntil([&] { return JsonInt(ctl.Call("status"), "/sent") >= sent_before + 2000; },
                        10s, 20ms));
  EXPECT_EQ(ctl.Call("mark-end w"), "ok");
  EXPECT_EQ(ctl.Call("mark-end w").rfind("error ", 0), 0u);
  EXPECT_EQ(ctl.Call("mark-begin to-the-end"), "ok");

  // Scale-out: an instance on link 2, then traffic to both.
  inst[1] = StartNat(dir, 2, "203.0.113.8");
  ASSERT_GT(inst[1], 0);
  PollUntil(
      [&] {
        status = ctl.Call("status");
        return StatusLink(ParseJson(status), 2)["up"] == true;
      },
      15s, 50ms);
  st = ParseJson(status);
  ASSERT_EQ(StatusLink(st, 2)["up"], true) << status << "\n" << ReadFile(dir + "/instance2.log");
  EXPECT_EQ(StatusLink(st, 2)["active"], false) << status;
  EXPECT_EQ(ctl.Call("steer 1 2"), "ok");
  status = ctl.Call("status");
  EXPECT_EQ(ParseJson(status)["active"], nlohmann::json::array({1, 2})) << status;

  s6test::FinishRun(tg, inst, dir);
  if (HasFatalFailure()) return;

  const std::string summary = ReadFile(dir + "/summary.json");
  ASSERT_FALSE(summary.empty()) << ReadFile(dir + "/trafgen.log");
  EXPECT_GT(JsonInt(summary, "/sent"), 5000) << summary;
  EXPECT_EQ(JsonInt(summary, "/lost"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/received"), JsonInt(summary, "/sent")) << summary;
  EXPECT_EQ(JsonInt(summary, "/tx_dropped"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/backlog_unsent"), 0) << summary;
  EXPECT_GE(JsonInt(summary, "/backlog_max"), 1) << summary;
  const auto [sent1, received1] = LinkCounts(summary, 1);
  const auto [sent2, received2] = LinkCounts(summary, 2);
  EXPECT_GT(received1, 0) << summary;
  EXPECT_GT(received2, 500) << summary;  // a few seconds of about half the flows
  EXPECT_EQ(sent1 + sent2, JsonInt(summary, "/sent")) << summary;

  // The windows: "w" about a second of traffic, all back; "to-the-end" closed by the run's end.
  const nlohmann::json windows = ParseJson(summary)["windows"];
  ASSERT_TRUE(windows.is_array() && windows.size() == 2) << summary;
  const nlohmann::json& w = windows[0];
  EXPECT_EQ(w["name"], "w") << summary;
  EXPECT_TRUE(w["start_ms"].is_number() && w["end_ms"].is_number()) << summary;
  EXPECT_EQ(w["closed_at_end"], false) << summary;
  EXPECT_EQ(w["lost"], 0) << summary;
  for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
    EXPECT_TRUE(w["latency_us"][p].is_number()) << p << ": " << summary;
  }
  EXPECT_GT(w["sent"].get<long long>(), 1000) << summary;  // 2000 pkt/s for about 1 s
  EXPECT_LT(w["sent"].get<long long>(), 4000) << summary;
  EXPECT_EQ(w["sent"], w["received"]) << summary;
  EXPECT_EQ(windows[1]["name"], "to-the-end") << summary;
  EXPECT_EQ(windows[1]["closed_at_end"], true) << summary;
  EXPECT_GT(windows[1]["sent"].get<long long>(), w["sent"].get<long long>()) << summary;

  // One JSON object per interval, the declared links in each.
  const std::string intervals = ReadFile(dir + "/intervals.jsonl");
  const auto lines = std::count(intervals.begin(), intervals.end(), '\n');
  EXPECT_GT(lines, 50) << intervals.substr(0, 500);
  const std::string last = intervals.substr(intervals.rfind('\n', intervals.size() - 2) + 1);
  const nlohmann::json j = ParseJson(last);
  ASSERT_TRUE(j.is_object()) << last;
  EXPECT_TRUE(j.contains("t_ms") && j["t_ms"].is_number_integer()) << last;
  EXPECT_TRUE(j.contains("/instances/1/sent"_json_pointer)) << last;
  EXPECT_TRUE(j.contains("/instances/2/sent"_json_pointer)) << last;
  if (std::getenv("KEEP") == nullptr) std::filesystem::remove_all(dir);
}

TEST(TrafgenControlTest, HostileControlTrafficNeverCostsALegitimateRequest) {
  const std::string dir = "/tmp/s6-tghostile-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string tg_endpoint = "ipc://" + dir + "/trafgen.ctl";
  const std::string inst_endpoint = "ipc://" + dir + "/1.ctl";
  const pid_t tg = Launch(
      {S6_TRAFGEN_BIN, "--instance", "1=" + dir + "/1.memif", "--control", tg_endpoint, "--rate",
       "1000", "--flows", "50", "--duration", "10", "--drain-ms", "1000", "--ready-file",
       dir + "/ready", "--json", dir + "/summary.json", "--dpdk-memory", "128"},
      dir + "/trafgen.log");
  ASSERT_GT(tg, 0);
  ASSERT_TRUE(Ready(dir)) << ReadFile(dir + "/trafgen.log");
  const pid_t inst[1] = {
      Launch({S6_NAT_INSTANCE_BIN, "--id", "1", "--endpoint", "ipc://" + dir + "/1.zmq",
              "--members", "1", "--port", "memif:" + dir + "/1.memif:client", "--dpdk-memory",
              "128", "--control", inst_endpoint, "--", "--public-ip", "203.0.113.7"},
             dir + "/instance1.log")};
  ASSERT_GT(inst[0], 0);
  ControlClient tgc(tg_endpoint);
  ASSERT_TRUE(PollUntil([&] { return JsonInt(tgc.Call("status"), "/sent") > 0; }, 20s, 50ms))
      << ReadFile(dir + "/trafgen.log");
  ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(dir + "/1.ctl"); }, 20s));
  ControlClient ic(inst_endpoint);
  ASSERT_EQ(ic.Call("progress").rfind("ok {", 0), 0u) << ReadFile(dir + "/instance1.log");
  EXPECT_EQ(s6test::hostile::FileMode(dir + "/trafgen.ctl"), 0600);
  EXPECT_EQ(s6test::hostile::FileMode(dir + "/1.ctl"), 0600);

  zmq::context_t zmq(1);
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    {
      const auto raw_tg = s6test::hostile::SendRawPayloads(tg_endpoint, seed);
      const auto raw_inst = s6test::hostile::SendRawPayloads(inst_endpoint, seed);
      s6test::hostile::OddClients(zmq, tg_endpoint, seed, 20, 1);
      s6test::hostile::OddClients(zmq, inst_endpoint, seed, 20, 1028);
      const std::string status = tgc.Call("status");
      ASSERT_GT(JsonInt(status, "/sent"), 0) << "seed " << seed << ": '" << status << "'";
      const std::string progress = ic.Call("progress");
      ASSERT_EQ(progress.rfind("ok {", 0), 0u) << "seed " << seed << ": '" << progress << "'";
    }
  }
  EXPECT_EQ(tgc.Call("steer 1"), "ok");
  EXPECT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir + "/trafgen.log").find("steer: active instances now 1 (were 1)") !=
               std::string::npos;
      },
      5s))
      << ReadFile(dir + "/trafgen.log");

  s6test::FinishRun(tg, inst, dir);
  if (HasFatalFailure()) return;
  const std::string summary = ReadFile(dir + "/summary.json");
  EXPECT_GT(JsonInt(summary, "/sent"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/lost"), 0) << summary;
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
  ASSERT_TRUE(Ready(dir)) << ReadFile(dir + "/trafgen.log");
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
  EXPECT_GT(JsonInt(summary, "/sent"), 5000) << summary;
  EXPECT_EQ(JsonInt(summary, "/lost"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/received"), JsonInt(summary, "/sent")) << summary;
  EXPECT_EQ(JsonInt(summary, "/foreign"), 0) << summary;
  EXPECT_EQ(JsonInt(summary, "/pcap_skipped"), 3) << summary;  // 2818-byte frames
  EXPECT_GT(JsonInt(summary, "/pcap_loops"), 20) << summary;
  EXPECT_EQ(JsonInt(summary, "/mapping_changes"), 0) << summary;
  const nlohmann::json s = ParseJson(summary);
  EXPECT_EQ(s.value("/config/source"_json_pointer, ""), "pcap") << summary;
  EXPECT_EQ(s.value("/config/arrival"_json_pointer, ""), "pareto") << summary;
  // The NAT translated what it saw: the trailer did not disturb its parsing.
  const std::string nat = ReadFile(dir + "/1.json");
  EXPECT_GT(JsonInt(nat, "/nf/translated_out"), 0) << nat;
  EXPECT_EQ(JsonInt(nat, "/nf/malformed"), 0) << nat;
  std::filesystem::remove_all(dir);
}

}  // namespace

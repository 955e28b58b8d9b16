// SPDX-License-Identifier: Apache-2.0
// The run loop over in-memory links that send every frame straight back (an instance that
// forwards everything): the ready file appears while the links are still down and nothing is
// sent until the active one is up; then the configured rate flows to the active link only, all
// of it returns (lost == 0), the interval reports are written, and the summary accounts every
// link. A control request over the socket is answered while the loop runs.
#include "trafgen/run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "packetio/memory_port.h"
#include "util/poll.h"

namespace s6::trafgen {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// A link whose far end returns every frame it is sent (what a forwarding NF does).
class LoopbackPort final : public packetio::Port {
 public:
  explicit LoopbackPort(std::string name) : inner_(std::move(name)) {}
  const std::string& name() const override { return inner_.name(); }
  std::size_t Receive(std::span<Packet*> out) override { return inner_.Receive(out); }
  std::size_t Transmit(std::span<Packet* const> pkts) override {
    const std::size_t n = inner_.Transmit(pkts);
    for (const std::vector<uint8_t>& f : inner_.TakeTransmitted()) inner_.Inject(f);
    return n;
  }
  void Release(Packet* p) override { inner_.Release(p); }
  Packet* Allocate(uint32_t len) override { return inner_.Allocate(len); }
  packetio::PortStats stats() const override { return inner_.stats(); }

 private:
  packetio::MemoryPort inner_;
};

class RunLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/s6_trafgen_run_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.instances = {{1, ""}, {2, ""}};
    config_.active = {1};
    config_.rate_pps = 2000;
    config_.duration_s = 0.5;
    config_.drain_ms = 100;
    config_.interval_ms = 50;
    config_.flows.concurrent_flows = 50;
    config_.ready_path = dir_ + "/ready";
    config_.csv_path = dir_ + "/intervals.csv";
    config_.interval_json_path = dir_ + "/intervals.jsonl";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<RunLink> Links() {
    return {{1, &port1_, [this] { return up1_.load(); }}, {2, &port2_, [] { return false; }}};
  }

  std::string dir_;
  Config config_;
  LoopbackPort port1_{"loop1"};
  LoopbackPort port2_{"loop2"};
  std::atomic<bool> up1_{false};
};

TEST_F(RunLoopTest, WaitsForTheActiveLinkThenSendsAndGetsEverythingBack) {
  RunLoop loop(config_, Links(), std::nullopt, nullptr);
  auto run = std::async(std::launch::async, [&] { return loop.Run(); });
  ASSERT_TRUE(s6test::PollUntil([&] { return std::filesystem::exists(dir_ + "/ready"); }, 10s));
  const uint64_t up_at =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count());
  up1_ = true;
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  const StatusOr<RunSummary> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status();

  // 2000 pkt/s for 0.5 s, all back through the loopback.
  EXPECT_GT(r->total.sent, 700u);
  EXPECT_LT(r->total.sent, 1300u);
  EXPECT_EQ(r->total.received, r->total.sent);
  EXPECT_EQ(r->lost, 0u);
  EXPECT_EQ(r->total.foreign, 0u);
  EXPECT_GT(r->flows_started, 0u);
  EXPECT_GE(r->start_ns, up_at) << "sending started while the active link was down";
  ASSERT_EQ(r->links.size(), 2u);
  EXPECT_EQ(r->links[0].id, 1u);
  EXPECT_TRUE(r->links[0].active);
  EXPECT_EQ(r->links[0].sent, r->total.sent);
  EXPECT_EQ(r->links[0].backlog_unsent, 0u);
  EXPECT_GE(r->links[0].backlog_max, 1u);
  EXPECT_EQ(r->links[1].id, 2u);
  EXPECT_FALSE(r->links[1].active);
  EXPECT_EQ(r->links[1].sent, 0u);

  // The interval reports: the CSV's header and rows, one JSON object per line.
  const std::string csv = ReadFile(config_.csv_path);
  EXPECT_EQ(csv.rfind("t_ms,instance,sent,received,", 0), 0u) << csv;
  EXPECT_GT(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
  std::istringstream lines(ReadFile(config_.interval_json_path));
  int n = 0;
  uint64_t sent = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    const nlohmann::json j = ParseJson(line);
    ASSERT_FALSE(j.is_discarded()) << line;
    ASSERT_TRUE(j.contains("/instances/1/sent"_json_pointer)) << line;
    ASSERT_TRUE(j.contains("/instances/2/backlog"_json_pointer)) << line;
    sent += j["sent"].get<uint64_t>();
  }
  EXPECT_GT(n, 5);
  EXPECT_LE(sent, r->total.sent);  // the last partial interval is in the summary only
}

TEST_F(RunLoopTest, AnswersControlRequestsWhileRunning) {
  const std::string endpoint = "ipc://" + dir_ + "/ctl";
  auto control = ControlSocket::Bind(endpoint);
  ASSERT_TRUE(control.ok()) << control.status();
  up1_ = true;
  config_.duration_s = 2;  // long enough for the requests below
  config_.drain_ms = 0;
  RunLoop loop(config_, Links(), std::nullopt, control->get());
  auto run = std::async(std::launch::async, [&] { return loop.Run(); });

  zmq::context_t ctx(1);
  zmq::socket_t req(ctx, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 5000);
  req.connect(endpoint);
  auto call = [&](const std::string& request) {
    req.send(zmq::buffer(request), zmq::send_flags::none);
    zmq::message_t reply;
    return req.recv(reply) ? reply.to_string() : std::string();
  };
  // The link to instance 2 is down: steering there is refused, the loop goes on.
  EXPECT_EQ(call("steer 1 2").rfind("error ", 0), 0u);
  nlohmann::json status;
  ASSERT_TRUE(s6test::PollUntil(
      [&] {
        status = ParseJson(call("status"));
        return !status.is_discarded() && status["sent"].get<uint64_t>() > 0;
      },
      10s))
      << status;
  EXPECT_EQ(status["active"], nlohmann::json::array({1}));
  EXPECT_EQ(status["links"][1]["up"], false);
  EXPECT_EQ(call("mark-begin w"), "ok");
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  const StatusOr<RunSummary> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->windows.size(), 1u);
  EXPECT_TRUE(r->windows[0].closed_at_end);
  EXPECT_GT(r->windows[0].sent, 0u);
}

}  // namespace
}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// The instance control socket over a real ZeroMQ inproc:// socket: every command against a live
// instance (served from its own loop thread, as instance_main does), a whole scale event 1 -> 2
// driven through RemoteTarget, malformed requests answered with an error without harm, and
// the client's reading of progress replies (not JSON, missing or mistyped members).
#include "control/control.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <s6/codec.h>
#include "keyspace/slot_table.h"
#include "util/poll.h"

namespace s6::control {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

int NextSeq() {
  static std::atomic<int> seq{0};
  return ++seq;
}

// One instance with its control socket, served from a thread of its own.
class ServedInstance {
 public:
  ServedInstance(zmq::context_t& zmq, uint32_t id) {
    const std::string tag = std::to_string(NextSeq());
    Instance::Options o;
    o.id = InstanceId{id};
    o.endpoint = "inproc://s6-control-test-data-" + tag;
    o.zmq_context = &zmq;
    o.departed_grace = 0ms;
    instance_ = std::make_unique<Instance>(o);
    control_endpoint_ = "inproc://s6-control-test-ctl-" + tag;
    StatusOr<std::unique_ptr<ControlServer>> s = ControlServer::Bind(zmq, control_endpoint_);
    EXPECT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  ~ServedInstance() { Stop(); }

  Status Start(std::optional<keyspace::SlotTable> table = std::nullopt) {
    if (table) instance_->SetSlotTable(*table);
    S6_RETURN_IF_ERROR(instance_->Start());
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        instance_->RunOnce(1);
        if (server_->Serve(*instance_)) exit_requested_.store(true);
      }
    });
    return OkStatus();
  }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  Instance& instance() { return *instance_; }
  ControlServer& server() { return *server_; }
  const std::string& control_endpoint() const { return control_endpoint_; }
  bool exit_requested() const { return exit_requested_.load(); }

 private:
  std::unique_ptr<Instance> instance_;
  std::unique_ptr<ControlServer> server_;
  std::string control_endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> exit_requested_{false};
};

std::string Bytes(const keyspace::SlotTable& t) {
  const ByteBuffer b = EncodeToBuffer(t);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

class ControlTest : public ::testing::Test {
 protected:
  zmq::context_t zmq_{1};
};

TEST_F(ControlTest, StatusAndProgress) {
  ServedInstance a(zmq_, 1);
  ASSERT_TRUE(a.Start().ok());
  ControlClient client(zmq_, a.control_endpoint(), 3000ms);
  StatusOr<std::string> status = client.Call("status");
  ASSERT_TRUE(status.ok()) << status.status();
  const Json j = Json::parse(*status);
  EXPECT_EQ(j.at("instance"), 1);
  EXPECT_TRUE(j.at("migration").is_object());
  EXPECT_EQ(j.at("peers_not_ready"), 0);
  EXPECT_EQ(j.at("control").at("requests"), 1);
  EXPECT_EQ(j.at("control").at("errors"), 0);
  const StatusOr<objspace::MigrationStatus> m = ParseMigrationStatus(*status);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version, 1u);

  StatusOr<std::string> progress = client.Call("progress");
  ASSERT_TRUE(progress.ok()) << progress.status();
  const StatusOr<ScaleTarget::Progress> p = ParseProgress(*progress);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->migration.version, 1u);
  EXPECT_FALSE(p->migration.in_transition);
  EXPECT_EQ(p->peers_not_ready, 0u);

  RemoteTarget target(client);
  const StatusOr<ScaleTarget::Progress> polled = target.Poll();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->migration.version, 1u);
}

TEST_F(ControlTest, AbortSwitchCompleteAndStop) {
  ServedInstance a(zmq_, 1);
  ASSERT_TRUE(a.Start().ok());
  ControlClient client(zmq_, a.control_endpoint(), 3000ms);
  EXPECT_TRUE(client.Call("abort 2").ok());  // nothing prepared: OK
  const StatusOr<std::string> sw = client.Call("switch 7");
  ASSERT_FALSE(sw.ok());
  EXPECT_EQ(sw.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(client.Call("complete 7").ok());
  EXPECT_FALSE(a.exit_requested());
  EXPECT_TRUE(client.Call("stop").ok());
  EXPECT_TRUE(s6test::PollUntil([&] { return a.exit_requested(); }, 5000ms));
}

TEST_F(ControlTest, ScaleOutThroughTheControlSockets) {
  const auto v1 = keyspace::SlotTable::Initial({InstanceId{1}});
  ASSERT_TRUE(v1.ok());
  const auto v2 = v1->Rebalance({InstanceId{1}, InstanceId{2}});
  ASSERT_TRUE(v2.ok());
  ServedInstance a(zmq_, 1);
  ServedInstance b(zmq_, 2);
  ASSERT_TRUE(a.Start(*v1).ok());
  ASSERT_TRUE(b.Start(*v1).ok());  // a newcomer routes by v1 until prepare
  ControlClient ca(zmq_, a.control_endpoint(), 3000ms);
  ControlClient cb(zmq_, b.control_endpoint(), 3000ms);
  RemoteTarget ta(ca), tb(cb);
  const std::map<InstanceId, ScaleTarget*> targets = {{InstanceId{1}, &ta}, {InstanceId{2}, &tb}};
  const std::map<InstanceId, std::string> endpoints = {{InstanceId{1}, a.instance().endpoint()},
                                                       {InstanceId{2}, b.instance().endpoint()}};
  ScaleOptions o;
  bool switched = false;
  o.on_switched = [&] { switched = true; };
  const StatusOr<ScaleReport> r = RunScaleEvent(*v1, *v2, targets, endpoints, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(switched);
  EXPECT_EQ(r->version, 2u);
  EXPECT_GT(r->slots_moved, 0u);
  const Json report = Json::parse(r->ToJson());
  EXPECT_EQ(report.at("version"), 2);
  EXPECT_EQ(report.at("from"), Json::array({1}));
  EXPECT_EQ(report.at("to"), Json::array({1, 2}));
  EXPECT_EQ(report.at("slots_moved"), r->slots_moved);
  EXPECT_TRUE(report.at("migration_ms").is_number());
  const StatusOr<ScaleTarget::Progress> pb = tb.Poll();
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(pb->migration.version, 2u);
  EXPECT_EQ(pb->migration.slots_in, r->slots_moved);
}

TEST_F(ControlTest, MalformedRequestsAreAnsweredWithAnError) {
  ServedInstance a(zmq_, 1);
  ASSERT_TRUE(a.Start().ok());
  zmq::socket_t req(zmq_, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 3000);
  req.connect(a.control_endpoint());
  auto exchange = [&](const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      req.send(zmq::buffer(frames[i]),
               i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::message_t reply;
    EXPECT_TRUE(req.recv(reply, zmq::recv_flags::none));
    return reply.to_string();
  };
  const auto v1 = *keyspace::SlotTable::Initial({InstanceId{1}});
  const auto v2 = *v1.Rebalance({InstanceId{1}, InstanceId{2}});
  const std::vector<std::vector<std::string>> bad = {
      {""},
      {"{\"command\":\"status\"}"},  // JSON is not a command
      {std::string("\xff\x00\x01", 3)},
      {"reboot"},
      {"status please"},
      {"abort"},
      {"abort x"},  // a version of the wrong type
      {"switch -1"},
      {"complete 1.5"},
      {"switch 99999999999999999999999"},
      {"prepare"},
      {"prepare", "junk", "junk", "mode=gradual"},
      {"prepare", Bytes(v1), Bytes(v2), "mode=teleport"},
      {"prepare", Bytes(v1), Bytes(v2), "rate=0"},
      {"prepare", Bytes(v1), Bytes(v2), "mode=gradual", "x=ipc://nowhere"},
      {"prepare", Bytes(v1), Bytes(v2), "mode=gradual"},  // no endpoint for instance 2
  };
  for (const auto& frames : bad) {
    const std::string reply = exchange(frames);
    EXPECT_EQ(reply.rfind("error ", 0), 0u) << frames[0] << " -> " << reply;
  }
  // The instance is unaffected: still at v1, serving, and every error was counted.
  const std::string status = exchange({"status"});
  ASSERT_EQ(status.rfind("ok ", 0), 0u) << status;
  const Json j = Json::parse(status.substr(3));
  EXPECT_EQ(j.at("migration").at("version"), 1);
  EXPECT_EQ(j.at("control").at("errors"), bad.size());
  EXPECT_FALSE(a.exit_requested());
}

TEST(ControlRepliesTest, ProgressMustBeWellFormed) {
  const objspace::MigrationStatus m;
  const std::string good = "{\"migration\":" + m.ToJson() + ",\"peers_not_ready\":2}";
  StatusOr<ScaleTarget::Progress> p = ParseProgress(good);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->peers_not_ready, 2u);

  EXPECT_FALSE(ParseProgress("").ok());
  EXPECT_FALSE(ParseProgress("not json").ok());
  EXPECT_FALSE(ParseProgress("[1,2]").ok());
  EXPECT_FALSE(ParseProgress("{\"peers_not_ready\":0}").ok());
  EXPECT_FALSE(ParseProgress("{\"migration\":" + m.ToJson() + "}").ok());
  EXPECT_FALSE(ParseProgress("{\"migration\":" + m.ToJson() + ",\"peers_not_ready\":\"0\"}").ok());
  EXPECT_FALSE(ParseProgress("{\"migration\":" + m.ToJson() + ",\"peers_not_ready\":-1}").ok());

  Json j = Json::parse(good);
  j["migration"]["incoming_left"] = "3";
  p = ParseProgress(j.dump());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("incoming_left"), std::string::npos) << p.status();
  j = Json::parse(good);
  j["migration"].erase("settled_at_ns");
  p = ParseProgress(j.dump());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("missing migration.settled_at_ns"), std::string::npos);
  // Flags may be booleans or 0/1.
  j = Json::parse(good);
  j["migration"]["in_transition"] = true;
  p = ParseProgress(j.dump());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->migration.in_transition);
  j["migration"]["version"] = 1.5;
  EXPECT_FALSE(ParseProgress(j.dump()).ok());
}

TEST(ControlRepliesTest, RemoteTargetRefusesAMalformedReply) {
  zmq::context_t zmq(1);
  zmq::socket_t rep(zmq, zmq::socket_type::rep);
  rep.set(zmq::sockopt::linger, 0);
  const std::string endpoint = "inproc://s6-control-test-fake-" + std::to_string(NextSeq());
  rep.bind(endpoint);
  std::thread fake([&] {
    for (const char* reply : {"ok not json", "ok {\"migration\":{},\"peers_not_ready\":0}"}) {
      zmq::message_t m;
      if (!rep.recv(m, zmq::recv_flags::none)) return;
      rep.send(zmq::buffer(std::string(reply)), zmq::send_flags::none);
    }
  });
  ControlClient client(zmq, endpoint, 3000ms);
  RemoteTarget target(client);
  StatusOr<ScaleTarget::Progress> p = target.Poll();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("not JSON"), std::string::npos) << p.status();
  p = target.Poll();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("missing migration.version"), std::string::npos)
      << p.status();
  fake.join();
}

}  // namespace
}  // namespace s6::control

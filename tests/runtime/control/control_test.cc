// SPDX-License-Identifier: Apache-2.0
// The instance control socket over real ZeroMQ sockets: every command against a live instance
// (served from its own loop thread, as instance_main does), a whole scale event 1 -> 2 driven
// through RemoteTarget, malformed requests answered with an error without harm, and the
// client's reading of progress replies (not JSON, missing or mistyped members). Hostile clients
// over ipc:// and tcp:// (hostile_clients.h): raw bytes that are not ZMTP, oddly framed
// ZeroMQ messages (seeded fuzz), a frame over the bound, many clients at once — after each, a
// legitimate request is answered; what has no envelope is counted. A refused prepare (bad or
// partial tables, peer lists) changes nothing, not even the peers. The ipc:// socket file is
// owner-only.
#include "control/control.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <s6/codec.h>
#include "keyspace/slot_table.h"
#include "runtime/control/hostile_clients.h"
#include "transport/zmq_transport.h"
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
  // `control` is the control socket's endpoint (default: a fresh inproc:// one).
  ServedInstance(zmq::context_t& zmq, uint32_t id, std::string control = "") {
    const std::string tag = std::to_string(NextSeq());
    Instance::Options o;
    o.id = InstanceId{id};
    o.endpoint = "inproc://s6-control-test-data-" + tag;
    o.zmq_context = &zmq;
    o.departed_grace = 0ms;
    instance_ = std::make_unique<Instance>(o);
    if (control.empty()) control = "inproc://s6-control-test-ctl-" + tag;
    StatusOr<std::unique_ptr<ControlServer>> s = ControlServer::Bind(zmq, control);
    EXPECT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    control_endpoint_ = server_->endpoint();  // a tcp port given as * resolved
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

// A private directory for ipc:// endpoints, removed afterwards.
class IpcDir {
 public:
  IpcDir()
      : path_("/tmp/s6-control-hostile-" + std::to_string(::getpid()) + "-" +
              std::to_string(NextSeq())) {
    std::filesystem::create_directories(path_);
  }
  ~IpcDir() { std::filesystem::remove_all(path_); }
  std::string Endpoint(const std::string& name) const { return "ipc://" + path_ + "/" + name; }

 private:
  std::string path_;
};

// The instance's "control" counters, read over the socket (the loop thread owns the server).
Json ControlCounters(ControlClient& client) {
  const StatusOr<std::string> status = client.Call("status");
  if (!status.ok()) return Json();
  const Json j = Json::parse(*status, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("control") ? j["control"] : Json();
}

TEST_F(ControlTest, IpcSocketIsOwnerOnly) {
  IpcDir dir;
  ServedInstance a(zmq_, 1, dir.Endpoint("1.ctl"));
  EXPECT_EQ(s6test::hostile::FileMode(s6test::hostile::IpcPath(a.control_endpoint())), 0600);
}

// Raw stream connections sending what is not a ZeroMQ request (and some staying open, silent
// or half-way) never cost a legitimate request its answer; over ipc:// and tcp://.
TEST_F(ControlTest, RawBytesNeverCostALegitimateRequest) {
  IpcDir dir;
  for (const std::string& endpoint : {dir.Endpoint("1.ctl"), std::string("tcp://127.0.0.1:*")}) {
    ServedInstance a(zmq_, 1, endpoint);
    ASSERT_TRUE(a.Start().ok());
    ControlClient client(zmq_, a.control_endpoint(), 5000ms);
    for (uint32_t seed = 1; seed <= 30; ++seed) {
      const auto open = s6test::hostile::SendRawPayloads(a.control_endpoint(), seed);
      const StatusOr<std::string> progress = client.Call("progress");
      ASSERT_TRUE(progress.ok()) << a.control_endpoint() << " seed " << seed << ": "
                                 << progress.status();
      ASSERT_TRUE(ParseProgress(*progress).ok()) << *progress;
    }
    EXPECT_FALSE(a.exit_requested());
  }
}

// Seeded fuzz of oddly framed ZeroMQ messages: multi-frame and empty-frame requests, DEALERs
// without the delimiter or with nothing after it, too many frames, clients that leave before
// their reply, peers of the wrong type. Each round is followed by a legitimate request; what
// had no envelope or no body is counted in "control.malformed".
TEST_F(ControlTest, OddlyFramedClientsAreDroppedOrRefusedAndCounted) {
  IpcDir dir;
  for (const std::string& endpoint : {dir.Endpoint("1.ctl"), std::string("tcp://127.0.0.1:*")}) {
    ServedInstance a(zmq_, 1, endpoint);
    ASSERT_TRUE(a.Start().ok());
    ControlClient client(zmq_, a.control_endpoint(), 5000ms);
    int must_count = 0;
    for (uint32_t seed = 1; seed <= 10; ++seed) {
      const s6test::hostile::OddTraffic t = s6test::hostile::OddClients(
          zmq_, a.control_endpoint(), seed, 30, ControlServer::kMaxFrames);
      must_count += t.without_delimiter + t.refused;
      const StatusOr<std::string> progress = client.Call("progress");
      ASSERT_TRUE(progress.ok()) << "seed " << seed << ": " << progress.status();
    }
    Json counters;
    EXPECT_TRUE(s6test::PollUntil(
        [&] {
          counters = ControlCounters(client);
          return counters.is_object() && counters.value("malformed", 0) >= must_count;
        },
        10000ms))
        << counters << " want malformed >= " << must_count;
    // The instance is unaffected.
    const StatusOr<std::string> status = client.Call("status");
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(Json::parse(*status).at("migration").at("version"), 1);
    EXPECT_FALSE(a.exit_requested());
  }
}

// A frame over the bound (ZMQ_MAXMSGSIZE) closes the sender's connection; nobody else notices.
TEST_F(ControlTest, AFrameOverTheBoundClosesOnlyThatConnection) {
  IpcDir dir;
  ServedInstance a(zmq_, 1, dir.Endpoint("1.ctl"));
  ASSERT_TRUE(a.Start().ok());
  ControlClient client(zmq_, a.control_endpoint(), 5000ms);
  ASSERT_TRUE(client.Call("progress").ok());
  EXPECT_TRUE(s6test::hostile::OversizedRequestDisconnects(
      zmq_, a.control_endpoint(), static_cast<std::size_t>(ControlServer::kMaxFrameBytes) + 1));
  const StatusOr<std::string> progress = client.Call("progress");
  EXPECT_TRUE(progress.ok()) << progress.status();
}

// Many clients at once, each with a request in flight: every one gets its own answer.
TEST_F(ControlTest, ManyClientsAtOnceAreAllAnswered) {
  IpcDir dir;
  ServedInstance a(zmq_, 1, dir.Endpoint("1.ctl"));
  ASSERT_TRUE(a.Start().ok());
  std::vector<zmq::socket_t> clients;
  for (int i = 0; i < 32; ++i) {
    clients.emplace_back(zmq_, zmq::socket_type::req);
    clients.back().set(zmq::sockopt::linger, 0);
    clients.back().set(zmq::sockopt::rcvtimeo, 5000);
    clients.back().connect(a.control_endpoint());
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const std::string cmd = i % 2 == 0 ? "progress" : "bogus " + std::to_string(i);
    ASSERT_TRUE(clients[i].send(zmq::buffer(cmd), zmq::send_flags::none));
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    zmq::message_t reply;
    ASSERT_TRUE(clients[i].recv(reply)) << "client " << i << " got no reply";
    if (i % 2 == 0) {
      EXPECT_EQ(reply.to_string().rfind("ok {", 0), 0u) << reply.to_string();
    } else {  // each client gets the answer to its own request
      EXPECT_NE(reply.to_string().find("bogus " + std::to_string(i) + "'"), std::string::npos)
          << reply.to_string();
    }
  }
}

// "never let a request fail half an operation": a prepare refused for its tables, options or
// peer list adds no peer and prepares nothing; so does one that conflicts with the prepared
// table. Checked on the instance itself once its loop stopped.
TEST_F(ControlTest, ARefusedPrepareChangesNothing) {
  const auto v1 = *keyspace::SlotTable::Initial({InstanceId{1}});
  const auto v2 = *v1.Rebalance({InstanceId{1}, InstanceId{2}});
  const auto v2_with_3 = *v1.Rebalance({InstanceId{1}, InstanceId{2}, InstanceId{3}});
  const auto v3 = *v2.Rebalance({InstanceId{1}, InstanceId{2}, InstanceId{3}});
  const std::string t1 = Bytes(v1), t2 = Bytes(v2);
  ServedInstance a(zmq_, 1);
  ASSERT_TRUE(a.Start(v1).ok());
  ControlClient client(zmq_, a.control_endpoint(), 5000ms);
  const std::string p2 = "2=inproc://s6-control-test-nowhere-2";
  const std::string p3 = "3=inproc://s6-control-test-nowhere-3";
  const std::vector<std::vector<std::string>> refused = {
      {"prepare", t1, t1, "mode=gradual", p2},                           // does not follow
      {"prepare", t1, Bytes(v3), "mode=gradual", p2, p3},                // skips a version
      {"prepare", t1, t2.substr(0, t2.size() / 2), "mode=gradual", p2},  // truncated table
      {"prepare", t1, t2 + "x", "mode=gradual", p2},                     // trailing bytes
      {"prepare", t1, t2, "mode=gradual", p2, p2},                       // named twice
      {"prepare", t1, t2, "mode=gradual", p2, "3=carrier-pigeon"},       // bad endpoint
      {"prepare", t1, t2, "mode=gradual", p2, "3="},                     // empty endpoint
      {"prepare", t1, Bytes(v2_with_3), "mode=gradual", p2},             // no endpoint for 3
      {"prepare", t1, t2, "mode=gradual rate=0", p2},                    // bad options
      {"prepare", t1, t2, "mode=gradual", p2, "x=ipc://nowhere"},        // bad peer
  };
  for (const auto& frames : refused) {
    const StatusOr<std::string> r = client.Call(frames);
    EXPECT_FALSE(r.ok()) << "accepted: " << frames.back();
  }
  StatusOr<std::string> progress = client.Call("progress");
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(ParseProgress(*progress)->migration.next_version, 0u);
  a.Stop();
  for (uint32_t id : {2u, 3u}) {
    EXPECT_EQ(a.instance().transport()->GetPeerState(InstanceId{id}),
              transport::PeerState::kUnknown)
        << "a refused prepare connected instance " << id;
  }

  // A prepare conflicting with the prepared table is refused without connecting its peers.
  ServedInstance b(zmq_, 1);
  ASSERT_TRUE(b.Start(v1).ok());
  ControlClient cb(zmq_, b.control_endpoint(), 5000ms);
  ASSERT_TRUE(cb.Call({"prepare", t1, t2, "mode=gradual", p2}).ok());
  EXPECT_TRUE(cb.Call({"prepare", t1, t2, "mode=gradual", p2}).ok());  // the same: idempotent
  EXPECT_FALSE(cb.Call({"prepare", t1, Bytes(v2_with_3), "mode=gradual", p2, p3}).ok());
  progress = cb.Call("progress");
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(ParseProgress(*progress)->migration.next_version, 2u);
  b.Stop();
  EXPECT_NE(b.instance().transport()->GetPeerState(InstanceId{2}), transport::PeerState::kUnknown);
  EXPECT_EQ(b.instance().transport()->GetPeerState(InstanceId{3}), transport::PeerState::kUnknown)
      << "a refused prepare connected instance 3";
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

// SPDX-License-Identifier: Apache-2.0
// Attaching: request parsing, the run's socket answering a real client over ipc:// (well-formed
// requests reach the handler, malformed ones — also of several frames — are refused before
// it), error replies, a handler that throws, finding the run's directory, and a client facing
// no run. Hostile clients (runtime/control/hostile_clients.h): raw bytes, oddly framed messages
// (seeded fuzz), a frame over the bound — a legitimate request is answered after each. The
// socket file is owner-only.
#include "ctl/attach.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/control/hostile_clients.h"

#include "util/poll.h"

namespace s6::ctl {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(AttachRequestTest, ParseAndText) {
  for (const char* text : {"status", "scale-out", "scale-in", "kill 3"}) {
    const StatusOr<AttachRequest> r = ParseAttachRequest(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(r->ToText(), text);
  }
  EXPECT_EQ(ParseAttachRequest("kill 3")->target, 3u);
  for (const char* bad : {"", "stat", "status ", "kill", "kill ", "kill x", "kill 3x", "kill -1",
                          "kill 99999999999", "scale-out now"}) {
    EXPECT_FALSE(ParseAttachRequest(bad).ok()) << bad;
  }
}

TEST(AttachRequestTest, RequestForEachCommand) {
  Config c;
  c.command = Command::kStatus;
  EXPECT_EQ(RequestFor(c).ToText(), "status");
  c.command = Command::kScaleOut;
  EXPECT_EQ(RequestFor(c).ToText(), "scale-out");
  c.command = Command::kScaleIn;
  EXPECT_EQ(RequestFor(c).ToText(), "scale-in");
  c.command = Command::kKill;
  c.attach.kill_target = 4;
  EXPECT_EQ(RequestFor(c).ToText(), "kill 4");
}

class AttachServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("s6-ctl-attach-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    StatusOr<std::unique_ptr<AttachServer>> s =
        AttachServer::Bind(zmq_, "ipc://" + (dir_ / "s6ctl.ctl").string());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // Sends `request` from a client thread while this thread serves; the client's result.
  StatusOr<std::string> Exchange(const AttachRequest& request) {
    auto reply = std::async(std::launch::async,
                            [&] { return SendAttachRequest(dir_.string(), request, 5000ms); });
    EXPECT_TRUE(s6test::PollUntil([&] { return server_->Poll(handler_); }, 5000ms));
    return reply.get();
  }

  zmq::context_t zmq_{1};
  fs::path dir_;
  std::unique_ptr<AttachServer> server_;
  std::vector<std::string> seen_;
  AttachServer::Handler handler_ = [this](const AttachRequest& r) {
    seen_.push_back(r.ToText());
    if (r.kind == AttachRequest::Kind::kKill) return std::string("error no running instance 9");
    return "ok did " + r.ToText();
  };
};

TEST_F(AttachServerTest, RequestsReachTheHandlerAndRepliesTheClient) {
  EXPECT_FALSE(server_->Poll(handler_));  // nothing pending: returns at once
  StatusOr<std::string> r = Exchange(AttachRequest{AttachRequest::Kind::kStatus, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "did status");
  r = Exchange(AttachRequest{AttachRequest::Kind::kScaleOut, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "did scale-out");
  // An error reply is an error at the client, with the run's message.
  r = Exchange(AttachRequest{AttachRequest::Kind::kKill, 9});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no running instance 9");
  EXPECT_EQ(seen_, (std::vector<std::string>{"status", "scale-out", "kill 9"}));
}

TEST_F(AttachServerTest, MalformedRequestsAreRefusedBeforeTheHandler) {
  zmq::socket_t req(zmq_, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.connect("ipc://" + (dir_ / "s6ctl.ctl").string());
  for (const std::string& bad :
       {std::string("reboot"), std::string("kill me"), std::string("\0\xff", 2)}) {
    req.send(zmq::buffer(bad), zmq::send_flags::none);
    ASSERT_TRUE(s6test::PollUntil([&] { return server_->Poll(handler_); }, 5000ms));
    zmq::message_t reply;
    ASSERT_TRUE(req.recv(reply, zmq::recv_flags::none));
    EXPECT_EQ(reply.to_string().rfind("error ", 0), 0u) << reply.to_string();
  }
  EXPECT_TRUE(seen_.empty());
}

// A request of two frames (or of one empty frame after the delimiter and more) is refused with
// an error reply; it never reaches the handler and never ends the run.
TEST_F(AttachServerTest, ATwoFrameRequestGetsAnErrorReply) {
  zmq::socket_t req(zmq_, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 5000);
  req.connect("ipc://" + (dir_ / "s6ctl.ctl").string());
  for (const std::vector<std::string>& frames : std::vector<std::vector<std::string>>{
           {"status", "extra"}, {"scale-out", ""}, {"", "kill 1"}}) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      ASSERT_TRUE(req.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore
                                                                         : zmq::send_flags::none));
    }
    zmq::message_t reply;
    bool answered = false;
    ASSERT_TRUE(s6test::PollUntil(
        [&] {
          (void)server_->Poll(handler_);
          answered = req.recv(reply, zmq::recv_flags::dontwait).has_value();
          return answered;
        },
        5000ms))
        << frames[0];
    EXPECT_EQ(reply.to_string().rfind("error ", 0), 0u) << reply.to_string();
  }
  EXPECT_TRUE(seen_.empty());
  EXPECT_EQ(server_->malformed(), 3u);
  // The socket goes on.
  const StatusOr<std::string> r = Exchange(AttachRequest{AttachRequest::Kind::kStatus, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "did status");
}

// Whatever a handler throws is an error reply for that client, not the end of the run.
TEST_F(AttachServerTest, AHandlerThatThrowsIsAnErrorReply) {
  handler_ = [](const AttachRequest&) -> std::string { throw std::runtime_error("boom"); };
  StatusOr<std::string> r = Exchange(AttachRequest{AttachRequest::Kind::kScaleIn, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "boom");
  handler_ = [](const AttachRequest& a) { return "ok did " + a.ToText(); };
  r = Exchange(AttachRequest{AttachRequest::Kind::kStatus, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "did status");
}

TEST_F(AttachServerTest, SocketIsOwnerOnly) {
  EXPECT_EQ(s6test::hostile::FileMode((dir_ / "s6ctl.ctl").string()), 0600);
}

// Serves the fixture's server from a thread of its own, as the run's main loop does.
class Serving {
 public:
  Serving(AttachServer& server, AttachServer::Handler handler)
      : thread_([this, &server, handler = std::move(handler)] {
          while (!stop_.load()) {
            if (!server.Poll(handler)) std::this_thread::sleep_for(200us);  // other work
            malformed_.store(server.malformed());
          }
        }) {}
  ~Serving() {
    stop_.store(true);
    thread_.join();
  }
  uint64_t malformed() const { return malformed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> malformed_{0};
  std::thread thread_;
};

// Raw bytes that are not ZMTP and oddly framed ZeroMQ messages (seeded fuzz) never cost an
// attached client its answer; what has no envelope, no body or several frames is counted.
TEST_F(AttachServerTest, HostileClientsNeverCostALegitimateRequest) {
  const std::string endpoint = "ipc://" + (dir_ / "s6ctl.ctl").string();
  Serving serving(*server_, [](const AttachRequest& r) { return "ok did " + r.ToText(); });
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    const auto open = s6test::hostile::SendRawPayloads(endpoint, seed);
    const StatusOr<std::string> r =
        SendAttachRequest(dir_.string(), AttachRequest{AttachRequest::Kind::kStatus, 0}, 5000ms);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.status();
  }
  int must_count = 0;
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    const s6test::hostile::OddTraffic t =
        s6test::hostile::OddClients(zmq_, endpoint, seed, 30, /*max_frames=*/1);
    must_count += t.without_delimiter + t.refused;
    const StatusOr<std::string> r =
        SendAttachRequest(dir_.string(), AttachRequest{AttachRequest::Kind::kStatus, 0}, 5000ms);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.status();
  }
  EXPECT_TRUE(s6test::PollUntil(
      [&] { return serving.malformed() >= static_cast<uint64_t>(must_count); }, 10000ms))
      << serving.malformed() << " counted, want >= " << must_count;
}

// A frame over the bound closes the sender's connection; the next client is answered.
TEST_F(AttachServerTest, AFrameOverTheBoundClosesThatConnection) {
  const std::string endpoint = "ipc://" + (dir_ / "s6ctl.ctl").string();
  Serving serving(*server_, [](const AttachRequest& r) { return "ok did " + r.ToText(); });
  EXPECT_TRUE(s6test::hostile::OversizedRequestDisconnects(
      zmq_, endpoint, static_cast<std::size_t>(AttachServer::kMaxRequestBytes) + 1));
  const StatusOr<std::string> r =
      SendAttachRequest(dir_.string(), AttachRequest{AttachRequest::Kind::kStatus, 0}, 5000ms);
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(AttachServerTest, FindsTheRunDirectory) {
  EXPECT_EQ(*ResolveAttachDir(dir_.string()), dir_.string());
  const std::string latest = (dir_ / "latest").string();
  std::ofstream(latest) << dir_.string() << "\n";
  EXPECT_EQ(*ResolveAttachDir("", latest), dir_.string());
  const StatusOr<std::string> none = ResolveAttachDir((dir_ / "none").string(), latest);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no running `s6ctl run` found in"), std::string::npos);
  EXPECT_FALSE(ResolveAttachDir("", (dir_ / "no-latest").string()).ok());
}

TEST(AttachClientTest, NoRunAnswersIsADeadline) {
  const fs::path dir =
      fs::temp_directory_path() / ("s6-ctl-attach-none-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const StatusOr<std::string> r =
      SendAttachRequest(dir.string(), AttachRequest{AttachRequest::Kind::kStatus, 0}, 100ms);
  fs::remove_all(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace s6::ctl

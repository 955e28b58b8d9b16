// SPDX-License-Identifier: Apache-2.0
// Run-time control: `steer` changes the active set only when every named link is declared and
// up; `status` reports totals, the active set and every link; `mark-begin`/`mark-end` open and
// close measurement windows, which account the packets generated inside them (also when they
// come back after the window closed); anything else is refused. The socket answers a real
// ZeroMQ REQ client without ever blocking the caller; malformed requests get an error, never a
// crash. The JSON reports have their fields. Hostile clients (runtime/control/hostile_clients.h)
// over ipc:// and tcp://: raw bytes, oddly framed messages (seeded fuzz), multi-frame requests,
// frames over the bound, many clients at once — a legitimate request is answered after each.
// The ipc:// socket is owner-only, and every accepted steer is logged.
#include "trafgen/control.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include <spdlog/sinks/ostream_sink.h>

#include <s6/log.h>
#include "runtime/control/hostile_clients.h"

#include "trafgen/report.h"
#include "util/poll.h"

namespace s6::trafgen {
namespace {

// A reply or report as a reader sees it (discarded if it is not JSON).
nlohmann::json Parse(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::vector<uint8_t> Frame(FlowGenerator& g, uint64_t tx_ns) {
  std::vector<uint8_t> f(g.config().frame_bytes);
  g.Build(g.Next(), tx_ns, f.data());
  return f;
}

TEST(ControlTest, SteerOnlyToDeclaredLinksThatAreUp) {
  Steering steering({1});
  Tracker tracker;
  const std::vector<LinkState> links = {{1, true, 0}, {2, false, 0}, {3, true, 5}};
  auto run = [&](const std::string& r) {
    return HandleControl(r, steering, tracker, links, 2'000'000'000, 1'000'000'000);
  };
  EXPECT_EQ(run("steer 3 1"), "ok");
  EXPECT_EQ(steering.instances(), (std::vector<uint32_t>{1, 3}));
  const std::string down = run("steer 1 2");
  EXPECT_EQ(down.rfind("error ", 0), 0u) << down;
  EXPECT_NE(down.find("down"), std::string::npos) << down;
  EXPECT_EQ(run("steer 4").rfind("error ", 0), 0u);
  EXPECT_EQ(run("steer").rfind("error ", 0), 0u);
  EXPECT_EQ(run("steer one").rfind("error ", 0), 0u);
  EXPECT_EQ(run("steer 1 -3").rfind("error ", 0), 0u);
  EXPECT_EQ(steering.instances(), (std::vector<uint32_t>{1, 3})) << "a refused steer changed it";
  EXPECT_EQ(run("  steer   3  3 "), "ok");
  EXPECT_EQ(steering.instances(), (std::vector<uint32_t>{3}));
  EXPECT_EQ(run("bogus"), "error unknown command");
  EXPECT_EQ(run(""), "error unknown command");
}

TEST(ControlTest, StatusReportsTotalsActiveSetAndLinks) {
  FlowConfig c;
  c.concurrent_flows = 10;
  FlowGenerator g(c);
  Steering steering({1, 3});
  Tracker tracker;
  for (int i = 0; i < 10; ++i) {
    const auto f = Frame(g, 100);
    tracker.OnSent(i < 7 ? 1 : 3, 100);
    if (i < 6) tracker.OnReceived(1, f.data(), static_cast<uint32_t>(f.size()), 200);
  }
  const std::vector<LinkState> links = {{1, true, 4}, {2, false, 0}, {3, true, 5}};
  const nlohmann::json s =
      Parse(HandleControl("status", steering, tracker, links, 3'500'000'000, 1'000'000'000));
  ASSERT_TRUE(s.is_object()) << s;
  EXPECT_EQ(s["t_ms"], 2500) << s;
  EXPECT_EQ(s["sent"], 10) << s;
  EXPECT_EQ(s["received"], 6) << s;
  EXPECT_EQ(s["lost_so_far"], 4) << s;
  EXPECT_EQ(s["backlog"], 9) << s;
  EXPECT_EQ(s["active"], nlohmann::json::array({1, 3})) << s;
  ASSERT_EQ(s["links"].size(), 3u) << s;
  EXPECT_EQ(
      s["links"][0],
      (nlohmann::json{
          {"id", 1}, {"up", true}, {"active", true}, {"sent", 7}, {"received", 6}, {"backlog", 4}}))
      << s;
  EXPECT_EQ(s["links"][1]["id"], 2) << s;
  EXPECT_EQ(s["links"][1]["up"], false) << s;
  EXPECT_EQ(s["links"][1]["active"], false) << s;
  EXPECT_EQ(s["links"][1]["sent"], 0) << s;
  EXPECT_EQ(s["links"][1]["received"], 0) << s;
  EXPECT_EQ(s["links"][2]["id"], 3) << s;
  EXPECT_EQ(s["links"][2]["up"], true) << s;
  EXPECT_EQ(s["links"][2]["active"], true) << s;
  EXPECT_EQ(s["links"][2]["sent"], 3) << s;
  EXPECT_EQ(s["links"][2]["received"], 0) << s;
  // Before sending starts the time is 0.
  EXPECT_EQ(Parse(HandleControl("status", steering, tracker, links, 10, 10))["t_ms"], 0);
}

TEST(ControlTest, MalformedRequestsGetAnErrorAndChangeNothing) {
  Steering steering({1});
  Tracker tracker;
  const std::vector<LinkState> links = {{1, true, 0}};
  auto run = [&](std::string_view r) {
    return HandleControl(r, steering, tracker, links, 2'000'000'000, 1'000'000'000);
  };
  const std::string binary("\0\xff\x01steer", 8);
  EXPECT_EQ(run(binary).rfind("error ", 0), 0u);
  EXPECT_EQ(run("steer 99999999999999999999").rfind("error ", 0), 0u);
  EXPECT_EQ(run("status extra").rfind("error ", 0), 0u);
  EXPECT_EQ(run("{\"cmd\":\"status\"}").rfind("error ", 0), 0u);
  EXPECT_EQ(steering.instances(), (std::vector<uint32_t>{1}));
  // A window name that is not UTF-8 is taken as given and still yields valid JSON.
  EXPECT_EQ(run("mark-begin \xc3\x28"), "ok");
  EXPECT_FALSE(Parse(run("status")).is_discarded());
  EXPECT_FALSE(Parse(Dump(WindowsJson(tracker.windows(), 0))).is_discarded());
}

TEST(ControlTest, WindowsAccountThePacketsGeneratedInside) {
  FlowConfig c;
  c.concurrent_flows = 1;
  c.mean_flow_packets = 1000;
  c.size_dist = SizeDist::kFixed;
  FlowGenerator g(c);
  Steering steering({1});
  Tracker tracker;
  const std::vector<LinkState> links = {{1, true, 0}};
  auto run = [&](const std::string& r, uint64_t now) {
    return HandleControl(r, steering, tracker, links, now, 0);
  };
  // Packets generated at 100..1000 (step 100); window "w" covers [350, 750).
  std::vector<std::vector<uint8_t>> frames;
  for (uint64_t t = 100; t <= 1000; t += 100) frames.push_back(Frame(g, t));
  auto send = [&](std::size_t i) { tracker.OnSent(1, 100 * (i + 1)); };
  auto back = [&](std::size_t i, uint64_t latency) {
    tracker.OnReceived(1, frames[i].data(), static_cast<uint32_t>(frames[i].size()),
                       100 * (i + 1) + latency);
  };
  for (std::size_t i = 0; i < 3; ++i) send(i);
  EXPECT_EQ(run("mark-begin w", 350), "ok");
  EXPECT_EQ(run("mark-begin w", 360).rfind("error ", 0), 0u);  // already open
  EXPECT_EQ(run("mark-begin", 360).rfind("error ", 0), 0u);
  EXPECT_EQ(run("mark-begin a b", 360).rfind("error ", 0), 0u);
  EXPECT_EQ(run("mark-end x", 360).rfind("error ", 0), 0u);  // never opened
  EXPECT_EQ(run("mark-begin open-forever", 650), "ok");
  for (std::size_t i = 3; i < 7; ++i) send(i);  // generated at 400..700: inside
  EXPECT_EQ(run("mark-end w", 750), "ok");
  EXPECT_EQ(run("mark-end w", 760).rfind("error ", 0), 0u);  // already ended
  for (std::size_t i = 7; i < 10; ++i) send(i);
  // Back after the window ended, all but packet 5; the window's ones 1000 ns late.
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 5) back(i, i >= 3 && i < 7 ? 1000 : 10);
  }
  tracker.CloseWindows(2000);
  ASSERT_EQ(tracker.windows().size(), 2u);
  const Window& w = tracker.windows()[0];
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.start_ns, 350u);
  EXPECT_EQ(w.end_ns, 750u);
  EXPECT_FALSE(w.closed_at_end);
  EXPECT_EQ(w.sent, 4u);
  EXPECT_EQ(w.received, 3u);
  EXPECT_EQ(w.lost(), 1u);
  EXPECT_EQ(w.latency.count(), 3u);
  EXPECT_EQ(w.latency.min(), 1000u);
  const Window& o = tracker.windows()[1];
  EXPECT_TRUE(o.closed_at_end);
  EXPECT_EQ(o.end_ns, 2000u);
  EXPECT_EQ(o.sent, 4u);  // generated at 700..1000
  EXPECT_EQ(o.received, 4u);
  EXPECT_EQ(tracker.lost(), 1u);
  // A name can be used again once its window ended.
  EXPECT_EQ(run("mark-begin w", 3000), "ok");

  const nlohmann::json j = Parse(Dump(WindowsJson(tracker.windows(), 0)));
  ASSERT_TRUE(j.is_array()) << j;
  ASSERT_EQ(j.size(), 3u) << j;
  EXPECT_EQ(j[0]["name"], "w") << j;
  EXPECT_DOUBLE_EQ(j[0]["start_ms"].get<double>(), 0.000350) << j;
  EXPECT_DOUBLE_EQ(j[0]["end_ms"].get<double>(), 0.000750) << j;
  EXPECT_EQ(j[0]["closed_at_end"], false) << j;
  EXPECT_EQ(j[0]["sent"], 4) << j;
  EXPECT_EQ(j[0]["received"], 3) << j;
  EXPECT_EQ(j[0]["lost"], 1) << j;
  EXPECT_DOUBLE_EQ(j[0]["latency_us"]["p50"].get<double>(), 1.0) << j;
  EXPECT_EQ(j[1]["name"], "open-forever") << j;
  EXPECT_EQ(j[1]["closed_at_end"], true) << j;
}

TEST(ControlTest, WindowBoundsNeverChangeTheVerdictOnPacketsAlreadySent) {
  // The loop read its clock (400) before it generated and sent packets stamped 500 and 700;
  // a window opened "at 400" must not claim the first on its return, nor one closed "at 600"
  // disown the second.
  FlowConfig c;
  c.concurrent_flows = 1;
  FlowGenerator g(c);
  Tracker tracker;
  const auto a = Frame(g, 500);
  tracker.OnSent(1, 500);
  ASSERT_TRUE(tracker.BeginWindow("w", 400).ok());
  EXPECT_EQ(tracker.windows()[0].start_ns, 501u);
  const auto b = Frame(g, 700);
  tracker.OnSent(1, 700);
  ASSERT_TRUE(tracker.EndWindow("w", 600).ok());
  EXPECT_EQ(tracker.windows()[0].end_ns, 701u);
  tracker.OnReceived(1, a.data(), static_cast<uint32_t>(a.size()), 800);
  tracker.OnReceived(1, b.data(), static_cast<uint32_t>(b.size()), 800);
  const Window& w = tracker.windows()[0];
  EXPECT_EQ(w.sent, 1u);
  EXPECT_EQ(w.received, 1u);
  EXPECT_EQ(w.latency.max(), 100u);
}

TEST(ReportTest, IntervalJsonHasTotalsAndEveryLink) {
  FlowConfig c;
  FlowGenerator g(c);
  Tracker tracker;
  for (int i = 0; i < 4; ++i) {
    const auto f = Frame(g, 1000);
    tracker.OnSent(2, 1000);
    tracker.OnReceived(2, f.data(), static_cast<uint32_t>(f.size()), 3000);
  }
  tracker.OnSent(1, 1000);
  const std::string line = Dump(IntervalJson(1234.5, 0.5, tracker.TakeInterval(),
                                             {{1, true, 7}, {2, true, 0}, {5, false, 0}}));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json j = Parse(line);
  ASSERT_TRUE(j.is_object()) << line;
  EXPECT_EQ(j["t_ms"], 1234) << j;
  EXPECT_EQ(j["sent"], 5) << j;
  EXPECT_EQ(j["received"], 4) << j;
  EXPECT_EQ(j["reordered"], 0) << j;
  EXPECT_DOUBLE_EQ(j["throughput_pps"].get<double>(), 8.0) << j;
  EXPECT_EQ(j["latency_us"],
            (nlohmann::json{{"p50", 2.0}, {"p90", 2.0}, {"p99", 2.0}, {"p999", 2.0}, {"max", 2.0}}))
      << j;
  EXPECT_EQ(j["backlog"], 7) << j;
  ASSERT_EQ(j["instances"].size(), 3u) << j;
  EXPECT_EQ(j["instances"]["1"]["sent"], 1) << j;
  EXPECT_EQ(j["instances"]["1"]["received"], 0) << j;
  EXPECT_EQ(j["instances"]["2"]["sent"], 4) << j;
  EXPECT_EQ(j["instances"]["2"]["received"], 4) << j;
  EXPECT_EQ(j["instances"]["2"]["reordered"], 0) << j;
  EXPECT_DOUBLE_EQ(j["instances"]["2"]["throughput_pps"].get<double>(), 8.0) << j;
  EXPECT_EQ(j["instances"]["5"]["sent"], 0) << j;
  // Strings are escaped by the library.
  EXPECT_EQ(Dump(Json("a\"b\\c\n")), "\"a\\\"b\\\\c\\n\"");
}

TEST(ControlSocketTest, AnswersAZeroMqRequesterWithoutBlocking) {
  const std::string endpoint =
      "ipc://" + ::testing::TempDir() + "/s6_control_" + std::to_string(::getpid()) + ".ctl";
  auto server = ControlSocket::Bind(endpoint);
  ASSERT_TRUE(server.ok()) << server.status();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE((*server)->Poll().has_value());  // nothing yet, and no wait
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));

  zmq::context_t ctx(1);
  zmq::socket_t req(ctx, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 5000);
  req.connect(endpoint);
  for (const std::string request : {"status", "mark-begin x"}) {
    req.send(zmq::buffer(request), zmq::send_flags::none);
    std::optional<std::string> got;
    ASSERT_TRUE(s6test::PollUntil([&] { return (got = (*server)->Poll()).has_value(); },
                                  std::chrono::seconds(5), std::chrono::milliseconds(1)));
    EXPECT_EQ(*got, request);
    EXPECT_FALSE((*server)->Poll().has_value());  // one request at a time
    (*server)->Reply("reply to " + request);
    zmq::message_t reply;
    ASSERT_TRUE(req.recv(reply));
    EXPECT_EQ(reply.to_string(), "reply to " + request);
  }
  // An endpoint ZeroMQ cannot bind is a clear error.
  auto bad = ControlSocket::Bind("bogus://nowhere");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bogus://nowhere"), std::string::npos);
}

// A ControlSocket served from a thread of its own, as s6-trafgen's loop serves it: each
// request is answered "reply to REQUEST" and remembered.
class ServedSocket {
 public:
  explicit ServedSocket(const std::string& endpoint) {
    auto s = ControlSocket::Bind(endpoint);
    EXPECT_TRUE(s.ok()) << s.status();
    socket_ = std::move(*s);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        while (std::optional<std::string> r = socket_->Poll()) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            seen_.push_back(*r);
          }
          socket_->Reply("reply to " + *r);
        }
        malformed_.store(socket_->malformed());
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // the loop's other work
      }
    });
  }
  ~ServedSocket() {
    stop_.store(true);
    thread_.join();
  }
  const std::string& endpoint() const { return socket_->endpoint(); }
  uint64_t malformed() const { return malformed_.load(); }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::unique_ptr<ControlSocket> socket_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> malformed_{0};
  std::mutex mu_;
  std::vector<std::string> seen_;
  std::thread thread_;
};

// One REQ exchange; "" when nothing came back in 5 s.
std::string Call(zmq::context_t& ctx, const std::string& endpoint,
                 const std::vector<std::string>& frames) {
  zmq::socket_t req(ctx, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 5000);
  req.connect(endpoint);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    (void)req.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  zmq::message_t reply;
  return req.recv(reply) ? reply.to_string() : std::string();
}

std::string IpcEndpoint(const std::string& name) {
  return "ipc://" + ::testing::TempDir() + "/s6_control_" + std::to_string(::getpid()) + "_" +
         name + ".ctl";
}

TEST(ControlSocketTest, IpcSocketIsOwnerOnly) {
  const std::string endpoint = IpcEndpoint("mode");
  auto server = ControlSocket::Bind(endpoint);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(s6test::hostile::FileMode(s6test::hostile::IpcPath(endpoint)), 0600);
}

// Requests are one frame: a multi-frame request is refused before HandleControl sees it (a
// `steer` hidden in one must not re-steer), and so is an empty one.
TEST(ControlSocketTest, AMultiFrameRequestIsRefused) {
  ServedSocket served(IpcEndpoint("frames"));
  zmq::context_t ctx(1);
  for (const std::vector<std::string>& frames :
       std::vector<std::vector<std::string>>{{"steer 2", "x"}, {"status", ""}, {"", "status"}}) {
    const std::string reply = Call(ctx, served.endpoint(), frames);
    EXPECT_EQ(reply.rfind("error ", 0), 0u) << frames[0] << " -> '" << reply << "'";
  }
  EXPECT_EQ(Call(ctx, served.endpoint(), {"status"}), "reply to status");
  EXPECT_EQ(served.seen(), std::vector<std::string>{"status"});
}

// Raw stream connections sending what is not a ZeroMQ request (some left open, silent or
// half-way) never cost a legitimate request its answer; over ipc:// and tcp://.
TEST(ControlSocketTest, RawBytesNeverCostALegitimateRequest) {
  for (const std::string& endpoint : {IpcEndpoint("raw"), std::string("tcp://127.0.0.1:*")}) {
    ServedSocket served(endpoint);
    zmq::context_t ctx(1);
    for (uint32_t seed = 1; seed <= 30; ++seed) {
      const auto open = s6test::hostile::SendRawPayloads(served.endpoint(), seed);
      ASSERT_EQ(Call(ctx, served.endpoint(), {"status"}), "reply to status")
          << served.endpoint() << " seed " << seed;
    }
  }
}

// Seeded fuzz of oddly framed ZeroMQ messages; a legitimate request is answered after each
// round, and what had no envelope, no body or several frames is counted, never handled.
TEST(ControlSocketTest, OddlyFramedClientsAreDroppedOrRefusedAndCounted) {
  for (const std::string& endpoint : {IpcEndpoint("odd"), std::string("tcp://127.0.0.1:*")}) {
    ServedSocket served(endpoint);
    zmq::context_t ctx(1);
    int must_count = 0;
    for (uint32_t seed = 1; seed <= 10; ++seed) {
      const s6test::hostile::OddTraffic t =
          s6test::hostile::OddClients(ctx, served.endpoint(), seed, 30, /*max_frames=*/1);
      must_count += t.without_delimiter + t.refused;
      ASSERT_EQ(Call(ctx, served.endpoint(), {"status"}), "reply to status") << "seed " << seed;
    }
    EXPECT_TRUE(
        s6test::PollUntil([&] { return served.malformed() >= static_cast<uint64_t>(must_count); },
                          std::chrono::seconds(10)))
        << served.malformed() << " counted, want >= " << must_count;
  }
}

// A frame over kMaxRequestBytes closes the sender's connection; the next client is answered.
TEST(ControlSocketTest, AFrameOverTheBoundClosesThatConnection) {
  ServedSocket served(IpcEndpoint("big"));
  zmq::context_t ctx(1);
  EXPECT_TRUE(s6test::hostile::OversizedRequestDisconnects(
      ctx, served.endpoint(), static_cast<std::size_t>(ControlSocket::kMaxRequestBytes) + 1));
  EXPECT_EQ(Call(ctx, served.endpoint(), {"status"}), "reply to status");
}

// Many clients at once, each with a request in flight: each gets the answer to its own.
TEST(ControlSocketTest, ManyClientsAtOnceAreAllAnswered) {
  ServedSocket served(IpcEndpoint("many"));
  zmq::context_t ctx(1);
  std::vector<zmq::socket_t> clients;
  for (int i = 0; i < 32; ++i) {
    clients.emplace_back(ctx, zmq::socket_type::req);
    clients.back().set(zmq::sockopt::linger, 0);
    clients.back().set(zmq::sockopt::rcvtimeo, 5000);
    clients.back().connect(served.endpoint());
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(
        clients[i].send(zmq::buffer("mark-begin w" + std::to_string(i)), zmq::send_flags::none));
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    zmq::message_t reply;
    ASSERT_TRUE(clients[i].recv(reply)) << "client " << i << " got no reply";
    EXPECT_EQ(reply.to_string(), "reply to mark-begin w" + std::to_string(i));
  }
}

// Every accepted steer is logged with the new and the old active set; a refused one (any ID
// wrong, wherever it stands) changes nothing and logs nothing.
TEST(ControlTest, AcceptedSteersAreLoggedRefusedOnesChangeNothing) {
  auto stream = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream);
  const std::shared_ptr<spdlog::logger> log = log::Get("trafgen");
  const spdlog::level::level_enum level = log->level();
  log->set_level(spdlog::level::info);
  log->sinks().push_back(sink);
  Steering steering({1});
  Tracker tracker;
  const std::vector<LinkState> links = {{1, true, 0}, {2, false, 0}, {3, true, 0}};
  auto run = [&](std::string_view r) {
    return HandleControl(r, steering, tracker, links, 2'000'000'000, 1'000'000'000);
  };
  for (const char* refused :
       {"steer 3 x", "steer 3 4", "steer 3 2", "steer 1 3 -1", "steer 3 99999999999"}) {
    EXPECT_EQ(run(refused).rfind("error ", 0), 0u) << refused;
    EXPECT_EQ(steering.instances(), std::vector<uint32_t>{1}) << refused << " changed the set";
  }
  EXPECT_EQ(stream->str().find("steer"), std::string::npos) << stream->str();
  EXPECT_EQ(run("steer 3 1"), "ok");
  log->sinks().pop_back();
  log->set_level(level);
  EXPECT_NE(stream->str().find("steer: active instances now 1,3 (were 1)"), std::string::npos)
      << stream->str();
}

}  // namespace
}  // namespace s6::trafgen

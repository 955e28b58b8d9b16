// SPDX-License-Identifier: Apache-2.0
// Two s6-nat-instance processes, peered over ZeroMQ (ipc://), each fed by this test through its
// own memif link (the test is the memif server, as s6-trafgen will be). Flows start on instance
// A; their next packets are mis-steered to instance B, which must translate them with the same
// public port (the flow's state moved between the processes); replies sent to B come back in to
// the right inside endpoints. At the end SIGTERM stops both, cleanly, and their stats files
// account for every packet.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "packet_builder.h"
#include "packetio/dpdk_port.h"
#include "util/poll.h"
#include "util/process.h"

namespace {

using namespace std::chrono_literals;
using nattest::Build;
using nattest::Ip;
namespace net = s6::net;
using s6::Packet;
using s6::packetio::DpdkEnv;
using s6::packetio::DpdkPort;

const uint32_t kPublic = Ip(203, 0, 113, 50);
const uint32_t kServer = Ip(198, 51, 100, 80);

void SendFrames(DpdkPort& port, const std::vector<std::vector<uint8_t>>& frames) {
  for (const auto& f : frames) {
    Packet* p = nullptr;
    for (int i = 0; i < 1000 && p == nullptr; ++i) {
      p = port.Allocate(static_cast<uint32_t>(f.size()));
      if (p == nullptr) std::this_thread::sleep_for(100us);
    }
    ASSERT_NE(p, nullptr);
    std::memcpy(p->data, f.data(), f.size());
    Packet* one[1] = {p};
    ASSERT_EQ(port.Transmit(one), 1u);
  }
}

std::vector<std::vector<uint8_t>> ReceiveFrames(DpdkPort& port, std::size_t want,
                                                std::chrono::seconds timeout) {
  std::vector<std::vector<uint8_t>> got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Packet* batch[32];
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = port.Receive(batch);
    for (std::size_t i = 0; i < n; ++i) {
      got.emplace_back(batch[i]->data, batch[i]->data + batch[i]->len);
      port.Release(batch[i]);
    }
    if (n == 0) std::this_thread::sleep_for(50us);
  }
  return got;
}

using s6test::Launch;
using s6test::ReadFile;

TEST(NatInstanceTest, TwoProcessesShareFlowsOverMemifAndZeroMq) {
  const std::string tag = std::to_string(::getpid());
  const std::string dir = "/tmp/s6-nat-instance-test-" + tag;
  std::filesystem::create_directories(dir);
  const std::string sock[2] = {dir + "/a.memif", dir + "/b.memif"};
  const std::string ep[2] = {"ipc://" + dir + "/a.zmq", "ipc://" + dir + "/b.zmq"};
  const std::string stats[2] = {dir + "/a.json", dir + "/b.json"};

  DpdkEnv::Options o;
  o.file_prefix = "s6nt" + tag;
  o.vdevs = {"net_memif0,role=server,id=0,rsize=11,socket=" + sock[0],
             "net_memif1,role=server,id=0,rsize=11,socket=" + sock[1]};
  auto env = DpdkEnv::Create(o);
  ASSERT_TRUE(env.ok()) << env.status();
  auto a = DpdkPort::Open(**env, "net_memif0", 2047);
  auto b = DpdkPort::Open(**env, "net_memif1", 2047);
  ASSERT_TRUE(a.ok() && b.ok());

  pid_t pids[2];
  for (int i = 0; i < 2; ++i) {
    pids[i] = Launch({S6_NAT_INSTANCE_BIN,
                      "--id",
                      std::to_string(i + 1),
                      "--endpoint",
                      ep[i],
                      "--peer",
                      std::to_string(2 - i) + "=" + ep[1 - i],
                      "--members",
                      "1,2",
                      "--port",
                      "memif:" + sock[i] + ":client",
                      "--dpdk-memory",
                      "128",
                      "--stats-file",
                      stats[i],
                      "--stats-interval-ms",
                      "100",
                      "--",
                      "--public-ip",
                      net::FormatIpv4(kPublic),
                      "--port-range",
                      "20000-29999"});
    ASSERT_GT(pids[i], 0);
  }
  ASSERT_TRUE(s6test::PollUntil([&] { return (*a)->link_up() && (*b)->link_up(); }, 20s));
  // Both instances have completed their ZeroMQ handshake (their stats files say so).
  const auto peer_ready = [&](int i) {
    const nlohmann::json j = nlohmann::json::parse(ReadFile(stats[i]), nullptr, false);
    const nlohmann::json::json_pointer p("/transport/peers_ready");
    return j.is_object() && j.contains(p) && j.at(p) == 1;
  };
  ASSERT_TRUE(s6test::PollUntil([&] { return peer_ready(0) && peer_ready(1); }, 20s))
      << "instances never saw each other";

  constexpr uint32_t kFlows = 100;
  auto flow = [](uint32_t i) {
    nattest::Spec spec;
    spec.src = Ip(10, 5, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
    spec.dst = kServer;
    spec.sport = static_cast<uint16_t>(5000 + i);
    spec.dport = 53;
    spec.proto = net::kProtoUdp;
    spec.payload = {static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};  // identifies it
    return spec;
  };
  // Packets of different flows may finish in any order (some wait for remote state): frames
  // are matched by the flow index they carry.
  auto index_of = [](const std::vector<uint8_t>& f, const net::Ipv4Packet& p) {
    return (uint32_t{f[p.l4 + 8]} << 8) | f[p.l4 + 9];
  };
  std::vector<std::vector<uint8_t>> first;
  for (uint32_t i = 0; i < kFlows; ++i) first.push_back(Build(flow(i)));
  SendFrames(**a, first);
  const auto out_a = ReceiveFrames(**a, kFlows, 10s);
  ASSERT_EQ(out_a.size(), kFlows);
  std::map<uint32_t, uint16_t> port_of;  // flow index -> public port
  for (const auto& f : out_a) {
    net::Ipv4Packet p;
    ASSERT_EQ(net::ParseIpv4(f, true, p), net::ParseError::kOk);
    EXPECT_EQ(p.src, kPublic);
    EXPECT_EQ(p.dport, 53);
    EXPECT_TRUE(net::ChecksumsValid(f, p));
    port_of[index_of(f, p)] = p.sport;
  }
  ASSERT_EQ(port_of.size(), kFlows);
  std::set<uint16_t> distinct;
  for (const auto& [i, port] : port_of) distinct.insert(port);
  EXPECT_EQ(distinct.size(), kFlows);

  // Mis-steered: the flows' next packets arrive at instance B.
  std::vector<std::vector<uint8_t>> second;
  for (uint32_t i = 0; i < kFlows; ++i) second.push_back(Build(flow(i)));
  SendFrames(**b, second);
  const auto out_b = ReceiveFrames(**b, kFlows, 10s);
  ASSERT_EQ(out_b.size(), kFlows);
  for (const auto& f : out_b) {
    net::Ipv4Packet p;
    ASSERT_EQ(net::ParseIpv4(f, true, p), net::ParseError::kOk);
    EXPECT_EQ(p.src, kPublic);
    const uint32_t i = index_of(f, p);
    EXPECT_EQ(p.sport, port_of[i]) << "flow " << i << " changed its public port on B";
  }
  // Replies, to B: back in to each inside endpoint.
  std::vector<std::vector<uint8_t>> replies;
  for (uint32_t i = 0; i < kFlows; ++i) {
    nattest::Spec r = flow(i);  // same payload (the index), addressed back
    r.src = kServer;
    r.dst = kPublic;
    r.sport = 53;
    r.dport = port_of[i];
    replies.push_back(Build(r));
  }
  SendFrames(**b, replies);
  const auto in_b = ReceiveFrames(**b, kFlows, 10s);
  ASSERT_EQ(in_b.size(), kFlows);
  for (const auto& f : in_b) {
    net::Ipv4Packet p;
    ASSERT_EQ(net::ParseIpv4(f, true, p), net::ParseError::kOk);
    const uint32_t i = index_of(f, p);
    EXPECT_EQ(p.dst, flow(i).src);
    EXPECT_EQ(p.dport, flow(i).sport);
    EXPECT_TRUE(net::ChecksumsValid(f, p));
  }

  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  const std::string ja = ReadFile(stats[0]);
  const std::string jb = ReadFile(stats[1]);
  const nlohmann::json a_stats = nlohmann::json::parse(ja, nullptr, false);
  const nlohmann::json b_stats = nlohmann::json::parse(jb, nullptr, false);
  ASSERT_TRUE(a_stats.is_object()) << ja;
  ASSERT_TRUE(b_stats.is_object()) << jb;
  using Ptr = nlohmann::json::json_pointer;
  EXPECT_EQ(a_stats.value(Ptr("/nf/translated_out"), -1), 100) << ja;
  EXPECT_EQ(b_stats.value(Ptr("/nf/translated_out"), -1), 100) << jb;
  EXPECT_EQ(b_stats.value(Ptr("/nf/translated_in"), -1), 100) << jb;
  EXPECT_TRUE(b_stats.contains(Ptr("/space/sw_transfers_in"))) << jb;
  a->reset();
  b->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

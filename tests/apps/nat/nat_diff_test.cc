// SPDX-License-Identifier: Apache-2.0
// Differential test against Linux NAT. Three network namespaces: inside (10.77.0.2), a router
// with nftables `masquerade` towards the outside, and outside (198.51.100.2). An inside client
// opens UDP and TCP flows to an echo server outside; the server records who it saw (Linux's
// translation) and echoes (the replies must get back in). The frames that entered the router
// from the inside are captured and fed to our NAT configured like the router (public address
// 198.51.100.1, inside 10.77.0.0/24). Then both translations are compared flow by flow: each
// flow gets one public port from both, no two flows share one, what reached the outside is the
// same payload, checksums are valid, and a reply to our public port comes back in to exactly
// the inside endpoint that sent it. Needs root, `ip netns`, nftables and ethtool (installed by
// scripts/setup.sh); the namespaces are removed afterwards.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "instance/instance.h"
#include "nat.h"
#include "packet_builder.h"
#include "util/poll.h"

namespace {

namespace net = s6::net;
using namespace std::chrono_literals;

constexpr uint16_t kUdpPort = 9999;
constexpr uint16_t kTcpPort = 9998;
constexpr int kUdpFlows = 6;
constexpr int kTcpFlows = 4;

int Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// Runs in the calling thread's network namespace `ns` from now on.
bool EnterNetns(const std::string& ns) {
  const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

sockaddr_in Addr(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

void SetTimeout(int fd, std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000),
             static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

class Topology {
 public:
  Topology() {
    const std::string t = std::to_string(::getpid() % 100000);
    in_ = "s6in" + t;
    rt_ = "s6rt" + t;
    out_ = "s6out" + t;
    const std::string vi = "s6a" + t, vri = "s6b" + t, vo = "s6c" + t, vro = "s6d" + t;
    vrin_ = vri;
    const std::vector<std::string> cmds = {
        "ip netns add " + in_,
        "ip netns add " + rt_,
        "ip netns add " + out_,
        "ip link add " + vi + " type veth peer name " + vri,
        "ip link add " + vo + " type veth peer name " + vro,
        "ip link set " + vi + " netns " + in_,
        "ip link set " + vri + " netns " + rt_,
        "ip link set " + vo + " netns " + out_,
        "ip link set " + vro + " netns " + rt_,
        "ip -n " + in_ + " addr add 10.77.0.2/24 dev " + vi,
        "ip -n " + in_ + " link set " + vi + " up",
        "ip -n " + in_ + " link set lo up",
        "ip -n " + in_ + " route add default via 10.77.0.1",
        "ip netns exec " + in_ + " ethtool -K " + vi + " tx off",  // real checksums on the wire
        "ip -n " + rt_ + " addr add 10.77.0.1/24 dev " + vri,
        "ip -n " + rt_ + " addr add 198.51.100.1/24 dev " + vro,
        "ip -n " + rt_ + " link set " + vri + " up",
        "ip -n " + rt_ + " link set " + vro + " up",
        "ip netns exec " + rt_ + " sysctl -w net.ipv4.ip_forward=1",
        "ip netns exec " + rt_ + " ethtool -K " + vro + " tx off",
        "ip netns exec " + rt_ + " ethtool -K " + vri + " tx off",
        "ip netns exec " + rt_ + " nft add table ip s6nat",
        "ip netns exec " + rt_ +
            " nft add chain ip s6nat post '{ type nat hook postrouting priority 100; }'",
        "ip netns exec " + rt_ + " nft add rule ip s6nat post oifname " + vro + " masquerade",
        "ip -n " + out_ + " addr add 198.51.100.2/24 dev " + vo,
        "ip -n " + out_ + " link set " + vo + " up",
        "ip -n " + out_ + " link set lo up",
        "ip netns exec " + out_ + " ethtool -K " + vo + " tx off",
    };
    for (const std::string& c : cmds) {
      if (Sh(c) != 0) {
        error_ = "setup step failed: " + c;
        return;
      }
    }
  }
  ~Topology() {
    for (const std::string& ns : {in_, rt_, out_}) Sh("ip netns del " + ns);
  }
  const std::string& error() const { return error_; }
  std::string in_, rt_, out_, vrin_;

 private:
  std::string error_;
};

struct Seen {  // what the outside server saw: payload -> source endpoint
  std::mutex mu;
  std::map<std::string, std::pair<uint32_t, uint16_t>> by_payload;
};

TEST(NatDiffTest, MatchesLinuxMasqueradeFlowByFlow) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
  if (Sh("command -v nft") != 0 || Sh("command -v ethtool") != 0) {
    FAIL() << "nft and ethtool are required (scripts/setup.sh installs them)";
  }
  Topology topo;
  ASSERT_EQ(topo.error(), "");

  // 1. Capture on the router's inside interface.
  std::atomic<bool> capturing{false};
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> frames_seen{0};
  std::vector<std::vector<uint8_t>> frames;
  std::string capture_error;
  std::thread server_thread;
  std::thread client_thread;
  std::thread capture([&] {
    if (!EnterNetns(topo.rt_)) {
      capture_error = "setns router";
      capturing = true;
      return;
    }
    char err[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> p(pcap_create(topo.vrin_.c_str(), err), pcap_close);
    if (!p || pcap_set_immediate_mode(p.get(), 1) != 0 || pcap_set_timeout(p.get(), 10) != 0 ||
        pcap_setnonblock(p.get(), 1, err) != 0 || pcap_activate(p.get()) < 0) {
      capture_error = std::string("pcap: ") + err;
      capturing = true;
      return;
    }
    capturing = true;
    while (!stop) {
      pcap_pkthdr* h = nullptr;
      const u_char* d = nullptr;
      const int rc = pcap_next_ex(p.get(), &h, &d);
      if (rc == 1) {
        frames.emplace_back(d, d + h->caplen);
        frames_seen.store(frames.size());
      } else {
        std::this_thread::sleep_for(1ms);
      }
    }
  });
  // Every wait on another thread has a deadline: a thread that fails to enter its namespace
  // reports it instead of leaving this one waiting.
  const auto join_all = [&] {
    stop = true;
    for (std::thread* t : {&capture, &server_thread, &client_thread}) {
      if (t->joinable()) t->join();
    }
  };
  if (!s6test::PollUntil([&] { return capturing.load(); }, 10s)) {
    join_all();
    FAIL() << "the capture thread did not start within 10 s";
  }
  if (!capture_error.empty()) {
    join_all();
    FAIL() << capture_error;
  }

  // 2. Echo server outside, recording Linux's translation.
  Seen seen;
  std::atomic<bool> serving{false};
  std::atomic<bool> server_failed{false};
  server_thread = std::thread([&] {
    if (!EnterNetns(topo.out_)) {
      server_failed = true;
      return;
    }
    const int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int t = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in ua = Addr("0.0.0.0", kUdpPort);
    sockaddr_in ta = Addr("0.0.0.0", kTcpPort);
    ::bind(u, reinterpret_cast<sockaddr*>(&ua), sizeof ua);
    ::bind(t, reinterpret_cast<sockaddr*>(&ta), sizeof ta);
    ::listen(t, 16);
    SetTimeout(u, 20ms);
    const int flags = ::fcntl(t, F_GETFL);
    ::fcntl(t, F_SETFL, flags | O_NONBLOCK);
    serving = true;
    while (!stop) {
      char buf[256];
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      const ssize_t n = ::recvfrom(u, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0) {
        {
          std::lock_guard<std::mutex> l(seen.mu);
          seen.by_payload[std::string(buf, static_cast<std::size_t>(n))] = {
              ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)};
        }
        ::sendto(u, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), fl);
      }
      const int c = ::accept(t, reinterpret_cast<sockaddr*>(&from), &fl);
      if (c >= 0) {
        SetTimeout(c, 1000ms);
        const ssize_t m = ::recv(c, buf, sizeof buf, 0);
        if (m > 0) {
          {
            std::lock_guard<std::mutex> l(seen.mu);
            seen.by_payload[std::string(buf, static_cast<std::size_t>(m))] = {
                ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)};
          }
          ::send(c, buf, static_cast<std::size_t>(m), 0);
        }
        ::close(c);
      }
    }
    ::close(u);
    ::close(t);
  });
  if (!s6test::PollUntil([&] { return serving.load() || server_failed.load(); }, 10s) ||
      server_failed) {
    join_all();
    FAIL() << "the echo server did not start in the outside namespace";
  }

  // 3. Inside client: every flow must get its echo back through Linux's NAT.
  std::atomic<int> echoes{0};
  client_thread = std::thread([&] {
    if (!EnterNetns(topo.in_)) return;
    for (int i = 0; i < kUdpFlows; ++i) {
      const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in me = Addr("10.77.0.2", static_cast<uint16_t>(41000 + i));
      ::bind(s, reinterpret_cast<sockaddr*>(&me), sizeof me);
      SetTimeout(s, 1000ms);
      sockaddr_in to = Addr("198.51.100.2", kUdpPort);
      const std::string msg = "udp-flow-" + std::to_string(i);
      char buf[64];
      for (int attempt = 0; attempt < 3; ++attempt) {  // the first may race the neighbour cache
        ::sendto(s, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (::recv(s, buf, sizeof buf, 0) == static_cast<ssize_t>(msg.size())) {
          ++echoes;
          break;
        }
      }
      ::close(s);
    }
    for (int i = 0; i < kTcpFlows; ++i) {
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in me = Addr("10.77.0.2", static_cast<uint16_t>(42000 + i));
      ::bind(s, reinterpret_cast<sockaddr*>(&me), sizeof me);
      SetTimeout(s, 2000ms);
      sockaddr_in to = Addr("198.51.100.2", kTcpPort);
      if (::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
        const std::string msg = "tcp-flow-" + std::to_string(i);
        char buf[64];
        ::send(s, msg.data(), msg.size(), 0);
        if (::recv(s, buf, sizeof buf, 0) == static_cast<ssize_t>(msg.size())) ++echoes;
      }
      ::close(s);
    }
  });
  client_thread.join();
  // The last echoes' frames reach the capture shortly after the client saw them: wait until
  // the capture has been quiet for 100 ms (bounded).
  {
    std::size_t last = frames_seen.load();
    auto quiet_since = std::chrono::steady_clock::now();
    s6test::PollUntil(
        [&] {
          const std::size_t now_seen = frames_seen.load();
          if (now_seen != last) {
            last = now_seen;
            quiet_since = std::chrono::steady_clock::now();
          }
          return std::chrono::steady_clock::now() - quiet_since >= 100ms;
        },
        2s);
  }
  join_all();
  ASSERT_EQ(echoes.load(), kUdpFlows + kTcpFlows)
      << "Linux NAT reference did not complete every flow";
  ASSERT_EQ(seen.by_payload.size(), static_cast<std::size_t>(kUdpFlows + kTcpFlows));

  // 4. The same inside frames through our NAT, configured like the router.
  zmq::context_t ctx;
  s6::ManualClock clock;
  s6::Instance::Options io;
  io.id = s6::InstanceId{1};
  io.endpoint = "inproc://s6-nat-diff";
  io.zmq_context = &ctx;
  io.clock = &clock;
  s6::Instance inst(io);
  nat::NatConfig cfg;
  cfg.public_ips = {(198u << 24) | (51u << 16) | (100u << 8) | 1u};
  cfg.inside = {{(10u << 24) | (77u << 16), 24}};
  nat::Nat nf(inst.space(), cfg);
  ASSERT_TRUE(inst.Start().ok());
  auto process = [&](std::vector<uint8_t>& f) {
    s6::Packet pkt{f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size())};
    s6::Verdict v = s6::Verdict::kDrop;
    bool done = false;
    inst.Spawn([&] {
      v = nf.Process(pkt, inst);
      done = true;
    });
    for (int i = 0; i < 100 && !done; ++i) inst.RunOnce(0);
    return v;
  };

  std::map<std::string, std::pair<uint32_t, uint16_t>> ours;  // payload -> our source endpoint
  std::map<std::vector<uint32_t>, uint16_t> flow_port;        // inside flow -> our port
  int translated = 0;
  for (auto f : frames) {
    net::Ipv4Packet p;
    if (net::ParseIpv4(f, true, p) != net::ParseError::kOk ||
        p.src != ((10u << 24) | (77u << 16) | 2u)) {
      continue;  // replies Linux translated back in, ARP, ...
    }
    if (p.proto != net::kProtoUdp && p.proto != net::kProtoTcp) continue;
    ASSERT_TRUE(net::ChecksumsValid(f, p)) << "captured inside frame has bad checksums";
    ASSERT_EQ(process(f), s6::Verdict::kForward);
    net::Ipv4Packet q;
    ASSERT_EQ(net::ParseIpv4(f, true, q), net::ParseError::kOk);
    EXPECT_TRUE(net::ChecksumsValid(f, q));
    EXPECT_EQ(q.src, cfg.public_ips[0]);
    ++translated;
    const std::vector<uint32_t> key = {p.src, p.dst, p.sport, p.dport, p.proto};
    auto [it, fresh] = flow_port.emplace(key, q.sport);
    EXPECT_EQ(it->second, q.sport) << "a flow changed its port";
    const std::size_t l4h = q.proto == net::kProtoTcp ? (f[q.l4 + 12] >> 4) * 4u : 8u;
    const std::size_t payload_at = q.l4 + l4h;
    const std::size_t payload_end = q.l3 + q.l3_len;
    if (payload_end > payload_at) {
      ours[std::string(f.begin() + static_cast<long>(payload_at),
                       f.begin() + static_cast<long>(payload_end))] = {q.src, q.sport};
    }
    // A reply from the outside to our public endpoint comes back in to the inside sender.
    nattest::Spec r{q.dst, q.src, q.dport, q.sport, q.proto, net::kTcpAck};
    auto reply = nattest::Build(r);
    ASSERT_EQ(process(reply), s6::Verdict::kForward);
    net::Ipv4Packet rp;
    ASSERT_EQ(net::ParseIpv4(reply, true, rp), net::ParseError::kOk);
    EXPECT_EQ(rp.dst, p.src);
    EXPECT_EQ(rp.dport, p.sport);
    EXPECT_TRUE(net::ChecksumsValid(reply, rp));
  }
  EXPECT_GT(translated, kUdpFlows + 3 * kTcpFlows);  // handshakes, data, FINs

  // 5. Flow by flow: both NATs translated every flow to the router's address, one port per
  //    flow, distinct across flows; the payload that reached the outside is what we emitted.
  ASSERT_EQ(flow_port.size(), static_cast<std::size_t>(kUdpFlows + kTcpFlows));
  std::set<uint16_t> linux_ports;
  std::set<uint16_t> our_ports;
  for (const auto& [payload, endpoint] : seen.by_payload) {
    EXPECT_EQ(endpoint.first, cfg.public_ips[0]) << "Linux: " << payload;
    linux_ports.insert(endpoint.second);
    auto it = ours.find(payload);
    ASSERT_NE(it, ours.end()) << "our NAT never emitted '" << payload << "'";
    EXPECT_EQ(it->second.first, cfg.public_ips[0]);
    our_ports.insert(it->second.second);
  }
  EXPECT_EQ(linux_ports.size(), seen.by_payload.size());
  EXPECT_EQ(our_ports.size(), seen.by_payload.size());
  EXPECT_EQ(nf.stats().new_flows, static_cast<uint64_t>(kUdpFlows + kTcpFlows));
}

}  // namespace

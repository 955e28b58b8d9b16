// SPDX-License-Identifier: Apache-2.0
// The NAT network function on real instances: translation and reverse translation with every
// checksum recomputed from scratch and compared, UDP without checksum, ICMP echo identifiers,
// pass/drop rules (never forwarding inside traffic untranslated), port uniqueness on one
// instance and across three, pool exhaustion, idle expiry releasing ports for reuse (manual
// clock), TCP RST timeouts, random bytes, and the flow map keyed by s6::net::FiveTuple.
#include "nat.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "instance/instance.h"
#include "packet_builder.h"
#include "packetio/memory_port.h"
#include "testing/cluster.h"

namespace {

using nattest::Build;
using nattest::Ip;
using nattest::Spec;
using s6::Verdict;
using namespace std::chrono_literals;
namespace net = s6::net;

const uint32_t kPublic = Ip(203, 0, 113, 7);
const uint32_t kServer = Ip(93, 184, 216, 34);

nat::NatConfig Config(uint16_t lo = 20000, uint16_t hi = 29999, uint16_t shards = 8) {
  nat::NatConfig c;
  c.public_ips = {kPublic};
  c.port_lo = lo;
  c.port_hi = hi;
  c.shards = shards;
  return c;
}

net::Ipv4Packet Parse(const std::vector<uint8_t>& f) {
  net::Ipv4Packet p;
  EXPECT_EQ(net::ParseIpv4(f, true, p), net::ParseError::kOk);
  return p;
}

class NatTest : public ::testing::Test {
 protected:
  void Make(nat::NatConfig config) {
    s6::Instance::Options o;
    o.id = s6::InstanceId{1};
    o.endpoint = "inproc://s6-nat-test";
    o.zmq_context = &ctx_;
    o.clock = &clock_;
    inst_ = std::make_unique<s6::Instance>(o);
    nat_ = std::make_unique<nat::Nat>(inst_->space(), std::move(config));
    ASSERT_TRUE(inst_->Start().ok());
  }
  Verdict Process(std::vector<uint8_t>& f) {
    s6::Packet pkt;
    pkt.data = f.data();
    pkt.len = static_cast<uint32_t>(f.size());
    pkt.capacity = pkt.len;
    bool done = false;
    Verdict v = Verdict::kDrop;
    EXPECT_TRUE(inst_->Spawn([&] {
      v = nat_->Process(pkt, *inst_);
      done = true;
    }));
    for (int i = 0; i < 1000 && !done; ++i) inst_->RunOnce(0);
    EXPECT_TRUE(done);
    return v;
  }
  void Advance(std::chrono::nanoseconds d) {
    clock_.Advance(d);
    for (int i = 0; i < 5; ++i) inst_->RunOnce(0);
  }

  zmq::context_t ctx_;
  s6::ManualClock clock_;
  std::unique_ptr<s6::Instance> inst_;
  std::unique_ptr<nat::Nat> nat_;
};

TEST_F(NatTest, TcpIsTranslatedOutAndRepliesBackWithValidChecksums) {
  Make(Config());
  auto out = Build({Ip(10, 0, 0, 5), kServer, 40000, 80, net::kProtoTcp, net::kTcpSyn});
  ASSERT_EQ(Process(out), Verdict::kForward);
  const auto po = Parse(out);
  EXPECT_EQ(po.src, kPublic);
  EXPECT_EQ(po.dst, kServer);
  EXPECT_GE(po.sport, 20000);
  EXPECT_LE(po.sport, 29999);
  EXPECT_EQ(po.dport, 80);
  EXPECT_TRUE(net::ChecksumsValid(out, po));

  auto reply = Build({kServer, kPublic, 80, po.sport, net::kProtoTcp,
                      static_cast<uint8_t>(net::kTcpSyn | net::kTcpAck)});
  ASSERT_EQ(Process(reply), Verdict::kForward);
  const auto pr = Parse(reply);
  EXPECT_EQ(pr.dst, Ip(10, 0, 0, 5));
  EXPECT_EQ(pr.dport, 40000);
  EXPECT_EQ(pr.src, kServer);
  EXPECT_TRUE(net::ChecksumsValid(reply, pr));

  auto again = Build({Ip(10, 0, 0, 5), kServer, 40000, 80});
  ASSERT_EQ(Process(again), Verdict::kForward);
  EXPECT_EQ(Parse(again).sport, po.sport);  // one mapping for the flow's whole life
  EXPECT_EQ(nat_->stats().new_flows, 1u);
  EXPECT_EQ(nat_->stats().translated_out, 2u);
  EXPECT_EQ(nat_->stats().translated_in, 1u);
}

TEST_F(NatTest, FlowsAreKeyedByTheFiveTupleSeenInEachDirection) {
  Make(Config());
  auto out = Build({Ip(10, 0, 0, 5), kServer, 40000, 80, net::kProtoTcp, net::kTcpSyn});
  const net::FiveTuple inside = net::TupleOf(Parse(out));
  ASSERT_EQ(Process(out), Verdict::kForward);
  // The reply to the translated packet: remote -> public.
  const net::FiveTuple reply = net::TupleOf(Parse(out)).Reversed();
  std::map<net::FiveTuple, std::pair<bool, net::FiveTuple>> entries;  // key -> {forward?, peer}
  nat_->flows().for_each_local([&](const net::FiveTuple& k, nat::NatEntry& e) {
    entries[k] = {e.is_forward(), e.peer()};
  });
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.at(inside), std::make_pair(true, reply));
  EXPECT_EQ(entries.at(reply), std::make_pair(false, inside));
}

TEST_F(NatTest, UdpChecksumsIncludingNone) {
  Make(Config());
  Spec s{Ip(192, 168, 1, 9), kServer, 5353, 53, net::kProtoUdp};
  auto with = Build(s);
  ASSERT_EQ(Process(with), Verdict::kForward);
  EXPECT_TRUE(net::ChecksumsValid(with, Parse(with)));
  EXPECT_NE(net::Load16(with.data() + 34 + 6), 0);
  s.sport = 5354;
  s.udp_zero_checksum = true;
  auto none = Build(s);
  ASSERT_EQ(Process(none), Verdict::kForward);
  EXPECT_EQ(net::Load16(none.data() + 34 + 6), 0);  // still "no checksum"
  EXPECT_EQ(Parse(none).src, kPublic);
}

TEST_F(NatTest, IcmpEchoIdentifierIsTranslatedBothWays) {
  Make(Config());
  auto req = Build({Ip(10, 1, 2, 3), kServer, 77, 0, net::kProtoIcmp, 0, net::kIcmpEchoRequest});
  ASSERT_EQ(Process(req), Verdict::kForward);
  const auto pq = Parse(req);
  EXPECT_EQ(pq.src, kPublic);
  EXPECT_NE(pq.sport, 77);
  EXPECT_TRUE(net::ChecksumsValid(req, pq));
  auto rep = Build({kServer, kPublic, pq.sport, 0, net::kProtoIcmp, 0, net::kIcmpEchoReply});
  ASSERT_EQ(Process(rep), Verdict::kForward);
  const auto pr = Parse(rep);
  EXPECT_EQ(pr.dst, Ip(10, 1, 2, 3));
  EXPECT_EQ(pr.sport, 77);
  EXPECT_TRUE(net::ChecksumsValid(rep, pr));
}

TEST_F(NatTest, PassAndDropRules) {
  Make(Config());
  auto unsolicited = Build({kServer, kPublic, 80, 23456});
  EXPECT_EQ(Process(unsolicited), Verdict::kDrop);
  EXPECT_EQ(nat_->stats().no_mapping, 1u);

  auto internal = Build({Ip(10, 0, 0, 1), Ip(10, 0, 0, 2), 1, 2});
  const auto before = internal;
  EXPECT_EQ(Process(internal), Verdict::kForward);
  EXPECT_EQ(internal, before);  // inside -> inside: untouched

  auto transit = Build({kServer, Ip(1, 1, 1, 1), 1, 2});
  EXPECT_EQ(Process(transit), Verdict::kForward);

  auto arp = Build({Ip(10, 0, 0, 1), kServer, 1, 2});
  net::Store16(arp.data() + 12, 0x0806);
  EXPECT_EQ(Process(arp), Verdict::kForward);

  // Inside traffic the NAT can't translate never leaves untranslated.
  auto gre = Build({Ip(10, 0, 0, 1), kServer, 1, 2});
  gre[14 + 9] = 47;
  net::Store16(gre.data() + 14 + 10, 0);
  net::Store16(gre.data() + 14 + 10, net::InternetChecksum(gre.data() + 14, 20));
  EXPECT_EQ(Process(gre), Verdict::kDrop);
  EXPECT_EQ(nat_->stats().unsupported, 1u);
  EXPECT_EQ(nat_->stats().passed, 3u);
}

TEST_F(NatTest, DistinctFlowsGetDistinctPorts) {
  Make(Config(20000, 29999, 16));
  std::set<uint16_t> ports;
  for (uint32_t i = 0; i < 2000; ++i) {
    auto f = Build({Ip(10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), kServer,
                    static_cast<uint16_t>(1024 + i % 7), 443});
    ASSERT_EQ(Process(f), Verdict::kForward);
    ports.insert(Parse(f).sport);
  }
  EXPECT_EQ(ports.size(), 2000u);
}

TEST_F(NatTest, ExhaustionDropsAndCounts) {
  Make(Config(30000, 30003, 2));
  std::set<uint16_t> ports;
  for (uint16_t i = 0; i < 4; ++i) {
    auto f = Build({Ip(10, 0, 0, 9), kServer, static_cast<uint16_t>(5000 + i), 80});
    ASSERT_EQ(Process(f), Verdict::kForward);
    ports.insert(Parse(f).sport);
  }
  EXPECT_EQ(ports, (std::set<uint16_t>{30000, 30001, 30002, 30003}));
  auto fifth = Build({Ip(10, 0, 0, 9), kServer, 5004, 80});
  EXPECT_EQ(Process(fifth), Verdict::kDrop);
  EXPECT_EQ(nat_->stats().exhausted, 1u);
}

TEST_F(NatTest, IdleExpiryReleasesThePortForReuse) {
  Make(Config(30000, 30000, 1));
  auto a = Build({Ip(10, 0, 0, 1), kServer, 1111, 53, net::kProtoUdp});
  ASSERT_EQ(Process(a), Verdict::kForward);
  EXPECT_EQ(Parse(a).sport, 30000);
  auto b = Build({Ip(10, 0, 0, 2), kServer, 2222, 53, net::kProtoUdp});
  EXPECT_EQ(Process(b), Verdict::kDrop);  // the only port is taken
  Advance(29s);
  auto reply = Build({kServer, kPublic, 53, 30000, net::kProtoUdp});
  EXPECT_EQ(Process(reply), Verdict::kForward);  // still mapped (and used again)
  Advance(31s);
  EXPECT_EQ(nat_->stats().expired, 1u);
  auto late = Build({kServer, kPublic, 53, 30000, net::kProtoUdp});
  EXPECT_EQ(Process(late), Verdict::kDrop);
  auto b2 = Build({Ip(10, 0, 0, 2), kServer, 2222, 53, net::kProtoUdp});
  ASSERT_EQ(Process(b2), Verdict::kForward);
  EXPECT_EQ(Parse(b2).sport, 30000);
}

TEST_F(NatTest, TcpRstShortensTheTimeoutEstablishedFlowsStay) {
  Make(Config());
  auto open = Build({Ip(10, 0, 0, 1), kServer, 1000, 80, net::kProtoTcp, net::kTcpAck});
  ASSERT_EQ(Process(open), Verdict::kForward);
  auto other = Build({Ip(10, 0, 0, 1), kServer, 1001, 80, net::kProtoTcp, net::kTcpAck});
  ASSERT_EQ(Process(other), Verdict::kForward);
  auto rst = Build({Ip(10, 0, 0, 1), kServer, 1001, 80, net::kProtoTcp, net::kTcpRst});
  ASSERT_EQ(Process(rst), Verdict::kForward);
  Advance(11s);
  EXPECT_EQ(nat_->stats().expired, 1u);  // only the reset one
  Advance(3600s);
  EXPECT_EQ(nat_->stats().expired, 1u);  // established: 5 days
}

TEST_F(NatTest, RandomBytesAreCountedNeverCrash) {
  Make(Config());
  std::mt19937 rng(4);
  const auto valid = Build({Ip(10, 0, 0, 1), kServer, 1000, 80});
  uint64_t forwarded_inside_untranslated = 0;
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> f = valid;
    if (i % 2 == 0) {
      f.resize(rng() % 100);
      for (auto& b : f) b = static_cast<uint8_t>(rng());
    } else {
      for (int k = 0; k < 3; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
      if (rng() % 3 == 0) f.resize(rng() % f.size());
    }
    if (Process(f) == Verdict::kForward) {
      net::Ipv4Packet p;
      if (net::ParseIpv4(f, true, p) == net::ParseError::kOk &&
          nat_->config().inside[0].Contains(p.src) && !nat_->config().inside[0].Contains(p.dst) &&
          p.dst != kPublic) {
        ++forwarded_inside_untranslated;
      }
    }
  }
  EXPECT_EQ(forwarded_inside_untranslated, 0u);
  EXPECT_GT(nat_->stats().malformed, 1000u);
}

// The NAT attached to an instance's packet path: frames in through a port, one micro-thread
// each, translated frames out.
TEST(NatPacketPathTest, TranslatesThroughTheInstanceLoop) {
  zmq::context_t ctx;
  s6::packetio::MemoryPort port("mem", 256);
  s6::Instance::Options o;
  o.id = s6::InstanceId{1};
  o.endpoint = "inproc://s6-nat-packet-path";
  o.zmq_context = &ctx;
  s6::Instance inst(o);
  nat::Nat nf(inst.space(), Config());
  inst.AttachPacketIo(&nf, &port);
  ASSERT_TRUE(inst.Start().ok());
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 500; ++i) {
      const auto f = Build({Ip(10, 2, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)),
                            kServer, 3000, 443, net::kProtoUdp});
      ASSERT_TRUE(port.Inject(f));
    }
  }
  for (int i = 0; i < 10000 && inst.packet_stats().forwarded < 1500; ++i) inst.RunOnce(0);
  const auto out = port.TakeTransmitted();
  ASSERT_EQ(out.size(), 1500u);
  for (const auto& f : out) {
    net::Ipv4Packet p;
    ASSERT_EQ(net::ParseIpv4(f, true, p), net::ParseError::kOk);
    EXPECT_EQ(p.src, kPublic);
    EXPECT_TRUE(net::ChecksumsValid(f, p));
  }
  EXPECT_EQ(nf.stats().new_flows, 500u);
  EXPECT_EQ(nf.stats().translated_out, 1500u);
  EXPECT_EQ(port.stats().buffers_in_use, 0u);
}

// Three instances translate flows at the same time; a flow's later packet lands on another
// instance (mis-steered). Public ports never collide and a flow keeps its port wherever its
// packets go.
struct NatState {
  explicit NatState(s6::Space& s) : nat(s, Config(20000, 29999, 16)) {}
  nat::Nat nat;
};

TEST(NatClusterTest, PortsAreUniqueAcrossInstancesAndFollowTheFlow) {
  s6::testing::ClusterOptions o;
  o.instances = 3;
  s6::testing::Cluster<NatState> c(o);
  auto translate = [&c](int instance, Spec spec) {
    return c.Async(instance, [spec](NatState& st, s6::Instance& inst) {
      auto f = Build(spec);
      s6::Packet pkt{f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size())};
      const Verdict v = st.nat.Process(pkt, inst);
      net::Ipv4Packet p;
      EXPECT_EQ(net::ParseIpv4(f, true, p), net::ParseError::kOk);
      EXPECT_TRUE(net::ChecksumsValid(f, p));
      return v == Verdict::kForward ? p.sport : uint16_t{0};
    });
  };
  std::vector<std::future<uint16_t>> first;
  for (uint32_t i = 0; i < 600; ++i) {
    first.push_back(translate(
        static_cast<int>(i % 3),
        {Ip(10, 9, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), kServer, 4000, 443}));
  }
  std::vector<uint16_t> ports;
  for (auto& f : first) ports.push_back(f.get());
  EXPECT_EQ(std::set<uint16_t>(ports.begin(), ports.end()).size(), 600u);
  EXPECT_EQ(std::count(ports.begin(), ports.end(), uint16_t{0}), 0);
  for (uint32_t i = 0; i < 600; i += 7) {  // next packet of the flow on another instance
    const uint16_t again =
        translate(
            static_cast<int>((i + 1) % 3),
            {Ip(10, 9, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), kServer, 4000, 443})
            .get();
    EXPECT_EQ(again, ports[i]) << "flow " << i;
  }
}

}  // namespace

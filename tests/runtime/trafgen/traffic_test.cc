// SPDX-License-Identifier: Apache-2.0
// The traffic model: the latency histogram's percentiles stay within their stated error of the
// exact ones; generated frames are valid (checksums, TCP SYN..FIN, consecutive sequences,
// readable probes) with the configured flow-size mean; steering is balanced and moves only the
// flows it must when instances come and go; mis-steering happens at the configured rate; the
// tracker counts received, reordered, foreign frames and latencies.
#include "trafgen/traffic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include <s6/net.h>

namespace s6::trafgen {
namespace {

TEST(HistogramTest, PercentilesWithinTheBucketError) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> d(10.0, 1.5);  // ~22 us median, long tail
  LatencyHistogram h;
  std::vector<uint64_t> v;
  for (int i = 0; i < 100000; ++i) {
    const auto x = static_cast<uint64_t>(d(rng));
    v.push_back(x);
    h.Record(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const uint64_t exact = v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
    const uint64_t got = h.Percentile(q);
    EXPECT_GE(got, exact) << q;  // never under-reports
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1 + 1.0 / 32) + 1) << q;
  }
  EXPECT_EQ(h.max(), v.back());
  EXPECT_EQ(h.min(), v.front());
  EXPECT_EQ(h.count(), v.size());
  LatencyHistogram a, b;
  for (std::size_t i = 0; i < v.size(); ++i) (i % 2 ? a : b).Record(v[i]);
  a.Merge(b);
  EXPECT_EQ(a.Percentile(0.99), h.Percentile(0.99));
  EXPECT_EQ(a.count(), h.count());
  for (uint64_t x : {0ull, 1ull, 31ull, 32ull, 33ull, 1000ull, 1ull << 40, ~0ull}) {
    EXPECT_LE(x, LatencyHistogram::UpperEdge(LatencyHistogram::Index(x))) << x;
  }
}

TEST(FlowGeneratorTest, FramesAreValidAndFlowsWellFormed) {
  FlowConfig c;
  c.concurrent_flows = 50;
  c.frame_bytes = 128;
  c.mean_flow_packets = 20;
  FlowGenerator g(c);
  std::map<uint32_t, uint32_t> next_seq;
  std::map<uint32_t, uint8_t> proto;
  std::vector<uint8_t> frame(c.frame_bytes);
  uint64_t finished = 0;
  uint64_t finished_packets = 0;
  std::map<uint32_t, uint32_t> count;
  for (int i = 0; i < 100000; ++i) {
    const GenPacket p = g.Next();
    ASSERT_EQ(g.Build(p, 1000 + i, frame.data()), c.frame_bytes);
    net::Ipv4Packet ip;
    ASSERT_EQ(net::ParseIpv4(frame, true, ip), net::ParseError::kOk);
    ASSERT_TRUE(net::ChecksumsValid(frame, ip));
    Probe probe;
    ASSERT_TRUE(ReadProbe(frame.data(), c.frame_bytes, probe));
    EXPECT_EQ(probe.flow, p.flow);
    EXPECT_EQ(probe.seq, p.seq);
    EXPECT_EQ(probe.tx_ns, static_cast<uint64_t>(1000 + i));
    EXPECT_EQ(p.seq, next_seq[p.flow]++) << "flow " << p.flow;
    if (p.tuple.proto == net::kProtoTcp && p.seq == 0) {
      EXPECT_EQ(ip.tcp_flags, net::kTcpSyn);
    }
    if (p.tuple.proto == net::kProtoTcp && p.last) {
      EXPECT_TRUE(ip.tcp_flags & net::kTcpFin);
    }
    ++count[p.flow];
    if (p.last) {
      ++finished;
      finished_packets += count[p.flow];
    }
  }
  EXPECT_GT(finished, 3000u);
  const double mean = static_cast<double>(finished_packets) / static_cast<double>(finished);
  // Short flows finish first (inspection bias), so the finished mean sits a little under.
  EXPECT_NEAR(mean, 20.0, 4.0);
  // Every started flow has sent, except live ones not picked yet.
  EXPECT_LE(next_seq.size(), g.flows_started());
  EXPECT_GE(next_seq.size() + c.concurrent_flows, g.flows_started());
}

TEST(FlowGeneratorTest, FlowSizeDistributionsHaveTheirMean) {
  for (SizeDist d :
       {SizeDist::kFixed, SizeDist::kUniform, SizeDist::kExponential, SizeDist::kPareto}) {
    FlowConfig c;
    c.concurrent_flows = 1;  // one flow at a time: sizes are drawn without bias
    c.mean_flow_packets = 30;
    c.size_dist = d;
    c.tcp_fraction = 0;
    c.pareto_shape = 2.5;
    FlowGenerator g(c);
    uint64_t flows = 0;
    uint64_t packets = 0;
    while (flows < 20000) {
      ++packets;
      if (g.Next().last) ++flows;
    }
    EXPECT_NEAR(static_cast<double>(packets) / static_cast<double>(flows), 30.0, 2.0)
        << static_cast<int>(d);
  }
}

TEST(SteeringTest, BalancedAndMinimalMovement) {
  FlowConfig c;
  c.concurrent_flows = 20000;
  FlowGenerator g(c);
  std::vector<net::FiveTuple> flows;
  for (int i = 0; i < 20000; ++i) flows.push_back(g.Next().tuple);
  Steering s({1, 2, 3, 4});
  std::map<uint32_t, int> load;
  std::vector<uint32_t> before;
  for (const auto& t : flows) {
    before.push_back(s.Home(t));
    ++load[before.back()];
  }
  for (const auto& [id, n] : load) EXPECT_NEAR(n, 5000, 400) << "instance " << id;
  s.SetInstances({1, 2, 3, 4, 5});
  int moved = 0;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const uint32_t now = s.Home(flows[i]);
    if (now != before[i]) {
      ++moved;
      EXPECT_EQ(now, 5u) << "a flow moved between staying instances";
    }
  }
  EXPECT_NEAR(moved, 4000, 400);  // ~1/5
  s.SetInstances({1, 2, 4, 5});   // instance 3 leaves
  for (std::size_t i = 0; i < flows.size(); ++i) {
    if (before[i] != 3 && s.Home(flows[i]) != 5) {
      EXPECT_EQ(s.Home(flows[i]), before[i]);
    }
  }
  Steering m({1, 2, 3}, 0.1);
  int off = 0;
  for (const auto& t : flows) off += m.Pick(t) != m.Home(t) ? 1 : 0;
  EXPECT_NEAR(off, 2000, 300);
  EXPECT_EQ(m.missteered(), static_cast<uint64_t>(off));
}

TEST(TrackerTest, CountsLatencyReorderingAndForeignFrames) {
  FlowConfig c;
  c.concurrent_flows = 1;
  c.mean_flow_packets = 1000;
  c.size_dist = SizeDist::kFixed;
  FlowGenerator g(c);
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 10; ++i) {
    std::vector<uint8_t> f(c.frame_bytes);
    g.Build(g.Next(), 1000 * i, f.data());
    frames.push_back(f);
  }
  Tracker t;
  for (int i = 0; i < 10; ++i) t.OnSent(1, 1000 * i);
  std::swap(frames[3], frames[4]);  // one reordering
  for (int i = 0; i < 9; ++i) t.OnReceived(1, frames[i].data(), c.frame_bytes, 1000 * i + 500);
  std::vector<uint8_t> junk(60, 0);
  t.OnReceived(1, junk.data(), 60, 0);
  const auto iv = t.TakeInterval();
  ASSERT_EQ(iv.count(1), 1u);
  EXPECT_EQ(iv.at(1).sent, 10u);
  EXPECT_EQ(iv.at(1).received, 9u);
  EXPECT_EQ(iv.at(1).reordered, 1u);
  EXPECT_EQ(iv.at(1).foreign, 1u);
  EXPECT_EQ(t.lost(), 1u);
  EXPECT_GE(t.total().latency.max(), 1500u);  // the swapped one waited a slot longer
  EXPECT_TRUE(t.TakeInterval().empty());
  EXPECT_EQ(t.total().mapping_changes, 0u);
  EXPECT_EQ(t.total().shared_endpoints, 0u);

  // A frame of the same flow coming back from another source port is a mapping change; a
  // different flow arriving with an endpoint already seen shares it.
  std::vector<uint8_t> changed = frames[0];
  net::Store16(changed.data() + 34, 9999);  // source port
  t.OnReceived(1, changed.data(), c.frame_bytes, 10000);
  EXPECT_EQ(t.total().mapping_changes, 1u);
  std::vector<uint8_t> other = frames[5];
  Probe pr;
  ASSERT_TRUE(ReadProbe(other.data(), c.frame_bytes, pr));
  net::Store32(other.data() + 34 + 20 + 4, pr.flow + 1000);  // a different flow id, same endpoint
  t.OnReceived(1, other.data(), c.frame_bytes, 10000);
  EXPECT_EQ(t.total().shared_endpoints, 1u);
}

}  // namespace
}  // namespace s6::trafgen

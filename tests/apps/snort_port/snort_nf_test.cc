// SPDX-License-Identifier: Apache-2.0
// The Snort NF on S6, in process: real HTTP captures (with the whole community.rules and rules
// that need per-flow state: a flowbit set by the request and tested on the response, a header
// split over segments) raise the same alerts through one instance and through a two-instance
// cluster — flows steered by connection, and the worst case, every packet on the other
// instance than the one before, so each flow's state moves between every two packets; a
// detection_filter counts one host's matches across instances (its Threshold is strict at its
// home); hostile frames are counted, never crash, never write a malformed alert.
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <s6/testing/cluster.h>
#include <nlohmann/json.hpp>

#include "snort_nf.h"
#include "util/capture.h"

namespace snort {
namespace {

using Frame = s6test::CapturedFrame;
using s6test::ReadCapture;

std::string Data(const std::string& name) { return std::string(S6_TEST_PCAPS) + "/snort/" + name; }
std::string Dir() { return ::testing::TempDir() + "s6-snort-nf-" + std::to_string(::getpid()); }

constexpr const char* kStateRules =
    "alert tcp any any -> any any (msg:\"request\"; flow:to_server,established; content:\"GET\"; "
    "http_method; flowbits:set,t.get; flowbits:noalert; sid:9000001; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"answer to a GET\"; flow:to_client,established; "
    "flowbits:isset,t.get; content:\"200\"; http_stat_code; sid:9000002; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"user agent\"; flow:to_server,established; "
    "content:\"User-Agent|3A|\"; http_raw_header; sid:9000003; rev:1;)\n"
    "alert udp any any -> any 9999 (msg:\"filtered\"; content:\"knock\"; "
    "detection_filter:track by_src, count 3, seconds 60; sid:9000004; rev:1;)\n";

// One instance's NF: community.rules (every rule) and the state rules, JSON alerts per id.
struct State {
  explicit State(s6::Space& space) : nf(space, MakeSetup(space)) {}
  static SnortNf::Setup MakeSetup(s6::Space& space) {
    SnortOptions o;
    o.rule_files = {S6_SNORT_COMMUNITY_RULES, Dir() + "/state.rules"};
    o.enable_all_rules = true;
    o.quiet = true;
    o.format = AlertOutput::Format::kJson;
    o.alert_path = Dir() + "/run-{id}.json";
    s6::StatusOr<SnortNf::Setup> s = LoadSetup(o, s6::ToUint(space.self()), "test");
    S6_CHECK(s.ok()) << s.status().ToString();
    return std::move(*s);
  }
  SnortNf nf;
};

class SnortNfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::filesystem::remove_all(Dir());
    std::filesystem::create_directories(Dir());
    std::ofstream(Dir() + "/state.rules") << kStateRules;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(Dir()); }

  // Runs `frames` through a cluster of `n`, frame i on instance pick(i, frame), then the end of
  // traffic on every instance; returns every alert line, sorted, and sums `stat` into *total.
  std::vector<std::string> Run(int n, const std::vector<Frame>& frames,
                               const std::function<int(size_t, const Frame&)>& pick,
                               Stat stat = kStatPackets, uint64_t* total = nullptr) {
    {
      s6::testing::LocalCluster<State> c({.instances = n});
      for (size_t i = 0; i < frames.size(); ++i) {
        const Frame& f = frames[i];
        c.Run(pick(i, f), [&f](State& s, s6::Context& ctx) {
          std::vector<uint8_t> copy = f.bytes;
          s6::Packet pkt{copy.data(), uint32_t(copy.size()), uint32_t(copy.size())};
          pkt.capture_ns = f.ts_ns;
          EXPECT_EQ(s.nf.Process(pkt, ctx), s6::Verdict::kForward);
        });
      }
      if (total != nullptr) *total = 0;
      for (int i = 0; i < n; ++i) {
        const uint64_t v = c.Run(i, [stat](State& s, s6::Context& ctx) {
          s.nf.Finish(ctx);
          return s.nf.counter(stat);
        });
        if (total != nullptr) *total += v;
      }
    }
    std::vector<std::string> alerts;
    for (int i = 1; i <= n; ++i) {
      const std::string path = Dir() + "/run-" + std::to_string(i) + ".json";
      std::ifstream in(path);
      for (std::string line; std::getline(in, line);) alerts.push_back(line);
      std::filesystem::remove(path);
    }
    std::sort(alerts.begin(), alerts.end());
    return alerts;
  }
};

// Both directions of a connection on one instance: the endpoints hashed in a canonical order.
int ByConnection(const Frame& f, int n) {
  DecodedPacket d;
  if (Decode(f.bytes, true, &d) != DecodeStatus::kOk) return 0;
  uint32_t h = d.header.src_port ^ d.header.dst_port;
  for (int i = 0; i < 16; ++i) h = h * 31 + (d.header.src[i] ^ d.header.dst[i]);
  return int(h % uint32_t(n));
}

TEST_F(SnortNfTest, TwoInstancesAlertWhatOneAlerts) {
  size_t state_alerts = 0;
  for (const char* name : {"http.pcapng", "http-manipulated.pcap", "bt-http.pcapng",
                           "http_ua_splitted_in_two_pkts.pcapng", "http-lines-split.pcap"}) {
    SCOPED_TRACE(name);
    const std::vector<Frame> frames = ReadCapture(Data(name));
    ASSERT_FALSE(frames.empty());
    const auto one = Run(1, frames, [](size_t, const Frame&) { return 0; });
    for (const std::string& a : one) {
      const nlohmann::json j = nlohmann::json::parse(a);
      state_alerts += j["sid"].get<uint32_t>() >= 9000001;
    }
    EXPECT_EQ(Run(2, frames, [](size_t, const Frame& f) { return ByConnection(f, 2); }), one);
    EXPECT_EQ(Run(2, frames, [](size_t i, const Frame&) { return int(i % 2); }), one);
  }
  EXPECT_GT(state_alerts, 10u);  // the flowbit and reassembly rules did fire
}

// An Ethernet/IPv4/UDP frame from `src` (last octet) to port 9999 carrying `payload`.
Frame Udp(uint8_t src, uint16_t sport, const std::string& payload, uint64_t ts_ns) {
  std::vector<uint8_t> f(14 + 20 + 8 + payload.size(), 0);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  const size_t ip_len = 20 + 8 + payload.size();
  ip[2] = uint8_t(ip_len >> 8);
  ip[3] = uint8_t(ip_len);
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t s[4] = {10, 0, 0, src}, d[4] = {10, 0, 1, 1};
  std::memcpy(ip + 12, s, 4);
  std::memcpy(ip + 16, d, 4);
  uint8_t* udp = ip + 20;
  udp[0] = uint8_t(sport >> 8);
  udp[1] = uint8_t(sport);
  udp[2] = 9999 >> 8;
  udp[3] = 9999 & 0xff;
  udp[4] = uint8_t((8 + payload.size()) >> 8);
  udp[5] = uint8_t(8 + payload.size());
  std::memcpy(udp + 8, payload.data(), payload.size());
  return {f, ts_ns, uint32_t(f.size())};
}

TEST_F(SnortNfTest, DetectionFilterCountsAHostAcrossInstances) {
  // Host .5 knocks 10 times from 10 source ports (10 flows, spread over the instances); host
  // .6 knocks twice. detection_filter count 3: .5's first three matches are silent.
  std::vector<Frame> frames;
  for (int i = 0; i < 10; ++i)
    frames.push_back(Udp(5, uint16_t(2000 + i), "knock", 1'000'000'000ull * (100 + i)));
  for (int i = 0; i < 2; ++i)
    frames.push_back(Udp(6, uint16_t(3000 + i), "knock", 1'000'000'000ull * (100 + i)));
  for (int n : {1, 2}) {
    uint64_t filtered = 0;
    const auto alerts = Run(
        n, frames, [n](size_t i, const Frame&) { return int(i % size_t(n)); }, kStatFiltered,
        &filtered);
    EXPECT_EQ(alerts.size(), 7u) << n << " instances";
    EXPECT_EQ(filtered, 5u) << n << " instances";
    for (const std::string& a : alerts) {
      EXPECT_EQ(nlohmann::json::parse(a)["src_addr"], "10.0.0.5") << a;
    }
  }
}

TEST_F(SnortNfTest, HostileFramesAreCountedAndNeverWriteGarbage) {
  const std::vector<Frame> real = ReadCapture(Data("http-manipulated.pcap"));
  ASSERT_FALSE(real.empty());
  std::vector<Frame> hostile;
  for (size_t k = 0; k < 12 && k < real.size(); ++k) {  // every truncation of some frames
    const Frame& f = real[k];
    for (size_t len = 0; len < f.bytes.size(); len += 3) {
      hostile.push_back({{f.bytes.begin(), f.bytes.begin() + long(len)}, f.ts_ns, f.wire_len});
    }
  }
  std::mt19937 rng(11);
  for (int k = 0; k < 2000; ++k) {  // random corruption, fixed seed
    Frame f = real[rng() % real.size()];
    for (int flips = 1 + int(rng() % 8); flips > 0; --flips) {
      f.bytes[rng() % f.bytes.size()] = uint8_t(rng());
    }
    hostile.push_back(std::move(f));
  }
  uint64_t malformed = 0;
  const auto alerts = Run(
      1, hostile, [](size_t, const Frame&) { return 0; }, kStatMalformed, &malformed);
  EXPECT_GT(malformed, 100u);
  for (const std::string& a : alerts) {  // whatever was raised is a well-formed event
    const nlohmann::json j = nlohmann::json::parse(a);
    EXPECT_GT(j["sid"].get<uint32_t>(), 0u) << a;
    EXPECT_TRUE(j.contains("src_addr")) << a;
  }
}

}  // namespace
}  // namespace snort

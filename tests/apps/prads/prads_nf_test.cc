// SPDX-License-Identifier: Apache-2.0
// The PRADS NF on S6, in process: the same capture through one instance and through a
// two-instance cluster (flows steered by connection, and — the worst case — every packet to the
// other instance than the one before, so connections and assets are remote half the time) logs
// the same records; and hostile frames (every truncation and random corruption of real ones)
// are counted and dropped, never crash, never log garbage.
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <s6/testing/cluster.h>

#include "prads.h"
#include "util/capture.h"

namespace prads {
namespace {

using Frame = s6test::CapturedFrame;
using s6test::ReadCapture;

std::string Data(const std::string& name) { return std::string(S6_TEST_PCAPS) + "/prads/" + name; }

std::string LogDir() { return ::testing::TempDir() + "s6-prads-nf-" + std::to_string(::getpid()); }

// One instance's NF with every detector on, logging to LogDir()/<run>-<id>.log.
struct State {
  explicit State(s6::Space& space) : nf(space, MakeSetup(space)) {}
  static Prads::Setup MakeSetup(s6::Space& space) {
    PradsOptions o;
    o.config_path = LogDir() + "/all.conf";
    o.asset_log = LogDir() + "/run-{id}.log";
    s6::StatusOr<Prads::Setup> s = LoadSetup(o, s6::ToUint(space.self()), "test");
    S6_CHECK(s.ok()) << s.status().ToString();
    return std::move(*s);
  }
  Prads nf;
};

class PradsNfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(LogDir());
    std::filesystem::create_directories(LogDir());
    std::ofstream(LogDir() + "/all.conf")
        << "arp=1\nos_icmp=1\nos_udp=1\nos_ack_fingerprint=1\nservice_udp=1\n";
  }
  void TearDown() override { std::filesystem::remove_all(LogDir()); }

  // Runs `frames` through a cluster of `n`, frame i on instance pick(i, frame); returns the
  // records of every instance's log, sorted, and leaves the counters summed in `counters`.
  std::vector<std::string> Run(int n, const std::vector<Frame>& frames,
                               const std::function<int(size_t, const Frame&)>& pick,
                               std::vector<uint64_t>* counters = nullptr) {
    std::filesystem::remove_all(LogDir() + "/logs");
    std::vector<std::string> records;
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
      if (counters != nullptr) {
        counters->assign(kStatCount, 0);
        for (int i = 0; i < n; ++i) {
          const std::vector<uint64_t> v =
              c.Run(i, [](State& s, s6::Context&) { return s.nf.counters(); });
          for (size_t k = 0; k < v.size(); ++k) (*counters)[k] += v[k];
        }
      }
    }
    for (int i = 1; i <= n; ++i) {
      std::ifstream in(LogDir() + "/run-" + std::to_string(i) + ".log");
      for (std::string line; std::getline(in, line);) {
        if (line != AssetLog::kHeader) records.push_back(line);
      }
      std::filesystem::remove(LogDir() + "/run-" + std::to_string(i) + ".log");
    }
    std::sort(records.begin(), records.end());
    return records;
  }
};

// Both directions of a connection hash alike (the key is canonical), so flows stay put.
int ByConnection(const Frame& f, int n) {
  PacketCounters c;
  PacketView v;
  if (DecodeEthernet(f.bytes, uint32_t(f.bytes.size()), 0, c, v) != DecodeResult::kIp) return 0;
  uint32_t h = v.sport ^ v.dport;
  for (int i = 0; i < 16; ++i) h = h * 31 + (v.src.bytes[i] ^ v.dst.bytes[i]);
  return int(h % uint32_t(n));
}

TEST_F(PradsNfTest, TwoInstancesLogWhatOneLogs) {
  for (const char* name :
       {"prads_crafted.pcap", "smtp-starttls.pcap", "punycode-idn.pcap", "tcp_scan.pcapng"}) {
    SCOPED_TRACE(name);
    const std::vector<Frame> frames = ReadCapture(Data(name));
    ASSERT_FALSE(frames.empty());
    const auto one = Run(1, frames, [](size_t, const Frame&) { return 0; });
    ASSERT_GT(one.size(), 3u);
    const auto steered = Run(2, frames, [](size_t, const Frame& f) { return ByConnection(f, 2); });
    EXPECT_EQ(steered, one);
    const auto alternating = Run(2, frames, [](size_t i, const Frame&) { return int(i % 2); });
    EXPECT_EQ(alternating, one);
  }
}

TEST_F(PradsNfTest, HostileFramesAreCountedAndNeverLogGarbage) {
  const std::vector<Frame> real = ReadCapture(Data("prads_crafted.pcap"));
  std::vector<Frame> hostile;
  for (const Frame& f : real) {  // every truncation of every frame
    for (size_t len = 0; len < f.bytes.size(); ++len) {
      hostile.push_back({{f.bytes.begin(), f.bytes.begin() + long(len)}, f.ts_ns, f.wire_len});
    }
  }
  std::mt19937 rng(7);
  for (int k = 0; k < 3000; ++k) {  // random corruption, fixed seed
    Frame f = real[rng() % real.size()];
    for (int flips = 1 + int(rng() % 8); flips > 0; --flips) {
      f.bytes[rng() % f.bytes.size()] = uint8_t(rng());
    }
    hostile.push_back(std::move(f));
  }
  std::vector<uint64_t> counters;
  const auto records = Run(
      1, hostile, [](size_t, const Frame&) { return 0; }, &counters);
  EXPECT_EQ(counters[kStatGotPackets], hostile.size());
  EXPECT_GT(counters[kStatMalformed], 1000u);
  for (const std::string& r : records) {  // whatever was logged is a well-formed record
    EXPECT_NE(r.find(",["), std::string::npos) << r;
    EXPECT_NE(r.find("],"), std::string::npos) << r;
    EXPECT_NE(r.back(), ',') << r;
  }
}

}  // namespace
}  // namespace prads

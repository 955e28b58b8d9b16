// SPDX-License-Identifier: Apache-2.0
// The packet path of an instance, with real ports: every packet runs in its own micro-thread,
// forwarded ones leave in order of completion, dropped/consumed/aborted ones are freed (no
// buffer leaks), new packets wait in the port while max_fibers are busy (backpressure), the loop
// backs off when idle; and the pcap port reads and writes real captures byte for byte.
#include <pcap/pcap.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "instance/instance.h"
#include "packetio/memory_port.h"
#include "packetio/pcap_port.h"
#include "util/capture.h"

namespace s6 {
namespace {

using namespace std::chrono_literals;

// Forwards packets whose first byte is even, drops odd ones, consumes 0xff, throws on 0xfe,
// sleeps `delay` first (a stand-in for a remote state access).
class TestNf final : public NetworkFunction {
 public:
  explicit TestNf(std::chrono::nanoseconds delay) : delay_(delay) {}
  Status Init(Context&) override {
    ++inits;
    return OkStatus();
  }
  Verdict Process(Packet& p, Context& ctx) override {
    if (delay_.count() > 0) ctx.SleepFor(delay_);
    max_concurrent = std::max(max_concurrent, ++concurrent);
    struct Dec {
      int* c;
      ~Dec() { --*c; }
    } dec{&concurrent};
    const uint8_t b = p.data[0];
    if (b == 0xfe) throw std::runtime_error("boom");
    if (b == 0xff) return Verdict::kConsumed;
    p.data[1] = 0xaa;  // rewrite in place
    return b % 2 == 0 ? Verdict::kForward : Verdict::kDrop;
  }
  int inits = 0;
  int concurrent = 0;
  int max_concurrent = 0;

 private:
  std::chrono::nanoseconds delay_;
};

class PacketPathTest : public ::testing::Test {
 protected:
  std::unique_ptr<Instance> Make(NetworkFunction* nf, packetio::Port* rx, uint32_t max_fibers,
                                 packetio::Port* tx = nullptr) {
    Instance::Options o;
    o.id = InstanceId{1};
    o.endpoint = "inproc://s6-packet-path-" + std::to_string(++seq_);
    o.zmq_context = &ctx_;
    o.clock = &clock_;
    o.fibers.max_fibers = max_fibers;
    auto inst = std::make_unique<Instance>(o);
    inst->AttachPacketIo(nf, rx, tx);
    EXPECT_TRUE(inst->Start().ok());
    return inst;
  }
  zmq::context_t ctx_;
  ManualClock clock_;
  int seq_ = 0;
};

TEST_F(PacketPathTest, VerdictsAndBuffersAreAccountedFor) {
  packetio::MemoryPort port("mem", /*buffers=*/64);
  TestNf nf(0ns);
  auto inst = Make(&nf, &port, 16);
  std::vector<uint8_t> frame(60, 0);
  int expect_forward = 0;
  for (int i = 0; i < 200; ++i) {
    frame[0] = static_cast<uint8_t>(i % 10 == 9 ? 0xff : i % 10 == 7 ? 0xfe : i % 4);
    frame[2] = static_cast<uint8_t>(i);
    if (frame[0] % 2 == 0 && frame[0] < 0xfe) ++expect_forward;
    ASSERT_TRUE(port.Inject(frame));
  }
  for (int i = 0; i < 100 && port.queued() > 0; ++i) inst->RunOnce(0);
  for (int i = 0; i < 5; ++i) inst->RunOnce(0);
  const auto out = port.TakeTransmitted();
  EXPECT_EQ(static_cast<int>(out.size()), expect_forward);
  for (const auto& f : out) EXPECT_EQ(f[1], 0xaa);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1][2], out[i][2]);  // in order
  const PacketStats& ps = inst->packet_stats();
  EXPECT_EQ(ps.received, 200u);
  EXPECT_EQ(ps.forwarded, static_cast<uint64_t>(expect_forward));
  EXPECT_EQ(ps.consumed, 20u);
  EXPECT_EQ(ps.aborted, 20u);
  EXPECT_EQ(ps.forwarded + ps.dropped + ps.consumed + ps.aborted, 200u);
  EXPECT_EQ(port.stats().buffers_in_use, 0u);  // nothing leaked, aborted packets included
  EXPECT_EQ(nf.inits, 1);
  const std::string text = inst->StatsJson();
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(json.is_object()) << text;
  EXPECT_EQ(json.value(nlohmann::json::json_pointer("/packets/received"), 0), 200) << text;
  EXPECT_EQ(json.value(nlohmann::json::json_pointer("/packets/rx_port/buffers_in_use"), -1), 0)
      << text;
  EXPECT_TRUE(json.contains("nf") && json["nf"].is_object()) << text;
}

TEST_F(PacketPathTest, BackpressureKeepsPacketsInThePortNotInMicroThreads) {
  packetio::MemoryPort port("mem", /*buffers=*/1024);
  TestNf nf(1ms);  // every packet "waits for remote state"
  auto inst = Make(&nf, &port, /*max_fibers=*/8);
  std::vector<uint8_t> frame(60, 0);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(port.Inject(frame));
  inst->RunOnce(0);
  EXPECT_LE(inst->scheduler().in_flight(), 8u);
  EXPECT_GE(port.queued(), 100u - 8u);  // the rest wait in the port, not in micro-threads
  for (int i = 0; i < 400 && inst->packet_stats().forwarded < 100; ++i) {
    clock_.Advance(1ms);
    inst->RunOnce(0);
    EXPECT_LE(inst->scheduler().in_flight(), 8u);
  }
  EXPECT_EQ(inst->packet_stats().forwarded, 100u);
  EXPECT_EQ(inst->scheduler().stats().max_in_flight, 8u);
  EXPECT_EQ(port.TakeTransmitted().size(), 100u);
}

TEST_F(PacketPathTest, IdleLoopBacksOffAfterSpinning) {
  packetio::MemoryPort port("mem");
  TestNf nf(0ns);
  auto inst = Make(&nf, &port, 8);
  for (int i = 0; i < 250; ++i) inst->RunOnce(1);
  // 200 idle spins without waiting, then it waits (1 ms each) while nothing arrives.
  EXPECT_GE(inst->loop_stats().idle_sleeps, 40u);
  EXPECT_LE(inst->loop_stats().idle_sleeps, 60u);
  std::vector<uint8_t> frame(60, 0);
  ASSERT_TRUE(port.Inject(frame));
  inst->RunOnce(1);
  EXPECT_EQ(inst->packet_stats().received, 1u);
}

TEST_F(PacketPathTest, PcapPortReadsAndWritesRealCapturesByteForByte) {
  const std::string in = std::string(S6_TEST_PCAPS) + "/EAQ.pcap";
  const std::string out = ::testing::TempDir() + "s6-pcap-port-out.pcap";
  auto port = packetio::PcapPort::Open("pcap", in, out, 16);
  ASSERT_TRUE(port.ok()) << port.status();
  class PassNf final : public NetworkFunction {
   public:
    Verdict Process(Packet&, Context&) override { return Verdict::kForward; }
  } pass;
  {
    auto inst = Make(&pass, port->get(), 4);
    for (int i = 0; i < 10000 && !(*port)->at_end(); ++i) inst->RunOnce(0);
    for (int i = 0; i < 5; ++i) inst->RunOnce(0);
    EXPECT_TRUE((*port)->at_end());
  }
  const auto st = (*port)->stats();
  port->reset();  // closes the output file
  const auto a = s6test::ReadFrames(in);
  const auto b = s6test::ReadFrames(out);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(st.rx_packets, a.size());
  EXPECT_EQ(st.tx_packets, a.size());
  EXPECT_EQ(st.buffers_in_use, 0u);
  EXPECT_FALSE(packetio::PcapPort::Open("x", "/nonexistent.pcap", "", 4).ok());
}

}  // namespace
}  // namespace s6

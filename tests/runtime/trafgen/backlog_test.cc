// SPDX-License-Identifier: Apache-2.0
// The per-link backlog: a bounded FIFO (order, wrap-around, refusal only when full, high-water
// mark); drained into a link whose ring fills up (like memif's when an instance is slow), it
// delivers every frame exactly once and in generation order, reports each accepted frame once,
// keeps what the link refused for the next attempt, and keeps frames the port had no buffer for.
#include "trafgen/backlog.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include <s6/net.h>

namespace s6::trafgen {
namespace {

// A link with a ring of `ring` frames that the test drains, as an instance drains its memif
// ring; Transmit takes what fits and frees the rest, as DPDK ports do.
class RingLink final : public packetio::Port {
 public:
  RingLink(std::size_t ring, std::size_t buffers) : ring_(ring) {
    storage_.resize(buffers);
    for (auto& s : storage_) {
      s.bytes.resize(2048);
      s.pkt.data = s.bytes.data();
      s.pkt.capacity = 2048;
      s.pkt.handle = &s;
      free_.push_back(&s.pkt);
    }
  }
  const std::string& name() const override { return name_; }
  std::size_t Receive(std::span<Packet*>) override { return 0; }
  std::size_t Transmit(std::span<Packet* const> pkts) override {
    std::size_t accepted = 0;
    for (Packet* p : pkts) {
      if (in_ring_.size() < ring_) {
        in_ring_.emplace_back(p->data, p->data + p->len);
        ++accepted;
      } else {
        ++stats_.tx_dropped;
      }
      free_.push_back(p);
    }
    return accepted;
  }
  void Release(Packet* p) override { free_.push_back(p); }
  Packet* Allocate(uint32_t len) override {
    if (free_.empty() || len > 2048) return nullptr;
    Packet* p = free_.back();
    free_.pop_back();
    p->len = len;
    return p;
  }
  packetio::PortStats stats() const override { return stats_; }

  // The instance side: takes up to n frames off the ring.
  std::vector<std::vector<uint8_t>> Consume(std::size_t n) {
    std::vector<std::vector<uint8_t>> out;
    while (n-- > 0 && !in_ring_.empty()) {
      out.push_back(std::move(in_ring_.front()));
      in_ring_.pop_front();
    }
    return out;
  }
  void TakeAllBuffers() {
    while (!free_.empty()) {
      held_.push_back(free_.back());
      free_.pop_back();
    }
  }
  void GiveBuffersBack() {
    for (Packet* p : held_) free_.push_back(p);
    held_.clear();
  }

 private:
  struct Slot {
    std::vector<uint8_t> bytes;
    Packet pkt;
  };
  std::string name_ = "ring";
  std::size_t ring_;
  std::vector<Slot> storage_;
  std::vector<Packet*> free_;
  std::vector<Packet*> held_;
  std::deque<std::vector<uint8_t>> in_ring_;
  packetio::PortStats stats_;
};

// Frame i: its number in the first 4 bytes, its length varying.
bool Push(FrameBacklog& b, uint32_t i) {
  FrameBacklog::Frame* f = b.PushBack();
  if (f == nullptr) return false;
  f->len = 60 + i % 40;
  std::memset(f->data, 0, f->len);
  net::Store32(f->data, i);
  f->tx_ns = 1000 + i;
  f->probed = i % 3 != 0;
  return true;
}

TEST(FrameBacklogTest, BoundedFifoWithWrapAround) {
  FrameBacklog b(8, 128);
  EXPECT_TRUE(b.empty());
  uint32_t pushed = 0;
  uint32_t popped = 0;
  for (int round = 0; round < 50; ++round) {  // many laps around the ring
    while (Push(b, pushed)) ++pushed;
    ASSERT_EQ(b.size(), 8u);
    EXPECT_EQ(b.PushBack(), nullptr);  // full: refused, nothing changes
    ASSERT_EQ(b.size(), 8u);
    const std::size_t k = 1 + round % 8;
    for (std::size_t i = 0; i < k; ++i) {
      EXPECT_EQ(net::Load32(b.at(i).data), popped + i);
      EXPECT_EQ(b.at(i).tx_ns, 1000u + popped + i);
      EXPECT_EQ(b.at(i).len, 60u + (popped + i) % 40);
    }
    b.PopFront(k);
    popped += static_cast<uint32_t>(k);
  }
  EXPECT_EQ(b.high_water(), 8u);
  b.PopFront(b.size());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.high_water(), 8u);
}

TEST(FrameBacklogTest, ASlowLinkDelaysFramesButLosesNoneAndKeepsTheirOrder) {
  // Start-up: a burst of 3000 frames against a ring of 256 that the instance drains 100 at a
  // time, then a steady 50 per step that it keeps up with.
  RingLink link(256, 512);
  FrameBacklog b(8192, 128);
  std::vector<uint32_t> accepted;
  std::vector<uint32_t> delivered;
  uint32_t next = 0;
  uint64_t refused = 0;
  for (int step = 0; step < 200; ++step) {
    const uint32_t burst = step == 0 ? 3000 : 50;
    for (uint32_t i = 0; i < burst; ++i) {
      if (!Push(b, next++)) ++refused;
    }
    const DrainResult r = DrainBacklog(b, link, 256, [&](const FrameBacklog::Frame& f) {
      accepted.push_back(net::Load32(f.data));
    });
    EXPECT_EQ(r.alloc_failures, 0u);
    for (const auto& f : link.Consume(100)) delivered.push_back(net::Load32(f.data()));
  }
  for (const auto& f : link.Consume(100000)) delivered.push_back(net::Load32(f.data()));
  EXPECT_EQ(refused, 0u);
  EXPECT_GT(link.stats().tx_dropped, 0u);  // the link did refuse: the backlog absorbed it
  EXPECT_GT(b.high_water(), 2000u);
  EXPECT_TRUE(b.empty());
  ASSERT_EQ(delivered.size(), next);
  ASSERT_EQ(accepted, delivered);
  for (uint32_t i = 0; i < next; ++i) ASSERT_EQ(delivered[i], i);  // in order, exactly once
}

TEST(FrameBacklogTest, OnlyAFullBacklogRefuses) {
  RingLink link(16, 64);
  FrameBacklog b(100, 128);
  uint32_t next = 0;
  uint64_t refused = 0;
  for (uint32_t i = 0; i < 500; ++i) {
    if (!Push(b, next++)) ++refused;
  }
  // 100 wait, 400 are refused; the link takes 16 (its ring) and is never drained.
  EXPECT_EQ(refused, 400u);
  std::size_t accepted = 0;
  const DrainResult r =
      DrainBacklog(b, link, 1000, [&](const FrameBacklog::Frame&) { ++accepted; });
  EXPECT_EQ(r.accepted, 16u);
  EXPECT_EQ(accepted, 16u);
  EXPECT_EQ(b.size(), 84u);
  EXPECT_EQ(net::Load32(b.at(0).data), 16u);  // the oldest waiting frame is next
  for (int i = 0; i < 16; ++i) EXPECT_TRUE(Push(b, next++));
  EXPECT_FALSE(Push(b, next++));
}

TEST(FrameBacklogTest, FramesWaitWhenThePortHasNoBuffer) {
  RingLink link(64, 64);
  FrameBacklog b(100, 128);
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(Push(b, i));
  link.TakeAllBuffers();
  std::size_t accepted = 0;
  DrainResult r = DrainBacklog(b, link, 100, [&](const FrameBacklog::Frame&) { ++accepted; });
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(r.alloc_failures, 1u);
  EXPECT_EQ(b.size(), 10u);
  link.GiveBuffersBack();
  r = DrainBacklog(b, link, 4, [&](const FrameBacklog::Frame&) { ++accepted; });
  EXPECT_EQ(r.accepted, 4u);  // the budget bounds one attempt
  r = DrainBacklog(b, link, 100, [&](const FrameBacklog::Frame&) { ++accepted; });
  EXPECT_EQ(r.accepted, 6u);
  EXPECT_EQ(accepted, 10u);
  const auto frames = link.Consume(100);
  ASSERT_EQ(frames.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(net::Load32(frames[i].data()), i);
    EXPECT_EQ(frames[i].size(), 60u + i % 40);  // lengths travel with the frames
  }
}

}  // namespace
}  // namespace s6::trafgen

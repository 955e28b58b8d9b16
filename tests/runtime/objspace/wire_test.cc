// SPDX-License-Identifier: Apache-2.0
// The object-space wire format and the handlers behind it: round trips, every truncation,
// trailing bytes, oversized lengths; then a deterministic fuzz loop that feeds random and
// mutated messages of every object type (and unknown types) to a live instance, directly and
// over a real ZeroMQ link, and checks that the instance neither crashes nor stops working.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "objspace/wire.h"
#include "test_util.h"
#include "transport/message.h"

namespace s6test {
namespace {

using s6::ByteBuffer;
using s6::ByteWriter;
using s6::Instance;
using s6::objspace::DecodeObjectMessage;
using s6::objspace::EncodeObjectMessage;
using s6::objspace::ObjectMessage;
using s6::objspace::ObjectMessageType;
using namespace std::chrono_literals;

ByteBuffer Encode(const ObjectMessage& m) {
  ByteBuffer b;
  ByteWriter w(b);
  EncodeObjectMessage(m, w);
  return b;
}

ObjectMessage Sample(const std::vector<uint8_t>& key, const std::vector<uint8_t>& body) {
  ObjectMessage m;
  m.req = 0x1122334455667788ull;
  m.origin = s6::InstanceId{7};
  m.hops = 2;
  m.code = 1;
  m.method = 0xdeadbeef;
  m.map = 0x0102030405060708ull;
  m.a = 11;
  m.b = 22;
  m.key = key;
  m.body = body;
  return m;
}

TEST(WireTest, RoundTrip) {
  const std::vector<uint8_t> key = {1, 2, 3};
  const std::vector<uint8_t> body = {9, 8, 7, 6};
  const ByteBuffer b = Encode(Sample(key, body));
  EXPECT_EQ(b.size(), s6::objspace::kObjectMessageFixedSize + key.size() + body.size());
  ObjectMessage d;
  ASSERT_TRUE(DecodeObjectMessage(b.span(), d));
  EXPECT_EQ(d.req, 0x1122334455667788ull);
  EXPECT_EQ(d.origin, s6::InstanceId{7});
  EXPECT_EQ(d.hops, 2);
  EXPECT_EQ(d.code, 1);
  EXPECT_EQ(d.method, 0xdeadbeefu);
  EXPECT_EQ(d.map, 0x0102030405060708ull);
  EXPECT_EQ(d.a, 11u);
  EXPECT_EQ(d.b, 22u);
  EXPECT_EQ(std::vector<uint8_t>(d.key.begin(), d.key.end()), key);
  EXPECT_EQ(std::vector<uint8_t>(d.body.begin(), d.body.end()), body);
}

TEST(WireTest, RejectsEveryTruncationTrailingBytesAndBadLengths) {
  const std::vector<uint8_t> key = {1, 2, 3};
  const std::vector<uint8_t> body = {9, 8, 7, 6};
  const ByteBuffer b = Encode(Sample(key, body));
  ObjectMessage d;
  for (std::size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(DecodeObjectMessage({b.data(), n}, d)) << "truncated to " << n;
  }
  ByteBuffer longer = b;
  longer.Append("x", 1);
  EXPECT_FALSE(DecodeObjectMessage(longer.span(), d));
  // A key length larger than the message, and one over the key limit.
  ByteBuffer bad = b;
  const std::size_t key_len_at = s6::objspace::kObjectMessageFixedSize - 8;
  bad.data()[key_len_at] = 0xff;
  EXPECT_FALSE(DecodeObjectMessage(bad.span(), d));
  std::vector<uint8_t> big_key(s6::objspace::kMaxKeyBytes + 1, 0);
  EXPECT_FALSE(DecodeObjectMessage(Encode(Sample(big_key, body)).span(), d));
}

// Random and mutated messages straight into the handlers of a live single instance.
TEST(WireTest, FuzzedMessagesNeverCrashAnInstance) {
  s6::ManualClock clock;
  zmq::context_t ctx;
  Instance::Options io;
  io.id = s6::InstanceId{1};
  io.endpoint = "inproc://s6-wire-fuzz";
  io.zmq_context = &ctx;
  io.clock = &clock;
  Instance inst(io);
  State s(inst.space());
  ASSERT_TRUE(inst.Start().ok());

  const uint64_t maps[] = {s.flows.id(), s.tallies.id(), 12345};
  const uint32_t methods[] = {s6::TypeInfo<Tally>::Descriptor().methods[0].id,
                              s6::TypeInfo<Tally>::Descriptor().methods[3].id, 77};
  std::mt19937_64 rng(20261201);
  auto byte = [&rng] { return static_cast<uint8_t>(rng()); };
  for (int iter = 0; iter < 20000; ++iter) {
    const uint16_t type = static_cast<uint16_t>(0x100 + rng() % 0x20);
    ByteBuffer payload;
    if (rng() % 4 == 0) {
      const std::size_t n = rng() % 96;
      for (std::size_t i = 0; i < n; ++i) {
        const uint8_t x = byte();
        payload.Append(&x, 1);
      }
    } else {
      std::vector<uint8_t> key;
      if (rng() % 2 == 0) {  // a real key, so messages reach the state machines
        const ByteBuffer kb =
            s6::internal::EncodeKey(FlowKey{static_cast<uint32_t>(rng() % 4), 0, 0, 0, 6});
        key.assign(kb.data(), kb.data() + kb.size());
      } else {
        key.resize(rng() % 16);
        for (auto& k : key) k = byte();
      }
      std::vector<uint8_t> body(rng() % 24);
      for (auto& b : body) b = byte();
      ObjectMessage m;
      m.req = rng() % 8;
      m.origin = s6::InstanceId{static_cast<uint32_t>(rng() % 3)};
      m.hops = static_cast<uint8_t>(rng() % 6);
      m.code = static_cast<uint8_t>(rng() % 6);
      m.method = methods[rng() % 3];
      m.map = maps[rng() % 3];
      m.a = rng() % 1000;
      m.b = rng() % 1000;
      m.key = key;
      m.body = body;
      payload = Encode(m);
      if (rng() % 3 == 0 && payload.size() > 0) {  // flip a byte or cut the tail
        if (rng() % 2 == 0) {
          payload.data()[rng() % payload.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        } else {
          payload.Truncate(rng() % payload.size());
        }
      }
    }
    inst.object_space().HandleMessage(s6::InstanceId{static_cast<uint32_t>(rng() % 3)}, type,
                                      payload.span());
    if (iter % 64 == 0) inst.RunOnce(0);
  }
  for (int i = 0; i < 10; ++i) inst.RunOnce(0);
  const auto st = inst.object_space().stats();
  EXPECT_GT(st.malformed, 1000u);
  EXPECT_GT(st.unknown_map, 100u);

  // Still fully working.
  bool ok = false;
  ASSERT_TRUE(inst.Spawn([&] {
    auto f = s.flows.get(FlowKey{999, 1, 1, 1, 6});
    f->add(2);
    ok = s.tallies.get(999)->add_strict(3) == 3 && f->count() == 2;
  }));
  for (int i = 0; i < 10 && !ok; ++i) inst.RunOnce(0);
  EXPECT_TRUE(ok);
}

// Garbage in object-range messages arriving over a real ZeroMQ link from a ready peer.
TEST(WireTest, GarbageFromAPeerIsCountedAndDropped) {
  s6::testing::ClusterOptions o;
  o.instances = 2;
  TestCluster c(o);
  c.Run(1, [&c](State&, Instance& inst) {
    std::mt19937 rng(7);
    for (int i = 0; i < 500; ++i) {
      std::vector<uint8_t> junk(rng() % 80);
      for (auto& b : junk) b = static_cast<uint8_t>(rng());
      const auto type = static_cast<s6::transport::MessageType>(0x100 + rng() % 0x100);
      inst.transport()->Send(c.id(0), type, junk);
    }
  });
  ASSERT_TRUE(Eventually([&] {
    return c.Run(0, [](State&, Instance& i) { return i.object_space().stats().malformed; }) >= 450u;
  }));
  const uint32_t key = TallyHomedAt(c, c.id(0));
  EXPECT_EQ(c.Run(1, [key](State& s, Instance&) { return s.tallies.get(key)->add_strict(1); }), 1);
}

}  // namespace
}  // namespace s6test

namespace s6test {
namespace {

// Batches that are not ours to parse (wrong wire version, bad magic, cut short) sent straight to
// an instance's socket: counted by the transport, dropped, and the instance keeps working.
TEST(WireTest, BadBatchesOnTheSocketAreCountedAndDropped) {
  s6::testing::ClusterOptions io;
  io.instances = 1;
  io.transport = s6::testing::ClusterTransport::kIpc;  // reachable from our own socket
  TestCluster single(io);
  zmq::context_t ctx;
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  const std::string ipc =
      single.Run(0, [](State&, s6::Instance& inst) { return inst.transport()->endpoint(); });
  push.connect(ipc);
  s6::transport::BatchBuilder b(s6::InstanceId{9});
  const uint8_t payload[4] = {1, 2, 3, 4};
  b.Append(s6::transport::MessageType::kPing, payload);
  const auto sealed = b.Seal(1);
  std::vector<uint8_t> good(sealed.begin(), sealed.end());
  std::vector<uint8_t> wrong_version = good;
  wrong_version[2] = s6::transport::kWireVersion + 1;
  std::vector<uint8_t> bad_magic = good;
  bad_magic[0] ^= 0xff;
  std::vector<uint8_t> cut(good.begin(), good.end() - 3);
  for (const auto* bytes : {&wrong_version, &bad_magic, &cut}) {
    push.send(zmq::buffer(*bytes), zmq::send_flags::none);
  }
  ASSERT_TRUE(Eventually([&] {
    return single.Run(0, [](State&, s6::Instance& inst) {
      return inst.transport()->stats().malformed_batches;
    }) == 3;
  }));
  const auto ts =
      single.Run(0, [](State&, s6::Instance& inst) { return inst.transport()->stats(); });
  EXPECT_EQ(ts.malformed[static_cast<std::size_t>(s6::transport::ParseError::kBadVersion)], 1u);
  EXPECT_EQ(single.Run(0, [](State& s, s6::Instance&) { return s.tallies.get(1)->add_strict(2); }),
            2);
}

}  // namespace
}  // namespace s6test

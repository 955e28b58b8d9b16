// SPDX-License-Identifier: Apache-2.0
// ZmqTransport between two and three instances in one process, over inproc://, ipc:// (in a
// temporary directory) and tcp://127.0.0.1:* (ports chosen by the kernel). Every wait is a
// deadline loop on an observable condition; nothing sleeps to synchronise.
#include "transport/zmq_transport.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <s6/bytes.h>
#include "transport/bind_owner_only.h"

// Instance ids are a strong type; `2_id` keeps the tests readable.
constexpr s6::InstanceId operator""_id(unsigned long long v) {
  return s6::InstanceId{static_cast<uint32_t>(v)};
}

namespace s6::transport {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

constexpr MessageType kData = MessageType::kObjectBase;
constexpr MessageType kOther = MessageType::kControlBase;

enum class Kind { kInproc, kIpc, kTcp };

std::string KindName(const ::testing::TestParamInfo<Kind>& info) {
  switch (info.param) {
    case Kind::kInproc:
      return "inproc";
    case Kind::kIpc:
      return "ipc";
    case Kind::kTcp:
      return "tcp";
  }
  return "unknown";
}

Bytes U64Payload(uint64_t v) {
  ByteBuffer buf;
  ByteWriter w(buf);
  w.PutUnsigned(v);
  return Bytes(buf.data(), buf.data() + buf.size());
}

uint64_t ReadU64(std::span<const uint8_t> p) {
  ByteReader r(p);
  uint64_t v = 0;
  r.GetUnsigned(v);
  EXPECT_TRUE(r.AtEnd());
  return v;
}

struct Received {
  InstanceId from;
  MessageType type;
  Bytes payload;
};

// Records every delivered message; optionally runs a hook on each.
class Collector : public Receiver {
 public:
  void OnMessage(InstanceId from, MessageType type, std::span<const uint8_t> payload) override {
    got.push_back({from, type, Bytes(payload.begin(), payload.end())});
    if (hook) hook(from, type, payload);
  }
  std::size_t CountFrom(InstanceId id) const {
    std::size_t n = 0;
    for (const Received& r : got) n += r.from == id ? 1 : 0;
    return n;
  }

  std::vector<Received> got;
  std::function<void(InstanceId, MessageType, std::span<const uint8_t>)> hook;
};

struct Node {
  InstanceId id{};
  std::unique_ptr<ZmqTransport> t;
  Collector rx;
  std::vector<std::string> logs;
};

class ZmqTransportTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kIpc) {
      char tmpl[] = "/tmp/s6-transport-test-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
    }
  }
  void TearDown() override {
    nodes_.clear();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string BindEndpoint(InstanceId id) const {
    switch (GetParam()) {
      case Kind::kInproc:
        return "inproc://s6-node-" + std::to_string(ToUint(id));
      case Kind::kIpc:
        return "ipc://" + dir_ + "/" + std::to_string(ToUint(id)) + ".sock";
      case Kind::kTcp:
        return "tcp://127.0.0.1:*";
    }
    return {};
  }

  // Options for `id`: inproc shares the fixture's context; ipc/tcp own theirs.
  ZmqTransport::Options MakeOptions(Node& n, uint64_t schema_hash) {
    ZmqTransport::Options o;
    o.schema_hash = schema_hash;
    if (GetParam() == Kind::kInproc) o.context = &ctx_;
    o.log = [&n](std::string_view line) { n.logs.emplace_back(line); };
    return o;
  }

  Node& Make(InstanceId id, uint64_t schema_hash = 0x5eed,
             const std::function<void(ZmqTransport::Options&)>& tweak = {}) {
    auto n = std::make_unique<Node>();
    n->id = id;
    ZmqTransport::Options o = MakeOptions(*n, schema_hash);
    if (tweak) tweak(o);
    n->t = std::make_unique<ZmqTransport>(id, BindEndpoint(id), std::move(o));
    const Status s = n->t->Start();
    EXPECT_TRUE(s.ok()) << s;
    nodes_.push_back(std::move(n));
    return *nodes_.back();
  }

  // A node that is built but not started: it can add peers and send (its hello goes out), but
  // nothing is bound at `endpoint` until the test calls Start. tcp:// needs a concrete port
  // (peers must know it before the bind): see ReservedEndpoint.
  Node& MakeUnstarted(InstanceId id, const std::string& endpoint,
                      const std::function<void(ZmqTransport::Options&)>& tweak = {}) {
    auto n = std::make_unique<Node>();
    n->id = id;
    ZmqTransport::Options o = MakeOptions(*n, 0x5eed);
    if (tweak) tweak(o);
    n->t = std::make_unique<ZmqTransport>(id, endpoint, std::move(o));
    nodes_.push_back(std::move(n));
    return *nodes_.back();
  }

  // An endpoint for `id` that is known before anything binds it. For tcp:// the kernel picks a
  // free port for a throw-away socket, which is closed again (ZeroMQ sets SO_REUSEADDR, so the
  // port can be bound again at once).
  std::string ReservedEndpoint(InstanceId id) {
    if (GetParam() != Kind::kTcp) return BindEndpoint(id);
    zmq::socket_t probe(ctx_, zmq::socket_type::pull);
    probe.set(zmq::sockopt::linger, 0);
    probe.bind("tcp://127.0.0.1:*");
    return probe.get(zmq::sockopt::last_endpoint);
  }

  static void Link(Node& a, Node& b) {
    ASSERT_TRUE(a.t->AddPeer(b.id, b.t->endpoint()).ok());
    ASSERT_TRUE(b.t->AddPeer(a.id, a.t->endpoint()).ok());
  }

  // One loop iteration of every node: flush, then receive (waiting at most 1 ms).
  static void Step(const std::vector<Node*>& nodes) {
    for (Node* n : nodes) n->t->Flush();
    for (Node* n : nodes) n->t->Poll(n->rx, 1);
  }

  // Runs loop iterations until `cond` holds; false after 5 s.
  static bool PumpUntil(const std::vector<Node*>& nodes, const std::function<bool()>& cond,
                        std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      Step(nodes);
    }
    return true;
  }

  static bool AllReady(const std::vector<Node*>& nodes) {
    for (Node* a : nodes) {
      for (Node* b : nodes) {
        if (a != b && a->t->GetPeerState(b->id) != PeerState::kReady) return false;
      }
    }
    return true;
  }

  void ConnectAll(const std::vector<Node*>& nodes) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (std::size_t j = i + 1; j < nodes.size(); ++j) Link(*nodes[i], *nodes[j]);
    }
    ASSERT_TRUE(PumpUntil(nodes, [&] { return AllReady(nodes); })) << "handshake timed out";
    // Drain the handshake: every node gets a hello and an ack from each peer.
    ASSERT_TRUE(PumpUntil(nodes, [&] {
      for (Node* n : nodes) {
        if (n->t->stats().batches_received < 2 * (nodes.size() - 1)) return false;
      }
      return true;
    }));
  }

  // A raw PUSH socket (no transport) connected to `n`, for injecting arbitrary bytes.
  zmq::socket_t RawPushTo(const Node& n) {
    zmq::socket_t s(ctx_, zmq::socket_type::push);
    s.set(zmq::sockopt::linger, 0);
    s.connect(n.t->endpoint());
    return s;
  }

  // Declared before the nodes: destroyed after every socket.
  zmq::context_t ctx_;
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

Bytes BuildBatch(InstanceId sender, uint64_t seq,
                 const std::vector<std::pair<MessageType, Bytes>>& msgs) {
  BatchBuilder b(sender);
  for (const auto& [type, payload] : msgs) b.Append(type, payload);
  const auto s = b.Seal(seq);
  return Bytes(s.begin(), s.end());
}

Bytes HelloPayloadBytes(InstanceId id, uint64_t hash) {
  ByteBuffer buf;
  ByteWriter w(buf);
  EncodeHello({.instance = id, .wire_version = kWireVersion, .schema_hash = hash}, w);
  return Bytes(buf.data(), buf.data() + buf.size());
}

void SendRaw(zmq::socket_t& s, const Bytes& b) {
  ASSERT_TRUE(s.send(zmq::buffer(b), zmq::send_flags::none).has_value());
}

TEST_P(ZmqTransportTest, HandshakeMakesBothSidesReady) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  EXPECT_EQ(a.t->GetPeerState(2_id), PeerState::kUnknown);
  Link(a, b);
  EXPECT_EQ(a.t->GetPeerState(2_id), PeerState::kConnecting);
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return AllReady({&a, &b}); }));
  for (Node* n : {&a, &b}) {
    const TransportStats s = n->t->stats();
    EXPECT_EQ(s.peers, 1u);
    EXPECT_EQ(s.peers_ready, 1u);
    EXPECT_EQ(s.hellos_sent, 1u);
    EXPECT_EQ(s.hellos_received, 1u);
    EXPECT_EQ(s.malformed_batches, 0u);
    EXPECT_TRUE(n->logs.empty());
  }
  if (GetParam() == Kind::kTcp) {
    EXPECT_NE(a.t->endpoint(), "tcp://127.0.0.1:*");
    EXPECT_EQ(a.t->endpoint().rfind("tcp://127.0.0.1:", 0), 0u);
  }
}

TEST_P(ZmqTransportTest, OrderedDeliveryOfTenThousandMessagesBothWays) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ConnectAll({&a, &b});
  constexpr uint64_t kMessages = 10000;
  constexpr uint64_t kPerFlush = 97;  // many flushes, batches of uneven sizes
  uint64_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((b.rx.got.size() < kMessages || a.rx.got.size() < kMessages) &&
         std::chrono::steady_clock::now() < deadline) {
    for (uint64_t i = 0; i < kPerFlush && next < kMessages; ++i, ++next) {
      a.t->Send(2_id, kData, U64Payload(next));
      b.t->Send(1_id, kOther, U64Payload(next));
    }
    Step({&a, &b});
  }
  for (Node* n : {&a, &b}) {
    ASSERT_EQ(n->rx.got.size(), kMessages);
    for (uint64_t i = 0; i < kMessages; ++i) {
      ASSERT_EQ(ReadU64(n->rx.got[i].payload), i) << "out of order at " << i;
      EXPECT_EQ(n->rx.got[i].type, n == &a ? kOther : kData);
      EXPECT_EQ(n->rx.got[i].from, n == &a ? 2_id : 1_id);
    }
    const TransportStats s = n->t->stats();
    EXPECT_EQ(s.sequence_gaps, 0u);
    EXPECT_EQ(s.sequence_regressions, 0u);
    EXPECT_EQ(s.send_dropped_messages, 0u);
    EXPECT_EQ(s.messages_delivered, kMessages);
    EXPECT_GE(s.batches_sent, (kMessages + kPerFlush - 1) / kPerFlush);
  }
}

TEST_P(ZmqTransportTest, ManySendsOneFlushIsOneZmqMessage) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ConnectAll({&a, &b});
  const TransportStats a0 = a.t->stats();
  const TransportStats b0 = b.t->stats();
  constexpr int kN = 50;
  for (int i = 0; i < kN; ++i) a.t->Send(2_id, kData, U64Payload(static_cast<uint64_t>(i)));
  EXPECT_EQ(a.t->stats().batches_sent, a0.batches_sent) << "Send must not send";
  a.t->Flush();
  const TransportStats a1 = a.t->stats();
  EXPECT_EQ(a1.batches_sent - a0.batches_sent, 1u);
  EXPECT_EQ(a1.messages_sent - a0.messages_sent, static_cast<uint64_t>(kN));
  EXPECT_EQ(a1.bytes_sent - a0.bytes_sent, kBatchHeaderSize + kN * (kMessageHeaderSize + 8));
  a.t->Flush();  // nothing pending: nothing sent
  EXPECT_EQ(a.t->stats().batches_sent, a1.batches_sent);
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.rx.got.size() == kN; }));
  const TransportStats b1 = b.t->stats();
  EXPECT_EQ(b1.batches_received - b0.batches_received, 1u);
  EXPECT_EQ(b1.messages_delivered - b0.messages_delivered, static_cast<uint64_t>(kN));
}

// A Poll with a timeout waits only while nothing has arrived: once it has delivered something
// it returns at once (a regression here turns every round trip into a full timeout).
TEST_P(ZmqTransportTest, PollWithTimeoutReturnsAsSoonAsItHasWork) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ConnectAll({&a, &b});
  for (int round = 0; round < 3; ++round) {
    a.t->Send(2_id, kData, U64Payload(static_cast<uint64_t>(round)));
    a.t->Flush();
    const auto start = std::chrono::steady_clock::now();
    std::size_t polls = 0;
    while (b.rx.got.size() <= static_cast<std::size_t>(round) && polls < 3) {
      b.t->Poll(b.rx, 3000);
      ++polls;
    }
    ASSERT_EQ(b.rx.got.size(), static_cast<std::size_t>(round) + 1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << "round " << round;
  }
  // With nothing to receive, a zero timeout returns at once and a short one returns empty.
  EXPECT_EQ(b.t->Poll(b.rx, 0), 0u);
  EXPECT_EQ(b.t->Poll(b.rx, 5), 0u);
}

TEST_P(ZmqTransportTest, ThreeInstancesFullMeshKeepPerSenderOrder) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  Node& c = Make(3_id);
  const std::vector<Node*> all = {&a, &b, &c};
  ConnectAll(all);
  constexpr uint64_t kPerPair = 600;
  for (uint64_t i = 0; i < kPerPair; ++i) {
    for (Node* from : all) {
      for (Node* to : all) {
        if (from != to) from->t->Send(to->id, kData, U64Payload(i));
      }
    }
    if (i % 50 == 49) Step(all);
  }
  ASSERT_TRUE(PumpUntil(all, [&] {
    for (Node* n : all) {
      if (n->rx.got.size() < 2 * kPerPair) return false;
    }
    return true;
  }));
  for (Node* n : all) {
    EXPECT_EQ(n->rx.got.size(), 2 * kPerPair);
    std::vector<uint64_t> next(4, 0);
    for (const Received& r : n->rx.got) {
      ASSERT_NE(r.from, n->id);
      ASSERT_EQ(ReadU64(r.payload), next[ToUint(r.from)])
          << "from " << r.from << " at node " << n->id;
      ++next[ToUint(r.from)];
    }
    EXPECT_EQ(n->t->stats().peers_ready, 2u);
    EXPECT_EQ(n->t->stats().sequence_gaps, 0u);
  }
}

TEST_P(ZmqTransportTest, SchemaMismatchIsRefusedOnBothSidesAndNoDataFlows) {
  Node& a = Make(1_id, /*schema_hash=*/0xaaaa);
  Node& b = Make(2_id, /*schema_hash=*/0xbbbb);
  Link(a, b);
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] {
    return a.t->GetPeerState(2_id) == PeerState::kRefused &&
           b.t->GetPeerState(1_id) == PeerState::kRefused;
  }));
  ASSERT_EQ(a.logs.size(), 1u);
  EXPECT_EQ(a.logs[0],
            "instance 2 refused: schema hash 0x000000000000bbbb differs from ours "
            "0x000000000000aaaa");
  ASSERT_EQ(b.logs.size(), 1u);
  EXPECT_EQ(b.logs[0],
            "instance 1 refused: schema hash 0x000000000000aaaa differs from ours "
            "0x000000000000bbbb");

  // Sending to a refused peer drops locally.
  const uint64_t dropped = a.t->stats().send_dropped_messages;
  a.t->Send(2_id, kData, U64Payload(1));
  EXPECT_EQ(a.t->stats().send_dropped_messages, dropped + 1);

  // Even a well-formed batch claiming to come from the refused peer is not delivered.
  zmq::socket_t raw = RawPushTo(b);
  SendRaw(raw, BuildBatch(1_id, 1000, {{kData, U64Payload(7)}}));
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.t->stats().dropped_not_ready >= 1; }));
  for (int i = 0; i < 5; ++i) Step({&a, &b});
  EXPECT_TRUE(a.rx.got.empty());
  EXPECT_TRUE(b.rx.got.empty());
  EXPECT_EQ(a.t->stats().peers_ready, 0u);
  EXPECT_EQ(a.t->stats().peers_refused_total, 1u);
  EXPECT_EQ(a.logs.size(), 1u) << "one log line per refusal, not per message";
}

TEST_P(ZmqTransportTest, MalformedInputIsCountedAndTheTransportKeepsWorking) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ConnectAll({&a, &b});
  zmq::socket_t raw = RawPushTo(b);

  Bytes garbage(100);
  std::mt19937 rng(7);
  for (auto& x : garbage) x = static_cast<uint8_t>(rng());
  garbage[0] = 0;  // not 'S'
  SendRaw(raw, garbage);
  SendRaw(raw, Bytes{});                   // empty message
  SendRaw(raw, Bytes{'S', '6', 1, 0, 1});  // truncated header
  Bytes wrong_version = BuildBatch(9_id, 1, {{kData, U64Payload(1)}});
  wrong_version[2] = 2;
  SendRaw(raw, wrong_version);
  Bytes truncated = BuildBatch(9_id, 1, {{kData, U64Payload(1)}, {kData, U64Payload(2)}});
  truncated.resize(truncated.size() - 3);
  SendRaw(raw, truncated);
  Bytes trailing = BuildBatch(9_id, 1, {{kData, U64Payload(1)}});
  trailing.push_back(0);
  SendRaw(raw, trailing);
  // Well-formed, but from an instance that is not a peer, one message of an unknown type.
  SendRaw(raw,
          BuildBatch(9_id, 1, {{kData, U64Payload(1)}, {static_cast<MessageType>(0x7777), {}}}));
  // A hello with a malformed payload from a peer id.
  SendRaw(raw, BuildBatch(9_id, 2, {{MessageType::kHello, Bytes{1, 2, 3}}}));

  ASSERT_TRUE(PumpUntil({&a, &b}, [&] {
    const TransportStats s = b.t->stats();
    return s.malformed_batches == 6 && s.batches_received >= 3 && s.bad_handshake == 1;
  })) << b.t->stats().ToJson();
  const TransportStats s = b.t->stats();
  auto malformed = [&s](ParseError e) { return s.malformed[static_cast<std::size_t>(e)]; };
  EXPECT_EQ(malformed(ParseError::kBadMagic), 1u);
  EXPECT_EQ(malformed(ParseError::kTruncatedHeader), 2u);
  EXPECT_EQ(malformed(ParseError::kBadVersion), 1u);
  EXPECT_EQ(malformed(ParseError::kPayloadOutOfBounds), 1u);
  EXPECT_EQ(malformed(ParseError::kTrailingBytes), 1u);
  EXPECT_EQ(s.unknown_types, 1u);
  EXPECT_EQ(s.dropped_not_ready, 1u);
  EXPECT_TRUE(b.rx.got.empty());

  // Still works for the real peer.
  a.t->Send(2_id, kData, U64Payload(12345));
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.rx.got.size() == 1; }));
  EXPECT_EQ(ReadU64(b.rx.got[0].payload), 12345u);
  EXPECT_EQ(b.t->GetPeerState(1_id), PeerState::kReady);
  const std::string text = b.t->stats().ToJson();
  const nlohmann::json json = nlohmann::json::parse(text);
  EXPECT_EQ(json["malformed_batches"], 6) << text;
  EXPECT_EQ(json["malformed"]["truncated_header"], 2) << text;
}

// The test plays instance 7 with raw sockets: it checks our hello on the wire, answers it, and
// then sends batches with chosen sequence numbers.
TEST_P(ZmqTransportTest, RawPeerHandshakeAndSequenceTracking) {
  Node& b = Make(2_id);
  zmq::socket_t inbox(ctx_, zmq::socket_type::pull);
  inbox.set(zmq::sockopt::linger, 0);
  inbox.set(zmq::sockopt::rcvtimeo, 5000);
  inbox.bind(GetParam() == Kind::kTcp ? std::string("tcp://127.0.0.1:*") : BindEndpoint(7_id));
  const std::string inbox_endpoint = inbox.get(zmq::sockopt::last_endpoint);
  ASSERT_TRUE(b.t->AddPeer(7_id, inbox_endpoint).ok());

  // Receive b's hello (b retries it at every Flush until the connection is up).
  zmq::message_t msg;
  std::optional<std::size_t> got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!(got = inbox.recv(msg, zmq::recv_flags::dontwait)) &&
         std::chrono::steady_clock::now() < deadline) {
    Step({&b});
  }
  ASSERT_TRUE(got.has_value());
  const ParsedBatch hello_batch = ParseBatch({msg.data<uint8_t>(), msg.size()});
  ASSERT_TRUE(hello_batch.ok());
  EXPECT_EQ(hello_batch.header.sender, 2_id);
  EXPECT_EQ(hello_batch.header.sequence, 1u);
  ASSERT_EQ(hello_batch.header.message_count, 1u);
  EXPECT_EQ(hello_batch.begin()->type, MessageType::kHello);
  HelloPayload hello;
  ASSERT_TRUE(DecodeHello(hello_batch.begin()->payload, hello));
  EXPECT_EQ(hello.instance, 2_id);
  EXPECT_EQ(hello.schema_hash, 0x5eedu);

  zmq::socket_t raw = RawPushTo(b);
  SendRaw(raw, BuildBatch(7_id, 1, {{MessageType::kHello, HelloPayloadBytes(7_id, 0x5eed)}}));
  ASSERT_TRUE(PumpUntil({&b}, [&] { return b.t->GetPeerState(7_id) == PeerState::kReady; }));
  // b answered with an ack, sequence 2 on its channel to us.
  ASSERT_TRUE(inbox.recv(msg).has_value());
  const ParsedBatch ack = ParseBatch({msg.data<uint8_t>(), msg.size()});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack.header.sequence, 2u);
  EXPECT_EQ(ack.begin()->type, MessageType::kHelloAck);

  SendRaw(raw, BuildBatch(7_id, 2, {{kData, U64Payload(2)}}));
  SendRaw(raw, BuildBatch(7_id, 5, {{kData, U64Payload(5)}}));  // 3 and 4 lost
  SendRaw(raw, BuildBatch(7_id, 4, {{kData, U64Payload(4)}}));  // late
  SendRaw(raw, BuildBatch(7_id, 6, {{kData, U64Payload(6)}}));
  ASSERT_TRUE(PumpUntil({&b}, [&] { return b.rx.got.size() == 4; }));
  const TransportStats s = b.t->stats();
  EXPECT_EQ(s.sequence_gaps, 1u);
  EXPECT_EQ(s.batches_lost, 2u);
  EXPECT_EQ(s.sequence_regressions, 1u);
  std::vector<uint64_t> values;
  for (const Received& r : b.rx.got) values.push_back(ReadU64(r.payload));
  EXPECT_EQ(values, (std::vector<uint64_t>{2, 5, 4, 6}));

  // Pings are delivered to the receiver (the instance answers them).
  b.rx.hook = [&](InstanceId from, MessageType type, std::span<const uint8_t> payload) {
    if (type == MessageType::kPing) b.t->Send(from, MessageType::kPong, payload);
  };
  SendRaw(raw, BuildBatch(7_id, 7, {{MessageType::kPing, U64Payload(77)}}));
  ASSERT_TRUE(PumpUntil({&b}, [&] { return b.rx.got.size() == 5; }));
  b.t->Flush();
  ASSERT_TRUE(inbox.recv(msg).has_value());
  const ParsedBatch pong = ParseBatch({msg.data<uint8_t>(), msg.size()});
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong.header.sequence, 3u);
  EXPECT_EQ(pong.begin()->type, MessageType::kPong);
  EXPECT_EQ(ReadU64(pong.begin()->payload), 77u);
}

TEST_P(ZmqTransportTest, RemovePeerStopsTrafficAndCanBeUndone) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ConnectAll({&a, &b});
  a.t->RemovePeer(2_id);
  a.t->RemovePeer(2_id);  // unknown ids are ignored
  EXPECT_EQ(a.t->GetPeerState(2_id), PeerState::kUnknown);
  EXPECT_EQ(a.t->stats().peers, 0u);
  EXPECT_EQ(a.t->stats().peers_ready, 0u);

  const uint64_t dropped = a.t->stats().send_dropped_messages;
  a.t->Send(2_id, kData, U64Payload(1));
  EXPECT_EQ(a.t->stats().send_dropped_messages, dropped + 1);

  // b still thinks a is ready; what it sends is not delivered by a.
  b.t->Send(1_id, kData, U64Payload(2));
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return a.t->stats().dropped_not_ready == 1; }))
      << a.t->stats().ToJson() << "\n"
      << b.t->stats().ToJson();
  EXPECT_TRUE(a.rx.got.empty());

  // Re-adding starts a new channel (sequence 1) and a new handshake.
  ASSERT_TRUE(a.t->AddPeer(2_id, b.t->endpoint()).ok());
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return AllReady({&a, &b}); }));
  a.t->Send(2_id, kData, U64Payload(3));
  b.t->Send(1_id, kData, U64Payload(4));
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return a.rx.got.size() == 1 && b.rx.got.size() == 1; }));
  EXPECT_EQ(ReadU64(b.rx.got[0].payload), 3u);
  EXPECT_EQ(ReadU64(a.rx.got[0].payload), 4u);
  EXPECT_EQ(b.t->stats().sequence_regressions, 0u);
}

TEST_P(ZmqTransportTest, ReceiverMayRemoveTheSenderMidBatch) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ConnectAll({&a, &b});
  b.rx.hook = [&](InstanceId from, MessageType, std::span<const uint8_t>) {
    b.t->RemovePeer(from);
  };
  for (uint64_t i = 0; i < 3; ++i) a.t->Send(2_id, kData, U64Payload(i));
  a.t->Flush();
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.t->stats().dropped_not_ready == 2; }));
  EXPECT_EQ(b.rx.got.size(), 1u);
  EXPECT_EQ(b.t->GetPeerState(1_id), PeerState::kUnknown);
}

// A hello that arrives before the receiver added the sender is remembered and answered at
// AddPeer; data sent meanwhile waits in the pending batch and then flows.
TEST_P(ZmqTransportTest, LateAddPeerCompletesHandshakeAndDeliversHeldData) {
  Node& a = Make(1_id);
  Node& b = Make(2_id);
  ASSERT_TRUE(a.t->AddPeer(2_id, b.t->endpoint()).ok());
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.t->stats().hellos_received == 1; }));
  EXPECT_EQ(a.t->GetPeerState(2_id), PeerState::kConnecting);
  a.t->Send(2_id, kData, U64Payload(11));
  a.t->Send(2_id, kData, U64Payload(12));
  for (int i = 0; i < 3; ++i) Step({&a, &b});
  EXPECT_TRUE(b.rx.got.empty());
  ASSERT_TRUE(b.t->AddPeer(1_id, a.t->endpoint()).ok());
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.rx.got.size() == 2; }));
  EXPECT_EQ(ReadU64(b.rx.got[0].payload), 11u);
  EXPECT_EQ(ReadU64(b.rx.got[1].payload), 12u);
  EXPECT_TRUE(AllReady({&a, &b}));
  EXPECT_EQ(b.t->stats().dropped_not_ready, 0u);
}

// With tiny queues and a receiver that does not read, Flush reports "would block" and never
// blocks: messages collect in the pending batch, full batches in the bounded retry queue, and
// once both are full Send drops and counts them. A dropped message never had a sequence number,
// so the receiver later sees no gap, and every message that was not dropped arrives in order.
TEST_P(ZmqTransportTest, BackpressureIsBoundedAndDropsBeforeNumbering) {
  auto tiny = [](ZmqTransport::Options& o) {
    o.send_hwm = 1;
    o.recv_hwm = 1;
    o.max_queued_batches = 2;
    o.max_batch_bytes = 128 * 1024;  // two of the messages below per batch
  };
  Node& a = Make(1_id, 0x5eed, tiny);
  Node& b = Make(2_id, 0x5eed, tiny);
  ConnectAll({&a, &b});
  const Bytes big(48 * 1024, 0x5a);
  uint64_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (a.t->stats().send_dropped_messages < 3 && std::chrono::steady_clock::now() < deadline) {
    Bytes payload = U64Payload(next++);
    payload.insert(payload.end(), big.begin(), big.end());
    a.t->Send(2_id, kData, payload);
    a.t->Flush();  // b never polls here
  }
  const TransportStats sa = a.t->stats();
  ASSERT_GE(sa.send_dropped_messages, 3u);
  EXPECT_EQ(sa.send_dropped_batches, 0u) << "a sealed batch is never dropped";
  EXPECT_GT(sa.send_would_block, 0u);
  // Bounded by max_queued_batches; the last Flush may already have handed one of them to
  // ZeroMQ (its I/O thread makes room asynchronously, notably over tcp under load).
  EXPECT_GE(a.t->QueuedBatches(2_id), 1u);
  EXPECT_LE(a.t->QueuedBatches(2_id), 2u);

  // Let b drain everything, then send a final marker (which there is room for now).
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return a.t->QueuedBatches(2_id) == 0; }));
  a.t->Send(2_id, kOther, U64Payload(next));
  ASSERT_TRUE(
      PumpUntil({&a, &b}, [&] { return !b.rx.got.empty() && b.rx.got.back().type == kOther; }))
      << a.t->stats().ToJson() << "\n"
      << b.t->stats().ToJson() << "\n"
      << b.rx.got.size() << " next=" << next;
  const TransportStats sb = b.t->stats();
  EXPECT_EQ(sb.sequence_gaps, 0u);
  EXPECT_EQ(sb.batches_lost, 0u);
  EXPECT_EQ(b.rx.got.size() + a.t->stats().send_dropped_messages, next + 1);
  uint64_t last = 0;
  for (std::size_t i = 0; i < b.rx.got.size(); ++i) {
    const uint64_t v = ReadU64(std::span(b.rx.got[i].payload).first(8));
    if (i > 0) {
      EXPECT_GT(v, last);
    }
    last = v;
  }
}

// The start-up race of two instance processes (s6_trafgen_nat_test): A adds B before B has
// bound, so A's PUSH socket cannot connect and ZeroMQ retries only every reconnect interval;
// B's hello reaches A (A is bound) and makes B kReady at A while A's own socket is still not
// writable. Everything A sends meanwhile, one Flush per loop iteration as in an instance and for
// longer than the reconnect interval, must wait and then arrive complete and in order, without a
// sequence gap. (This once sealed one batch per Flush, dropped those beyond max_queued_batches
// and consumed their sequence numbers: the receiver counted the gap, the instances lost the
// object requests inside.)
TEST_P(ZmqTransportTest, StartUpTrafficToAPeerNotYetReachableWaitsAndArrivesInOrder) {
  Node& a = Make(1_id);
  Node& b = MakeUnstarted(2_id, ReservedEndpoint(2_id));
  ASSERT_TRUE(a.t->AddPeer(2_id, b.t->endpoint()).ok());  // nothing bound there yet
  ASSERT_TRUE(b.t->AddPeer(1_id, a.t->endpoint()).ok());
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return a.t->GetPeerState(2_id) == PeerState::kReady; }));

  constexpr uint64_t kPerIteration = 3;
  uint64_t next = 0;
  int iterations = 0;
  const auto window_end = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < window_end || iterations < 200) {
    for (uint64_t i = 0; i < kPerIteration; ++i) a.t->Send(2_id, kData, U64Payload(next++));
    Step({&a, &b});
    ++iterations;
  }
  EXPECT_EQ(a.t->GetPeerState(2_id), PeerState::kReady);
  EXPECT_TRUE(b.rx.got.empty());

  // B binds; once A's socket is connected, a last message (of another type) marks the end.
  ASSERT_TRUE(b.t->Start().ok());
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return a.t->QueuedBatches(2_id) == 0; }));
  a.t->Send(2_id, kOther, U64Payload(next));
  ASSERT_TRUE(
      PumpUntil({&a, &b}, [&] { return !b.rx.got.empty() && b.rx.got.back().type == kOther; }));
  const TransportStats sa = a.t->stats();
  const TransportStats sb = b.t->stats();
  EXPECT_EQ(sa.send_dropped_messages, 0u);
  EXPECT_EQ(sa.send_dropped_batches, 0u);
  EXPECT_EQ(sb.sequence_gaps, 0u);
  EXPECT_EQ(sb.batches_lost, 0u);
  ASSERT_EQ(b.rx.got.size(), next + 1);
  for (uint64_t i = 0; i <= next; ++i) {
    ASSERT_EQ(ReadU64(b.rx.got[i].payload), i) << "out of order at " << i;
  }
  EXPECT_EQ(sb.sequence_regressions, 0u);
  EXPECT_EQ(sb.dropped_not_ready, 0u);
  EXPECT_TRUE(AllReady({&a, &b}));
}

// A adds B before B has bound, so A's socket waits for ZeroMQ's next reconnect attempt (made
// 20 s here). B's hello shows that B is up: A reopens the socket then, and the handshake and the
// data complete at once instead of at that attempt.
TEST_P(ZmqTransportTest, ALateBindingPeerIsReachedAtItsHelloNotAtTheNextReconnect) {
  Node& a = Make(1_id, 0x5eed, [](ZmqTransport::Options& o) { o.reconnect_ivl_ms = 20000; });
  Node& b = MakeUnstarted(2_id, ReservedEndpoint(2_id));
  ASSERT_TRUE(a.t->AddPeer(2_id, b.t->endpoint()).ok());
  // Time for A's first connection attempt to fail (it fails at once: nothing is bound). Were
  // it still pending when B binds, this test would pass without the reopen, never fail.
  const auto attempt = std::chrono::steady_clock::now() + 100ms;
  while (std::chrono::steady_clock::now() < attempt) Step({&a});
  if (GetParam() != Kind::kInproc) {  // inproc queues to a not-yet-bound endpoint
    ASSERT_EQ(a.t->QueuedBatches(2_id), 1u) << "A's hello should still be waiting";
  }
  a.t->Send(2_id, kData, U64Payload(42));

  ASSERT_TRUE(b.t->Start().ok());
  ASSERT_TRUE(b.t->AddPeer(1_id, a.t->endpoint()).ok());
  ASSERT_TRUE(PumpUntil({&a, &b}, [&] { return b.rx.got.size() == 1; }))
      << a.t->stats().ToJson() << "\n"
      << b.t->stats().ToJson();
  EXPECT_EQ(ReadU64(b.rx.got[0].payload), 42u);
  EXPECT_TRUE(AllReady({&a, &b}));
  EXPECT_EQ(b.t->stats().sequence_gaps, 0u);
  EXPECT_EQ(a.t->stats().send_dropped_messages, 0u);
}

TEST_P(ZmqTransportTest, SetupErrorsAreStatuses) {
  Node& a = Make(1_id);
  EXPECT_EQ(a.t->AddPeer(1_id, "inproc://x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.t->AddPeer(2_id, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.t->AddPeer(2_id, "bogus://nowhere").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.t->GetPeerState(2_id), PeerState::kUnknown) << "a failed AddPeer changes nothing";
  // Nobody listens there; connecting is asynchronous, so AddPeer still succeeds.
  const std::string nobody = GetParam() == Kind::kTcp ? "tcp://127.0.0.1:1" : BindEndpoint(2_id);
  ASSERT_TRUE(a.t->AddPeer(2_id, nobody).ok());
  EXPECT_EQ(a.t->AddPeer(2_id, nobody).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(a.t->Start().code(), StatusCode::kFailedPrecondition);

  ZmqTransport::Options bad;
  bad.max_batch_bytes = 10;
  ZmqTransport t(5_id, "tcp://127.0.0.1:*", bad);
  EXPECT_EQ(t.Start().code(), StatusCode::kInvalidArgument);

  // The same address twice (ipc:// would silently take over the path, so not for ipc).
  if (GetParam() != Kind::kIpc) {
    ZmqTransport::Options o;
    if (GetParam() == Kind::kInproc) o.context = &ctx_;
    ZmqTransport dup(6_id, a.t->endpoint(), o);
    const Status s = dup.Start();
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s;
  }

  ZmqTransport bad_endpoint(8_id, "tcp://no-such-interface-s6:*", {});
  EXPECT_FALSE(bad_endpoint.Start().ok());
}

TEST(TransportStatsTest, JsonHasEveryCounter) {
  TransportStats s;
  s.batches_sent = 3;
  s.malformed[static_cast<std::size_t>(ParseError::kBadMagic)] = 2;
  s.peers = 4;
  const std::string text = s.ToJson();
  const nlohmann::json json = nlohmann::json::parse(text);  // throws if not valid JSON
  EXPECT_EQ(json["batches_sent"], 3) << text;
  EXPECT_EQ(json["peers"], 4) << text;
  EXPECT_EQ(json["malformed"]["bad_magic"], 2) << text;
  // Every parse error but kOk has its counter, named as ParseErrorName names it.
  EXPECT_EQ(json["malformed"].size(), kParseErrorCount - 1) << text;
  EXPECT_EQ(json["malformed"]["trailing_bytes"], 0) << text;
  EXPECT_EQ(json.size(), 25u) << "24 counters and the malformed group: " << text;
  EXPECT_EQ(PeerStateName(PeerState::kRefused), "refused");
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ZmqTransportTest,
                         ::testing::Values(Kind::kInproc, Kind::kIpc, Kind::kTcp), KindName);

}  // namespace
}  // namespace s6::transport

namespace s6::transport {
namespace {

// Binding an ipc:// path unlinks the file there: a second process given a live process's
// endpoint must be refused, not take the socket over; a stale file (its process gone) is fine.
TEST(IpcEndpointTest, ALiveEndpointIsNotTakenOver) {
  char tmpl[] = "/tmp/s6-ipc-live-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string endpoint = std::string("ipc://") + tmpl + "/1.sock";
  auto first = std::make_unique<ZmqTransport>(InstanceId{1}, endpoint, ZmqTransport::Options{});
  ASSERT_TRUE(first->Start().ok());
  ZmqTransport second(InstanceId{2}, endpoint, ZmqTransport::Options{});
  const Status st = second.Start();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("in use by another process"), std::string::npos) << st;
  EXPECT_TRUE(CheckIpcEndpointFree("ipc://" + std::string(tmpl) + "/none.sock").ok());
  EXPECT_TRUE(CheckIpcEndpointFree("tcp://127.0.0.1:1").ok());

  // A stale socket file: bound by a listener that is gone without unlinking it.
  const std::string stale = std::string(tmpl) + "/stale.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, stale.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);  // never listened: connecting is refused
  EXPECT_TRUE(CheckIpcEndpointFree("ipc://" + stale).ok());
  ZmqTransport third(InstanceId{3}, "ipc://" + stale, ZmqTransport::Options{});
  EXPECT_TRUE(third.Start().ok());
  first.reset();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace s6::transport

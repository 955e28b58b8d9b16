// SPDX-License-Identifier: Apache-2.0
// Unit tests of the TCP session tracker / reassembler (apps/snort_port/stream.h): handshake and
// midstream roles, flow:established timing, in-order / reordered / duplicated / overlapping
// data under the bsd policy, holes given up on ACK or queue overflow, sequence wrap-around,
// FIN and RST, session restart.
#include "stream.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace snort {
namespace {

constexpr uint8_t kClient = 0;  // endpoint index used for the client in these tests
constexpr uint8_t kServer = 1;
constexpr uint16_t kClientPort = 40000;
constexpr uint16_t kServerPort = 80;

SegmentInfo Seg(uint8_t sender, uint32_t seq, uint32_t ack, uint8_t flags) {
  SegmentInfo s;
  s.sender = sender;
  s.src_port = sender == kClient ? kClientPort : kServerPort;
  s.dst_port = sender == kClient ? kServerPort : kClientPort;
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.syn_options = true;
  return s;
}

// Concatenation of every chunk delivered in direction `d`.
std::string Bytes(const StreamResult& r, int d) {
  std::string out;
  for (const StreamChunk& c : r.delivered[d].chunks) out += c.data;
  return out;
}

// A session after a complete handshake; client ISN 1000, server ISN 5000.
class Handshaken : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamResult r = OnSegment(st_, Seg(kClient, 1000, 0, kTcpSyn), "");
    ASSERT_TRUE(r.tracked);
    ASSERT_TRUE(r.new_session);
    ASSERT_FALSE(r.established);
    r = OnSegment(st_, Seg(kServer, 5000, 1001, kTcpSyn | kTcpAck), "");
    ASSERT_FALSE(r.established);
    ASSERT_FALSE(r.from_client);
    r = OnSegment(st_, Seg(kClient, 1001, 5001, kTcpAck), "");
    ASSERT_TRUE(r.established);
    ASSERT_TRUE(r.from_client);
  }
  // Client data at relative offset `rel` (0 = first data byte).
  StreamResult Client(uint32_t rel, std::string_view data, uint8_t flags = kTcpAck | kTcpPsh) {
    return OnSegment(st_, Seg(kClient, 1001 + rel, 5001, flags), data, config_);
  }
  StreamResult Server(uint32_t rel, std::string_view data, uint32_t ack_rel = 0,
                      uint8_t flags = kTcpAck | kTcpPsh) {
    return OnSegment(st_, Seg(kServer, 5001 + rel, 1001 + ack_rel, flags), data, config_);
  }

  TcpStreamState st_;
  TcpStreamConfig config_;
};

TEST_F(Handshaken, InOrderDataIsDeliveredPerDirection) {
  StreamResult r = Client(0, "GET / HTTP/1.1\r\n");
  EXPECT_EQ(r.payload, TcpPayloadKind::kNew);
  EXPECT_TRUE(r.from_client);
  EXPECT_TRUE(r.established);
  EXPECT_EQ(Bytes(r, 0), "GET / HTTP/1.1\r\n");
  EXPECT_TRUE(r.delivered[1].chunks.empty());
  r = Server(0, "HTTP/1.1 200 OK\r\n", 16);
  EXPECT_FALSE(r.from_client);
  EXPECT_EQ(Bytes(r, 1), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(st_.dir[0].counters.in_order, 1u);
  EXPECT_EQ(st_.dir[0].counters.delivered_bytes, 16u);
}

TEST_F(Handshaken, ReorderedSegmentsWaitForTheHole) {
  StreamResult r = Client(5, "world");
  EXPECT_EQ(r.payload, TcpPayloadKind::kNew);
  EXPECT_TRUE(r.delivered[0].chunks.empty());
  EXPECT_EQ(st_.dir[0].queued_bytes, 5u);
  r = Client(0, "hello");
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_EQ(r.delivered[0].chunks[0].data, "helloworld");
  EXPECT_FALSE(r.delivered[0].chunks[0].after_gap);
  EXPECT_EQ(st_.dir[0].counters.out_of_order, 1u);
  EXPECT_EQ(st_.dir[0].queued_bytes, 0u);
}

TEST_F(Handshaken, DuplicateIsNotDeliveredTwice) {
  EXPECT_EQ(Bytes(Client(0, "abc"), 0), "abc");
  StreamResult r = Client(0, "abc");
  EXPECT_EQ(r.payload, TcpPayloadKind::kRetransmit);
  EXPECT_TRUE(r.delivered[0].chunks.empty());
  EXPECT_EQ(st_.dir[0].counters.retransmits, 1u);
  // A duplicate of queued data is also a retransmission.
  Client(10, "xyz");
  r = Client(10, "xyz");
  EXPECT_EQ(r.payload, TcpPayloadKind::kRetransmit);
  EXPECT_EQ(st_.dir[0].counters.retransmits, 2u);
}

TEST_F(Handshaken, OverlapWithDeliveredDataKeepsTheFirstCopy) {
  EXPECT_EQ(Bytes(Client(0, "0123456789"), 0), "0123456789");
  StreamResult r = Client(5, "ABCDEFGHIJ");  // bytes 5..9 conflict, 10..14 are new
  EXPECT_EQ(r.payload, TcpPayloadKind::kNew);
  EXPECT_EQ(Bytes(r, 0), "FGHIJ");
  EXPECT_EQ(st_.dir[0].counters.overlaps, 1u);
}

TEST_F(Handshaken, BsdPolicyEqualStartKeepsTheOlderSegment) {
  Client(10, "XXXXX");
  Client(10, "YYYYY");
  StreamResult r = Client(0, "0123456789");
  EXPECT_EQ(Bytes(r, 0), "0123456789XXXXX");
  EXPECT_EQ(st_.dir[0].counters.overlaps, 1u);
}

TEST_F(Handshaken, BsdPolicyLaterStartLosesToTheQueuedSegment) {
  Client(10, "XXXXX");     // [10,15)
  Client(12, "yyyyyyyy");  // [12,20): starts inside the queued one -> keeps [15,20) only
  StreamResult r = Client(0, "0123456789");
  EXPECT_EQ(Bytes(r, 0), "0123456789XXXXXyyyyy");
}

TEST_F(Handshaken, BsdPolicyEarlierStartWinsOverWhatItCovers) {
  Client(12, "XXXXX");   // [12,17)
  Client(10, "yyyyyy");  // [10,16): starts earlier -> wins over [12,16)
  StreamResult r = Client(0, "0123456789");
  EXPECT_EQ(Bytes(r, 0), "0123456789yyyyyyX");
  // And a segment covering a queued one entirely replaces it.
  Client(30, "ab");      // [30,32)
  Client(28, "cdefgh");  // [28,34) covers it
  r = Client(17, "01234567890");
  EXPECT_EQ(Bytes(r, 0), "01234567890cdefgh");
}

TEST_F(Handshaken, SlidePastLeftOverlapThenQueuedSegmentAtThatPointWins) {
  Client(10, "LLLLL");     // [10,15)
  Client(15, "RRRRR");     // [15,20)
  Client(12, "nnnnnnnn");  // [12,20): slides past [10,15) to 15, where [15,20) starts: old wins
  StreamResult r = Client(0, "0123456789");
  EXPECT_EQ(Bytes(r, 0), "0123456789LLLLLRRRRR");
}

TEST_F(Handshaken, HoleIsGivenUpWhenThePeerAcksPastIt) {
  Client(0, "abc");
  Client(10, "later");  // bytes 3..9 never arrive
  // The server acknowledges up to byte 15: it received the hole, we did not.
  StreamResult r = Server(0, "", 15, kTcpAck);
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_EQ(r.delivered[0].chunks[0].data, "later");
  EXPECT_TRUE(r.delivered[0].chunks[0].after_gap);
  EXPECT_EQ(st_.dir[0].counters.gaps, 1u);
  EXPECT_EQ(st_.dir[0].counters.gap_bytes, 7u);
  // Data continues in sequence after that, without a gap mark.
  r = Client(15, "next");
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_FALSE(r.delivered[0].chunks[0].after_gap);
}

TEST_F(Handshaken, AckPastTheEndWithNothingQueuedMarksTheNextChunk) {
  Client(0, "abc");
  Server(0, "", 8, kTcpAck);  // bytes 3..7 lost
  StreamResult r = Client(8, "xy");
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_EQ(r.delivered[0].chunks[0].data, "xy");
  EXPECT_TRUE(r.delivered[0].chunks[0].after_gap);
}

TEST_F(Handshaken, HoleIsGivenUpWhenTheQueueOverflows) {
  config_.max_queued_bytes = 8;
  Client(0, "abc");
  StreamResult r = Client(10, "12345");
  EXPECT_TRUE(r.delivered[0].chunks.empty());
  r = Client(20, "6789A");  // 10 bytes queued > 8: oldest hole is skipped
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_EQ(r.delivered[0].chunks[0].data, "12345");
  EXPECT_TRUE(r.delivered[0].chunks[0].after_gap);
  EXPECT_EQ(st_.dir[0].counters.queue_overflows, 1u);
  EXPECT_EQ(st_.dir[0].queued_bytes, 5u);
}

TEST_F(Handshaken, SegmentCountLimitAlsoGivesUpHoles) {
  config_.max_queued_segments = 2;
  Client(10, "a");
  Client(20, "b");
  StreamResult r = Client(30, "c");
  EXPECT_EQ(Bytes(r, 0), "a");
  EXPECT_EQ(st_.dir[0].counters.gaps, 1u);
}

TEST_F(Handshaken, FinEndsTheDirectionOnlyOnceTheDataBeforeItArrived) {
  Client(5, "world", kTcpAck | kTcpFin);
  StreamResult r = Client(0, "hello");
  EXPECT_EQ(Bytes(r, 0), "helloworld");
  EXPECT_TRUE(r.delivered[0].finished);
  EXPECT_FALSE(r.closed);
  // Data after the FIN is not part of the stream.
  r = Client(10, "junk");
  EXPECT_EQ(r.payload, TcpPayloadKind::kIgnored);
  r = Server(0, "", 11, kTcpAck | kTcpFin);
  EXPECT_TRUE(r.delivered[1].finished);
  EXPECT_TRUE(r.closed);
  EXPECT_TRUE(r.established);
}

TEST_F(Handshaken, RstEndsBothDirections) {
  Client(0, "abc");
  Client(10, "queued");
  StreamResult r = Server(0, "", 3, kTcpRst | kTcpAck);
  EXPECT_TRUE(r.closed);
  EXPECT_TRUE(r.delivered[0].finished);
  EXPECT_TRUE(r.delivered[1].finished);
  // What was queued is flushed (after the hole) when the session ends.
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_EQ(r.delivered[0].chunks[0].data, "queued");
  EXPECT_TRUE(st_.reset);
  // Old data after the reset is not reassembled.
  r = Client(3, "more");
  EXPECT_TRUE(r.tracked);
  EXPECT_FALSE(r.new_session);
  EXPECT_EQ(r.payload, TcpPayloadKind::kIgnored);
  // A new SYN restarts the session.
  r = OnSegment(st_, Seg(kClient, 9000, 0, kTcpSyn), "");
  EXPECT_TRUE(r.new_session);
  EXPECT_FALSE(r.established);
  EXPECT_EQ(st_.sessions, 2u);
}

TEST(Stream, SequenceNumbersWrapAround) {
  TcpStreamState st;
  OnSegment(st, Seg(kClient, 0xFFFFFFF0u, 0, kTcpSyn), "");
  OnSegment(st, Seg(kServer, 77, 0xFFFFFFF1u, kTcpSyn | kTcpAck), "");
  OnSegment(st, Seg(kClient, 0xFFFFFFF1u, 78, kTcpAck), "");
  // 32 bytes crossing 2^32, sent as two segments in reverse order.
  const std::string a(15, 'a');
  const std::string b(17, 'b');
  StreamResult r = OnSegment(st, Seg(kClient, 0xFFFFFFF1u + 15, 78, kTcpAck), b);
  EXPECT_TRUE(r.delivered[0].chunks.empty());
  r = OnSegment(st, Seg(kClient, 0xFFFFFFF1u, 78, kTcpAck), a);
  EXPECT_EQ(Bytes(r, 0), a + b);
  EXPECT_EQ(st.dir[0].next_seq, 0xFFFFFFF1u + 32);  // == 0x11
  EXPECT_EQ(st.dir[0].next_seq, 0x11u);
  // A retransmission from before the wrap is recognised as old.
  r = OnSegment(st, Seg(kClient, 0xFFFFFFF1u, 78, kTcpAck), a);
  EXPECT_EQ(r.payload, TcpPayloadKind::kRetransmit);
}

TEST(Stream, BareSynOpensNoSessionByDefault) {
  TcpStreamState st;
  SegmentInfo syn = Seg(kClient, 1, 0, kTcpSyn);
  syn.syn_options = false;
  EXPECT_FALSE(OnSegment(st, syn, "").tracked);
  TcpStreamConfig config;
  config.track_bare_syn = true;
  EXPECT_TRUE(OnSegment(st, syn, "", config).tracked);
}

TEST(Stream, PureAckOrRstOpensNoSession) {
  TcpStreamState st;
  EXPECT_FALSE(OnSegment(st, Seg(kClient, 1, 1, kTcpAck), "").tracked);
  EXPECT_FALSE(OnSegment(st, Seg(kClient, 1, 1, kTcpRst), "").tracked);
  EXPECT_FALSE(st.active);
}

TEST(Stream, MidstreamPickupEstablishesWhenThePeerAnswers) {
  TcpStreamState st;
  StreamResult r = OnSegment(st, Seg(kClient, 100, 700, kTcpAck | kTcpPsh), "GET /");
  EXPECT_TRUE(r.tracked);
  EXPECT_TRUE(r.new_session);
  EXPECT_TRUE(r.from_client);  // higher port -> client
  EXPECT_FALSE(r.established);
  EXPECT_EQ(Bytes(r, 0), "GET /");
  EXPECT_EQ(st.opened_by, TcpOpen::kMidstream);
  // More from the same side: still not established.
  r = OnSegment(st, Seg(kClient, 105, 700, kTcpAck), " HTTP/1.0\r\n");
  EXPECT_FALSE(r.established);
  // The server answers: established from now on. Its base came from the client's ACK number.
  r = OnSegment(st, Seg(kServer, 700, 116, kTcpAck), "HTTP/1.0 200 OK\r\n");
  EXPECT_TRUE(r.established);
  EXPECT_FALSE(r.from_client);
  EXPECT_EQ(Bytes(r, 1), "HTTP/1.0 200 OK\r\n");
  EXPECT_TRUE(OnSegment(st, Seg(kClient, 116, 717, kTcpAck), "").established);
}

TEST(Stream, MidstreamRolesFollowThePorts) {
  // The first packet comes from port 80 towards 40000: the sender is the server.
  TcpStreamState st;
  StreamResult r = OnSegment(st, Seg(kServer, 100, 700, kTcpAck), "HTTP/1.1 200 OK\r\n");
  EXPECT_TRUE(r.tracked);
  EXPECT_FALSE(r.from_client);
  EXPECT_EQ(st.client, kClient);
  EXPECT_EQ(Bytes(r, 1), "HTTP/1.1 200 OK\r\n");
}

TEST(Stream, SynAckWithoutSynStillGivesTheClientRole) {
  TcpStreamState st;
  StreamResult r = OnSegment(st, Seg(kServer, 5000, 1001, kTcpSyn | kTcpAck), "");
  EXPECT_TRUE(r.tracked);
  EXPECT_FALSE(r.from_client);
  EXPECT_FALSE(r.established);
  r = OnSegment(st, Seg(kClient, 1001, 5001, kTcpAck | kTcpPsh), "abc");
  EXPECT_TRUE(r.from_client);
  EXPECT_TRUE(r.established);
  EXPECT_EQ(Bytes(r, 0), "abc");
}

TEST(Stream, OneSidedHandshakeEstablishesOnTheClientAck) {
  // Only client -> server packets were captured.
  TcpStreamState st;
  OnSegment(st, Seg(kClient, 1000, 0, kTcpSyn), "");
  StreamResult r = OnSegment(st, Seg(kClient, 1001, 5001, kTcpAck), "");
  EXPECT_TRUE(r.established);
}

TEST(Stream, ServerWithoutAckBlocksTheHandshake) {
  // Simultaneous open: the server sends a bare SYN. The client's ACK does not establish the
  // session (the server never acknowledged anything).
  TcpStreamState st;
  OnSegment(st, Seg(kClient, 1000, 0, kTcpSyn), "");
  OnSegment(st, Seg(kServer, 5000, 0, kTcpSyn), "");
  EXPECT_FALSE(OnSegment(st, Seg(kClient, 1001, 5001, kTcpAck), "").established);
  EXPECT_FALSE(OnSegment(st, Seg(kServer, 5001, 1001, kTcpAck), "").established);
  EXPECT_TRUE(OnSegment(st, Seg(kClient, 1001, 5001, kTcpAck), "").established);
}

TEST(Stream, OutOfWindowSegmentIsIgnored) {
  TcpStreamState st;
  OnSegment(st, Seg(kClient, 1000, 0, kTcpSyn), "");
  StreamResult r = OnSegment(st, Seg(kClient, 1001 + (1u << 31), 0, kTcpAck), "far");
  EXPECT_EQ(r.payload, TcpPayloadKind::kIgnored);
  EXPECT_EQ(st.dir[0].counters.ignored, 1u);
}

TEST(Stream, DataOnSynIsNotReassembled) {
  TcpStreamState st;
  StreamResult r = OnSegment(st, Seg(kClient, 1000, 0, kTcpSyn), "payload");
  EXPECT_TRUE(r.tracked);
  EXPECT_EQ(r.payload, TcpPayloadKind::kIgnored);
  r = OnSegment(st, Seg(kClient, 1001, 0, kTcpAck), "abc");
  EXPECT_EQ(Bytes(r, 0), "abc");
}

TEST(Stream, CloseStreamFlushesWhatIsQueued) {
  TcpStreamState st;
  OnSegment(st, Seg(kClient, 1000, 0, kTcpSyn), "");
  OnSegment(st, Seg(kClient, 1001, 0, kTcpAck), "ab");
  OnSegment(st, Seg(kClient, 1010, 0, kTcpAck), "cd");
  StreamResult r = CloseStream(st);
  EXPECT_TRUE(r.closed);
  EXPECT_TRUE(r.delivered[0].finished);
  EXPECT_TRUE(r.delivered[1].finished);
  ASSERT_EQ(r.delivered[0].chunks.size(), 1u);
  EXPECT_EQ(r.delivered[0].chunks[0].data, "cd");
  EXPECT_TRUE(r.delivered[0].chunks[0].after_gap);
  EXPECT_TRUE(CloseStream(st).delivered[0].chunks.empty());  // idempotent
}

TEST(Stream, NewDataAfterAClosedSessionStartsAMidstreamSession) {
  TcpStreamState st;
  OnSegment(st, Seg(kClient, 1000, 0, kTcpSyn), "");
  OnSegment(st, Seg(kServer, 5000, 1001, kTcpSyn | kTcpAck), "");
  OnSegment(st, Seg(kClient, 1001, 5001, kTcpAck | kTcpFin), "");
  StreamResult r = OnSegment(st, Seg(kServer, 5001, 1002, kTcpAck | kTcpFin), "");
  EXPECT_TRUE(r.closed);
  // The final ACK still belongs to the old session.
  r = OnSegment(st, Seg(kClient, 1002, 5002, kTcpAck), "");
  EXPECT_TRUE(r.tracked);
  EXPECT_FALSE(r.new_session);
  EXPECT_TRUE(r.established);
  r = OnSegment(st, Seg(kClient, 1002, 5002, kTcpAck), "new");
  EXPECT_TRUE(r.new_session);
  EXPECT_FALSE(r.established);
  EXPECT_EQ(Bytes(r, 0), "new");
}

TEST(Stream, HostileInputNeverBreaksTheInvariants) {
  // Pseudo-random segments: the queue must stay consistent and nothing may crash.
  TcpStreamState st;
  TcpStreamConfig config;
  config.max_queued_bytes = 4096;
  uint32_t x = 12345;
  auto next = [&] { return x = x * 1103515245u + 12345u; };
  std::string delivered;
  for (int i = 0; i < 5000; ++i) {
    SegmentInfo s = Seg(static_cast<uint8_t>(next() & 1), 1000 + (next() % 3000), next() % 6000,
                        static_cast<uint8_t>(next() & 0x1F));
    std::string data(next() % 300, static_cast<char>('a' + i % 26));
    StreamResult r = OnSegment(st, s, data, config);
    for (int d = 0; d < 2; ++d) {
      uint64_t sum = 0;
      uint64_t last_end = 0;
      for (const auto& [off, bytes] : st.dir[d].queue) {
        EXPECT_GE(off, last_end);
        EXPECT_GT(off, st.dir[d].offset);
        last_end = off + bytes.size();
        sum += bytes.size();
      }
      EXPECT_EQ(sum, st.dir[d].queued_bytes);
    }
    delivered += Bytes(r, 0);
  }
  SUCCEED();
}

}  // namespace
}  // namespace snort

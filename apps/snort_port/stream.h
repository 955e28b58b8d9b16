// SPDX-License-Identifier: Apache-2.0
// Theory of operation: TCP session tracking and in-order reassembly for the Snort port, at the
// level Snort 3's stream_tcp matters to rules (src/stream/tcp/, default configuration).
//
// What it decides per packet (OnSegment):
//  - whether a session exists (Snort's flow_control want_flow(): a RST never opens one; a bare
//    SYN only when it carries an MSS, timestamp or window-scale option (track_on_syn is off by
//    default); a SYN-ACK or any packet with payload does — midstream pickup is allowed because
//    stream.require_3whs defaults to -1; a pure ACK does not);
//  - which endpoint is the client (init_roles_tcp(): the SYN sender, the SYN-ACK receiver, else
//    the endpoint with the higher port — the lower port is assumed to be the service);
//  - flow:established (the session flag SSNFLAG_ESTABLISHED, set by the TCP state machine):
//    after a SYN (or a SYN-ACK without SYN) the client's first ACK establishes the session when
//    the server answered with an ACK-bearing packet or has been silent (one-way capture);
//    a midstream session is established once the endpoint that did not send the first packet
//    sends something (TcpStateMidStreamSent ack_recv/data_seg_recv/fin_recv). It is evaluated
//    after the packet, as Snort marks the packet after its state machine ran. It never reverts.
//  - the payload bytes now deliverable in sequence, per direction.
//
// Reassembly (per direction): the SYN (ISN+1), the peer's ACK number, or the first payload
// fixes the base sequence. Bytes before the delivery point were already delivered and are
// dropped (first copy wins, as Snort for in-sequence data under every policy). Data beyond a
// hole is queued; overlaps among queued data follow stream_tcp's default "bsd" policy
// (TcpOverlapResolverBSD): data that starts at or after the start of an existing segment loses
// to it, data that starts earlier wins over what it covers. A hole is given up (skipped, the
// next delivered chunk is flagged after_gap) when the receiver acknowledges bytes past it —
// the capture lost them, as Snort's IDS reassembler does in skip_seglist_hole() — or when the
// queue exceeds queue_limit (4 MiB / 3072 segments by default). Snort then falls back from the
// service splitter (HTTP inspection stops for that direction); the caller should do the same.
// FIN ends a direction once every byte before it was delivered; RST ends both. Data is
// delivered as soon as it is in sequence (Snort's IDS mode waits for the peer's ACK: alerts
// come from the same bytes but possibly on a later packet).
//
// Invariants: the state is plain data (no pointers) so it can live in an S6 SingleWriter
// object; queued segments never overlap each other nor the delivered range; sequence
// arithmetic is modulo 2^32 (distances beyond 2^30 are treated as out of window).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace snort {

/// TCP header flag bits (the 13th byte of the TCP header).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

/// Stream settings; the defaults are Snort 3's (stream_tcp.queue_limit, track_on_syn off).
struct TcpStreamConfig {
  /// Out-of-order bytes held per direction before the oldest hole is given up (0: no limit).
  uint32_t max_queued_bytes = 4194304;
  /// Out-of-order segments held per direction before the oldest hole is given up (0: no limit).
  uint32_t max_queued_segments = 3072;
  /// Open a session on a SYN without MSS/TS/WS options (Snort only does when RNA is enabled).
  bool track_bare_syn = false;
};

/// What the caller decoded from one TCP packet.
struct SegmentInfo {
  /// Which endpoint of the caller's flow key sent the packet (0 or 1). The state records which
  /// endpoint is the client; the caller must number the endpoints the same way for every
  /// packet of the flow (e.g. 0 = lower address/port).
  uint8_t sender = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  /// TCP flags (kTcpSyn | kTcpAck | ...).
  uint8_t flags = 0;
  /// The SYN carries an MSS, timestamp or window-scale option.
  bool syn_options = false;
};

/// What became of this packet's payload.
enum class TcpPayloadKind : uint8_t {
  kNone,        ///< no payload (or RST payload, which is not reassembled)
  kNew,         ///< at least one new byte (delivered now or queued behind a hole)
  kRetransmit,  ///< every byte was already delivered or queued
  kIgnored,     ///< not reassembled: SYN payload, out of window, after FIN, or no session
};

/// Contiguous in-sequence bytes. `after_gap`: bytes were skipped right before this chunk.
struct StreamChunk {
  std::string data;
  bool after_gap = false;
};

/// What one direction delivers on this packet.
struct StreamDelivery {
  std::vector<StreamChunk> chunks;
  /// The direction ended (FIN reached in sequence, RST, or CloseStream): no more data follows.
  bool finished = false;
};

/// Per-direction counters (Snort's stream_tcp peg counts, per session).
struct TcpDirCounters {
  uint64_t segments = 0;         ///< packets with payload
  uint64_t payload_bytes = 0;    ///< payload bytes seen
  uint64_t delivered_bytes = 0;  ///< bytes delivered in sequence
  uint64_t in_order = 0;         ///< segments that arrived exactly at the delivery point
  uint64_t out_of_order = 0;     ///< segments queued behind a hole
  uint64_t retransmits = 0;      ///< segments that brought nothing new
  uint64_t overlaps = 0;         ///< segments partially overlapping delivered or queued data
  uint64_t gaps = 0;             ///< holes given up
  uint64_t gap_bytes = 0;        ///< bytes skipped in those holes
  uint64_t queue_overflows = 0;  ///< holes given up because the queue limit was exceeded
  uint64_t ignored = 0;          ///< segments out of window or after FIN
};

/// One direction of a session (bytes sent by one endpoint). Plain data.
struct TcpDirState {
  bool base_known = false;
  /// Sequence number of the next byte to deliver.
  uint32_t next_seq = 0;
  /// Stream offset (bytes delivered + bytes skipped) of next_seq.
  uint64_t offset = 0;
  /// Out-of-sequence data by stream offset; never overlapping, all > offset.
  std::map<uint64_t, std::string> queue;
  uint64_t queued_bytes = 0;
  /// A hole was skipped; the next delivered chunk is flagged after_gap.
  bool pending_gap = false;
  bool fin_known = false;
  uint32_t fin_seq = 0;
  bool finished = false;
  TcpDirCounters counters;
};

/// How the current session was opened.
enum class TcpOpen : uint8_t { kNone, kSyn, kSynAck, kMidstream };

/// One TCP connection (both directions). Plain data: lives in an S6 SingleWriter object.
struct TcpStreamState {
  bool active = false;  ///< a session exists
  bool closed = false;  ///< both directions ended (FIN/FIN or RST)
  bool reset = false;   ///< closed by RST
  TcpOpen opened_by = TcpOpen::kNone;
  uint8_t client = 0;     ///< endpoint index of the client
  uint8_t initiator = 0;  ///< endpoint that sent the session's first packet
  bool established = false;
  bool seen_client = false;   ///< the client sent a packet
  bool seen_server = false;   ///< the server sent a packet
  bool server_acked = false;  ///< the server sent an ACK-bearing packet (e.g. SYN-ACK)
  uint32_t client_isn = 0;
  uint32_t sessions = 0;  ///< sessions opened on this state (restarts + 1)
  /// [0]: client -> server bytes, [1]: server -> client bytes.
  std::array<TcpDirState, 2> dir;
};

/// What OnSegment concluded for one packet.
struct StreamResult {
  /// The packet belongs to a session (Snort has a flow for it). When false nothing else is set.
  bool tracked = false;
  /// A session started on this packet (first or restarted): reset per-flow state (HTTP,
  /// flowbits) before using the deliveries.
  bool new_session = false;
  /// The packet goes client -> server (flow:to_server / from_client).
  bool from_client = false;
  /// flow:established holds for this packet.
  bool established = false;
  /// The session ended on this packet.
  bool closed = false;
  TcpPayloadKind payload = TcpPayloadKind::kNone;
  /// [0]: client -> server deliveries, [1]: server -> client deliveries.
  std::array<StreamDelivery, 2> delivered;
};

/// Feeds one TCP packet (its header facts and payload) to the session state.
StreamResult OnSegment(TcpStreamState& state, const SegmentInfo& seg, std::string_view payload,
                       const TcpStreamConfig& config = {});

/// Ends the session (end of capture, timeout): gives up every hole, delivers what is queued and
/// finishes both directions, as Snort's final flush when a flow is released.
StreamResult CloseStream(TcpStreamState& state);

}  // namespace snort

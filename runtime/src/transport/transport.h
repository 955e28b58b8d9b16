// SPDX-License-Identifier: Apache-2.0
// File: transport/transport.h
//
// The instance-to-instance transport interface. The object space and the control plane talk to
// peers only through `Transport`, so a second implementation (shared memory between processes
// on one host) can be added without touching them. ZmqTransport (zmq_transport.h) is the first.
//
// Theory of operation
// -------------------
// *Peers and channels.* An instance adds each peer once with its endpoint. Between two peers
// there is one ordered channel per direction: messages sent by A to B arrive at B in the order
// A sent them (nothing is promised across different senders).
//
// *One loop iteration, one batch per peer.* The data-plane thread calls `Send` as often as it
// likes while handling packets; each call only appends the message to the peer's pending batch
// (a copy; the caller's buffer is free again on return) and never blocks. At the end of the
// iteration it calls `Flush`, and every peer's pending batch leaves as ONE network message
// (wire format in message.h). That is what makes remote state access affordable, and, unlike
// the original S6, nothing waits for "the next append" to leave: a Flush always sends what is
// pending. Batches carry a per-channel sequence number so the receiver counts loss and reordering.
//
// *Receiving.* `Poll` receives whatever batches have arrived (if none has, it waits up to
// `timeout_ms` for the first, never longer once it has work), validates each one completely
// (ParseBatch) and delivers its messages in order to `Receiver::OnMessage`. Malformed batches,
// unknown message types and messages from peers that have not completed the handshake are counted
// in `TransportStats` and dropped; bad input from the network never crashes the instance and never
// logs per message.
//
// *Handshake.* Adding a peer sends kHello with our instance id, wire version and schema hash
// (the hash of every state-class schema, from s6c). A peer whose hash equals ours is kReady;
// one whose hash differs is kRefused, on both sides, with one clear log line. Data is exchanged
// only with kReady peers; a message sent to a peer that is still kConnecting waits in its pending
// batch until the handshake completes (bounded: one batch; a Send beyond that is dropped and
// counted). Start-up traffic must not reach that bound: instances start at slightly different
// times, and what they send to each other then has to wait, not be lost.
//
// *Backpressure.* If a peer cannot take more (its queue in the network layer is full, or its
// connection is not up yet), sealed batches wait in a bounded per-peer queue and are retried
// first at the next Flush; new messages meanwhile collect in the pending batch (no batch is
// sealed behind one that waits). Only when the pending batch and the queue are both full does
// Send drop a message, counted. A batch consumes a sequence number only when the network layer
// takes it, so a receiver's sequence gap always means batches lost after they were sent, never
// ones the sender dropped (those are the sender's counters). Nothing on the data path allocates
// without bound or blocks.
//
// *Errors.* Setup (Start, AddPeer) returns s6::Status. Data-path calls return nothing or counts;
// their failures are counters in TransportStats (convention 7: "would block" is not an error).
//
// *Threading.* A Transport belongs to the one data-plane thread that calls it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <s6/stats.h>
#include <s6/status.h>
#include "transport/message.h"

namespace s6::transport {

/// Where the handshake with a peer stands.
enum class PeerState : uint8_t {
  kUnknown = 0,  ///< Not a peer (never added, or removed).
  kConnecting,   ///< Added; our hello is out, the handshake has not completed.
  kReady,        ///< Schema hashes match; data flows both ways.
  kRefused,      ///< Schema hashes differ; nothing but hellos is exchanged.
};

/// "unknown", "connecting", "ready" or "refused".
constexpr std::string_view PeerStateName(PeerState s) noexcept {
  switch (s) {
    case PeerState::kUnknown:
      return "unknown";
    case PeerState::kConnecting:
      return "connecting";
    case PeerState::kReady:
      return "ready";
    case PeerState::kRefused:
      return "refused";
  }
  return "invalid";
}

/// Receives the messages that Poll delivers.
class Receiver {
 public:
  virtual ~Receiver() = default;
  /// Called once per delivered message, in channel order. `payload` is valid only during the
  /// call. The receiver may call Send/Flush/RemovePeer on the transport from here.
  virtual void OnMessage(InstanceId from, MessageType type, std::span<const uint8_t> payload) = 0;
};

/// Counters of one transport, readable at any time. All are monotonic except the peer gauges.
struct TransportStats {
  // Sending.
  uint64_t batches_sent = 0;           ///< Batches handed to the network.
  uint64_t messages_sent = 0;          ///< Messages in those batches (handshake included).
  uint64_t bytes_sent = 0;             ///< Bytes of those batches, headers included.
  uint64_t send_would_block = 0;       ///< Flush attempts that found a peer's network queue full.
  uint64_t send_dropped_batches = 0;   ///< Sealed batches dropped unsent (a handshake reply that
                                       ///< found the retry queue full, a network error).
  uint64_t send_dropped_messages = 0;  ///< Messages dropped (in such batches, to unknown or
                                       ///< refused peers, oversized, or with the pending batch
                                       ///< and the retry queue full).
  uint64_t send_errors = 0;            ///< Network errors while sending (other than "would block").

  // Receiving.
  uint64_t batches_received = 0;    ///< Valid batches received.
  uint64_t messages_received = 0;   ///< Messages in valid batches (any type).
  uint64_t messages_delivered = 0;  ///< Messages handed to Receiver::OnMessage.
  uint64_t bytes_received = 0;      ///< Bytes of everything received, malformed included.
  uint64_t malformed_batches = 0;   ///< Batches rejected by ParseBatch (sum of `malformed`).
  std::array<uint64_t, kParseErrorCount> malformed{};  ///< Rejections by ParseError value.
  uint64_t unknown_types = 0;         ///< Messages of a type this version does not know; skipped.
  uint64_t bad_handshake = 0;         ///< Hello/ack/reject with an invalid payload; dropped.
  uint64_t dropped_not_ready = 0;     ///< Messages from senders that are not kReady; dropped.
  uint64_t sequence_gaps = 0;         ///< Times a channel's sequence jumped forward.
  uint64_t batches_lost = 0;          ///< Batches missing in those jumps.
  uint64_t sequence_regressions = 0;  ///< Batches whose sequence was not above the last one.
  uint64_t recv_errors = 0;           ///< Network errors while receiving.

  // Handshake and peers.
  uint64_t hellos_sent = 0;
  uint64_t hellos_received = 0;
  uint64_t peers_refused_total = 0;  ///< Transitions into kRefused.
  uint32_t peers = 0;                ///< Gauge: peers currently added.
  uint32_t peers_ready = 0;          ///< Gauge: peers currently kReady.

  /// Reports the counters (the malformed batches by reason as the group "malformed").
  void Write(StatsSink& out) const;
  /// The counters as one JSON object, e.g. {"batches_sent":3,...,"malformed":{"bad_magic":1,...}}.
  std::string ToJson() const {
    return StatsToJson([this](StatsSink& out) { Write(out); });
  }
};

inline void TransportStats::Write(StatsSink& out) const {
  const auto field = [&out](std::string_view name, uint64_t v) { out.Counter(name, v); };
  field("batches_sent", batches_sent);
  field("messages_sent", messages_sent);
  field("bytes_sent", bytes_sent);
  field("send_would_block", send_would_block);
  field("send_dropped_batches", send_dropped_batches);
  field("send_dropped_messages", send_dropped_messages);
  field("send_errors", send_errors);
  field("batches_received", batches_received);
  field("messages_received", messages_received);
  field("messages_delivered", messages_delivered);
  field("bytes_received", bytes_received);
  field("malformed_batches", malformed_batches);
  field("unknown_types", unknown_types);
  field("bad_handshake", bad_handshake);
  field("dropped_not_ready", dropped_not_ready);
  field("sequence_gaps", sequence_gaps);
  field("batches_lost", batches_lost);
  field("sequence_regressions", sequence_regressions);
  field("recv_errors", recv_errors);
  field("hellos_sent", hellos_sent);
  field("hellos_received", hellos_received);
  field("peers_refused_total", peers_refused_total);
  field("peers", peers);
  field("peers_ready", peers_ready);
  out.Group("malformed", [this](StatsSink& m) {
    for (std::size_t i = 1; i < kParseErrorCount; ++i) {
      m.Counter(ParseErrorName(static_cast<ParseError>(i)), malformed[i]);
    }
  });
}

/// A message transport between instances. See the theory of operation above.
class Transport {
 public:
  virtual ~Transport() = default;

  /// Starts receiving (binds the local endpoint). Call once. Peers may be added before or
  /// after; Poll receives nothing before Start.
  virtual Status Start() = 0;

  /// Adds peer `id` reachable at `endpoint` and sends it our hello (the handshake completes
  /// during later Flush/Poll calls on both sides). Fails on our own id, an id already added, or
  /// an endpoint the implementation cannot use.
  virtual Status AddPeer(InstanceId id, std::string endpoint) = 0;

  /// Forgets peer `id`: unsent batches are dropped, its later messages are not delivered.
  /// Unknown ids are ignored.
  virtual void RemovePeer(InstanceId id) = 0;

  /// Appends a message for `to` to that peer's pending batch (copying `payload`). Never blocks,
  /// never fails loudly: messages to unknown or refused peers, and those that find no room (see
  /// Backpressure), are dropped and counted.
  virtual void Send(InstanceId to, MessageType type, std::span<const uint8_t> payload) = 0;

  /// End of a loop iteration: every kReady peer's pending batch leaves as one network message;
  /// batches held back earlier are retried first, and while some are still held back the
  /// pending batch stays pending (it leaves, whole, at a later Flush). Never blocks.
  virtual void Flush() = 0;

  /// Receives the batches that have arrived, validates them and delivers their messages to
  /// `receiver`. If nothing has arrived it first waits up to `timeout_ms` (0: never waits, the
  /// data-plane case; negative: until something arrives); once it has work it does not wait
  /// again. A Poll that had to wait may return after the first batch that delivered anything
  /// (the caller polls again next iteration). Returns the number of messages delivered.
  virtual std::size_t Poll(Receiver& receiver, int timeout_ms) = 0;

  /// Handshake state of peer `id` (kUnknown if it is not a peer).
  virtual PeerState GetPeerState(InstanceId id) const = 0;

  /// A snapshot of the counters.
  virtual TransportStats stats() const = 0;

  /// Our instance id.
  virtual InstanceId self() const = 0;
};

}  // namespace s6::transport

// SPDX-License-Identifier: Apache-2.0
// File: transport/zmq_transport.h
//
// The ZeroMQ implementation of Transport (transport.h): tcp:// across hosts, ipc:// between
// processes on one host, inproc:// between instances in one process (tests, benchmarks).
//
// Theory of operation
// -------------------
// *Sockets.* Each instance binds ONE PULL socket at its endpoint and opens one PUSH socket per
// peer, connected to that peer's endpoint. PUSH -> PULL over one connection is a FIFO pipe, so
// every (sender, receiver) pair has its own ordered channel, and the receiver's PULL socket
// fair-queues between the channels of all its senders. Sockets and the context are RAII
// (cppzmq); a context may be shared by several transports in one process (required for
// inproc://), otherwise each transport owns one.
//
// *Socket options.* linger (default 0: closing a socket discards what it could not send; the
// peer's sequence numbers show the loss), send/receive high-water marks counted in *batches*,
// immediate=1 (a PUSH socket queues nothing until its connection is up, so a send to a peer
// that is not there yet reports "would block" instead of filling a pipe nobody reads; the batch
// is retried at the next Flush), reconnect_ivl (how often a PUSH socket whose peer is not
// listening tries again), and maxmsgsize = max_batch_bytes on the PULL socket (ZeroMQ itself
// refuses larger messages before allocating them).
//
// *Send path.* Send appends to the peer's BatchBuilder (pending batch). Flush first drains the
// peer's bounded queue of sealed batches with ZMQ_DONTWAIT until it is empty or "would block".
// Only behind an empty queue does it seal a kReady peer's pending batch, copy it into a
// zmq::message_t (ZeroMQ owns that copy; our builder's buffer is reused at once, which is the
// buffer-reuse bug of the original S6 avoided by construction) and hand it over the same way.
// So while ZeroMQ refuses, messages collect in the one pending batch however many Flushes
// pass, instead of one more queued batch per Flush. A batch that would exceed max_batch_bytes
// is sealed early (into the queue, if it has room), so one loop iteration may exceptionally
// produce more than one batch for a peer. A batch is sealed unnumbered and gets the channel's
// next sequence number only at the send that ZeroMQ accepts: a batch that never leaves (peer
// removed, network error) consumes no number, and every number the receiver misses is a batch
// lost after it was sent.
//
// *Receive path.* Poll receives with ZMQ_DONTWAIT, at most max_batches_per_poll batches per
// call so one busy peer cannot stall the loop; only when nothing has arrived yet does it wait,
// once, in a receive bounded by ZMQ_RCVTIMEO (one PULL socket needs no zmq_poll). Each batch
// goes to ParseBatch. Valid batches update the channel's sequence tracking; their handshake
// messages are consumed here, the rest go to the Receiver in order.
//
// *Handshake.* AddPeer connects and sends kHello {id, wire version, schema hash}. On a hello
// from a peer we know, we compare hashes and answer kHelloAck (-> kReady) or kHelloReject
// (-> kRefused, logged once). A hello from an instance we have not added yet is remembered
// (bounded) and answered when AddPeer adds it. A kHelloAck also makes a kConnecting peer kReady.
// Because a channel is FIFO, our ack always reaches the peer before any data we send after it,
// so the peer never drops our first data as "not ready".
//
// *Start-up.* Instances bind and then add their peers, but they do not start at the same
// moment: one that adds a peer which has not bound yet has its connect refused, and ZeroMQ
// retries only after reconnect_ivl (100 ms plus up to as much jitter by default). Meanwhile the
// peer binds, adds us, and its hello arrives through its own socket: it is kReady for us while
// our socket to it is still waiting. Two things make that harmless. The hello shows the peer
// is up, so if our socket has never had a batch accepted (with immediate=1, ZeroMQ then holds
// nothing of ours) we reopen it, once per peer entry, and it connects at once instead of at
// the retry. And until it connects, what we send waits: the hello and ack in the queue, the data
// in the pending batch, none of it dropped or numbered (at an instance's rate, one sealed batch
// per Flush would overflow the queue well within one reconnect interval).
//
// *Errors.* cppzmq throws zmq::error_t; every call into it is wrapped here. Setup failures
// (bad endpoint, address in use) become Status; data-path failures become counters. Nothing
// from the network can crash the process or make it log per message.
//
// *Threading.* Not thread-safe: one transport, its sockets and its receiver belong to one
// thread (ZeroMQ sockets must not be shared between threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include <s6/status.h>
#include "transport/message.h"
#include "transport/transport.h"

namespace s6::transport {

class ZmqTransport final : public Transport {
 public:
  /// Construction-time configuration; checked by Start/AddPeer.
  struct Options {
    /// A context to share with other transports in this process (needed for inproc://). Not
    /// owned; must outlive the transport. nullptr: the transport owns a context of its own.
    zmq::context_t* context = nullptr;
    /// Hash of all state-class schemas (s6c). Peers must agree on it to exchange data.
    uint64_t schema_hash = 0;
    /// ZeroMQ send high-water mark of each peer's PUSH socket, in batches.
    int send_hwm = 1000;
    /// ZeroMQ receive high-water mark of the PULL socket, in batches.
    int recv_hwm = 1000;
    /// Milliseconds a closing socket may keep trying to send (ZMQ_LINGER).
    int linger_ms = 0;
    /// Milliseconds between attempts of a peer's socket to (re)connect (ZMQ_RECONNECT_IVL, >= 1;
    /// ZeroMQ adds up to as much again of jitter). 100 is ZeroMQ's default.
    int reconnect_ivl_ms = 100;
    /// Largest batch sent or accepted, header included (64 B to 1 GiB). Bigger incoming ones are
    /// refused by ZeroMQ; a Send that would not fit even in an empty batch is dropped.
    std::size_t max_batch_bytes = std::size_t{4} << 20;
    /// Sealed batches kept per peer while its network queue is full (>= 1). Messages collect in
    /// one pending batch meanwhile; a new batch is sealed into this queue only when that one is
    /// full, and a Send that finds both full is dropped (before it has a sequence number).
    std::size_t max_queued_batches = 64;
    /// Most batches one Poll call handles (>= 1).
    std::size_t max_batches_per_poll = 256;
    /// Sink for the rare log lines (handshake refusals); one line per call, no trailing
    /// newline. Empty: write "s6.transport: <line>" to stderr.
    std::function<void(std::string_view)> log;
  };

  /// A transport for instance `self` that will bind `bind_endpoint` at Start. A tcp:// endpoint
  /// may use port `*`; endpoint() then reports the port chosen.
  ZmqTransport(InstanceId self, std::string bind_endpoint, Options options);
  ~ZmqTransport() override;
  ZmqTransport(const ZmqTransport&) = delete;
  ZmqTransport& operator=(const ZmqTransport&) = delete;

  Status Start() override;
  Status AddPeer(InstanceId id, std::string endpoint) override;
  void RemovePeer(InstanceId id) override;
  void Send(InstanceId to, MessageType type, std::span<const uint8_t> payload) override;
  void Flush() override;
  /// See Transport::Poll. While sealed batches wait for room in the network (they leave at the
  /// next Flush), the wait is capped at 1 ms. Calling Poll from inside OnMessage returns 0.
  std::size_t Poll(Receiver& receiver, int timeout_ms) override;
  PeerState GetPeerState(InstanceId id) const override;
  TransportStats stats() const override { return stats_; }
  InstanceId self() const override { return self_; }

  /// The endpoint peers should connect to: after Start, the resolved address (ZMQ_LAST_ENDPOINT,
  /// e.g. "tcp://127.0.0.1:41234"); before, the bind endpoint as given.
  const std::string& endpoint() const noexcept { return endpoint_; }

  /// Sealed batches for peer `id` waiting for room in ZeroMQ's queue (0 for unknown peers): 0
  /// once everything sealed so far has left (handshake included).
  std::size_t QueuedBatches(InstanceId id) const;

 private:
  /// A sealed batch owned by ZeroMQ's message, waiting for its peer's queue to have room.
  struct Outgoing {
    zmq::message_t message;
    uint32_t messages = 0;
  };

  /// Everything about one peer: the outgoing channel (socket, pending batch, sequence, retry
  /// queue) and the incoming channel's sequence tracking.
  struct Peer {
    Peer(InstanceId peer_id, std::string peer_endpoint, InstanceId self)
        : id(peer_id), endpoint(std::move(peer_endpoint)), pending(self) {}

    InstanceId id;
    std::string endpoint;
    zmq::socket_t socket;
    PeerState state = PeerState::kConnecting;
    BatchBuilder pending;        ///< Messages appended since the last seal.
    uint64_t next_send_seq = 1;  ///< Sequence of the next batch ZeroMQ accepts for this peer.
    std::deque<Outgoing> queue;  ///< Sealed, unnumbered, not yet accepted by ZeroMQ (bounded).
    uint64_t last_recv_seq = 0;  ///< Last sequence received from the peer (0: none yet).
    bool dirty = false;          ///< In dirty_: has pending or queued batches.
    bool removed = false;        ///< Removed while a Poll was delivering its messages.
    bool accepted_any = false;   ///< ZeroMQ has accepted a batch on `socket`.
    bool reopened = false;       ///< `socket` was reopened on the peer's hello (once per entry).
  };

  Status CheckOptions() const;
  Status EnsureContext();
  zmq::socket_t ConnectPush(const std::string& endpoint);  // throws zmq::error_t
  void ReopenSocket(Peer& p);
  Peer* FindPeer(InstanceId id) const;
  void MarkDirty(Peer& p);
  void SealPending(Peer& p);
  void Enqueue(Peer& p, std::span<const uint8_t> batch, uint32_t messages);
  void Drain(Peer& p);
  void SendHandshake(Peer& p, MessageType type, uint64_t schema_hash);
  void AnswerHello(Peer& p, const HelloPayload& hello);
  void SetState(Peer& p, PeerState state);
  std::size_t HandleBatch(Receiver& receiver, std::span<const uint8_t> bytes);
  void HandleHandshake(InstanceId sender, Peer* p, const MessageView& m);
  void TrackSequence(Peer& p, uint64_t sequence);
  void Log(const std::string& line) const;

  const InstanceId self_;
  const std::string bind_endpoint_;
  const Options options_;
  std::string endpoint_;

  // Declared before every socket so that it is destroyed after all of them.
  std::unique_ptr<zmq::context_t> owned_context_;
  zmq::context_t* context_ = nullptr;  // owned_context_ or options_.context; not owned

  zmq::socket_t pull_;
  zmq::message_t rx_;  // reused for every received batch
  std::unordered_map<InstanceId, std::unique_ptr<Peer>> peers_;
  std::vector<Peer*> dirty_;  // peers with pending or queued batches (not owned)
  std::unordered_map<InstanceId, HelloPayload> early_hellos_;  // hellos from not-yet-added peers
  BatchBuilder control_;      // scratch builder for handshake batches
  int recv_timeout_ms_ = -1;  // ZMQ_RCVTIMEO currently set on pull_ (libzmq's default)
  bool in_poll_ = false;
  std::vector<std::unique_ptr<Peer>> removed_in_poll_;  // kept alive until Poll returns
  TransportStats stats_;
};

}  // namespace s6::transport

// SPDX-License-Identifier: Apache-2.0
#include "transport/zmq_transport.h"
#include "transport/bind_owner_only.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <utility>

namespace s6::transport {
namespace {

// Hellos remembered from instances we have not added yet. Bounded so that a flood of hellos
// with made-up sender ids cannot grow memory.
constexpr std::size_t kMaxEarlyHellos = 256;

// Upper bound of Options::max_batch_bytes: keeps every message length far inside the u32
// length field, so no Send can trip the BatchBuilder's size check.
constexpr std::size_t kMaxBatchBytesLimit = std::size_t{1} << 30;

// Longest wait in Poll while sealed batches are queued for a peer (see Poll).
constexpr int kMaxWaitWithBacklogMs = 1;

// Every Status built from a zmq::error_t names the operation and the endpoint.
Status FromZmqError(const zmq::error_t& e, std::string_view what, std::string_view endpoint) {
  std::string msg;
  msg.append(what).append(" '").append(endpoint).append("': ").append(e.what());
  switch (e.num()) {
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
    case ENODEV:
    case ENAMETOOLONG:
      return InvalidArgumentError(msg);
    case EADDRINUSE:
    case EADDRNOTAVAIL:
      return UnavailableError(msg);
    case EMFILE:
      return ResourceExhaustedError(msg);
    default:
      return UnavailableError(msg);
  }
}

std::string Hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

}  // namespace

ZmqTransport::ZmqTransport(InstanceId self, std::string bind_endpoint, Options options)
    : self_(self),
      bind_endpoint_(std::move(bind_endpoint)),
      options_(std::move(options)),
      endpoint_(bind_endpoint_),
      control_(self) {}

ZmqTransport::~ZmqTransport() {
  // Sockets close before the context (member order); closing with linger 0 never blocks.
  dirty_.clear();
  peers_.clear();
  pull_.close();
}

Status ZmqTransport::CheckOptions() const {
  if (options_.max_batch_bytes < 64 || options_.max_batch_bytes > kMaxBatchBytesLimit) {
    return InvalidArgumentError("ZmqTransport: max_batch_bytes must be in [64, 1 GiB]");
  }
  if (options_.max_queued_batches == 0) {
    return InvalidArgumentError("ZmqTransport: max_queued_batches must be at least 1");
  }
  if (options_.max_batches_per_poll == 0) {
    return InvalidArgumentError("ZmqTransport: max_batches_per_poll must be at least 1");
  }
  if (options_.send_hwm < 0 || options_.recv_hwm < 0) {
    return InvalidArgumentError("ZmqTransport: high-water marks must not be negative");
  }
  if (options_.reconnect_ivl_ms < 1) {
    return InvalidArgumentError("ZmqTransport: reconnect_ivl_ms must be at least 1");
  }
  return OkStatus();
}

Status ZmqTransport::EnsureContext() {
  if (context_ != nullptr) return OkStatus();
  if (options_.context != nullptr) {
    context_ = options_.context;
    return OkStatus();
  }
  try {
    owned_context_ = std::make_unique<zmq::context_t>(1);
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("ZmqTransport: cannot create a ZeroMQ context: ") +
                            e.what());
  }
  context_ = owned_context_.get();
  return OkStatus();
}

Status ZmqTransport::Start() {
  if (pull_) return FailedPreconditionError("ZmqTransport: Start called twice");
  S6_RETURN_IF_ERROR(CheckOptions());
  S6_RETURN_IF_ERROR(EnsureContext());
  try {
    zmq::socket_t pull(*context_, zmq::socket_type::pull);
    pull.set(zmq::sockopt::linger, options_.linger_ms);
    pull.set(zmq::sockopt::rcvhwm, options_.recv_hwm);
    pull.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.max_batch_bytes));
    S6_RETURN_IF_ERROR(CheckIpcEndpointFree(bind_endpoint_));
    pull.bind(bind_endpoint_);
    endpoint_ = pull.get(zmq::sockopt::last_endpoint);
    pull_ = std::move(pull);
  } catch (const zmq::error_t& e) {
    return FromZmqError(e, "ZmqTransport: cannot bind", bind_endpoint_);
  }
  return OkStatus();
}

Status ZmqTransport::AddPeer(InstanceId id, std::string endpoint) {
  // Validate everything before changing anything.
  if (id == self_) {
    return InvalidArgumentError("ZmqTransport: instance " + std::to_string(ToUint(id)) +
                                " cannot be its own peer");
  }
  if (peers_.contains(id)) {
    return AlreadyExistsError("ZmqTransport: instance " + std::to_string(ToUint(id)) +
                              " is already a peer");
  }
  if (endpoint.empty()) {
    return InvalidArgumentError("ZmqTransport: empty endpoint for instance " +
                                std::to_string(ToUint(id)));
  }
  S6_RETURN_IF_ERROR(CheckOptions());
  S6_RETURN_IF_ERROR(EnsureContext());

  auto peer = std::make_unique<Peer>(id, std::move(endpoint), self_);
  try {
    peer->socket = ConnectPush(peer->endpoint);
  } catch (const zmq::error_t& e) {
    return FromZmqError(
        e, "ZmqTransport: cannot connect to instance " + std::to_string(ToUint(id)) + " at",
        peer->endpoint);
  }

  Peer& p = *peer;
  peers_.emplace(id, std::move(peer));
  ++stats_.peers;
  SendHandshake(p, MessageType::kHello, options_.schema_hash);
  ++stats_.hellos_sent;
  if (auto it = early_hellos_.find(id); it != early_hellos_.end()) {
    const HelloPayload hello = it->second;
    early_hellos_.erase(it);
    AnswerHello(p, hello);
  }
  return OkStatus();
}

zmq::socket_t ZmqTransport::ConnectPush(const std::string& endpoint) {
  zmq::socket_t push(*context_, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, options_.linger_ms);
  push.set(zmq::sockopt::sndhwm, options_.send_hwm);
  push.set(zmq::sockopt::immediate, true);
  push.set(zmq::sockopt::reconnect_ivl, options_.reconnect_ivl_ms);
  push.connect(endpoint);
  return push;
}

void ZmqTransport::ReopenSocket(Peer& p) {
  p.reopened = true;
  try {
    // Move-assigning closes the old socket. It holds none of our batches: with immediate=1 and
    // no send ever accepted, everything still waits in p.queue.
    p.socket = ConnectPush(p.endpoint);
  } catch (const zmq::error_t&) {
    // Keep the old socket; ZeroMQ keeps retrying it at its reconnect interval.
  }
}

void ZmqTransport::RemovePeer(InstanceId id) {
  early_hellos_.erase(id);
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  if (p.state == PeerState::kReady) --stats_.peers_ready;
  stats_.send_dropped_messages += p.pending.message_count();
  for (const Outgoing& o : p.queue) {
    ++stats_.send_dropped_batches;
    stats_.send_dropped_messages += o.messages;
  }
  p.pending.Clear();
  p.queue.clear();
  if (p.dirty) std::erase(dirty_, &p);
  p.dirty = false;
  p.removed = true;
  p.state = PeerState::kUnknown;
  p.socket.close();
  // A Poll may be delivering this peer's batch right now (the receiver removed it): keep the
  // object alive until that Poll returns.
  if (in_poll_) removed_in_poll_.push_back(std::move(it->second));
  peers_.erase(it);
  --stats_.peers;
}

ZmqTransport::Peer* ZmqTransport::FindPeer(InstanceId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

PeerState ZmqTransport::GetPeerState(InstanceId id) const {
  const Peer* p = FindPeer(id);
  return p == nullptr ? PeerState::kUnknown : p->state;
}

std::size_t ZmqTransport::QueuedBatches(InstanceId id) const {
  const Peer* p = FindPeer(id);
  return p == nullptr ? 0 : p->queue.size();
}

void ZmqTransport::MarkDirty(Peer& p) {
  if (p.dirty) return;
  p.dirty = true;
  dirty_.push_back(&p);
}

void ZmqTransport::Send(InstanceId to, MessageType type, std::span<const uint8_t> payload) {
  Peer* p = FindPeer(to);
  // Handshake types belong to the transport; refused and unknown peers get nothing.
  if (p == nullptr || p->state == PeerState::kRefused || IsHandshakeType(type)) [[unlikely]] {
    ++stats_.send_dropped_messages;
    return;
  }
  const std::size_t need = kMessageHeaderSize + payload.size();
  if (need > options_.max_batch_bytes - kBatchHeaderSize) [[unlikely]] {
    ++stats_.send_dropped_messages;  // would not fit even in an empty batch
    return;
  }
  if (p->pending.size_bytes() + need > options_.max_batch_bytes) [[unlikely]] {
    // The pending batch is full. Before the handshake it may not leave (the peer drops data
    // from a sender it does not consider ready), so that backlog is capped at one batch; after
    // it, the full batch joins the retry queue if that has room. Otherwise the message is
    // dropped here, before it has a sequence number.
    if (p->state != PeerState::kReady || p->queue.size() >= options_.max_queued_batches) {
      ++stats_.send_dropped_messages;
      return;
    }
    SealPending(*p);
  }
  p->pending.Append(type, payload);
  MarkDirty(*p);
}

void ZmqTransport::SealPending(Peer& p) {
  if (p.pending.empty()) return;
  Enqueue(p, p.pending.SealUnnumbered(), p.pending.message_count());
  p.pending.Clear();
}

void ZmqTransport::Enqueue(Peer& p, std::span<const uint8_t> batch, uint32_t messages) {
  // Data is sealed only when the queue has room (Send, Flush); a handshake reply can still find
  // it full. Unnumbered, the dropped batch leaves no gap in the channel's sequence.
  if (p.queue.size() >= options_.max_queued_batches) [[unlikely]] {
    ++stats_.send_dropped_batches;
    stats_.send_dropped_messages += messages;
    return;
  }
  // ZeroMQ gets its own copy; the builder's buffer is reused at once.
  p.queue.push_back(Outgoing{zmq::message_t(batch.data(), batch.size()), messages});
  MarkDirty(p);
}

void ZmqTransport::Drain(Peer& p) {
  while (!p.queue.empty()) {
    Outgoing& o = p.queue.front();
    const std::size_t size = o.message.size();
    // Numbered at the last moment (a refused send leaves the message untouched, so the next
    // attempt writes the same number again): only a batch ZeroMQ took consumes a sequence
    // number, and a gap at the receiver means a batch lost on the way.
    SetBatchSequence({static_cast<uint8_t*>(o.message.data()), size}, p.next_send_seq);
    try {
      if (!p.socket.send(o.message, zmq::send_flags::dontwait)) {
        ++stats_.send_would_block;  // kept; retried at the next Flush
        return;
      }
      ++p.next_send_seq;
      p.accepted_any = true;
      ++stats_.batches_sent;
      stats_.messages_sent += o.messages;
      stats_.bytes_sent += size;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return;  // not taken; retried at the next Flush
      ++stats_.send_errors;
      ++stats_.send_dropped_batches;
      stats_.send_dropped_messages += o.messages;
    }
    p.queue.pop_front();
  }
}

void ZmqTransport::Flush() {
  for (std::size_t i = 0; i < dirty_.size();) {
    Peer& p = *dirty_[i];
    Drain(p);
    // A new batch is sealed only behind an empty queue. While the network refuses (e.g. at
    // start-up, a peer that is ready but whose socket is not connected yet), messages collect
    // in the one pending batch however many Flushes pass, rather than one more queued batch per
    // Flush until the queue overflows. A connecting peer keeps its pending batch until the
    // handshake completes.
    if (p.queue.empty() && p.state == PeerState::kReady && !p.pending.empty()) {
      SealPending(p);
      Drain(p);
    }
    if (!p.queue.empty() || !p.pending.empty()) {
      ++i;
      continue;
    }
    p.dirty = false;
    dirty_[i] = dirty_.back();
    dirty_.pop_back();
  }
}

void ZmqTransport::SendHandshake(Peer& p, MessageType type, uint64_t schema_hash) {
  control_.Clear();
  control_.AppendEncoded(type, [&](ByteWriter& w) {
    if (type == MessageType::kHello) {
      EncodeHello(HelloPayload{self_, kWireVersion, schema_hash}, w);
    } else {
      EncodeHelloReply(HelloReplyPayload{self_, schema_hash}, w);
    }
  });
  Enqueue(p, control_.SealUnnumbered(), 1);
  Drain(p);
}

void ZmqTransport::SetState(Peer& p, PeerState state) {
  if (p.state == state) return;
  if (p.state == PeerState::kReady) --stats_.peers_ready;
  if (state == PeerState::kReady) {
    ++stats_.peers_ready;
    if (!p.pending.empty()) MarkDirty(p);  // the held-back batch leaves at the next Flush
  }
  if (state == PeerState::kRefused) {
    ++stats_.peers_refused_total;
    stats_.send_dropped_messages += p.pending.message_count();
    p.pending.Clear();
  }
  p.state = state;
}

void ZmqTransport::AnswerHello(Peer& p, const HelloPayload& hello) {
  if (hello.wire_version == kWireVersion && hello.schema_hash == options_.schema_hash) {
    SendHandshake(p, MessageType::kHelloAck, options_.schema_hash);
    SetState(p, PeerState::kReady);
    return;
  }
  SendHandshake(p, MessageType::kHelloReject, options_.schema_hash);
  if (p.state != PeerState::kRefused) {
    if (hello.wire_version != kWireVersion) {
      Log("instance " + std::to_string(ToUint(p.id)) + " refused: wire version " +
          std::to_string(hello.wire_version) + " differs from ours " +
          std::to_string(kWireVersion));
    } else {
      Log("instance " + std::to_string(ToUint(p.id)) + " refused: schema hash " +
          Hex64(hello.schema_hash) + " differs from ours " + Hex64(options_.schema_hash));
    }
  }
  SetState(p, PeerState::kRefused);
}

void ZmqTransport::HandleHandshake(InstanceId sender, Peer* p, const MessageView& m) {
  if (m.type == MessageType::kHello) {
    HelloPayload hello;
    if (!DecodeHello(m.payload, hello) || hello.instance != sender) {
      ++stats_.bad_handshake;
      return;
    }
    ++stats_.hellos_received;
    if (p != nullptr) {
      // The peer is up and, normally, bound (an instance binds before it adds peers). If our
      // socket to it has never had a batch accepted, it most likely tried to connect before that
      // bind and ZeroMQ would retry only after its reconnect interval: everything for this peer,
      // our hello included, would wait that long. Reopen it now, once per peer entry.
      if (!p->accepted_any && !p->reopened) ReopenSocket(*p);
      AnswerHello(*p, hello);
    } else if (early_hellos_.size() < kMaxEarlyHellos || early_hellos_.contains(sender)) {
      early_hellos_[sender] = hello;  // answered when AddPeer(sender) comes
    }
    return;
  }
  HelloReplyPayload reply;
  if (!DecodeHelloReply(m.payload, reply) || reply.instance != sender) {
    ++stats_.bad_handshake;
    return;
  }
  if (p == nullptr) {
    ++stats_.dropped_not_ready;
    return;
  }
  if (m.type == MessageType::kHelloAck && reply.schema_hash == options_.schema_hash) {
    if (p->state == PeerState::kConnecting) SetState(*p, PeerState::kReady);
    return;
  }
  // A reject, or an "ack" that contradicts our hash.
  if (p->state != PeerState::kRefused) {
    Log("instance " + std::to_string(ToUint(sender)) + " refused us: its schema hash " +
        Hex64(reply.schema_hash) + " differs from ours " + Hex64(options_.schema_hash));
  }
  SetState(*p, PeerState::kRefused);
}

void ZmqTransport::TrackSequence(Peer& p, uint64_t sequence) {
  // Sequence 1 opens a new channel (the peer started or re-added us); a first batch after we
  // added the peer may carry any sequence (the peer's channel predates our entry).
  if (sequence == 1 || p.last_recv_seq == 0) {
    p.last_recv_seq = sequence;
    return;
  }
  if (sequence > p.last_recv_seq + 1) {
    ++stats_.sequence_gaps;
    stats_.batches_lost += sequence - p.last_recv_seq - 1;
  } else if (sequence <= p.last_recv_seq) {
    ++stats_.sequence_regressions;
    return;
  }
  p.last_recv_seq = sequence;
}

std::size_t ZmqTransport::HandleBatch(Receiver& receiver, std::span<const uint8_t> bytes) {
  stats_.bytes_received += bytes.size();
  const ParsedBatch batch = ParseBatch(bytes);
  if (!batch.ok()) [[unlikely]] {
    ++stats_.malformed_batches;
    ++stats_.malformed[static_cast<std::size_t>(batch.error)];
    return 0;
  }
  ++stats_.batches_received;
  stats_.messages_received += batch.header.message_count;
  const InstanceId sender = batch.header.sender;
  Peer* p = sender == self_ ? nullptr : FindPeer(sender);
  if (p != nullptr) TrackSequence(*p, batch.header.sequence);

  std::size_t delivered = 0;
  for (const MessageView& m : batch) {
    if (IsHandshakeType(m.type)) [[unlikely]] {
      HandleHandshake(sender, p != nullptr && !p->removed ? p : nullptr, m);
      continue;
    }
    if (!IsKnownType(m.type)) [[unlikely]] {
      ++stats_.unknown_types;
      continue;
    }
    // `p->removed`: the receiver removed the sender while we were delivering this batch.
    if (p == nullptr || p->removed || p->state != PeerState::kReady) [[unlikely]] {
      ++stats_.dropped_not_ready;
      continue;
    }
    receiver.OnMessage(sender, m.type, m.payload);
    ++delivered;
  }
  stats_.messages_delivered += delivered;
  return delivered;
}

std::size_t ZmqTransport::Poll(Receiver& receiver, int timeout_ms) {
  if (!pull_ || in_poll_) return 0;
  // Batches waiting for room in the network leave only at a Flush: do not sleep long on them.
  if (timeout_ms < 0 || timeout_ms > kMaxWaitWithBacklogMs) {
    for (const Peer* p : dirty_) {
      if (!p->queue.empty()) {
        timeout_ms = kMaxWaitWithBacklogMs;
        break;
      }
    }
  }
  in_poll_ = true;
  std::size_t delivered = 0;
  std::size_t batches = 0;
  // Only the first receive may wait, so a Poll that has work returns it at once. It waits in a
  // receive bounded by ZMQ_RCVTIMEO (one syscall when it has to sleep, none when a batch is
  // already there); the rest drain with ZMQ_DONTWAIT. A Poll that had to wait returns after
  // the batch that woke it: the caller has work now and polls again (without waiting) next
  // iteration, so the drain attempt, an extra receive on every idle-to-busy wake-up (the
  // latency path of a round trip), is left to that poll.
  int wait_ms = timeout_ms;
  while (batches < options_.max_batches_per_poll) {
    zmq::recv_result_t got;
    const bool waiting = wait_ms != 0;
    try {
      if (waiting) {
        const int rcvtimeo = wait_ms < 0 ? -1 : wait_ms;
        if (recv_timeout_ms_ != rcvtimeo) {
          pull_.set(zmq::sockopt::rcvtimeo, rcvtimeo);
          recv_timeout_ms_ = rcvtimeo;
        }
        wait_ms = 0;
        got = pull_.recv(rx_, zmq::recv_flags::none);
      } else {
        got = pull_.recv(rx_, zmq::recv_flags::dontwait);
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) ++stats_.recv_errors;
      break;
    }
    if (!got) break;
    ++batches;
    delivered += HandleBatch(receiver, {static_cast<const uint8_t*>(rx_.data()), rx_.size()});
    if (waiting && delivered != 0) break;
  }
  in_poll_ = false;
  removed_in_poll_.clear();
  return delivered;
}

void ZmqTransport::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
    return;
  }
  std::string out = "s6.transport: " + line + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);  // one write: no interleaving
}

}  // namespace s6::transport

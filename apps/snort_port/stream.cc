// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see stream.h. This file has three parts: session opening (which packet
// opens a session and who is the client), per-direction reassembly (insertion with the bsd
// overlap policy, in-sequence delivery, hole skipping) and the per-packet driver OnSegment.
// Sequence numbers are compared with signed 32-bit differences (RFC 1982 style) and turned into
// 64-bit stream offsets so the queue never sees a wrap-around.
#include "stream.h"

#include <algorithm>
#include <utility>

namespace snort {
namespace {

// Distances beyond this are treated as out of window (garbage or a different connection).
constexpr int64_t kMaxSeqDistance = int64_t{1} << 30;

int32_t SeqDiff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

bool Has(const SegmentInfo& seg, uint8_t flag) { return (seg.flags & flag) != 0; }

// --- Reassembly of one direction ------------------------------------------------------------

class Reassembler {
 public:
  Reassembler(TcpDirState& dir, StreamDelivery& out) : dir_(dir), out_(out) {}

  // Sets the base sequence if it is not known yet.
  void SetBase(uint32_t seq) {
    if (dir_.base_known) return;
    dir_.base_known = true;
    dir_.next_seq = seq;
  }

  // Inserts a payload segment; returns what became of it.
  TcpPayloadKind Insert(uint32_t seq, std::string_view data, const TcpStreamConfig& config) {
    TcpDirCounters& c = dir_.counters;
    ++c.segments;
    c.payload_bytes += data.size();
    if (dir_.finished) return Ignore();
    SetBase(seq);
    const int64_t rel = SeqDiff(seq, dir_.next_seq);
    if (rel >= kMaxSeqDistance || rel <= -kMaxSeqDistance) return Ignore();
    // Bytes after a known FIN are not part of the stream.
    if (dir_.fin_known) {
      const int64_t fin_rel = SeqDiff(dir_.fin_seq, dir_.next_seq);
      const int64_t keep = std::max<int64_t>(0, fin_rel - rel);
      if (keep == 0) return Ignore();
      if (static_cast<uint64_t>(keep) < data.size()) data = data.substr(0, keep);
    }
    const int64_t start = static_cast<int64_t>(dir_.offset) + rel;
    const TcpPayloadKind kind = Place(start, data);
    if (kind == TcpPayloadKind::kNew && rel == 0) ++c.in_order;
    if (kind == TcpPayloadKind::kNew && rel > 0) ++c.out_of_order;
    Drain();
    EnforceLimits(config);
    return kind;
  }

  // The receiver acknowledged `ack`: bytes before it that never arrived are lost to us.
  void OnPeerAck(uint32_t ack) {
    if (!dir_.base_known || dir_.finished) return;
    uint32_t limit = ack;
    if (dir_.fin_known && SeqDiff(limit, dir_.fin_seq) > 0) limit = dir_.fin_seq;
    const int64_t rel = SeqDiff(limit, dir_.next_seq);
    if (rel <= 0 || rel >= kMaxSeqDistance) return;
    uint64_t target = dir_.offset + static_cast<uint64_t>(rel);
    if (!dir_.queue.empty()) target = std::min(target, dir_.queue.begin()->first);
    Skip(target);
    Drain();
  }

  void SetFin(uint32_t fin_seq) {
    if (dir_.fin_known || dir_.finished) return;
    if (dir_.base_known && SeqDiff(fin_seq, dir_.next_seq) < 0) fin_seq = dir_.next_seq;
    dir_.fin_known = true;
    dir_.fin_seq = fin_seq;
    // Queued bytes at or after the FIN can never be delivered.
    if (dir_.base_known) {
      const uint64_t end = dir_.offset + static_cast<uint64_t>(SeqDiff(fin_seq, dir_.next_seq));
      TrimQueueFrom(end);
    }
  }

  // Finishes the direction if the FIN is reached.
  void CheckFin() {
    if (dir_.finished || !dir_.fin_known || !dir_.base_known) return;
    if (SeqDiff(dir_.next_seq, dir_.fin_seq) >= 0) Finish();
  }

  // Gives up every hole, delivers what is queued and ends the direction.
  void FlushAndFinish() {
    if (dir_.finished) return;
    while (!dir_.queue.empty()) {
      Skip(dir_.queue.begin()->first);
      Drain();
    }
    Finish();
  }

 private:
  TcpPayloadKind Ignore() {
    ++dir_.counters.ignored;
    return TcpPayloadKind::kIgnored;
  }

  void Finish() {
    dir_.finished = true;
    out_.finished = true;
  }

  // Puts [start, start + data.size()) into the queue under the bsd overlap policy; bytes before
  // the delivery point were delivered already (first copy wins).
  TcpPayloadKind Place(int64_t start, std::string_view data) {
    TcpDirCounters& c = dir_.counters;
    const int64_t end = start + static_cast<int64_t>(data.size());
    int64_t cur = std::max<int64_t>(start, static_cast<int64_t>(dir_.offset));
    if (cur >= end) {
      ++c.retransmits;
      return TcpPayloadKind::kRetransmit;
    }
    bool overlapped = cur > start;
    // A queued segment starting at or before `cur` keeps its bytes (left overlap: keep first;
    // equal start: the older one slides the new one past it).
    for (auto it = FirstEndingAfter(cur); it != dir_.queue.end(); ++it) {
      const int64_t r_start = static_cast<int64_t>(it->first);
      const int64_t r_end = r_start + static_cast<int64_t>(it->second.size());
      if (r_start > cur) break;
      overlapped = true;
      cur = std::max(cur, r_end);
      if (cur >= end) break;
    }
    if (cur >= end) {
      if (overlapped && !SameAsQueued(start, data))
        ++c.overlaps;
      else
        ++c.retransmits;
      return TcpPayloadKind::kRetransmit;
    }
    // [cur, end) wins over every queued byte inside it (they all start after cur).
    overlapped |= RemoveQueuedWithin(cur, end);
    if (overlapped) ++c.overlaps;
    std::string piece(data.substr(static_cast<size_t>(cur - start)));
    dir_.queued_bytes += piece.size();
    dir_.queue.emplace(static_cast<uint64_t>(cur), std::move(piece));
    return TcpPayloadKind::kNew;
  }

  // The first queued segment whose end is after `pos`.
  std::map<uint64_t, std::string>::iterator FirstEndingAfter(int64_t pos) {
    if (pos < 0) return dir_.queue.begin();
    auto it = dir_.queue.upper_bound(static_cast<uint64_t>(pos));
    if (it != dir_.queue.begin()) {
      auto prev = std::prev(it);
      if (static_cast<int64_t>(prev->first + prev->second.size()) > pos) return prev;
    }
    return it;
  }

  // True when every queued byte overlapping `data` equals it (a pure retransmission).
  bool SameAsQueued(int64_t start, std::string_view data) {
    const int64_t end = start + static_cast<int64_t>(data.size());
    for (auto it = FirstEndingAfter(start); it != dir_.queue.end(); ++it) {
      const int64_t r_start = static_cast<int64_t>(it->first);
      if (r_start >= end) break;
      const int64_t lo = std::max(start, r_start);
      const int64_t hi = std::min(end, r_start + static_cast<int64_t>(it->second.size()));
      if (hi > lo &&
          data.substr(static_cast<size_t>(lo - start), static_cast<size_t>(hi - lo)) !=
              std::string_view(it->second)
                  .substr(static_cast<size_t>(lo - r_start), static_cast<size_t>(hi - lo))) {
        return false;
      }
    }
    return true;
  }

  // Removes or front-trims queued segments that start inside [from, to). Returns whether any.
  bool RemoveQueuedWithin(int64_t from, int64_t to) {
    bool any = false;
    auto it = dir_.queue.lower_bound(static_cast<uint64_t>(from));
    while (it != dir_.queue.end() && static_cast<int64_t>(it->first) < to) {
      any = true;
      const int64_t r_end = static_cast<int64_t>(it->first + it->second.size());
      if (r_end <= to) {
        dir_.queued_bytes -= it->second.size();
        it = dir_.queue.erase(it);
        continue;
      }
      std::string rest =
          it->second.substr(static_cast<size_t>(to - static_cast<int64_t>(it->first)));
      dir_.queued_bytes -= it->second.size() - rest.size();
      dir_.queue.erase(it);
      dir_.queue.emplace(static_cast<uint64_t>(to), std::move(rest));
      break;
    }
    return any;
  }

  // Drops queued bytes at or after stream offset `end`.
  void TrimQueueFrom(uint64_t end) {
    auto it = dir_.queue.lower_bound(end);
    if (it != dir_.queue.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second.size() > end) {
        const size_t keep = static_cast<size_t>(end - prev->first);
        dir_.queued_bytes -= prev->second.size() - keep;
        prev->second.resize(keep);
      }
    }
    while (it != dir_.queue.end()) {
      dir_.queued_bytes -= it->second.size();
      it = dir_.queue.erase(it);
    }
  }

  // Moves the delivery point forward to `target` (a hole is given up).
  void Skip(uint64_t target) {
    if (target <= dir_.offset) return;
    const uint64_t delta = target - dir_.offset;
    dir_.offset = target;
    dir_.next_seq += static_cast<uint32_t>(delta);
    dir_.pending_gap = true;
    ++dir_.counters.gaps;
    dir_.counters.gap_bytes += delta;
  }

  // Delivers every queued byte that is now in sequence.
  void Drain() {
    while (!dir_.queue.empty() && dir_.queue.begin()->first == dir_.offset) {
      auto node = dir_.queue.extract(dir_.queue.begin());
      std::string& data = node.mapped();
      dir_.queued_bytes -= data.size();
      dir_.offset += data.size();
      dir_.next_seq += static_cast<uint32_t>(data.size());
      dir_.counters.delivered_bytes += data.size();
      Emit(std::move(data));
    }
    CheckFin();
  }

  void Emit(std::string data) {
    if (data.empty()) return;
    if (out_.chunks.empty() || dir_.pending_gap) {
      out_.chunks.push_back(StreamChunk{std::move(data), dir_.pending_gap});
      dir_.pending_gap = false;
      return;
    }
    out_.chunks.back().data += data;
  }

  // Gives up the oldest holes while the queue is over its limits.
  void EnforceLimits(const TcpStreamConfig& config) {
    auto over = [&] {
      return (config.max_queued_bytes != 0 && dir_.queued_bytes > config.max_queued_bytes) ||
             (config.max_queued_segments != 0 && dir_.queue.size() > config.max_queued_segments);
    };
    while (!dir_.queue.empty() && over()) {
      ++dir_.counters.queue_overflows;
      Skip(dir_.queue.begin()->first);
      Drain();
    }
  }

  TcpDirState& dir_;
  StreamDelivery& out_;
};

// --- Session opening ------------------------------------------------------------------------

// Whether this packet opens a session when none exists (flow_control.cc want_flow()).
bool OpensSession(const SegmentInfo& seg, std::string_view payload, const TcpStreamConfig& config) {
  if (Has(seg, kTcpRst)) return false;
  const bool syn = Has(seg, kTcpSyn);
  const bool ack = Has(seg, kTcpAck);
  if (syn && !ack) return seg.syn_options || config.track_bare_syn || !payload.empty();
  return (syn && ack) || !payload.empty();
}

// Starts a new session on `seg` (init_roles_tcp() and the tracker init_on_* functions).
void StartSession(TcpStreamState& st, const SegmentInfo& seg) {
  const uint32_t sessions = st.sessions + 1;
  st = TcpStreamState{};
  st.sessions = sessions;
  st.active = true;
  st.initiator = seg.sender;
  const uint8_t other = seg.sender ^ 1;
  const bool syn = Has(seg, kTcpSyn);
  const bool ack = Has(seg, kTcpAck);
  if (syn && !ack) {
    st.opened_by = TcpOpen::kSyn;
    st.client = seg.sender;
  } else if (syn && ack) {
    st.opened_by = TcpOpen::kSynAck;
    st.client = other;
  } else {
    st.opened_by = TcpOpen::kMidstream;
    st.client = seg.src_port > seg.dst_port ? seg.sender : other;
  }
}

// Records SYN / SYN-ACK facts: ISNs fix the base sequence of each direction.
void OnHandshake(TcpStreamState& st, const SegmentInfo& seg, bool from_client) {
  if (!Has(seg, kTcpSyn)) return;
  TcpDirState& own = st.dir[from_client ? 0 : 1];
  if (from_client && !Has(seg, kTcpAck) && !own.base_known) {
    st.client_isn = seg.seq;
    own.base_known = true;
    own.next_seq = seg.seq + 1;
  }
  if (!from_client && Has(seg, kTcpAck) && !own.base_known) {
    own.base_known = true;
    own.next_seq = seg.seq + 1;
  }
}

// flow:established, per the stream_tcp state machine (see stream.h).
void UpdateEstablished(TcpStreamState& st, const SegmentInfo& seg, bool from_client) {
  if (st.established || Has(seg, kTcpRst)) return;
  const bool ack = Has(seg, kTcpAck);
  const bool syn = Has(seg, kTcpSyn);
  switch (st.opened_by) {
    case TcpOpen::kSyn:
    case TcpOpen::kSynAck:
      // The client's ACK completes the handshake once the server answered with an ACK (or was
      // never heard from: one-sided capture).
      if (from_client && ack && !syn && (st.server_acked || !st.seen_server)) {
        st.established = true;
      }
      break;
    case TcpOpen::kMidstream:
      // The side that did not send the first packet answered.
      if (seg.sender != st.initiator && (ack || syn || Has(seg, kTcpFin))) st.established = true;
      break;
    case TcpOpen::kNone:
      break;
  }
}

// A closed session sees a packet: does it start a new one? SYNs do; so does new data (Snort
// releases a closed flow, and the next data packet is a midstream pickup). Old data does not.
bool RestartsSession(const TcpStreamState& st, const SegmentInfo& seg, std::string_view payload,
                     const TcpStreamConfig& config) {
  if (!OpensSession(seg, payload, config)) return false;
  if (Has(seg, kTcpSyn)) return true;
  const TcpDirState& d = st.dir[seg.sender == st.client ? 0 : 1];
  if (!d.base_known) return true;
  const uint32_t end_of_old = d.fin_known ? d.fin_seq : d.next_seq;
  return SeqDiff(seg.seq, end_of_old) >= 0 || SeqDiff(seg.seq, end_of_old) < -kMaxSeqDistance;
}

void FinishBoth(TcpStreamState& st, StreamResult& res) {
  for (int d = 0; d < 2; ++d) Reassembler(st.dir[d], res.delivered[d]).FlushAndFinish();
  st.closed = true;
  res.closed = true;
}

}  // namespace

StreamResult OnSegment(TcpStreamState& st, const SegmentInfo& seg, std::string_view payload,
                       const TcpStreamConfig& config) {
  StreamResult res;
  const bool needs_start = !st.active ? OpensSession(seg, payload, config)
                                      : (st.closed && RestartsSession(st, seg, payload, config));
  if (needs_start) {
    StartSession(st, seg);
    res.new_session = true;
  } else if (!st.active) {
    res.payload = payload.empty() ? TcpPayloadKind::kNone : TcpPayloadKind::kIgnored;
    return res;
  }
  res.tracked = true;
  const bool from_client = seg.sender == st.client;
  res.from_client = from_client;
  (from_client ? st.seen_client : st.seen_server) = true;
  if (!from_client && Has(seg, kTcpAck)) st.server_acked = true;
  const int own = from_client ? 0 : 1;
  const int peer = own ^ 1;

  if (st.closed) {
    // Late packets of a finished session: part of the flow, nothing to reassemble.
    res.established = st.established;
    res.payload = payload.empty() ? TcpPayloadKind::kNone : TcpPayloadKind::kIgnored;
    return res;
  }
  if (Has(seg, kTcpRst)) {
    // Snort trims RST payload and ends the session.
    st.reset = true;
    FinishBoth(st, res);
    res.established = st.established;
    return res;
  }

  OnHandshake(st, seg, from_client);
  if (Has(seg, kTcpAck)) {
    // The ACK number fixes the peer's base when unknown (midstream) and reveals lost bytes.
    Reassembler peer_dir(st.dir[peer], res.delivered[peer]);
    peer_dir.SetBase(seg.ack);
    peer_dir.OnPeerAck(seg.ack);
  }

  Reassembler own_dir(st.dir[own], res.delivered[own]);
  if (!payload.empty() && !Has(seg, kTcpSyn)) {
    res.payload = own_dir.Insert(seg.seq, payload, config);
  } else if (!payload.empty()) {
    res.payload = TcpPayloadKind::kIgnored;  // data on SYN is not reassembled
  }
  if (Has(seg, kTcpFin)) {
    own_dir.SetBase(seg.seq);
    own_dir.SetFin(seg.seq + static_cast<uint32_t>(Has(seg, kTcpSyn) ? 0 : payload.size()));
    own_dir.CheckFin();
  }

  UpdateEstablished(st, seg, from_client);
  res.established = st.established;
  if (st.dir[0].finished && st.dir[1].finished) {
    st.closed = true;
    res.closed = true;
  }
  return res;
}

StreamResult CloseStream(TcpStreamState& st) {
  StreamResult res;
  if (!st.active) return res;
  res.tracked = true;
  res.established = st.established;
  if (!st.closed) FinishBoth(st, res);
  return res;
}

}  // namespace snort

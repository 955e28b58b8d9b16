// SPDX-License-Identifier: Apache-2.0
// The Snort port's per-packet path, flow flushing and statistics. See snort_nf.h.
#include "snort_nf.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <variant>

#include <s6/log.h>
#include <s6/net.h>

namespace snort {

const char* const kStatNames[kStatCount] = {"packets",
                                            "bytes",
                                            "not_ip",
                                            "malformed",
                                            "fragments",
                                            "tcp",
                                            "udp",
                                            "icmp",
                                            "other_ip",
                                            "flows",
                                            "sessions",
                                            "untracked_tcp",
                                            "raw_inspections",
                                            "raw_skipped",
                                            "http_sections",
                                            "service_pdus",
                                            "flows_flushed",
                                            "rule_candidates",
                                            "rule_matches",
                                            "alerts",
                                            "detection_filtered",
                                            "event_queue_dropped"};

namespace {

using std::chrono::seconds;

constexpr uint8_t kIpTcp = s6::net::kProtoTcp, kIpUdp = s6::net::kProtoUdp,
                  kIpIcmp = s6::net::kProtoIcmp, kIpIcmp6 = 58;
constexpr seconds kTcpIdle{3600}, kOtherIdle{180};  // Snort's flow cache idle timeouts

FlowKey KeyOf(const DecodedPacket& d, uint8_t* sender) {
  const PacketHeader& h = d.header;
  FlowKey k;
  k.family = h.v6 ? 6 : 4;
  k.proto = d.facts.ip_proto;
  const bool src_lo = h.src < h.dst || (h.src == h.dst && h.src_port <= h.dst_port);
  k.lo_addr = src_lo ? h.src : h.dst;
  k.lo_port = src_lo ? h.src_port : h.dst_port;
  k.hi_addr = src_lo ? h.dst : h.src;
  k.hi_port = src_lo ? h.dst_port : h.src_port;
  *sender = src_lo ? 0 : 1;
  return k;
}

// The header of data sent by endpoint `from` (0: the key's lower endpoint) of a TCP flow.
PacketHeader HeaderFrom(const FlowKey& k, uint8_t from) {
  PacketHeader h;
  h.protocol = Protocol::kTcp;
  h.v6 = k.family == 6;
  h.src = from == 0 ? k.lo_addr : k.hi_addr;
  h.src_port = from == 0 ? k.lo_port : k.hi_port;
  h.dst = from == 0 ? k.hi_addr : k.lo_addr;
  h.dst_port = from == 0 ? k.hi_port : k.lo_port;
  return h;
}

// Snort's OptTreeNode::longestPatternLen: the size of the content the rule's fast pattern
// comes from (0 for rules without one), the key of the event order.
uint32_t LongestPattern(const Engine& engine, size_t rule) {
  const FastPatternInfo* fp = engine.fast_pattern(rule);
  if (fp == nullptr) return 0;
  const auto* c = std::get_if<Content>(&engine.rules().rules[rule].options[fp->option_index]);
  return c != nullptr ? uint32_t(c->pattern.size()) : uint32_t(fp->pattern.size());
}

Section SectionOf(HttpPdu pdu) {
  switch (pdu) {
    case HttpPdu::kHeader:
      return Section::kHeader;
    case HttpPdu::kBody:
      return Section::kBody;
    case HttpPdu::kTrailer:
      break;
  }
  return Section::kTrailer;
}

Buffers HttpBuffers(const HttpSection& s) {
  Buffers b;
  b.pkt_data = s.pkt_data;
  b.raw_data = s.raw_body;
  b.file_data = s.file_data;
  if (s.has_request) {
    b.http_uri = s.request.uri;
    b.http_raw_uri = s.request.raw_uri;
    b.http_method = s.request.method;
  }
  const HttpHeaderBuffers& h = s.pdu == HttpPdu::kTrailer ? s.trailers : s.headers;
  b.http_header = h.norm;
  b.http_raw_header = h.raw;
  b.http_cookie = h.cookie;
  b.http_raw_cookie = h.raw_cookie;
  b.http_client_body = s.client_body;
  if (!s.from_client) {
    b.http_stat_code = s.status.stat_code;
    b.http_stat_msg = s.status.stat_msg;
  }
  return b;
}

}  // namespace

/// A flow whose reassembled data is being inspected: its key, its object and the time.
struct FlowCtx {
  const FlowKey& key;
  FlowState& flow;
  uint64_t ts_ns;
  uint8_t ttl;

  PacketHeader HeaderOf(int dir) const {  // dir 0: client -> server
    const uint8_t client = flow.client();
    return HeaderFrom(key, dir == 0 ? client : uint8_t(1 - client));
  }
  PacketFacts PduFacts(int dir, size_t size) const {
    PacketFacts f;
    f.ip_proto = kIpTcp;
    f.ttl = ttl;
    f.has_tcp = true;
    f.tcp_flags = 0x18;  // a rebuilt packet carries ACK|PSH
    f.dsize = uint32_t(size);
    f.rebuilt_stream = true;
    f.paf_payload = true;
    f.direction = dir == 0 ? FlowDirection::kFromClient : FlowDirection::kFromServer;
    f.established = flow.stream().established;
    return f;
  }
};

struct SnortNf::Pkt {
  DecodedPacket d;
  uint64_t ts_ns = 0;
  FlowKey key;
  uint8_t sender = 0;
  s6::SwRef<FlowState> flow;
  FlowCtx ctx() { return FlowCtx{key, *flow, ts_ns, d.facts.ttl}; }
};

s6::StatusOr<std::unique_ptr<AlertOutput>> AlertOutput::Open(const std::string& path,
                                                             Format format) {
  if (path == "-") return std::unique_ptr<AlertOutput>(new AlertOutput(stdout, false, format));
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    return s6::InvalidArgumentError("cannot open alert file '" + path +
                                    "': " + std::strerror(errno));
  }
  return std::unique_ptr<AlertOutput>(new AlertOutput(f, true, format));
}

AlertOutput::~AlertOutput() {
  if (owned_) std::fclose(file_);
}

void AlertOutput::Write(const AlertEvent& e) {
  const std::string line = format_ == Format::kFast ? FormatFast(e) : FormatJson(e);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  ++written_;
}

s6::Status AlertOutput::Flush() {
  if (std::fflush(file_) != 0 || std::ferror(file_)) {
    return s6::InternalError(std::string("writing alerts: ") + std::strerror(errno));
  }
  return s6::OkStatus();
}

SnortNf::SnortNf(s6::Space& space, Setup setup)
    : engine_(std::move(setup.engine)),
      alerts_(std::move(setup.alerts)),
      stream_config_(setup.stream),
      max_queue_(setup.max_queue),
      log_limit_(setup.log_limit),
      flows_(space, "snort.flows"),
      thresholds_(space, "snort.thresholds"),
      hosts_(space, "snort.hosts") {
  for (size_t i = 0; i < engine_->rules().rules.size(); ++i) {
    longest_content_.push_back(LongestPattern(*engine_, i));
  }
  flows_.set_expiry(kOtherIdle, [this](const FlowKey& key, FlowState& flow) {
    FlushFlow(key, flow, latest_ns_);
  });
}

s6::Verdict SnortNf::Process(s6::Packet& packet, s6::Context& /*ctx*/) {
  ++stats_[kStatPackets];
  stats_[kStatBytes] += packet.len;
  Pkt p;
  p.ts_ns = packet.capture_ns != 0 ? packet.capture_ns : packet.rx_ns;
  latest_ns_ = std::max(latest_ns_, p.ts_ns);
  switch (Decode({packet.data, packet.len}, packet.ethernet, &p.d)) {
    case DecodeStatus::kOk:
      break;
    case DecodeStatus::kNotIp:
      ++stats_[kStatNotIp];
      return s6::Verdict::kForward;
    case DecodeStatus::kMalformed:
      ++stats_[kStatMalformed];
      return s6::Verdict::kForward;  // an IDS passes what it cannot read
  }
  if (p.d.fragment) {  // Snort inspects the reassembled datagram; this port does not rebuild it
    ++stats_[kStatFragments];
    return s6::Verdict::kForward;
  }
  const uint8_t proto = p.d.facts.ip_proto;
  ++stats_[proto == kIpTcp                         ? kStatTcp
           : proto == kIpUdp                       ? kStatUdp
           : proto == kIpIcmp || proto == kIpIcmp6 ? kStatIcmp
                                                   : kStatOtherIp];
  p.key = KeyOf(p.d, &p.sender);
  p.flow = flows_.get_or_create(p.key);
  if (p.flow.created()) {
    ++stats_[kStatFlows];
    if (proto == kIpTcp) p.flow.set_idle_timeout(kTcpIdle);
  }
  if (proto == kIpTcp) {
    Tcp(p);
  } else {
    Datagram(p);
  }
  return s6::Verdict::kForward;  // an IDS: every packet goes on
}

void SnortNf::Tcp(Pkt& p) {
  FlowState& f = *p.flow;
  const PacketFacts& pf = p.d.facts;
  SegmentInfo seg;
  seg.sender = p.sender;
  seg.src_port = p.d.header.src_port;
  seg.dst_port = p.d.header.dst_port;
  seg.seq = pf.tcp_seq;
  seg.ack = pf.tcp_ack;
  seg.flags = pf.tcp_flags;
  seg.syn_options = p.d.syn_options;
  const StreamResult r = OnSegment(f.stream(), seg, p.d.payload, stream_config_);
  if (!r.tracked) {  // Snort has no flow for it: no flowbits, no direction, no service
    ++stats_[kStatUntrackedTcp];
    p.d.facts.has_flow = false;
    InspectRaw(p);
    return;
  }
  if (r.new_session) {
    f.Restart(f.stream().client);
    ++stats_[kStatSessions];
    const uint16_t server_port = r.from_client ? seg.dst_port : seg.src_port;
    if (const std::string_view svc = ServiceForPort(kIpTcp, server_port); !svc.empty()) {
      f.set_service(std::string(svc));
      f.wizard().done = true;
      ++services_[f.service()];
    }
  }
  p.d.facts.direction = r.from_client ? FlowDirection::kFromClient : FlowDirection::kFromServer;
  p.d.facts.established = r.established;
  FlowCtx fc = p.ctx();
  Deliver(fc, r);  // the stream flushes before the packet itself is detected
  const bool inserted =
      r.payload == TcpPayloadKind::kNew || r.payload == TcpPayloadKind::kRetransmit;
  const bool aborted =
      f.service() == "http" &&
      (r.from_client ? f.http().client : f.http().server).expect == HttpExpect::kAborted;
  if (inserted && !f.service().empty() && !aborted) {
    ++stats_[kStatRawSkipped];  // its bytes reach detection through the service's PDUs
  } else {
    // Snort disables content detection for a segment whose every byte was seen before.
    if (r.payload == TcpPayloadKind::kRetransmit) p.d.facts.content_enabled = false;
    InspectRaw(p);
  }
}

void SnortNf::Datagram(Pkt& p) {
  FlowState& f = *p.flow;
  const uint8_t proto = p.d.facts.ip_proto;
  if (!f.started()) {
    f.Restart(p.sender);  // the first sender is the client
    ++stats_[kStatSessions];
    if (proto == kIpUdp) {
      if (const std::string_view svc = ServiceForPort(kIpUdp, p.d.header.dst_port); !svc.empty()) {
        f.set_service(std::string(svc));
        f.wizard().done = true;
        ++services_[f.service()];
      }
    }
  }
  const bool from_client = p.sender == f.client();
  if (proto == kIpUdp && f.service().empty() && !f.wizard().done) {
    const std::string_view svc = WizardFeed(f.wizard(), from_client, false, p.d.payload);
    f.wizard().seen = {};
    if (!svc.empty()) {
      f.set_service(std::string(svc));
      ++services_[f.service()];
    }
  }
  p.d.facts.direction = from_client ? FlowDirection::kFromClient : FlowDirection::kFromServer;
  p.d.facts.established = f.MarkSeen(p.sender);
  InspectRaw(p);
}

void SnortNf::Deliver(FlowCtx& fc, const StreamResult& r) {
  for (int dir = 0; dir < 2; ++dir) {
    for (const StreamChunk& chunk : r.delivered[dir].chunks) DeliverChunk(fc, dir, chunk);
    if (r.delivered[dir].finished && fc.flow.service() == "http") {
      std::vector<HttpSection> out;
      if (dir == 0) {
        fc.flow.http().FinishClient(&out);
      } else {
        fc.flow.http().FinishServer(&out);
      }
      InspectHttp(fc, dir, out);
    }
  }
}

void SnortNf::DeliverChunk(FlowCtx& fc, int dir, const StreamChunk& chunk) {
  FlowState& f = fc.flow;
  std::string replay;
  std::string_view data = chunk.data;
  if (f.service().empty()) {
    if (f.wizard().done) return;  // no service: the raw packets were inspected
    const std::string_view svc = WizardFeed(f.wizard(), dir == 0, true, chunk.data);
    if (svc.empty()) return;
    f.set_service(std::string(svc));
    ++services_[f.service()];
    replay = std::move(f.wizard().seen[dir]);  // the new splitter rescans the side's octets
    f.wizard().seen = {};
    data = replay;
  }
  if (f.service() == "http") {
    HttpState& side = dir == 0 ? f.http().client : f.http().server;
    if (chunk.after_gap) side.Abort();  // Snort falls back to raw packets after a hole
    std::vector<HttpSection> out;
    if (dir == 0) {
      f.http().FeedClient(data, &out);
    } else {
      f.http().FeedServer(data, &out);
    }
    InspectHttp(fc, dir, out);
    return;
  }
  ++stats_[kStatServicePdus];
  Buffers b;
  b.pkt_data = b.raw_data = data;
  Detect(fc.HeaderOf(dir), b, fc.PduFacts(dir, data.size()), Where(f.service()), &f.bits(),
         fc.ts_ns);
}

void SnortNf::InspectHttp(FlowCtx& fc, int dir, const std::vector<HttpSection>& sections) {
  for (const HttpSection& s : sections) {
    ++stats_[kStatHttpSections];
    Detect(fc.HeaderOf(dir), HttpBuffers(s), fc.PduFacts(dir, s.pkt_data.size()),
           Where("http", SectionOf(s.pdu)), &fc.flow.bits(), fc.ts_ns);
  }
}

void SnortNf::InspectRaw(Pkt& p) {
  ++stats_[kStatRawInspections];
  if (p.d.payload.empty()) p.d.facts.content_enabled = false;  // Snort: no content without data
  Buffers b;
  b.pkt_data = b.raw_data = p.d.payload;
  if (!p.d.facts.has_flow) {  // a packet Snort keeps no flow for: no flowbits, no service
    FlowBits none;
    Detect(p.d.header, b, p.d.facts, {}, &none, p.ts_ns);
    return;
  }
  Detect(p.d.header, b, p.d.facts, Where(p.flow->service()), &p.flow->bits(), p.ts_ns);
}

void SnortNf::Detect(const PacketHeader& header, const Buffers& buffers, const PacketFacts& facts,
                     const Where& where, FlowBits* bits, uint64_t ts_ns) {
  const auto allow = [&](size_t i) {
    const Rule& rule = engine_->rules().rules[i];
    return !rule.detection_filter || ThresholdAllows(rule, header, ts_ns);
  };
  std::vector<size_t> events = engine_->Inspect(header, buffers, facts, where, bits, allow);
  if (events.empty()) return;
  // Snort's event queue: max_queue events kept, ordered by content length, `log` logged.
  if (events.size() > max_queue_) {
    stats_[kStatQueueDropped] += events.size() - max_queue_;
    events.resize(max_queue_);
  }
  // fp_detect.cc sortOrderByContentLength: longer pattern first, then the higher sid.
  std::sort(events.begin(), events.end(), [this](size_t a, size_t b) {
    if (longest_content_[a] != longest_content_[b]) {
      return longest_content_[a] > longest_content_[b];
    }
    return engine_->rules().rules[a].sid > engine_->rules().rules[b].sid;
  });
  if (events.size() > log_limit_) {
    stats_[kStatQueueDropped] += events.size() - log_limit_;
    events.resize(log_limit_);
  }
  for (size_t i : events) {
    const Rule& rule = engine_->rules().rules[i];
    ++stats_[kStatAlerts];
    if (alerts_) alerts_->Write(MakeEvent(rule, header, ts_ns));
    hosts_.get(HostKey{uint8_t(header.v6 ? 6 : 4), header.src})
        ->Count(rule.sid, rule.priority, int64_t(ts_ns));
  }
}

bool SnortNf::ThresholdAllows(const Rule& rule, const PacketHeader& header, uint64_t ts_ns) {
  const DetectionFilter& df = *rule.detection_filter;
  const ThresholdKey key{rule.gid, rule.sid, uint8_t(header.v6 ? 6 : 4),
                         df.track_by_src ? header.src : header.dst};
  const bool raise =
      thresholds_.get(key)->Hit(df.count, df.seconds, int64_t(ts_ns / 1'000'000'000ull));
  if (!raise) ++stats_[kStatFiltered];
  return raise;
}

void SnortNf::FlushFlow(const FlowKey& key, FlowState& flow, uint64_t ts_ns) {
  if (key.proto != kIpTcp || !flow.stream().active || flow.stream().closed) return;
  ++stats_[kStatFlushedFlows];
  FlowCtx fc{key, flow, ts_ns, 0};
  const StreamResult r = CloseStream(flow.stream());
  Deliver(fc, r);
}

void SnortNf::Finish(s6::Context& /*ctx*/) {
  std::vector<FlowKey> keys;
  flows_.for_each_local([&keys](const FlowKey& k, FlowState&) { keys.push_back(k); });
  for (const FlowKey& k : keys) {
    if (s6::SwRef<FlowState> f = flows_.lookup(k)) FlushFlow(k, *f, latest_ns_);
  }
  if (const s6::Status st = FlushAlerts(); !st.ok()) {
    s6::log::Get("snort")->error("{}", st.message());
  }
}

std::map<std::string, HostSummary> SnortNf::LocalHosts() {
  std::map<std::string, HostSummary> out;
  hosts_.for_each_local([&out](const HostKey& k, HostAlerts& h) {
    out[AddressText(k.addr, k.family == 6)] = h.Summary();
  });
  return out;
}

void SnortNf::WriteStats(s6::StatsSink& out) const {
  const Engine::Stats& e = engine_->stats();
  for (uint32_t i = 0; i < kStatCount; ++i) {
    uint64_t v = stats_[i];
    if (i == kStatCandidates) v = e.candidates;
    if (i == kStatMatches) v = e.matches;
    out.Counter(kStatNames[i], v);
  }
  out.Counter("inspections", e.inspections);
  out.Counter("alerts_written", alerts_ ? alerts_->written() : 0);
  out.Counter("rules", engine_->rules().rules.size());
  out.Group("services", [this](s6::StatsSink& g) {
    for (const auto& [name, n] : services_) g.Counter(name, n);
  });
}

}  // namespace snort

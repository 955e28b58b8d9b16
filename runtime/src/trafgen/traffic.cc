// SPDX-License-Identifier: Apache-2.0
#include "trafgen/traffic.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include <s6/check.h>
#include <s6/hash.h>
#include <s6/net.h>

namespace s6::trafgen {
namespace {

constexpr uint32_t kProbeMagic = 0x53365447;  // "S6TG"

void Store64(uint8_t* p, uint64_t v) {
  net::Store32(p, static_cast<uint32_t>(v >> 32));
  net::Store32(p + 4, static_cast<uint32_t>(v));
}
uint64_t Load64(const uint8_t* p) { return (uint64_t{net::Load32(p)} << 32) | net::Load32(p + 4); }

}  // namespace

FlowGenerator::FlowGenerator(FlowConfig config) : config_(config), rng_(config.seed) {
  S6_CHECK(config_.frame_bytes >= kMinFrame) << "frames must be at least " << kMinFrame << " B";
  S6_CHECK(config_.concurrent_flows > 0 && config_.inside_hosts > 0 && config_.servers > 0);
  live_.reserve(config_.concurrent_flows);
  for (uint32_t i = 0; i < config_.concurrent_flows; ++i) live_.push_back(NewFlow());
}

uint32_t FlowGenerator::DrawSize() {
  const double mean = std::max(1.0, config_.mean_flow_packets);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double size = mean;
  switch (config_.size_dist) {
    case SizeDist::kFixed:
      break;
    case SizeDist::kUniform:
      size = 1 + unit(rng_) * (2 * mean - 2);
      break;
    case SizeDist::kExponential:
      size = 1 + std::exponential_distribution<double>(1.0 / std::max(mean - 1, 1e-9))(rng_);
      break;
    case SizeDist::kPareto: {
      const double a = std::max(config_.pareto_shape, 1.01);
      const double xm = mean * (a - 1) / a;
      size = xm / std::pow(1.0 - unit(rng_), 1.0 / a);
      break;
    }
  }
  return static_cast<uint32_t>(std::clamp(std::llround(size), 1LL, 100'000'000LL));
}

FlowGenerator::Flow FlowGenerator::NewFlow() {
  Flow f;
  f.id = next_flow_id_++;
  const bool tcp = std::uniform_real_distribution<double>(0, 1)(rng_) < config_.tcp_fraction;
  // Unique 5-tuples for every flow of a run: the id picks the client and its port.
  f.tuple.src_ip = config_.inside_net + 1 + f.id % config_.inside_hosts;
  f.tuple.src_port = static_cast<uint16_t>(1024 + (f.id / config_.inside_hosts) % 64000);
  f.tuple.dst_ip = config_.server_net + 1 + static_cast<uint32_t>(rng_() % config_.servers);
  f.tuple.dst_port = tcp ? 443 : 53;
  f.tuple.proto = tcp ? net::kProtoTcp : net::kProtoUdp;
  f.size = DrawSize();
  if (tcp) f.size = std::max<uint32_t>(f.size, 3);  // SYN, data, FIN
  return f;
}

GenPacket FlowGenerator::Next() {
  const std::size_t i = static_cast<std::size_t>(rng_() % live_.size());
  Flow& f = live_[i];
  GenPacket p;
  p.tuple = f.tuple;
  p.flow = f.id;
  p.seq = f.sent++;
  p.last = f.sent == f.size;
  if (f.tuple.proto == net::kProtoTcp) {
    p.tcp_flags = p.seq == 0 ? net::kTcpSyn
                  : p.last   ? static_cast<uint8_t>(net::kTcpFin | net::kTcpAck)
                             : static_cast<uint8_t>(net::kTcpAck | 0x08 /* PSH */);
  }
  if (p.last) f = NewFlow();
  return p;
}

uint32_t FlowGenerator::Build(const GenPacket& p, uint64_t tx_ns, uint8_t* out) const {
  const uint32_t len = config_.frame_bytes;
  std::memset(out, 0, len);
  out[0] = 0x02;  // locally administered unicast MACs
  out[6] = 0x02;
  out[11] = 1;
  net::Store16(out + 12, net::kEtherTypeIpv4);
  uint8_t* ip = out + 14;
  const uint32_t l3_len = len - 14;
  ip[0] = 0x45;
  net::Store16(ip + 2, static_cast<uint16_t>(l3_len));
  net::Store16(ip + 4, static_cast<uint16_t>(p.seq));
  ip[8] = 64;
  ip[9] = p.tuple.proto;
  net::Store32(ip + 12, p.tuple.src_ip);
  net::Store32(ip + 16, p.tuple.dst_ip);
  net::Store16(ip + 10, net::InternetChecksum(ip, 20));
  uint8_t* l4 = ip + 20;
  const bool tcp = p.tuple.proto == net::kProtoTcp;
  const uint32_t l4_len = l3_len - 20;
  net::Store16(l4, p.tuple.src_port);
  net::Store16(l4 + 2, p.tuple.dst_port);
  WriteProbe(Probe{p.flow, p.seq, tx_ns}, l4 + (tcp ? 20 : 8));
  net::Ipv4Packet parsed;
  parsed.l3 = 14;
  parsed.l4 = 34;
  parsed.l3_len = l3_len;
  parsed.proto = p.tuple.proto;
  parsed.src = p.tuple.src_ip;
  parsed.dst = p.tuple.dst_ip;
  if (tcp) {
    net::Store32(l4 + 4, p.seq);
    l4[12] = 5 << 4;
    l4[13] = p.tcp_flags;
    net::Store16(l4 + 14, 65535);
    net::Store16(l4 + 16, net::InternetChecksum(l4, l4_len, net::PseudoHeaderSum(parsed)));
  } else {
    net::Store16(l4 + 4, static_cast<uint16_t>(l4_len));
    const uint16_t c = net::InternetChecksum(l4, l4_len, net::PseudoHeaderSum(parsed));
    net::Store16(l4 + 6, c == 0 ? 0xffff : c);
  }
  return len;
}

void WriteProbe(const Probe& probe, uint8_t* at) {
  net::Store32(at, kProbeMagic);
  net::Store32(at + 4, probe.flow);
  net::Store32(at + 8, probe.seq);
  Store64(at + 12, probe.tx_ns);
}

bool ReadProbe(const uint8_t* frame, uint32_t len, Probe& out) {
  net::Ipv4Packet p;
  if (net::ParseIpv4({frame, len}, true, p) != net::ParseError::kOk) return false;
  auto read = [&](std::size_t at) {
    if (net::Load32(frame + at) != kProbeMagic) return false;
    out.flow = net::Load32(frame + at + 4);
    out.seq = net::Load32(frame + at + 8);
    out.tx_ns = Load64(frame + at + 12);
    return true;
  };
  // A trailer first: a replayed payload may hold anything, a synthetic frame has no trailer.
  const std::size_t end = p.l3 + p.l3_len;
  if (end + kProbeBytes <= len && read(end)) return true;
  std::size_t at = 0;
  if (p.proto == net::kProtoTcp) {
    at = p.l4 + std::size_t{static_cast<uint8_t>(frame[p.l4 + 12] >> 4)} * 4;
  } else if (p.proto == net::kProtoUdp) {
    at = p.l4 + 8;
  } else {
    return false;
  }
  if (at + kProbeBytes > end) return false;
  return read(at);
}

Steering::Steering(std::vector<uint32_t> instances, double missteer_fraction, uint64_t seed)
    : instances_(std::move(instances)), missteer_(missteer_fraction), rng_(seed) {
  S6_CHECK(!instances_.empty());
}

void Steering::SetInstances(std::vector<uint32_t> instances) {
  S6_CHECK(!instances.empty());
  instances_ = std::move(instances);
}

uint32_t Steering::Home(const net::FiveTuple& t) const {
  // Both directions of a connection hash alike (the endpoints in a canonical order), as a
  // load balancer in front of stateful NFs steers them: one instance sees the connection's
  // packets in order.
  const bool swap = t.src_ip > t.dst_ip || (t.src_ip == t.dst_ip && t.src_port > t.dst_port);
  uint8_t b[13];
  net::Store32(b, swap ? t.dst_ip : t.src_ip);
  net::Store32(b + 4, swap ? t.src_ip : t.dst_ip);
  net::Store16(b + 8, swap ? t.dst_port : t.src_port);
  net::Store16(b + 10, swap ? t.src_port : t.dst_port);
  b[12] = t.proto;
  uint32_t best = instances_.front();
  uint64_t best_score = 0;
  for (uint32_t id : instances_) {  // rendezvous hashing: the highest score wins
    const uint64_t score = HashBytes(b, sizeof b, 0x5133d000ull + id);
    if (score >= best_score) {
      best_score = score;
      best = id;
    }
  }
  return best;
}

uint32_t Steering::Pick(const net::FiveTuple& t) {
  const uint32_t home = Home(t);
  if (missteer_ <= 0 || instances_.size() < 2 ||
      std::uniform_real_distribution<double>(0, 1)(rng_) >= missteer_) {
    return home;
  }
  uint32_t other = home;
  while (other == home) other = instances_[rng_() % instances_.size()];
  ++missteered_;
  return other;
}

void Tracker::OnSent(uint32_t instance, uint64_t tx_ns) {
  ++interval_[instance].sent;
  ++total_.sent;
  ++links_[instance].sent;
  max_sent_tx_ns_ = std::max(max_sent_tx_ns_, tx_ns);
  for (Window& w : windows_) {
    if (w.Contains(tx_ns)) ++w.sent;
  }
}

LinkTotals Tracker::link(uint32_t instance) const {
  const auto it = links_.find(instance);
  return it == links_.end() ? LinkTotals{} : it->second;
}

Status Tracker::BeginWindow(std::string_view name, uint64_t now_ns) {
  for (const Window& w : windows_) {
    if (w.open && w.name == name) {
      return FailedPreconditionError("window '" + std::string(name) + "' is already open");
    }
  }
  Window w;
  w.name = std::string(name);
  w.start_ns = std::max(now_ns, max_sent_tx_ns_ + 1);
  windows_.push_back(std::move(w));
  return OkStatus();
}

Status Tracker::EndWindow(std::string_view name, uint64_t now_ns) {
  for (Window& w : windows_) {
    if (w.open && w.name == name) {
      w.open = false;
      w.end_ns = std::max(now_ns, max_sent_tx_ns_ + 1);
      return OkStatus();
    }
  }
  return NotFoundError("no open window '" + std::string(name) + "'");
}

void Tracker::CloseWindows(uint64_t now_ns) {
  for (Window& w : windows_) {
    if (!w.open) continue;
    w.open = false;
    w.closed_at_end = true;
    w.end_ns = std::max(now_ns, max_sent_tx_ns_ + 1);
  }
}

void Tracker::OnReceived(uint32_t instance, const uint8_t* frame, uint32_t len, uint64_t now_ns) {
  IntervalStats& s = interval_[instance];
  Probe probe;
  if (!ReadProbe(frame, len, probe)) {
    ++s.foreign;
    ++total_.foreign;
    return;
  }
  const uint64_t latency = now_ns > probe.tx_ns ? now_ns - probe.tx_ns : 0;
  ++s.received;
  ++total_.received;
  ++links_[instance].received;
  for (Window& w : windows_) {
    if (!w.Contains(probe.tx_ns)) continue;
    ++w.received;
    w.latency.Record(latency);
  }
  s.bytes_received += len;
  total_.bytes_received += len;
  s.latency.Record(latency);
  total_.latency.Record(latency);
  uint32_t& next = next_seq_[probe.flow];
  if (probe.seq < next) {
    ++s.reordered;
    ++total_.reordered;
  } else {
    next = probe.seq + 1;
  }
  // The flow's source endpoint as it came back (after any translation) must stay the same for
  // the flow's life and belong to no other flow.
  net::Ipv4Packet p;
  if (net::ParseIpv4({frame, len}, true, p) == net::ParseError::kOk) {
    const uint64_t endpoint = (uint64_t{p.src} << 16) | p.sport;
    auto [it, fresh] = endpoint_of_.emplace(probe.flow, endpoint);
    if (fresh) {
      if (check_shared_endpoints_) {
        auto [owner, first] = flow_at_.emplace(endpoint, probe.flow);
        if (!first && owner->second != probe.flow) ++total_.shared_endpoints;
      }
    } else if (it->second != endpoint) {
      ++total_.mapping_changes;
      it->second = endpoint;
    }
  }
}

std::unordered_map<uint32_t, IntervalStats> Tracker::TakeInterval() {
  return std::exchange(interval_, {});
}

}  // namespace s6::trafgen

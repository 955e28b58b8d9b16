// SPDX-License-Identifier: Apache-2.0
#include "nat.h"

#include <charconv>
#include <memory>
#include <utility>

#include <s6/cli.h>
#include <s6/key.h>

namespace nat {

using s6::Verdict;
using s6::net::FiveTuple;
using s6::net::Ipv4Packet;
using s6::net::Load16;
using s6::net::Load32;
using s6::net::Store16;
using s6::net::Store32;

s6::Status NatConfig::Validate() const {
  if (public_ips.empty()) return s6::InvalidArgumentError("nat: no public IP configured");
  if (port_lo == 0 || port_hi < port_lo) {
    return s6::InvalidArgumentError("nat: port range must be within 1..65535 and not empty");
  }
  if (shards == 0 || shards > 4096 || shards > uint32_t{port_hi} - port_lo + 1) {
    return s6::InvalidArgumentError("nat: shards must be in 1..min(4096, ports in the range)");
  }
  return s6::OkStatus();
}

s6::StatusOr<Cidr> ParseCidr(std::string_view s) {
  const std::size_t slash = s.find('/');
  Cidr c;
  if (!s6::net::ParseIpv4Address(s.substr(0, slash), c.network)) {
    return s6::InvalidArgumentError("bad IPv4 network '" + std::string(s) + "'");
  }
  c.prefix = 32;
  if (slash != std::string_view::npos) {
    const std::string_view len = s.substr(slash + 1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
    if (ec != std::errc() || end != len.data() + len.size() || v > 32 || len.empty()) {
      return s6::InvalidArgumentError("bad prefix length in '" + std::string(s) + "'");
    }
    c.prefix = static_cast<uint8_t>(v);
  }
  return c;
}

namespace {

// A CLI11 callback's way to reject a value: the message becomes the one-line usage error.
[[noreturn]] void Reject(const std::string& option, const std::string& why) {
  throw CLI::ValidationError(option, why);
}

}  // namespace

void AddNatOptions(CLI::App& app, NatConfig& config) {
  app.add_option_function<std::vector<std::string>>(
         "--public-ip",
         [&config](const std::vector<std::string>& ips) {
           config.public_ips.clear();
           for (const std::string& v : ips) {
             uint32_t ip = 0;
             if (!s6::net::ParseIpv4Address(v, ip))
               Reject("--public-ip", "bad address '" + v + "'");
             config.public_ips.push_back(ip);
           }
         },
         "public address to translate to (repeatable; at least one)")
      ->type_name("A.B.C.D");
  app.add_option_function<std::vector<std::string>>(
         "--inside",
         [&config](const std::vector<std::string>& nets) {
           config.inside.clear();
           for (const std::string& v : nets) {
             s6::StatusOr<Cidr> c = ParseCidr(v);
             if (!c.ok()) Reject("--inside", c.status().message());
             config.inside.push_back(*c);
           }
         },
         "inside network (repeatable; default: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
      ->type_name("CIDR");
  app.add_option_function<std::string>(
         "--port-range",
         [&config](const std::string& v) {
           const std::size_t dash = v.find('-');
           unsigned lo = 0;
           unsigned hi = 0;
           const bool ok = dash != std::string::npos &&
                           std::from_chars(v.data(), v.data() + dash, lo).ptr == v.data() + dash &&
                           std::from_chars(v.data() + dash + 1, v.data() + v.size(), hi).ptr ==
                               v.data() + v.size() &&
                           lo >= 1 && hi <= 65535 && lo <= hi;
           if (!ok) Reject("--port-range", "bad range '" + v + "' (want LO-HI within 1-65535)");
           config.port_lo = static_cast<uint16_t>(lo);
           config.port_hi = static_cast<uint16_t>(hi);
         },
         "public ports to allocate from")
      ->type_name("LO-HI")
      ->default_str(std::to_string(config.port_lo) + "-" + std::to_string(config.port_hi));
  app.add_option_function<std::string>(
         "--ip-checksums",
         [&config](const std::string& v) { config.verify_ip_checksum = v == "verify"; },
         "verify: drop packets with a wrong IPv4 header checksum (counted as bad_ip_checksum); "
         "ignore: as Snort's -k none, for captures taken with checksum offload")
      ->check(CLI::IsMember({"verify", "ignore"}))
      ->default_str(config.verify_ip_checksum ? "verify" : "ignore");
  app.add_option("--shards", config.shards, "port pool shards per public address (1-4096)")
      ->check(s6::cli::Count(1, 4096, "shards"))
      ->capture_default_str();
}

s6::host::NfDefinition NatDefinition(NatConfig& config) {
  return {
      .name = "nat",
      .description = "source NAT (masquerade) on S6",
      .add_options = [&config](CLI::App& app) { AddNatOptions(app, config); },
      .validate = [&config] { return config.Validate(); },
      .create = [&config](s6::Space& space) -> s6::StatusOr<std::unique_ptr<s6::NetworkFunction>> {
        return std::unique_ptr<s6::NetworkFunction>(std::make_unique<Nat>(space, config));
      }};
}

void RewriteEndpoint(std::span<uint8_t> frame, const Ipv4Packet& p, bool source, uint32_t new_ip,
                     uint16_t new_port) {
  uint8_t* ip = frame.data() + p.l3;
  uint8_t* l4 = frame.data() + p.l4;
  uint8_t* addr = ip + (source ? 12 : 16);
  const uint32_t old_ip = Load32(addr);
  Store16(ip + 10, s6::net::ChecksumAdjust32(Load16(ip + 10), old_ip, new_ip));
  Store32(addr, new_ip);
  switch (p.proto) {
    case s6::net::kProtoTcp:
    case s6::net::kProtoUdp: {
      uint8_t* ck = l4 + (p.proto == s6::net::kProtoTcp ? 16 : 6);
      uint8_t* port = l4 + (source ? 0 : 2);
      const uint16_t old_port = Load16(port);
      Store16(port, new_port);
      uint16_t c = Load16(ck);
      if (p.proto == s6::net::kProtoUdp && c == 0) return;  // no UDP checksum: keep none
      c = s6::net::ChecksumAdjust32(c, old_ip, new_ip);     // pseudo-header
      c = s6::net::ChecksumAdjust16(c, old_port, new_port);
      if (p.proto == s6::net::kProtoUdp && c == 0) c = 0xffff;  // RFC 768: 0 means "none"
      Store16(ck, c);
      return;
    }
    case s6::net::kProtoIcmp: {  // echo: the identifier; no pseudo-header
      const uint16_t old_id = Load16(l4 + 4);
      Store16(l4 + 4, new_port);
      Store16(l4 + 2, s6::net::ChecksumAdjust16(Load16(l4 + 2), old_id, new_port));
      return;
    }
    default:
      return;
  }
}

Nat::Nat(s6::Space& space, NatConfig config)
    : config_(std::move(config)), flows_(space, "nat.flows"), pools_(space, "nat.pools") {
  flows_.set_expiry(std::chrono::nanoseconds(0),
                    [this](const FiveTuple& k, NatEntry& e) { OnExpire(k, e); });
}

bool Nat::IsInside(uint32_t ip) const {
  for (const Cidr& c : config_.inside) {
    if (c.Contains(ip)) return true;
  }
  return false;
}

bool Nat::IsPublic(uint32_t ip) const {
  for (uint32_t p : config_.public_ips) {
    if (p == ip) return true;
  }
  return false;
}

std::chrono::nanoseconds Nat::TimeoutFor(uint8_t proto, TcpPhase phase) const {
  switch (proto) {
    case s6::net::kProtoUdp:
      return config_.udp_timeout;
    case s6::net::kProtoIcmp:
      return config_.icmp_timeout;
    default:
      break;
  }
  switch (phase) {
    case TcpPhase::kNone:
      return config_.tcp_syn_timeout;
    case TcpPhase::kOpen:
      return config_.tcp_established_timeout;
    case TcpPhase::kFinSeen:
      return config_.tcp_fin_timeout;
    case TcpPhase::kClosed:
      return config_.tcp_rst_timeout;
  }
  return config_.tcp_established_timeout;
}

namespace {

TcpPhase NextPhase(TcpPhase phase, uint8_t flags) {
  if ((flags & s6::net::kTcpRst) != 0) return TcpPhase::kClosed;
  if ((flags & s6::net::kTcpFin) != 0 && phase != TcpPhase::kClosed) return TcpPhase::kFinSeen;
  if ((flags & s6::net::kTcpAck) != 0 && phase == TcpPhase::kNone) return TcpPhase::kOpen;
  return phase;
}

}  // namespace

uint16_t Nat::AllocatePort(uint32_t public_ip, uint64_t flow_hash) {
  const uint16_t n = config_.shards;
  for (uint16_t i = 0; i < n; ++i) {
    const auto shard = static_cast<uint16_t>((flow_hash + i) % n);
    const uint16_t port =
        pools_.get(PoolKey{public_ip, shard})->allocate(config_.port_lo, config_.port_hi, n, shard);
    if (port != 0) return port;
  }
  return 0;
}

s6::Verdict Nat::Process(s6::Packet& pkt, s6::Context& ctx) {
  Ipv4Packet p;
  const s6::net::ParseError err =
      s6::net::ParseIpv4(pkt.bytes(), pkt.ethernet, p, config_.verify_ip_checksum);
  switch (err) {
    case s6::net::ParseError::kOk:
      break;
    case s6::net::ParseError::kNotIpv4:
      ++stats_.passed;
      return Verdict::kForward;
    case s6::net::ParseError::kFragment:
      ++stats_.fragments;
      return Verdict::kDrop;
    default:  // malformed: counted by reason
      ++(err == s6::net::ParseError::kTruncated     ? stats_.truncated
         : err == s6::net::ParseError::kBadHeader   ? stats_.bad_header
         : err == s6::net::ParseError::kBadChecksum ? stats_.bad_ip_checksum
                                                    : stats_.short_l4);
      ++stats_.malformed;
      return Verdict::kDrop;
  }
  if (IsPublic(p.dst)) return Inbound(pkt, p);
  if (IsInside(p.src) && !IsInside(p.dst)) return Outbound(pkt, p, ctx);
  ++stats_.passed;
  return Verdict::kForward;
}

s6::Verdict Nat::Outbound(s6::Packet& pkt, const Ipv4Packet& p, s6::Context& ctx) {
  const bool icmp = p.proto == s6::net::kProtoIcmp;
  if (!(p.proto == s6::net::kProtoTcp || p.proto == s6::net::kProtoUdp ||
        (icmp && p.icmp_type == s6::net::kIcmpEchoRequest))) {
    ++stats_.unsupported;  // never let inside traffic out untranslated
    return Verdict::kDrop;
  }
  const FiveTuple fk = s6::net::TupleOf(p);  // ICMP: {inside, remote, id, 0}
  auto fwd = flows_.get_or_create(fk);
  if (fwd.created()) {
    // Until the port is known, other packets of the flow wait (see below). If this
    // micro-thread is abandoned (the pool's home did not answer), the half-made entry goes.
    fwd->set_allocating(true);
    struct Undo {
      Nat* nat;
      s6::SwRef<NatEntry>* ref;
      bool armed = true;
      ~Undo() {
        if (!armed) return;
        (*ref)->set_allocating(false);
        nat->flows_.remove(*ref);
      }
    } undo{this, &fwd};
    const uint64_t hash = s6::KeyHash(fk);
    const uint32_t public_ip = config_.public_ips[hash % config_.public_ips.size()];
    const uint16_t port = AllocatePort(public_ip, hash);  // strict call: may suspend
    if (port == 0) {
      ++stats_.exhausted;
      return Verdict::kDrop;  // Undo removes the entry
    }
    // The reply to the translated packet: remote -> public address and port.
    const FiveTuple rk = FiveTuple{public_ip, fk.dst_ip, port, fk.dst_port, fk.proto}.Reversed();
    fwd->set_forward(rk, public_ip, port);
    flows_.get(rk)->set_reverse(fk, public_ip, port);
    fwd->set_allocating(false);
    undo.armed = false;
    fwd.set_idle_timeout(TimeoutFor(p.proto, TcpPhase::kNone));
    ++stats_.new_flows;
  }
  while (fwd->allocating() && !fwd.removed()) ctx.SleepFor(std::chrono::microseconds(20));
  if (fwd.removed() || !fwd->is_forward() || fwd->public_port() == 0) {
    ++stats_.exhausted;  // the flow's allocation failed
    return Verdict::kDrop;
  }
  Account(fwd, p, pkt.len);
  RewriteEndpoint(pkt.bytes(), p, true, fwd->public_ip(), fwd->public_port());
  ++stats_.translated_out;
  return Verdict::kForward;
}

void Nat::Account(s6::SwRef<NatEntry>& fwd, const Ipv4Packet& p, uint32_t len) const {
  if (p.proto == s6::net::kProtoTcp) {
    const TcpPhase next = NextPhase(fwd->phase(), p.tcp_flags);
    if (next != fwd->phase()) {
      fwd->set_phase(next);
      fwd.set_idle_timeout(TimeoutFor(p.proto, next));
    }
  }
  fwd->count(len);
}

s6::Verdict Nat::Inbound(s6::Packet& pkt, const Ipv4Packet& p) {
  const bool icmp = p.proto == s6::net::kProtoIcmp;
  if (!(p.proto == s6::net::kProtoTcp || p.proto == s6::net::kProtoUdp ||
        (icmp && p.icmp_type == s6::net::kIcmpEchoReply))) {
    ++stats_.unsupported;
    return Verdict::kDrop;
  }
  // ICMP: the reply's identifier is the public id, which the reverse key holds as its port.
  const FiveTuple rk = icmp ? FiveTuple{p.src, p.dst, 0, p.sport, p.proto} : s6::net::TupleOf(p);
  FiveTuple fk;
  {
    auto rev = flows_.lookup(rk);
    if (!rev || rev->is_forward()) {
      ++stats_.no_mapping;
      return Verdict::kDrop;
    }
    fk = rev->peer();
  }
  auto fwd = flows_.lookup(fk);
  if (!fwd || !fwd->is_forward() || fwd->public_port() != rk.dst_port) {
    ++stats_.no_mapping;
    return Verdict::kDrop;
  }
  Account(fwd, p, pkt.len);
  RewriteEndpoint(pkt.bytes(), p, false, fk.src_ip, fk.src_port);
  ++stats_.translated_in;
  return Verdict::kForward;
}

void Nat::OnExpire(const FiveTuple& /*key*/, NatEntry& e) {
  if (!e.is_forward()) return;
  ++stats_.expired;
  flows_.remove(e.peer());
  const auto shard = static_cast<uint16_t>((e.public_port() - config_.port_lo) % config_.shards);
  pools_.get(PoolKey{e.public_ip(), shard})->release(e.public_port());
}

void Nat::WriteStats(s6::StatsSink& out) const {
  const auto field = [&out](std::string_view name, const std::atomic<uint64_t>& v) {
    out.Counter(name, v.load(std::memory_order_relaxed));
  };
  field("translated_out", stats_.translated_out);
  field("translated_in", stats_.translated_in);
  field("new_flows", stats_.new_flows);
  field("passed", stats_.passed);
  field("no_mapping", stats_.no_mapping);
  field("exhausted", stats_.exhausted);
  field("malformed", stats_.malformed);
  field("truncated", stats_.truncated);
  field("bad_header", stats_.bad_header);
  field("bad_ip_checksum", stats_.bad_ip_checksum);
  field("short_l4", stats_.short_l4);
  field("fragments", stats_.fragments);
  field("unsupported", stats_.unsupported);
  field("expired", stats_.expired);
}

}  // namespace nat

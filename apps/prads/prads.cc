// SPDX-License-Identifier: Apache-2.0
// The PRADS network function: per-packet sequence (prads.c), timers and statistics. See prads.h.
#include "prads.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>

#include <s6/log.h>
#include <s6/net.h>

#include "ipfp.h"

namespace prads {

const char* const kStatNames[kStatCount] = {"packets",
                                            "ethernet",
                                            "vlan",
                                            "arp",
                                            "ipv4",
                                            "ipv6",
                                            "other_link",
                                            "ip_in_ipv4",
                                            "ip_in_ipv6",
                                            "gre",
                                            "tcp",
                                            "udp",
                                            "icmp",
                                            "other_transport",
                                            "malformed",
                                            "sessions",
                                            "tcp_os_assets",
                                            "udp_os_assets",
                                            "icmp_os_assets",
                                            "tcp_services",
                                            "udp_services",
                                            "tcp_clients",
                                            "udp_clients",
                                            "records_logged"};

namespace {

using std::chrono::seconds;

using s6::net::kProtoIcmp;
using s6::net::kProtoTcp;
using s6::net::kProtoUdp;
using s6::net::kTcpAck;
using s6::net::kTcpFin;
using s6::net::kTcpRst;
using s6::net::kTcpSyn;
constexpr uint8_t kProtoIcmp6 = 58, kProtoGre = 47;
constexpr uint16_t kArpReply = 2;
constexpr int64_t kAssetTimeout = 86400;  // PRADS's ASSET_TIMEOUT
constexpr seconds kAssetScanPeriod{60};   // PRADS's SIG_ALRM
constexpr seconds kStatsFlushPeriod{1};
constexpr uint8_t kIcmpChecked = 0x10;  // parse_icmp's "stop icmp fp" mark

HostKey HostOf(const IpAddr& ip) { return HostKey{ip.family, ip.bytes}; }

ConnKey ConnKeyOf(const PacketView& v) {
  ConnKey k;
  k.family = v.af;
  const bool src_first =
      v.src.bytes < v.dst.bytes || (v.src.bytes == v.dst.bytes && v.sport <= v.dport);
  k.lo_addr = src_first ? v.src.bytes : v.dst.bytes;
  k.lo_port = src_first ? v.sport : v.dport;
  k.hi_addr = src_first ? v.dst.bytes : v.src.bytes;
  k.hi_port = src_first ? v.dport : v.sport;
  return k;
}

// PRADS's end_sessions rules, as an idle timeout for the connection.
seconds IdleTimeout(const Connection& c) {
  if (c.proto() == kProtoTcp) {
    if (((c.client_flags() & kTcpFin) && (c.server_flags() & kTcpFin)) ||
        ((c.client_flags() | c.server_flags()) & kTcpRst)) {
      return seconds(5);
    }
    return seconds(300);
  }
  if (c.proto() == kProtoUdp || c.proto() == kProtoIcmp || c.proto() == kProtoIcmp6) {
    return seconds(60);
  }
  return seconds(300);
}

// PRADS's packet_bytes: the IP payload length (16 bits, as PRADS keeps it).
uint32_t IpPayloadBytes(const PacketView& v) {
  if (v.ip4 != nullptr) return uint16_t(s6::net::Load16(v.ip4 + 2) - v.ip_hlen);
  return s6::net::Load16(v.ip6 + 4);
}

// The decoder counts into a PacketCounters; the statistics vector holds them at their indexes.
void CopyPacketCounters(const PacketCounters& c, std::vector<uint64_t>& out) {
  const uint64_t v[] = {c.got_packets, c.eth_recv,    c.vlan_recv,  c.arp_recv,    c.ip4_recv,
                        c.ip6_recv,    c.otherl_recv, c.ip4ip_recv, c.ip6ip_recv,  c.gre_recv,
                        c.tcp_recv,    c.udp_recv,    c.icmp_recv,  c.othert_recv, c.malformed};
  static_assert(std::size(v) == kStatMalformed + 1);
  std::copy(std::begin(v), std::end(v), out.begin());
}

}  // namespace

struct Prads::Pkt {
  const PacketView& v;
  HostKey host;
  s6::SwRef<Connection> conn;  // empty for GRE
  Role role = Role::kNone;
  s6::MwRef<Asset> asset;
};

Prads::Prads(s6::Space& space, Setup setup)
    : config_(std::move(setup.config)),
      db_(std::move(setup.db)),
      log_(std::move(setup.log)),
      any_link_(setup.any_link),
      icmp_frame_addr_low_(setup.icmp_frame_addr_low),
      expire_(setup.expire),
      conns_(space, "prads.connections"),
      assets_(space, "prads.assets"),
      stats_(space, "prads.stats") {
  conns_.set_expiry(std::chrono::nanoseconds(0));  // per connection, by IdleTimeout
}

s6::Status Prads::Init(s6::Context& ctx) {
  if (expire_) ctx.AddTimer(kAssetScanPeriod, [this] { ExpireAssets(); });
  ctx.AddTimer(kStatsFlushPeriod, [this] { FlushStats(); });
  return s6::OkStatus();
}

s6::Verdict Prads::Process(s6::Packet& packet, s6::Context& /*ctx*/) {
  // `discovered` is when the packet was captured (offline, or carried by a replay), else now.
  const uint64_t ns = packet.capture_ns != 0 ? packet.capture_ns : packet.rx_ns;
  const int64_t ts = static_cast<int64_t>(ns / 1'000'000'000ull);
  if (ts > latest_ts_) latest_ts_ = ts;
  PacketView v;
  DecodeResult r;
  if (packet.ethernet) {
    r = DecodeEthernet({packet.data, packet.len}, packet.len, ts, packets_, v);
  } else if (any_link_) {
    r = DecodeRawIp({packet.data, packet.len}, ts, packets_, v);
  } else {  // PRADS reads every frame as Ethernet, so it finds nothing in these
    ++packets_.got_packets;
    ++packets_.otherl_recv;
    return s6::Verdict::kForward;
  }
  switch (r) {
    case DecodeResult::kIp: {
      Pkt p{v, HostOf(v.src), {}, Role::kNone, {}};
      Ip(p);
      break;
    }
    case DecodeResult::kArp:
      Arp(v);
      break;
    case DecodeResult::kOther:
    case DecodeResult::kMalformed:
      break;
  }
  return s6::Verdict::kForward;  // passive: every packet goes on
}

void Prads::Ip(Pkt& p) {
  const PacketView& v = p.v;
  const bool ours = config_.home_nets.Contains(v.src);
  if (v.af == 4 && v.proto == kProtoGre) {  // parse_gre: the outer host only, always
    TouchAsset(p);
    return;
  }
  TrackConnection(p);
  if (!ours) return;
  switch (v.proto) {
    case kProtoTcp:
      Tcp(p);
      return;
    case kProtoUdp:
      Udp(p);
      return;
    default:
      break;
  }
  if ((v.af == 4 && v.proto == kProtoIcmp) || (v.af == 6 && v.proto == kProtoIcmp6)) {
    Icmp(p);
  } else if (v.af == 4) {  // parse_other (IPv6 "other" is tracked, never parsed)
    TouchAsset(p);
  }
}

// PRADS's update_asset: the sender's asset notes the packet (untethered: nothing waits).
void Prads::TouchAsset(Pkt& p) {
  p.asset = assets_.get(p.host);
  p.asset->Touch(p.host, p.v.vlan, p.v.ts_sec);
}

void Prads::TrackConnection(Pkt& p) {
  const PacketView& v = p.v;
  p.conn = conns_.get_or_create(ConnKeyOf(v));
  if (!p.conn->started()) {
    p.conn->Start(v.src.bytes, v.sport, v.dst.bytes, v.dport, v.proto, v.tcp_flags,
                  IpPayloadBytes(v), v.ts_sec);
    ++local_[kStatSessions];
    p.role = Role::kNone;
  } else {
    p.role = static_cast<Role>(
        p.conn->Update(v.src.bytes, v.sport, v.tcp_flags, IpPayloadBytes(v), v.ts_sec));
  }
  if (expire_) p.conn.set_idle_timeout(IdleTimeout(*p.conn));
}

void Prads::Tcp(Pkt& p) {
  const PacketView& v = p.v;
  TouchAsset(p);
  const uint8_t f = v.tcp_flags;
  if (f & kTcpSyn) {
    if (!(f & kTcpAck)) {
      if (config_.os_syn) return TcpOs(p, Detection::kSyn);
    } else if (config_.os_synack) {
      TcpOs(p, Detection::kSynAck);
      if (p.role != Role::kServer) p.conn->Reverse();
      return;
    }
  }
  uint8_t check = p.conn->check();
  if (p.role == Role::kClient && !(check & kCxtDontCheckClient)) {
    if (config_.client_tcp && !(check & kCxtClientDontCheck)) {
      const std::vector<ServiceHit> hits = db_->services.ClientTcp(v, p.role, check);
      p.conn->set_check(check);
      LogServices(p, hits);
    }
  } else if (p.role == Role::kServer && !(check & kCxtDontCheckServer)) {
    if (config_.service_tcp && !(check & kCxtServiceDontCheck)) {
      const std::vector<ServiceHit> hits = db_->services.ServerTcp(v, p.role, check);
      p.conn->set_check(check);
      LogServices(p, hits);
    }
  } else {
    return;
  }
  // PRADS's "bastard checks": fingerprints of the connection's later packets.
  if (config_.os_ack && (f & kTcpAck) && !(f & (kTcpSyn | kTcpRst | kTcpFin))) {
    TcpOs(p, Detection::kAck);
  } else if (config_.os_fin && (f & kTcpFin)) {
    TcpOs(p, Detection::kFin);
  } else if (config_.os_rst && (f & kTcpRst)) {
    TcpOs(p, Detection::kRst);
  }
}

void Prads::Udp(Pkt& p) {
  const PacketView& v = p.v;
  TouchAsset(p);
  if (v.dport == 53) {  // udp_guess_direction: DNS decides, whatever came first
    p.role = Role::kClient;
  } else if (v.sport == 53) {
    p.role = Role::kServer;
  }
  if (!config_.service_udp) return;
  uint8_t check = p.conn->check();
  if (!(check & kCxtServiceDontCheck) || !(check & kCxtClientDontCheck)) {
    const std::vector<ServiceHit> hits = db_->services.Udp(v, p.role, check);
    // A reply from a known port makes PRADS reverse the connection (its hit has the new role).
    if (!hits.empty() && hits.back().role != p.role) {
      p.conn->Reverse();
      p.role = hits.back().role;
    }
    p.conn->set_check(check);
    LogServices(p, hits);
  }
  if (v.af == 4 && config_.os_udp) {
    if (std::optional<OsHit> hit = FingerprintUdp(v)) LogOs(p, *hit);
  }
}

void Prads::Icmp(Pkt& p) {
  const PacketView& v = p.v;
  TouchAsset(p);
  if (!config_.os_icmp || p.conn->check() != 0) return;
  p.conn->set_check(kIcmpChecked);
  // PRADS adds a second asset for an ICMPv6 sender, hiding what it knew about the host.
  if (v.af == 6) p.asset->Reset(p.host, v.vlan, v.ts_sec);
  if (std::optional<OsHit> hit = FingerprintIcmp(v, icmp_frame_addr_low_)) LogOs(p, *hit);
}

void Prads::Arp(const PacketView& v) {
  if (!config_.arp) return;
  if (s6::net::Load16(v.arp + 6) != kArpReply) return;
  IpAddr spa;
  spa.family = 4;
  std::memcpy(spa.bytes.data(), v.arp + 14, 4);
  if (!config_.home_nets.Contains(spa)) return;
  std::array<uint8_t, 6> sha;
  std::memcpy(sha.data(), v.arp + 8, 6);
  const std::string* vendor = db_->mac.Vendor(std::span<const uint8_t, 6>(sha));
  const HostKey host = HostOf(spa);
  Emit(assets_.get(host)->UpdateArp(host, sha, vendor ? *vendor : std::string(), v.vlan, v.ts_sec));
}

void Prads::TcpOs(Pkt& p, Detection d) {
  if (std::optional<OsHit> hit = db_->tcp_os.Fingerprint(p.v, d)) LogOs(p, *hit);
}

void Prads::LogOs(Pkt& p, const OsHit& hit) {
  OsUpdate u;
  u.detection = static_cast<uint8_t>(hit.detection);
  u.identity = hit.identity;
  u.info = hit.info;
  u.port = p.v.proto == kProtoTcp ? p.v.sport : 0;
  u.ttl = p.v.ttl;
  u.uptime = hit.uptime;
  u.vlan = p.v.vlan;
  u.ts = p.v.ts_sec;
  const LogLine line = p.asset->UpdateOs(p.host, u);
  if (line.created) {
    switch (hit.detection) {
      case Detection::kUdp:
        ++local_[kStatUdpOs];
        break;
      case Detection::kIcmp:
        ++local_[kStatIcmpOs];
        break;
      default:
        ++local_[kStatTcpOs];
    }
  }
  Emit(line);
}

void Prads::LogServices(Pkt& p, const std::vector<ServiceHit>& hits) {
  for (const ServiceHit& h : hits) {
    ServiceUpdate u;
    u.port = h.role == Role::kClient ? p.v.dport : p.v.sport;
    u.proto = p.v.proto;
    u.role = static_cast<uint8_t>(h.role);
    u.service = h.service;
    u.application = h.application;
    u.ttl = p.v.ttl;
    u.vlan = p.v.vlan;
    u.ts = p.v.ts_sec;
    const LogLine line = p.asset->UpdateService(p.host, u);
    if (line.created) {
      const bool server = h.role == Role::kServer;
      if (u.proto == kProtoTcp) ++local_[server ? kStatTcpServices : kStatTcpClients];
      if (u.proto == kProtoUdp) ++local_[server ? kStatUdpServices : kStatUdpClients];
    }
    Emit(line);
  }
}

void Prads::Emit(const LogLine& line) {
  if (line.text.empty()) return;
  ++local_[kStatRecords];
  if (log_) log_->Write(line.text);
}

void Prads::ExpireAssets() {
  std::vector<HostKey> dead;
  assets_.for_each_local([&](const HostKey& k, Asset& a) {
    if (a.Expire(latest_ts_, kAssetTimeout)) dead.push_back(k);
  });
  for (const HostKey& k : dead) {
    if (assets_.remove(k)) ++assets_expired_;
  }
}

void Prads::FlushStats() {
  CopyPacketCounters(packets_, local_);
  StatsDelta d;
  d.counts.resize(kStatCount);
  bool any = false;
  for (uint32_t i = 0; i < kStatCount; ++i) {
    d.counts[i] = local_[i] - flushed_[i];
    any |= d.counts[i] != 0;
  }
  s6::MwRef<GlobalStats> g = stats_.get(StatsKey{});
  if (any) {
    g->Add(d);
    flushed_ = local_;
  }
  cluster_ = g->Read();
}

std::vector<uint64_t> Prads::counters() const {
  std::vector<uint64_t> now = local_;
  CopyPacketCounters(packets_, now);
  return now;
}

void Prads::WriteStats(s6::StatsSink& out) const {
  const std::vector<uint64_t> now = counters();
  for (uint32_t i = 0; i < kStatCount; ++i) out.Counter(kStatNames[i], now[i]);
  out.Counter("assets_expired", assets_expired_);
  if (!cluster_.empty()) {
    out.Group("cluster", [this](s6::StatsSink& g) {
      for (uint32_t i = 0; i < kStatCount && i < cluster_.size(); ++i) {
        g.Counter(kStatNames[i], cluster_[i]);
      }
    });
  }
}

}  // namespace prads

// SPDX-License-Identifier: Apache-2.0
#include "decode.h"

#include <algorithm>
#include <cstring>

#include <s6/net.h>

namespace snort {
namespace {

using s6::net::Load16;
using s6::net::Load32;
constexpr uint16_t kEtherIpv4 = s6::net::kEtherTypeIpv4, kEtherIpv6 = 0x86dd,
                   kEtherVlan = s6::net::kEtherTypeVlan, kEtherQinQ = 0x88a8,
                   kEtherQinQOld = 0x9100;
constexpr uint8_t kIpTcp = s6::net::kProtoTcp, kIpUdp = s6::net::kProtoUdp,
                  kIpIcmp = s6::net::kProtoIcmp, kIpIcmp6 = 58;
constexpr uint8_t kV6HopByHop = 0, kV6Routing = 43, kV6Fragment = 44, kV6DestOpts = 60,
                  kV6NoNext = 59;
constexpr uint8_t kTcpOptEnd = 0, kTcpOptNop = 1, kTcpOptMss = 2, kTcpOptWscale = 3,
                  kTcpOptTimestamp = 8;

// Whether TCP options carry MSS, window scale or timestamps (Snort's want_flow for a SYN).
bool SynOptions(const uint8_t* opt, size_t len) {
  size_t i = 0;
  while (i < len) {
    const uint8_t kind = opt[i];
    if (kind == kTcpOptEnd) return false;
    if (kind == kTcpOptNop) {
      ++i;
      continue;
    }
    if (kind == kTcpOptMss || kind == kTcpOptWscale || kind == kTcpOptTimestamp) return true;
    if (i + 1 >= len || opt[i + 1] < 2) return false;
    i += opt[i + 1];
  }
  return false;
}

DecodeStatus Transport(const uint8_t* l4, size_t len, uint8_t proto, DecodedPacket* out) {
  PacketFacts& f = out->facts;
  PacketHeader& h = out->header;
  f.ip_proto = proto;
  const char* base = reinterpret_cast<const char*>(l4);
  switch (proto) {
    case kIpTcp: {
      if (len < 20) return DecodeStatus::kMalformed;
      const size_t off = size_t(l4[12] >> 4) * 4;
      if (off < 20 || off > len) return DecodeStatus::kMalformed;
      h.protocol = Protocol::kTcp;
      h.src_port = Load16(l4);
      h.dst_port = Load16(l4 + 2);
      f.has_tcp = true;
      f.tcp_seq = Load32(l4 + 4);
      f.tcp_ack = Load32(l4 + 8);
      f.tcp_flags = l4[13];
      f.tcp_window = Load16(l4 + 14);
      out->syn_options = (f.tcp_flags & 0x02) && SynOptions(l4 + 20, off - 20);
      out->payload = {base + off, len - off};
      break;
    }
    case kIpUdp: {
      if (len < 8) return DecodeStatus::kMalformed;
      // Snort's udp codec stops unless the UDP length is the IP payload's: the packet is then
      // an IP packet (only `ip` rules see it, with the IP payload).
      if (Load16(l4 + 4) != len) {
        h.protocol = Protocol::kIp;
        out->payload = {base, len};
        break;
      }
      h.protocol = Protocol::kUdp;
      h.src_port = Load16(l4);
      h.dst_port = Load16(l4 + 2);
      out->payload = {base + 8, len - 8};
      break;
    }
    case kIpIcmp:
    case kIpIcmp6: {
      if (len < 4) return DecodeStatus::kMalformed;
      h.protocol = Protocol::kIcmp;
      f.has_icmp = true;
      f.icmp_type = l4[0];
      f.icmp_code = l4[1];
      // Snort's ICMP header: 8 bytes for ICMPv4 (id/sequence or the type's own fields), 4
      // for ICMPv6 other than echo; echo request/reply carry id and sequence.
      const bool echo6 = proto == kIpIcmp6 && (f.icmp_type == 128 || f.icmp_type == 129);
      const size_t hlen = proto == kIpIcmp || echo6 ? 8 : 4;
      if (len < hlen) return DecodeStatus::kMalformed;
      if (hlen == 8) {
        f.icmp_id = Load16(l4 + 4);
        f.icmp_seq = Load16(l4 + 6);
      }
      out->payload = {base + hlen, len - hlen};
      break;
    }
    default:
      h.protocol = Protocol::kIp;
      out->payload = {base, len};
      break;
  }
  return DecodeStatus::kOk;
}

DecodeStatus Ipv4(const uint8_t* ip, size_t len, DecodedPacket* out) {
  if (len < 20 || (ip[0] >> 4) != 4) return DecodeStatus::kMalformed;
  const size_t ihl = size_t(ip[0] & 0x0f) * 4;
  const size_t total = Load16(ip + 2);
  // Snort's ipv4 codec: a datagram longer than what was captured is not decoded (its rules
  // never see it); trailers after it are not payload.
  if (ihl < 20 || ihl > len || total < ihl || total > len) return DecodeStatus::kMalformed;
  const size_t end = total;
  PacketFacts& f = out->facts;
  f.ttl = ip[8];
  f.ip_id = Load16(ip + 4);
  const uint16_t frag = Load16(ip + 6);
  f.frag_bits = frag & 0xe000;
  std::memcpy(out->header.src.data(), ip + 12, 4);
  std::memcpy(out->header.dst.data(), ip + 16, 4);
  if ((frag & 0x1fff) != 0) {  // not the first fragment
    out->fragment = true;
    out->header.protocol = Protocol::kIp;
    f.ip_proto = ip[9];
    return DecodeStatus::kOk;
  }
  return Transport(ip + ihl, end - ihl, ip[9], out);
}

DecodeStatus Ipv6(const uint8_t* ip, size_t len, DecodedPacket* out) {
  if (len < 40 || (ip[0] >> 4) != 6) return DecodeStatus::kMalformed;
  const size_t end = 40 + size_t(Load16(ip + 4));
  if (end > len) return DecodeStatus::kMalformed;  // as Snort's ipv6 codec
  out->header.v6 = true;
  out->facts.ttl = ip[7];
  std::memcpy(out->header.src.data(), ip + 8, 16);
  std::memcpy(out->header.dst.data(), ip + 24, 16);
  uint8_t next = ip[6];
  size_t off = 40;
  for (int hops = 0; hops < 8; ++hops) {
    if (next != kV6HopByHop && next != kV6Routing && next != kV6Fragment && next != kV6DestOpts) {
      break;
    }
    if (off + 8 > end) return DecodeStatus::kMalformed;
    const uint8_t* ext = ip + off;
    if (next == kV6Fragment) {
      const uint16_t frag = Load16(ext + 2);
      out->facts.frag_bits = (frag & 1) ? 0x2000 : 0;  // M flag, as IPv4's MF
      if ((frag & 0xfff8) != 0) {
        out->fragment = true;
        out->header.protocol = Protocol::kIp;
        out->facts.ip_proto = ext[0];
        return DecodeStatus::kOk;
      }
      next = ext[0];
      off += 8;
      continue;
    }
    const size_t ext_len = (size_t(ext[1]) + 1) * 8;
    if (off + ext_len > end) return DecodeStatus::kMalformed;
    next = ext[0];
    off += ext_len;
  }
  if (next == kV6NoNext) {
    out->header.protocol = Protocol::kIp;
    out->facts.ip_proto = next;
    return DecodeStatus::kOk;
  }
  return Transport(ip + off, end - off, next, out);
}

}  // namespace

DecodeStatus Decode(std::span<const uint8_t> frame, bool ethernet, DecodedPacket* out) {
  *out = DecodedPacket{};
  const uint8_t* p = frame.data();
  size_t len = frame.size();
  uint16_t type;
  if (ethernet) {
    if (len < 14) return DecodeStatus::kMalformed;
    type = Load16(p + 12);
    size_t off = 14;
    while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
      if (len < off + 4) return DecodeStatus::kMalformed;
      out->vlan = Load16(p + off) & 0x0fff;
      type = Load16(p + off + 2);
      off += 4;
    }
    p += off;
    len -= off;
  } else {
    if (len < 1) return DecodeStatus::kMalformed;
    type = (p[0] >> 4) == 6 ? kEtherIpv6 : kEtherIpv4;
  }
  DecodeStatus st;
  if (type == kEtherIpv4) {
    st = Ipv4(p, len, out);
  } else if (type == kEtherIpv6) {
    st = Ipv6(p, len, out);
  } else {
    return DecodeStatus::kNotIp;
  }
  out->facts.is_ip = true;
  out->facts.dsize = uint32_t(out->payload.size());
  return st;
}

}  // namespace snort

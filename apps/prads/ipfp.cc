// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see ipfp.h. fp_icmp4 and fp_udp4 share their IPv4 prologue (options
// length, the datagram end, the two early returns, the quirks); Ip4Prologue computes it once in
// frame offsets instead of pointers, so the "address" PRADS prints as idata is frame_addr_low plus
// an offset and no pointer beyond the captured bytes is ever formed.
#include "ipfp.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace prads {
namespace {

constexpr uint32_t kSnapLength = 1604;  // PRADS's SNAPLENGTH (set_pkt_end_ptr)
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoUdp = 17;

// What fp_icmp4/fp_udp4 compute from the IPv4 header before formatting.
struct Ip4Prologue {
  uint8_t ttl = 0;
  bool df = false;
  int32_t olen = 0;
  uint16_t ip_len = 0;
  uint16_t ip_off_raw = 0;  // ip4->ip_off as PRADS passes it: network bytes read little-endian
  uint8_t tos = 0;
  uint32_t end_off = 0;  // offset from the frame's first byte of PRADS's clamped end_ptr
  std::string quirks;    // "ZI", "I" or "."
};

std::optional<Ip4Prologue> ComputeIp4Prologue(const PacketView& p) {
  if (p.ip4 == nullptr || p.packet == nullptr || p.end == nullptr) return std::nullopt;
  if (p.ip4 < p.packet || p.end - p.ip4 < 20) return std::nullopt;  // header not captured
  const uint8_t* ip = p.ip4;
  const int ihl = ip[0] & 0x0f;
  Ip4Prologue out;
  bool ipopt = false;
  if (ihl - 5 >= 0) {  // PRADS: `if (olen < 0) olen = 0; else { olen *= 4; IPOPT }`
    out.olen = (ihl - 5) * 4;
    ipopt = true;
  }
  out.ip_len = static_cast<uint16_t>(ip[2] << 8 | ip[3]);
  // end_ptr = min(frame + min(wire length, SNAPLENGTH), ip header + ip_len).
  const uint32_t ip_off = static_cast<uint32_t>(p.ip4 - p.packet);
  out.end_off = std::min(std::min(p.wire_len, kSnapLength), ip_off + out.ip_len);
  if (ihl < 5) return std::nullopt;                    // "B0rked packet"
  if (ip_off + 20 > out.end_off) return std::nullopt;  // IP header ends past end_ptr
  if (ihl > 5) ipopt = true;
  // QUIRK_DATA needs ip header + ip_len + IHL < end_ptr, impossible after the clamp above.
  const bool zero_id = ip[4] == 0 && ip[5] == 0;
  if (!zero_id && !ipopt) {
    out.quirks = ".";
  } else {
    if (zero_id) out.quirks += 'Z';
    if (ipopt) out.quirks += 'I';
  }
  out.ttl = NormalizeTtl(ip[8]);
  out.df = (ip[6] & 0x40) != 0;
  out.ip_off_raw = static_cast<uint16_t>(ip[6] | ip[7] << 8);
  out.tos = ip[1];
  return out;
}

OsHit MakeHit(Detection d, std::string fp) {
  OsHit hit;
  hit.detection = d;
  // file_os: "[" raw_fp ":" (fp.os or "unknown") ":" (fp.desc or "unknown") "]"; a raw-fp record
  // has neither, no MSS (no ":link:") and no uptime.
  hit.info = fp + ":unknown:unknown";
  hit.identity = std::move(fp);
  hit.uptime = 0;
  return hit;
}

}  // namespace

uint8_t NormalizeTtl(uint8_t ttl) {
  if (ttl > 128) return 255;
  if (ttl > 64) return 128;
  if (ttl > 32) return 64;
  return 32;
}

uint8_t DebianPradsFrameAddrLow(std::size_t pcap_arg_len, std::size_t log_arg_len, bool pcapng) {
  // Rows: strlen(-r) class, columns: strlen(-l) class; class 0 is <= 23 characters (strdup's
  // 32-byte chunk), then one class per 16 characters. Measured, see the declaration.
  static constexpr uint8_t kTable[8][8] = {
      {208, 80, 80, 96, 112, 144, 144, 160},    {80, 80, 112, 96, 128, 160, 160, 160},
      {80, 112, 112, 128, 160, 160, 192, 192},  {96, 96, 128, 128, 144, 176, 176, 16},
      {112, 128, 144, 144, 192, 192, 208, 208}, {144, 160, 192, 176, 224, 224, 240, 240},
      {144, 160, 192, 176, 224, 224, 240, 240}, {160, 160, 192, 16, 208, 240, 240, 16},
  };
  auto size_class = [](std::size_t n) -> std::size_t {
    return n <= 23 ? 0 : std::min<std::size_t>(7, (n - 24) / 16 + 1);
  };
  const unsigned base = kTable[size_class(pcap_arg_len)][size_class(log_arg_len)];
  return static_cast<uint8_t>((base + (pcapng ? 28u : 0u)) & 0xffu);
}

std::optional<OsHit> FingerprintIcmp(const PacketView& p, uint8_t frame_addr_low) {
  if (p.af != 4 || p.proto != kProtoIcmp) return std::nullopt;  // fp_icmp6 records nothing
  const std::optional<Ip4Prologue> ip = ComputeIp4Prologue(p);
  if (!ip) return std::nullopt;
  // PRADS reads type and code at ip + IHL*4 without a check; we need them captured.
  const uint8_t* icmp = p.ip4 + (p.ip4[0] & 0x0f) * 4;
  if (p.end - icmp < 2) return std::nullopt;
  const unsigned idata = (frame_addr_low + ip->end_off) & 0xffu;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%u:%u:%u:%u:%u:%d:%u:%u:", idata, unsigned{icmp[0]},
                unsigned{icmp[1]}, unsigned{ip->ttl}, ip->df ? 1u : 0u, ip->olen,
                unsigned{ip->ip_len}, unsigned{ip->ip_off_raw});
  return MakeHit(Detection::kIcmp, buf + ip->quirks);
}

std::optional<OsHit> FingerprintUdp(const PacketView& p) {
  if (p.af != 4 || p.proto != kProtoUdp) return std::nullopt;
  const std::optional<Ip4Prologue> ip = ComputeIp4Prologue(p);
  if (!ip) return std::nullopt;
  // The UDP length PRADS reads feeds an argument gen_fp_udp never prints: nothing else to read.
  char buf[64];
  std::snprintf(buf, sizeof buf, "20:%u:%u:%d:%u:%u:", unsigned{ip->ttl}, ip->df ? 1u : 0u,
                ip->olen, unsigned{ip->ip_off_raw}, unsigned{ip->tos});
  return MakeHit(Detection::kUdp, buf + ip->quirks);
}

}  // namespace prads

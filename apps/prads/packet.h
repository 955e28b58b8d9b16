// SPDX-License-Identifier: Apache-2.0
// Theory of operation: one decoded frame as PRADS's detectors see it.
//
// PRADS 0.3.3 hands every detector a `packetinfo` with raw header pointers, the payload and a few
// derived values; its detection results depend on exactly which bytes those cover. PacketView is
// the same information with two safety rules PRADS lacks:
//   * nothing points past the captured bytes (`end` <= packet + caplen), and
//   * the IP total length is honoured: `payload`/`plen` stop at the end of the IP datagram, so a
//     trailer appended after it (Ethernet padding, s6-trafgen's replay trailer) is never payload.
// Detectors read headers through the pointers and must bounds-check against `end` (for header
// fields; PRADS's fp_tcp further cuts it at ip_end) or `ip_end` (for payload bytes).
// All multi-byte numbers here are host order unless the name says otherwise.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace prads {

/// Which side of its connection a packet came from (PRADS's SC_CLIENT / SC_SERVER). kNone is the
/// first packet of a connection, which PRADS never classifies.
enum class Role : uint8_t { kNone = 0, kClient = 1, kServer = 2 };

/// PRADS's per-connection `check` bits: which detectors are done for this connection.
inline constexpr uint8_t kCxtDontCheckServer = 0x01;
inline constexpr uint8_t kCxtDontCheckClient = 0x02;
inline constexpr uint8_t kCxtServiceDontCheck = 0x04;
inline constexpr uint8_t kCxtClientDontCheck = 0x08;
inline constexpr uint8_t kCxtServiceUnknownSet = 0x10;
inline constexpr uint8_t kCxtClientUnknownSet = 0x20;

/// An IPv4 or IPv6 address (IPv4 in the first 4 bytes, the rest zero).
struct IpAddr {
  uint8_t family = 0;  ///< 4 or 6 (0: unset)
  std::array<uint8_t, 16> bytes{};
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

/// inet_ntop's text form ("192.0.2.1", "2001:db8::1").
std::string FormatIp(const IpAddr& ip);

struct PacketView {
  // The frame.
  const uint8_t* packet = nullptr;  ///< first byte of the link-layer frame
  const uint8_t* end = nullptr;     ///< PRADS's end_ptr: packet + min(caplen, wire len, 1604)
  uint32_t caplen = 0;
  uint32_t wire_len = 0;
  int64_t ts_sec = 0;  ///< capture time, seconds (the `discovered` column)

  // Link layer.
  uint16_t eth_type = 0;  ///< after any 802.1Q tag
  uint16_t vlan = 0;      ///< VLAN id as PRADS prints it (0 = untagged)
  uint32_t eth_hlen = 0;  ///< 14, 18 with one tag, 22 with QinQ

  // Network layer (af 4 or 6; 0 for ARP and other link types).
  uint8_t af = 0;
  const uint8_t* ip4 = nullptr;     ///< IPv4 header, or null
  const uint8_t* ip6 = nullptr;     ///< IPv6 fixed header, or null
  const uint8_t* ip_end = nullptr;  ///< end of the IP datagram by its length field, bounded
                                    ///< by the captured bytes (not by PRADS's 1604 cut)
  uint32_t ip_hlen = 0;             ///< IHL*4, or 40
  uint8_t ttl = 0;                  ///< IPv4 TTL or IPv6 hop limit
  IpAddr src, dst;

  // Transport (TCP 6, UDP 17, ICMP 1, ICMPv6 58, other).
  uint8_t proto = 0;
  const uint8_t* l4 = nullptr;  ///< transport header, or null
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;
  const uint8_t* payload = nullptr;  ///< application bytes, ending at ip_end
  uint32_t plen = 0;

  // ARP (eth_type 0x0806, whole ARP body captured).
  const uint8_t* arp = nullptr;
};

/// PRADS's packet counters (its `-v` statistics at exit), plus what PRADS does not count: frames
/// too short or inconsistent to decode.
struct PacketCounters {
  uint64_t got_packets = 0, eth_recv = 0, vlan_recv = 0, arp_recv = 0, ip4_recv = 0, ip6_recv = 0,
           otherl_recv = 0, ip4ip_recv = 0, ip6ip_recv = 0, gre_recv = 0, tcp_recv = 0,
           udp_recv = 0, icmp_recv = 0, othert_recv = 0;
  uint64_t malformed = 0;  ///< truncated or inconsistent headers: counted and dropped
};

enum class DecodeResult : uint8_t {
  kIp,         ///< an IPv4/IPv6 packet (innermost, after IP-in-IP or GRE): view.af != 0
  kArp,        ///< an ARP frame: view.arp != null
  kOther,      ///< another ethertype or an unhandled tunnel: nothing to detect
  kMalformed,  ///< truncated/inconsistent: counted in `malformed`, nothing to detect
};

/// Decodes an Ethernet frame (802.1Q and QinQ tags, IPv4/IPv6, IP-in-IP, GRE) into `view` and
/// counts it as PRADS does. `frame` is what was captured; `wire_len` the original length.
DecodeResult DecodeEthernet(std::span<const uint8_t> frame, uint32_t wire_len, int64_t ts_sec,
                            PacketCounters& counters, PacketView& view);

/// Decodes a raw IPv4 or IPv6 datagram (no link layer: raw IP, Linux SLL or loopback captures
/// after their link header), by its version nibble. PRADS itself reads every frame as Ethernet.
DecodeResult DecodeRawIp(std::span<const uint8_t> datagram, int64_t ts_sec,
                         PacketCounters& counters, PacketView& view);

}  // namespace prads

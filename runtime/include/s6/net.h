// SPDX-License-Identifier: Apache-2.0
// File: s6/net.h
//
// Packet parsing and checksum helpers for network functions: IPv4 with TCP, UDP and ICMP over
// Ethernet (or raw IP), the Internet checksum, and RFC 1624 incremental checksum updates.
//
// Theory of operation: ParseIpv4 validates a frame once (every length against the bytes
// present) and returns offsets into it, so an NF rewrites fields in place and never reads past
// the frame. Anything it cannot vouch for is an error value, never undefined behaviour: a
// malformed packet is counted and dropped by the caller. Multi-byte fields are big-endian on
// the wire; the accessors convert. Incremental updates (HC' = ~(~HC + ~m + m')) let a NAT
// rewrite an address or port without summing the whole packet, and are exact, including the
// 0x0000/0xffff corner cases of RFC 1624.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <s6/codec.h>
#include <s6/status.h>

namespace s6::net {

inline uint16_t Load16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
inline uint32_t Load32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void Store16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Store32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

/// One's-complement sum of `n` bytes (big-endian 16-bit words; an odd last byte is padded),
/// added to `sum`, not folded.
inline uint32_t OnesSum(const uint8_t* p, std::size_t n, uint32_t sum = 0) noexcept {
  uint64_t acc = sum;
  std::size_t i = 0;
  for (; i + 1 < n; i += 2) acc += Load16(p + i);
  if (i < n) acc += uint32_t{p[i]} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint32_t>(acc);
}

/// The Internet checksum (RFC 1071) of `n` bytes starting from partial sum `sum`.
inline uint16_t InternetChecksum(const uint8_t* p, std::size_t n, uint32_t sum = 0) noexcept {
  uint32_t s = OnesSum(p, n, sum);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

/// RFC 1624 eqn. 3: the checksum after a 16-bit word of the covered data changed.
inline uint16_t ChecksumAdjust16(uint16_t check, uint16_t old_word, uint16_t new_word) noexcept {
  uint32_t s = uint32_t{static_cast<uint16_t>(~check)} + uint16_t(~old_word) + new_word;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

/// The checksum after a 32-bit field (two words) of the covered data changed.
inline uint16_t ChecksumAdjust32(uint16_t check, uint32_t old_v, uint32_t new_v) noexcept {
  check = ChecksumAdjust16(check, static_cast<uint16_t>(old_v >> 16),
                           static_cast<uint16_t>(new_v >> 16));
  return ChecksumAdjust16(check, static_cast<uint16_t>(old_v), static_cast<uint16_t>(new_v));
}

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;

/// Why a frame is not a usable IPv4 packet.
enum class ParseError : uint8_t {
  kOk = 0,
  kNotIpv4,      ///< another ethertype or IP version (not an error for the NF: pass it on)
  kTruncated,    ///< shorter than its headers claim
  kBadHeader,    ///< IHL < 5, total length < header length
  kBadChecksum,  ///< the IPv4 header checksum does not verify
  kFragment,     ///< a non-first fragment (no transport header to look at)
  kShortL4,      ///< the transport header is cut off
};
std::string_view ParseErrorName(ParseError e) noexcept;

/// Offsets and fields of a validated IPv4 packet within its frame.
struct Ipv4Packet {
  std::size_t l3 = 0;      ///< offset of the IPv4 header
  std::size_t l4 = 0;      ///< offset of the transport header
  std::size_t l3_len = 0;  ///< IPv4 total length (bytes of the frame beyond it are padding)
  uint8_t proto = 0;
  uint32_t src = 0;  ///< host order
  uint32_t dst = 0;
  uint16_t sport = 0;  ///< TCP/UDP ports; ICMP echo: the identifier in sport
  uint16_t dport = 0;
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  bool first_fragment_of_many = false;  ///< MF set, offset 0: ports present, rest elsewhere
};

/// A flow's 5-tuple in one direction, addresses and ports in host order. For ICMP echo the
/// identifier stands in for the source port. The one flow key of the runtime, the tools and the
/// NFs; `s6::KeyHash` and the object space take it as a map key (its codec is below).
struct FiveTuple {
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t proto = 0;

  /// The same flow seen from the other side.
  constexpr FiveTuple Reversed() const noexcept {
    return {dst_ip, src_ip, dst_port, src_port, proto};
  }
  friend bool operator==(const FiveTuple&, const FiveTuple&) = default;
  friend auto operator<=>(const FiveTuple&, const FiveTuple&) = default;
};

/// "proto src:sport > dst:dport", e.g. "tcp 10.0.0.1:1234 > 192.0.2.9:80" (for logs, errors).
std::string FormatTuple(const FiveTuple& t);

/// Validates `frame` (Ethernet II with at most one VLAN tag when `ethernet`, else raw IPv4)
/// as an IPv4 packet with a complete TCP, UDP or ICMP header (other protocols: l4 only).
/// `verify_checksum` false skips the IP header checksum: captures taken on a host with checksum
/// offload carry 0 or garbage there (as Snort's `-k none`, for captures).
ParseError ParseIpv4(std::span<const uint8_t> frame, bool ethernet, Ipv4Packet& out,
                     bool verify_checksum = true) noexcept;

/// The packet's 5-tuple (ICMP: identifier as source port, 0 as destination port).
inline FiveTuple TupleOf(const Ipv4Packet& p) noexcept {
  return {p.src, p.dst, p.sport, p.dport, p.proto};
}

/// How the frames of a capture start, from its pcap link type: how many bytes to skip to
/// reach the Ethernet or IPv4 header, and which of the two it is.
struct LinkLayer {
  uint32_t skip = 0;     ///< bytes before the header the NF sees (Linux SLL: 16, loopback: 4)
  bool ethernet = true;  ///< Ethernet II (else raw IPv4)
  int linktype = 1;      ///< the capture's link type (LINKTYPE_/DLT_ value), for writing back
};

/// The one place link types are accepted: Ethernet (1), raw IP (12, 14, 101, 228), Linux
/// cooked SLL (113), BSD loopback / null (0, 108). Anything else is an InvalidArgument error
/// naming the link type.
StatusOr<LinkLayer> LinkLayerFor(int linktype);

/// The transport checksum's pseudo-header sum for `p` (TCP and UDP).
uint32_t PseudoHeaderSum(const Ipv4Packet& p) noexcept;

/// Recomputes, from scratch, the IPv4 header checksum and the TCP/UDP/ICMP checksum of `p` in
/// `frame` and reports whether both were correct (UDP checksum 0 means "none" and passes).
bool ChecksumsValid(std::span<const uint8_t> frame, const Ipv4Packet& p) noexcept;

/// Formats a host-order IPv4 address as dotted quad.
std::string FormatIpv4(uint32_t ip);
/// Parses a dotted quad into host order; false on anything else.
bool ParseIpv4Address(std::string_view s, uint32_t& out) noexcept;

/// s6-trafgen's replay carries each packet's original capture time at the very end of the
/// frame, after the IPv4 datagram and its probe: "S6CT" and the time in ns (big endian). The
/// instance reads it into Packet::capture_ns, so an NF sees when the packet was captured.
inline constexpr uint32_t kCaptureTimeBytes = 12;
/// Writes the capture-time block (kCaptureTimeBytes) at `at`.
void WriteCaptureTime(uint8_t* at, uint64_t capture_ns) noexcept;
/// The capture time a replayed frame carries at its end, or 0 when it carries none.
uint64_t ReadCaptureTime(std::span<const uint8_t> frame) noexcept;

}  // namespace s6::net

namespace s6 {

/// FiveTuple's canonical bytes (fields in declaration order), so it is a map key and a state
/// field like any s6c-encoded struct.
template <>
struct Codec<net::FiveTuple> {
  static constexpr std::size_t kMinSize = 4 + 4 + 2 + 2 + 1;
  static void Encode(ByteWriter& w, const net::FiveTuple& t) {
    Codec<uint32_t>::Encode(w, t.src_ip);
    Codec<uint32_t>::Encode(w, t.dst_ip);
    Codec<uint16_t>::Encode(w, t.src_port);
    Codec<uint16_t>::Encode(w, t.dst_port);
    Codec<uint8_t>::Encode(w, t.proto);
  }
  static bool Decode(ByteReader& r, net::FiveTuple& t) {
    return Codec<uint32_t>::Decode(r, t.src_ip) && Codec<uint32_t>::Decode(r, t.dst_ip) &&
           Codec<uint16_t>::Decode(r, t.src_port) && Codec<uint16_t>::Decode(r, t.dst_port) &&
           Codec<uint8_t>::Decode(r, t.proto);
  }
};

}  // namespace s6

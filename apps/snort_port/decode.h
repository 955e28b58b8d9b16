// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the Snort port's packet decoder. It turns one frame into what the
// engine and the stream need: the rule header view (protocol, addresses, ports), the packet
// facts options test (TTL, IP id and fragment bits, TCP flags/sequence/window, ICMP type, code,
// id and sequence), the transport payload (Snort's p->data / dsize) and, for TCP, whether a SYN
// carries the options that make Snort track it.
//
// Layers: Ethernet II with any number of 802.1Q/802.1ad tags (or raw IP when the link has no
// Ethernet header), IPv4, IPv6 with its extension headers (hop-by-hop, routing, fragment,
// destination options), then TCP, UDP, ICMP or ICMPv6. Any other next protocol is an IP
// packet whose payload is the IP payload (Snort's ip rules see the IP payload then).
//
// Bounds, as Snort's codecs: the IP total / payload length ends the packet (an Ethernet trailer
// is not payload); a datagram longer than what was captured (a snaplen cut), a frame shorter
// than a header it announces, an IPv4 header length below 20 or a TCP data offset below 20 is
// malformed — counted by the caller and not inspected, as Snort does not decode it. A UDP
// length other than the IP payload's makes the packet a plain IP packet. Non-first IPv4/IPv6
// fragments carry no transport header: they are IP packets with their content disabled (Snort
// inspects the reassembled datagram, which this port does not rebuild); a first fragment is decoded
// like a whole packet.
//
// Not decoded: tunnels (GRE, IP-in-IP, Teredo), MPLS, PPPoE, checksums (as Snort with -k none).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "detect.h"

namespace snort {

/// One decoded packet. Views point into the frame.
struct DecodedPacket {
  PacketHeader header;
  PacketFacts facts;
  std::string_view payload;  ///< transport payload, or the IP payload for other protocols
  bool fragment = false;     ///< a non-first fragment (no transport header)
  bool syn_options = false;  ///< a SYN with an MSS, window-scale or timestamp option
  uint16_t vlan = 0;         ///< innermost VLAN id (0: none)
};

enum class DecodeStatus : uint8_t {
  kOk,
  kNotIp,      ///< ARP, LLDP, ...: nothing for IP rules
  kMalformed,  ///< truncated or inconsistent headers
};

/// Decodes `frame` (`ethernet`: it starts with an Ethernet header, else with the IP header).
DecodeStatus Decode(std::span<const uint8_t> frame, bool ethernet, DecodedPacket* out);

}  // namespace snort

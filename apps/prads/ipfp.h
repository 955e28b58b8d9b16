// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's ICMP and UDP "OS fingerprints" (ipfp/icmp_fp.c, udp_fp.c,
// ipfp.c). These are not matched against any signature file: PRADS formats a few IPv4 header
// fields into a raw fingerprint and stores it with update_asset_os(pi, CO_ICMP/CO_UDP, raw_fp,
// NULL, 0); a new one is logged by file_os as `[<raw_fp>:unknown:unknown]` (the record has no
// os/desc strings, no MSS and no uptime). An asset keeps one record per distinct raw text.
//
//   ICMP  "<idata>:<type>:<code>:<ttl>:<df>:<olen>:<ip_len>:<ip_off>:<quirks>"
//   UDP   "20:<ttl>:<df>:<olen>:<ip_off>:<tos>:<quirks>"
//
// with PRADS's quirks reproduced on purpose:
//   * ttl is normalize_ttl(TTL) (32/64/128/255); df is 0/1;
//   * olen is (IHL-5)*4, and the 'I' quirk is set whenever IHL >= 5, i.e. always (an
//     `olen < 0` test where `<= 0` was meant); 'Z' (zero IP id) comes before it; "." only for no
//     quirk, which cannot happen;
//   * ip_off is the raw network-order field read as a little-endian host integer (DF = "64");
//   * the ICMP format has 8 numbers for 9 arguments, so the TOS is never printed;
//   * idata is `end_ptr - payload` with payload always NULL: the low byte of the ADDRESS of the
//     end of the IP datagram (min(frame + min(wire length, 1604), ip header + ip_len)) in
//     libpcap's packet buffer. That address depends on the heap layout of that prads run (e.g.
//     on the lengths of its -r and -l arguments, +28 for pcapng blocks) and stays constant for a
//     run as long as the buffer is not reallocated. The caller supplies the low byte of the
//     frame's first byte (`frame_addr_low`); everything else is a pure function of the packet.
//
// fp_icmp6 only printf()s to stdout and records nothing, so ICMPv6 yields no hit.
// Invariants: header fields are read only below `view.end`; the datagram end used for idata is
// arithmetic only (PRADS's end_ptr may lie beyond the captured bytes; nothing is read there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "detection.h"
#include "packet.h"

namespace prads {

/// ipfp.c / sys_func.c normalize_ttl: the initial TTL a host probably used (32, 64, 128, 255).
uint8_t NormalizeTtl(uint8_t ttl);

/// The low byte of the address at which Debian's prads held the frame in
/// /tmp/pr/assets.log's reference run on prads_crafted.pcap ("170:8:0:64:1:0:76:64:I" for a
/// 76-byte echo request: 0x50 + 14 + 76 = 170 mod 256).
inline constexpr uint8_t kPradsFrameAddrLow = 0x50;

/// An empirical model of frame_addr_low for Debian's prads 0.3.3-7 (amd64, libpcap 1.10.3, glibc
/// 2.36) run as `prads -r R -l L -c C` with ICMP fingerprinting on (measured with
/// /tmp/prads-ref/all.conf; C's length does not matter): the packet buffer's place in the heap
/// depends only on the 16-byte malloc size classes of strlen(R) and strlen(L) (classes up to 135
/// characters were measured; longer ones use the last class and may be wrong), plus 28 for a
/// pcapng file (the block header precedes the frame in the buffer). It reproduces every ICMP
/// record of /tmp/prads-ref/all/*.log. It stops holding once a frame longer than 2048 bytes makes
/// libpcap reallocate its buffer.
uint8_t DebianPradsFrameAddrLow(std::size_t pcap_arg_len, std::size_t log_arg_len, bool pcapng);

/// fp_icmp4 (IPv4 ICMP) / fp_icmp6 (ICMPv6: always nullopt): the hit PRADS would pass to
/// update_asset_os, or nullopt where PRADS returns early (IHL < 5, IP header not ending before the
/// datagram's end) or the ICMP type/code are not captured. `frame_addr_low`: see the file comment.
std::optional<OsHit> FingerprintIcmp(const PacketView& p,
                                     uint8_t frame_addr_low = kPradsFrameAddrLow);

/// fp_udp4 (IPv4 UDP only; PRADS has no IPv6 UDP fingerprint): the hit, or nullopt where PRADS
/// returns early.
std::optional<OsHit> FingerprintUdp(const PacketView& p);

}  // namespace prads

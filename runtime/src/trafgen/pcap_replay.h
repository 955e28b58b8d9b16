// SPDX-License-Identifier: Apache-2.0
// File: trafgen/pcap_replay.h
//
// Replay of a capture file as s6-trafgen's traffic: real packets, in file order, looped.
//
// Theory of operation: Load reads the whole capture into memory (captures used for replay are
// small, and the data path must not read files), keeping the IPv4 TCP, UDP and ICMP packets
// that a link can carry: Ethernet frames as captured (a VLAN tag included) cut at the end of
// the IPv4 datagram (dropping padding and any old trailer), raw IPv4 datagrams with an
// Ethernet header put in front. Everything else — another link type, non-IPv4 frames, other IP
// protocols, fragments, packets cut short by the capture, frames over 1514 bytes — is counted
// as skipped. A file libpcap cannot read to its end is an error, not a short replay.
//
// Each packet's 5-tuple (ICMP echo: the identifier as source port) numbers its flow within the
// file, and its position within that flow gives its sequence; loop L of the file gives flow f
// the run-unique id L * flows + f, so every loop is a fresh set of flows (a flow repeated by
// the next loop is new to the tracker's reordering and state checks). Build copies the frame
// and appends a trailer after the datagram — the probe, then the packet's capture time
// (s6::net::WriteCaptureTime), which the instance hands to the NF as Packet::capture_ns —
// leaving headers and payload as they were. A frame is at most 1514 bytes before its trailer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <s6/status.h>
#include "trafgen/traffic.h"

namespace s6::trafgen {

class PcapReplay {
 public:
  /// Reads `path`. InvalidArgument if it is not a capture libpcap can read to its end.
  static StatusOr<PcapReplay> Load(const std::string& path);

  /// The next packet in file order, wrapping around (a new loop) at the end. Needs !empty().
  GenPacket Next();
  /// Writes `p`'s frame into `out` (at least kMaxReplayFrame bytes) with a trailer: the probe
  /// (send time `tx_ns`) and the packet's capture time; returns the frame length.
  /// `probed` is always true (kept for the synthetic generator's interface).
  uint32_t Build(const GenPacket& p, uint64_t tx_ns, uint8_t* out, bool& probed) const;

  bool empty() const { return packets_.empty(); }
  /// Replayable packets in the file, and the distinct flows among them.
  std::size_t packets() const { return packets_.size(); }
  uint32_t flows() const { return flows_; }
  /// Packets of the file that are not replayed (see the theory of operation).
  uint64_t skipped() const { return skipped_; }
  /// Completed passes over the file, and the flows started so far (run-unique ids).
  uint64_t loops() const { return loop_; }
  uint64_t flows_started() const;

 private:
  struct Packet {
    std::vector<uint8_t> frame;  // Ethernet, ending with the IPv4 datagram
    net::FiveTuple tuple;
    uint32_t flow = 0;  // within the file
    uint32_t seq = 0;   // within the flow
    uint8_t tcp_flags = 0;
    bool last = false;        // the flow's final packet in the file
    uint64_t capture_ns = 0;  // its timestamp in the capture, carried in the trailer
  };
  PcapReplay() = default;

  std::vector<Packet> packets_;
  uint32_t flows_ = 0;
  uint64_t skipped_ = 0;
  std::size_t next_ = 0;
  uint64_t loop_ = 0;
};

}  // namespace s6::trafgen

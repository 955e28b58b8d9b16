// SPDX-License-Identifier: Apache-2.0
// s6-nat: the NAT network function, offline. Reads a capture, translates every inside->outside
// TCP/UDP/ICMP-echo packet (and replies to translated flows) in order, and writes what the NAT
// forwards to another capture; prints the counters as JSON (the NAT's under "nat").
//
//   s6-nat --pcap-in IN --pcap-out OUT --public-ip A.B.C.D [--public-ip ...] [--inside CIDR]...
//          [--port-range LO-HI] [--shards N] [--ip-checksums verify|ignore] [--stats-json FILE]
//
// The host's offline runner (s6/host.h) does the rest: the clock follows the capture, link
// types are s6::net::LinkLayerFor's. Exit status: 0 ok, 1 runtime error, 2 usage or bad input.
#include <s6/host.h>

#include "nat.h"

int main(int argc, char** argv) {
  nat::NatConfig config;
  // Captures are often taken with checksum offload (IP checksum 0 on outbound packets); verify
  // only when asked (--ip-checksums verify), as Snort reads captures with -k none.
  config.verify_ip_checksum = false;
  return s6::host::OfflineMain(argc, argv, nat::NatDefinition(config));
}

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: an alert as Snort prints it. `AlertEvent` is what a rule match becomes
// (everything the output needs, copied out of the rule and the packet, so it can be shipped
// or merged); FormatFast is Snort's alert_fast line, FormatJson one JSON object per line with
// Snort 3's alert_json field names. Times are the packet's capture time, printed in local time
// as Snort does (UTC here: set TZ for another zone).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "detect.h"
#include "rules.h"

namespace snort {

struct AlertEvent {
  uint64_t ts_ns = 0;  ///< capture time of the packet that raised it
  uint32_t gid = 1, sid = 0, rev = 0;
  std::string msg;
  std::string classification;  ///< the classtype's text ("" when none)
  uint32_t priority = 0;
  std::string proto;  ///< "TCP", "UDP", "ICMP" or "IP"
  std::string src, dst;
  uint16_t src_port = 0, dst_port = 0;
  bool has_ports = false;  ///< TCP and UDP print ports
};

/// An address as Snort prints it (`v6`: all 16 bytes, else the first 4).
std::string AddressText(const std::array<uint8_t, 16>& addr, bool v6);

/// The event `rule` raises on a packet with `header`, captured at `ts_ns`.
AlertEvent MakeEvent(const Rule& rule, const PacketHeader& header, uint64_t ts_ns);

/// `MM/DD-HH:MM:SS.uuuuuu [**] [gid:sid:rev] "msg" [**] [Classification: text] [Priority: N]
/// {PROTO} src:port -> dst:port` (no classification part without one, no ports for ICMP/IP).
std::string FormatFast(const AlertEvent& e);

/// One JSON object: timestamp, proto, src_addr, src_port, dst_addr, dst_port, src_ap, dst_ap,
/// rule ("gid:sid:rev"), gid, sid, rev, msg, class, priority.
std::string FormatJson(const AlertEvent& e);

}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: what a detector reports, and how signature files report their problems.
//
// Detectors are pure: given the signature databases, one PacketView and (for service detectors)
// the connection's `check` bits, they return hits. Whether a hit becomes a log record is the asset
// table's decision (assets.h), made exactly as PRADS's update_asset_os / update_asset_service do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "packet.h"

namespace prads {

/// PRADS's OS detection methods, in the order of its log's `service` column names.
enum class Detection : uint8_t { kSyn, kSynAck, kAck, kFin, kRst, kUdp, kIcmp };

/// "SYN", "SYNACK", "ACK", "FIN", "RST", "UDP", "ICMP".
std::string_view DetectionName(Detection d) noexcept;
/// The log's `proto` column for a detection: 6, 17 or 1.
int DetectionProto(Detection d) noexcept;

/// One OS fingerprint, as PRADS would log it if it is new for the asset.
struct OsHit {
  Detection detection = Detection::kSyn;
  /// The text between the log line's brackets, e.g.
  /// "S4:62:1:60:M1460,S,T,N,W7:.:Linux:2.6 (newer, 7):link:ethernet/modem:uptime:0hrs".
  std::string info;
  /// What PRADS compares to decide "already known" for this asset and detection: for TCP the
  /// identity of the matched signature's os/desc strings (unknown fingerprints share one
  /// identity), for UDP/ICMP the raw fingerprint text.
  std::string identity;
  /// The TCP timestamp PRADS keeps as `uptime` (0: none).
  uint32_t uptime = 0;
};

/// One service or client identification (PRADS's update_asset_service arguments).
struct ServiceHit {
  Role role = Role::kNone;  ///< recorded as SERVER (kServer) or CLIENT (anything else)
  std::string service;      ///< e.g. "http", or "unknown" for a port-name fallback
  std::string application;  ///< e.g. "Apache 2.2.12 (Ubuntu)", or "@domain"
};

/// What loading one signature file did. A bad line is skipped and described here as
/// "file:line: reason"; the rest of the file still loads.
struct LoadReport {
  std::string file;
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  std::vector<std::string> errors;
};

}  // namespace prads

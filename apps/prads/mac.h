// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's MAC vendor table (mac.c load_mac / match_mac).
//
// The ARP record PRADS logs, `[00:1B:21:AA:BB:CC,(IntelCorpo)]`, prints the sender MAC with
// hex2mac and, inside the parentheses, the `vendor` of the mac.sig entry match_mac returns: the
// first whitespace-separated word after the address (at most 127 characters; sscanf "%127s"), so
// the Wireshark short name ("IntelCorpo"), never the "# Intel Corporate" comment.
//
// Which entry wins is decided by PRADS's hash table, so it is reproduced exactly:
//   * an entry is filed in bucket hash_mac(bytes parsed, number of bytes parsed) (bucket chains
//     keep file order); its mask is the "/n" given, else 8 x bytes parsed;
//   * a lookup for a 48-bit MAC scans the bucket of its first 6, 5, ..., 1 bytes, returning the
//     first entry in the chain that matches under the entry's own mask; failing that it scans
//     the 255 buckets after the 1-byte bucket, then after the 2-byte bucket, ... after the 6-byte
//     one ("the ditch"). So a /36 entry is found only if its bucket happens to lie within 255 of
//     one of those six buckets, and a broader entry can win over a more specific one.
//
// Parsing follows load_mac character by character (fgets chunks of 1023 bytes, hex pairs with
// any separators, "/n" read by strtol and truncated to 8 bits, unknown characters skipped).
// Deviation, on purpose: lines that would corrupt PRADS's memory or match every MAC (no address
// bytes, more than 6 bytes, a mask above 48) are skipped and reported; PRADS loads every line.
//
// Invariants: immutable after Load/Parse; movable; lookups never read outside the 6-byte MAC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>

#include "detection.h"

namespace prads {

/// One mac.sig entry as load_mac stores it (its mac_entry, without the unused comment).
struct MacEntry {
  uint8_t bytes[6] = {};  ///< the address bytes parsed (the rest zero)
  uint8_t octets = 0;     ///< how many bytes the line gave (1..6): decides the hash bucket
  uint8_t mask = 0;       ///< prefix length in bits (1..48)
  std::string vendor;     ///< the word PRADS prints; may be empty (a line with no vendor)
  uint32_t line = 0;      ///< line number in the file (PRADS's fgets chunks)
};

/// The MAC vendor table, with PRADS's lookup order.
class MacDatabase {
 public:
  /// PRADS's MAC_HASHSIZE (mac.h; config.c's mac_hashsize).
  static constexpr uint32_t kHashSize = 19963;

  /// Reads and parses `path`. Fails only if the file cannot be read; bad lines are skipped and
  /// described in `report` (which may be null) as "file:line: reason".
  static s6::StatusOr<MacDatabase> Load(const std::string& path, LoadReport* report);

  /// Parses a whole file's text; `name` names it in the report. Never fails.
  static MacDatabase Parse(std::string_view text, std::string_view name, LoadReport* report);

  /// The vendor text PRADS prints for this MAC (match_mac(db, mac, 48)->vendor), or nullptr
  /// when PRADS finds no entry (the ARP record then has no "(vendor)").
  const std::string* Vendor(std::span<const uint8_t, 6> mac) const;

  /// The entry PRADS's match_mac returns, or nullptr.
  const MacEntry* Match(std::span<const uint8_t, 6> mac) const;

  std::size_t size() const { return entries_.size(); }
  const std::vector<MacEntry>& entries() const { return entries_; }

 private:
  const MacEntry* ScanBucket(uint32_t bucket, std::span<const uint8_t, 6> mac) const;
  const MacEntry* MatchLevel(std::span<const uint8_t, 6> mac, int octets) const;

  std::vector<MacEntry> entries_;  // file order
  // Bucket b's chain is order_[start_[b] .. start_[b+1]), indices into entries_ in file order.
  std::vector<uint32_t> start_;
  std::vector<uint32_t> order_;
};

/// PRADS's hash_mac(bytes, octets) % MAC_HASHSIZE.
uint32_t PradsMacHash(std::span<const uint8_t> bytes);

/// hex2mac: "00:1B:21:AA:BB:CC" exactly as PRADS formats it (upper-case hex).
std::string FormatMac(std::span<const uint8_t, 6> mac);

}  // namespace prads

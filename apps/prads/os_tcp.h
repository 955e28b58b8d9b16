// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's passive TCP OS fingerprinting (sig_tcp.c, a port of p0f v2).
//
// Loading: each of the five p0f-v2 files (tcp-syn.fp, tcp-synack.fp, tcp-stray-ack.fp,
// tcp-fin.fp, tcp-rst.fp) becomes a TcpSignatureTable: the signatures in file order, plus PRADS's
// 241-bucket hash (SIGHASH of size, option count, quirks and DF) whose buckets list signatures in
// file order. The hash is not an optimisation detail here: PRADS looks in exactly one bucket, so
// a signature with a wildcard size (hashed as size 0) is found only by packets whose own hash
// lands in the same bucket, and the first match in bucket order wins. A bad line is skipped and
// reported (PRADS exits on it).
//
// Matching a packet (TcpOsDatabase::Fingerprint) follows fp_tcp -> find_match -> update_asset_os
// -> file_os: the packet's fingerprint (TTL, DF, size, options, MSS, window scale, window,
// quirks, timestamp) is looked up, retried with DF forced to 1 when DF was 0 (the forced value
// stays in the printed fingerprint, match or not), and printed as file_os prints a new OS record.
// The "link" text comes from PRADS's compiled-in MTU table (mtu.h): PRADS 0.3.3 never reads
// /etc/prads/mtu.sig (its "3G WAN" entry appears in real prads logs, mtu.sig has none).
//
// Invariants: no mutable state after Load; Fingerprint reads header fields only below
// `view.end`, whatever the lengths inside the packet claim.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>

#include "detection.h"
#include "packet.h"

namespace prads {

/// One signature line as PRADS's load_sigs stores it (its fp_entry), with C's integer
/// truncations applied (e.g. a TTL of 300 in the file is 44).
struct TcpSignature {
  std::string os;    ///< genre without its '-', '*', '@' prefixes
  std::string desc;  ///< description
  bool no_detail = false, generic = false, userland = false;  ///< the '*', '@', '-' prefixes
  uint16_t wsize = 0;
  uint8_t wsize_mod = 0;  ///< 0 constant, 1 modulo ('%n' or '*'), 2 MSS multiple, 3 MTU multiple
  uint8_t ttl = 0;
  uint8_t df = 0;
  bool zero_stamp = true;  ///< no 'T' option, or only 'T0': matches packets without a timestamp
  uint16_t size = 0;       ///< 0: '*' (any size >= 100)
  uint8_t optcnt = 0;
  std::array<uint8_t, 16> opt{};  ///< TCP option kinds
  uint16_t wsc = 0, mss = 0;
  uint8_t wsc_mod = 0, mss_mod = 0;  ///< 0 constant, 1 modulo
  uint32_t quirks = 0;
  uint32_t line = 0;    ///< line number in the file (PRADS's fgets chunks)
  uint32_t bucket = 0;  ///< PRADS's SIGHASH bucket, from the unconverted file values
};

/// One signature file, loaded with PRADS's load_sigs semantics.
class TcpSignatureTable {
 public:
  /// PRADS's sig_hashsize (SIG_HASHSIZE in sig.h, the value config.c uses).
  static constexpr uint32_t kHashSize = 241;

  /// Parses `text` (a whole file) named `file` for error messages. Never fails: bad lines are
  /// skipped and described in the returned report.
  static TcpSignatureTable Parse(std::string_view text, const std::string& file,
                                 LoadReport* report);

  bool loaded() const { return loaded_; }
  const std::vector<TcpSignature>& signatures() const { return sigs_; }
  /// Indices into signatures() of bucket `b`, in file order.
  const std::vector<uint32_t>& bucket(uint32_t b) const { return buckets_[b % kHashSize]; }

 private:
  bool loaded_ = false;  // false: PRADS did not load this file, so never calls find_match
  std::vector<TcpSignature> sigs_;
  std::array<std::vector<uint32_t>, kHashSize> buckets_;
};

/// PRADS's lookup_link(mss, 1) with a non-zero MSS: the link type named by MTU = MSS + 40 in
/// PRADS's built-in table, or "unknown-<mtu>" (the sum is 16-bit, as in PRADS).
std::string TcpLinkName(uint16_t mss);

/// The five TCP signature databases, one per detection.
class TcpOsDatabase {
 public:
  /// Absolute paths of the signature files. An empty path means "not loaded" (PRADS with that
  /// detection disabled): packets are then fingerprinted without matching (always unknown).
  /// `mtu` is accepted for configuration symmetry but never read (see the file comment).
  struct Paths {
    std::string syn, synack, ack, fin, rst, mtu;
  };

  /// PRADS's default file names under `dir`.
  static Paths DefaultPaths(std::string_view dir = "/etc/prads");

  /// Fails only if a file cannot be opened; appends one LoadReport per file to `reports`
  /// (which may be null), in the order syn, synack, ack, fin, rst.
  static s6::StatusOr<TcpOsDatabase> Load(const Paths& paths, std::vector<LoadReport>* reports);

  /// Builds a database from already-parsed tables (tests, or files read elsewhere).
  static TcpOsDatabase FromTables(TcpSignatureTable syn, TcpSignatureTable synack,
                                  TcpSignatureTable ack, TcpSignatureTable fin,
                                  TcpSignatureTable rst);

  /// PRADS's fp_tcp for detection d (kSyn, kSynAck, kAck, kFin or kRst): nullopt exactly where
  /// PRADS returns before calling update_asset_os (and for any other detection, a non-TCP view,
  /// or a TCP header not inside the captured bytes); otherwise the hit.
  std::optional<OsHit> Fingerprint(const PacketView& p, Detection d) const;

  /// The table used for a TCP detection (kSyn..kRst); null for kUdp/kIcmp.
  const TcpSignatureTable* table(Detection d) const;

 private:
  std::array<TcpSignatureTable, 5> tables_;  // indexed by Detection kSyn..kRst
};

}  // namespace prads

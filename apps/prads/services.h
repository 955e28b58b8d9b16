// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's service and client identification (its servicefp/).
//
// Three signature lists are read from text files whose lines are
// `service,v/app/version/info/,regex` (tcp-service.sig, tcp-clients.sig, udp-service.sig). A
// payload is run through one list in file order; the first regex that matches names the service
// and, with `$n` replaced by capture group n, the application ("Apache 2.2.12 (Ubuntu)"). When no
// regex matches, a port PRADS knows from its built-in table gives an "@name" application for
// service "unknown". Each detector returns the update_asset_service calls PRADS would make, in
// order, and updates the connection's `check` bits exactly as PRADS does (that is what stops
// further matching on a connection).
//
// Fidelity notes (details in services.cc):
//   * Regexes are compiled with PCRE2 using PRADS's PCRE1 options (none) and the same 5-pair
//     ovector, so "too many groups" and unset groups behave alike. On every payload of the test
//     corpus, PCRE2 gives the same result and offsets as Debian's PCRE 8.39 for all of /etc/prads.
//   * PRADS never loads a UDP client list but hands it to service_udp6, so IPv6 UDP only ever gets
//     the known-port fallback. That list is kept (always empty) so the code says what PRADS does.
//
// Invariants: the database is immutable after loading, except for one PCRE2 match-data block it
// owns; the detector methods are therefore const but NOT thread-safe: call them from one thread
// (each worker owns its own database). Never reads outside [payload, payload + plen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>

#include "detection.h"
#include "packet.h"

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace prads {

/// The service/client signature databases and PRADS's known-port table.
class ServiceDatabase {
 public:
  /// Where the three signature files are. An empty path loads nothing for that list (as PRADS does
  /// when that detector is disabled in its configuration) and produces no LoadReport.
  struct Paths {
    std::string tcp_service;  ///< PRADS sig_file_serv_tcp
    std::string tcp_clients;  ///< PRADS sig_file_cli_tcp
    std::string udp_service;  ///< PRADS sig_file_serv_udp
  };
  /// The file contents, for building a database without files (tests, embedded signatures).
  struct Texts {
    std::string_view tcp_service, tcp_clients, udp_service;
  };

  /// `dir`/tcp-service.sig, `dir`/tcp-clients.sig, `dir`/udp-service.sig (PRADS's defaults).
  static Paths DefaultPaths(std::string_view dir = "/etc/prads");

  /// Reads and parses the files. Fails only if a (non-empty) path cannot be opened. One LoadReport
  /// per file read is appended to `reports` (if not null), in PRADS's loading order: tcp_service,
  /// udp_service, tcp_clients. Bad lines are skipped and reported as "file:line: reason".
  static s6::StatusOr<ServiceDatabase> Load(const Paths& paths, std::vector<LoadReport>* reports);

  /// Like Load, from texts already in memory; `names` only names the files in the reports (an
  /// empty name skips that list).
  static ServiceDatabase Parse(const Paths& names, const Texts& texts,
                               std::vector<LoadReport>* reports);

  ServiceDatabase(ServiceDatabase&&) noexcept;
  ServiceDatabase& operator=(ServiceDatabase&&) noexcept;
  ~ServiceDatabase();

  /// PRADS's service_tcp4/service_tcp6 (chosen by p.af), with parse_tcp's guard: runs only for a
  /// server packet (`sc` == kServer) whose connection has neither CXT_DONT_CHECK_SERVER nor
  /// CXT_SERVICE_DONT_CHECK in `check`. `check` is the connection's check bits, updated in place.
  std::vector<ServiceHit> ServerTcp(const PacketView& p, Role sc, uint8_t& check) const;

  /// PRADS's client_tcp4/client_tcp6, with parse_tcp's guard: runs only for a client packet whose
  /// connection has neither CXT_DONT_CHECK_CLIENT nor CXT_CLIENT_DONT_CHECK.
  std::vector<ServiceHit> ClientTcp(const PacketView& p, Role sc, uint8_t& check) const;

  /// PRADS's service_udp4 (IPv4, udp-service.sig) or service_udp6 (IPv6, the never-loaded UDP
  /// client list: known ports only), with parse_udp's guard: skipped only when both
  /// CXT_SERVICE_DONT_CHECK and CXT_CLIENT_DONT_CHECK are set. `sc` may be kNone (a connection's
  /// first packet): signatures still run, the port fallback does not.
  ///
  /// A hit whose role differs from `sc` means PRADS called reverse_pi_cxt just before that
  /// update_asset_service call: the connection's two ends were swapped and its c_asset/s_asset
  /// cleared, and pi->sc flipped for the rest of the packet's processing (parse_udp's fp_udp4
  /// runs after this). `check` already shows the reset (0) plus the bit PRADS then set.
  std::vector<ServiceHit> Udp(const PacketView& p, Role sc, uint8_t& check) const;

  /// PRADS's check_known_port: the "@name" application for TCP (6) or UDP (17) `port`, or ""
  /// when PRADS has no name for it.
  std::string_view KnownPort(uint8_t proto, uint16_t port) const;

  /// How many signatures each list holds.
  std::size_t tcp_service_size() const noexcept;
  std::size_t tcp_clients_size() const noexcept;
  std::size_t udp_service_size() const noexcept;

 private:
  struct Signature;
  struct KnownPortEntry {
    uint16_t port;
    uint8_t protos;  ///< bit 0x01 TCP, 0x02 UDP (PRADS's servicelist.proto)
    std::string name;
  };
  struct MatchDataFree {
    void operator()(pcre2_real_match_data_8* md) const noexcept;
  };
  /// How a detector treats a pcre match return code: service_tcp takes rc >= 0 as a match, the
  /// others anything but "no match" (so a PCRE error such as the match limit counts as a match).
  enum class MatchRule : uint8_t { kNonNegative, kNotNoMatch };

  ServiceDatabase();

  /// Runs `list` over the first `window` payload bytes; at the first match, appends its hit (role
  /// `sc`) to `hits` and returns true.
  bool MatchList(const std::vector<Signature>& list, const PacketView& p, uint32_t window,
                 MatchRule rule, Role sc, std::vector<ServiceHit>& hits) const;
  /// The port fallback of service_udp4/6 (after no signature matched).
  void UdpKnownPort(const PacketView& p, Role sc, uint8_t& check,
                    std::vector<ServiceHit>& hits) const;

  std::vector<Signature> tcp_service_, tcp_clients_, udp_service_;
  std::vector<Signature> udp_clients_;       ///< PRADS's config.sig_client_udp: never loaded, empty
  std::vector<KnownPortEntry> known_ports_;  ///< sorted by port
  std::unique_ptr<pcre2_real_match_data_8, MatchDataFree> match_;
};

}  // namespace prads

// SPDX-License-Identifier: Apache-2.0
// Theory of operation: PRADS 0.3.3's configuration (config.c set_default_config_options and
// parse_config_file/parse_line) and its home-network filter (prads.c parse_nets, parse_network,
// parse_netmask, filter_packet).
//
// prads.conf syntax, exactly as parse_line reads it: the file is split at '\n'; a line that is
// empty or starts with '#' is skipped; anything from the first '#' on is dropped; the line must
// contain '='; the key is everything before the first '=' lower-cased but NOT trimmed (so
// "arp = 1" sets nothing: its key is "arp "); the value is what follows, with spaces and tabs
// (only) trimmed at both ends; there is no quoting. A switch is on iff its value's first
// character is '1' ("true" is off, "10" is on). daemon and ringbuffer, once on, stay on (PRADS
// only sets them while they are off). The last home_nets wins; it is parsed once, at the end.
// PRADS silently ignores unknown keys and lines without '='; here they are reported as
// "file:line: reason" (and still ignored), as are switch values other than "0"/"1" (applied as
// PRADS applies them) and home_nets entries PRADS would skip or mangle.
//
// home_nets (filter_packet) reproduces PRADS's arithmetic, quirks included:
//   * IPv4: (ip & mask) == (net & mask); a CIDR length above 32 wraps as the x86 shift does.
//   * IPv6 CIDR masks are built in network byte order and then byte-swapped per 32-bit word
//     ("pcap packets are in host order"), so /48 masks bytes 0-3 and 6-7; a mask written as an
//     address ("ffff:ffff::") is not swapped. Matching compares the two 64-bit halves of
//     (ip & mask) with the network address (not masked) and calls it a match unless some bit
//     differs in BOTH halves: ((hi ^ net_hi) & (lo ^ net_lo)) == 0. Hence e.g. 2001:db8::/32
//     matches every IPv6 address.
//   * Parsing stops at the first entry whose address does not parse (later entries are lost); an
//     entry without "/mask" is ignored; at most 128 networks. With no network at all, no address
//     is a home address.
// Deviations (PRADS reads uninitialised memory or overflows a buffer): an entry whose mask does
// not parse, or an IPv6 CIDR length above 128, is skipped and reported.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>

#include "packet.h"

namespace prads {

/// PRADS's DEFAULT_NETS: every address is a home address.
inline constexpr std::string_view kPradsDefaultNets = "0.0.0.0/0,::/0";

/// PRADS's home networks (its `network[]`/`nets` globals) and filter_packet.
class HomeNets {
 public:
  /// One parsed network, as PRADS stores it (fmask).
  struct Net {
    uint8_t family = 0;              ///< 4 or 6
    std::array<uint8_t, 16> addr{};  ///< network address (IPv4 in the first 4 bytes)
    std::array<uint8_t, 16> mask{};  ///< mask bytes as stored (IPv6 CIDR: word-swapped)
  };
  /// PRADS's MAX_NETS.
  static constexpr std::size_t kMaxNets = 128;

  /// No network: Contains() is false for every address (PRADS when home_nets parses to nothing).
  HomeNets() = default;

  /// parse_nets on `text` ("10.0.0.0/8,192.168.0.0/255.255.0.0,2001:db8::/32"). Problems are
  /// appended to `problems` (may be null) as plain reasons, without file/line.
  static HomeNets Parse(std::string_view text, std::vector<std::string>* problems);

  /// Parse(kPradsDefaultNets).
  static HomeNets Default();

  /// filter_packet: is `ip` (IPv4 or IPv6) inside one of the networks of its family?
  bool Contains(const IpAddr& ip) const;

  const std::vector<Net>& nets() const { return nets_; }

 private:
  std::vector<Net> nets_;
};

/// What prads.conf can set, with PRADS's defaults (set_default_config_options).
struct PradsConfig {
  // Detectors (PRADS's cof/ctf bits). Defaults: SYN, SYNACK, RST, FIN, TCP server and client,
  // UDP services and MAC on; ARP, stray ACK, UDP and ICMP fingerprints off.
  bool arp = false;         ///< arp (CS_ARP)
  bool service_tcp = true;  ///< service_tcp (CS_TCP_SERVER)
  bool client_tcp = true;   ///< client_tcp (CS_TCP_CLIENT)
  bool service_udp = true;  ///< service_udp (CS_UDP_SERVICES); also gates os_udp in PRADS
  bool os_syn = true;       ///< os_syn_fingerprint (CO_SYN)
  bool os_synack = true;    ///< os_synack_fingerprint (CO_SYNACK)
  bool os_ack = false;      ///< os_ack_fingerprint (CO_ACK)
  bool os_rst = true;       ///< os_rst_fingerprint (CO_RST)
  bool os_fin = true;       ///< os_fin_fingerprint (CO_FIN)
  bool os_udp = false;      ///< os_udp (CO_UDP)
  bool os_icmp = false;     ///< os_icmp (CO_ICMP)
  bool mac = true;          ///< mac (CS_MAC): load mac.sig (vendor names in ARP records)

  /// home_nets, parsed (filter_packet), and its text as last given.
  HomeNets home_nets = HomeNets::Default();
  std::string home_nets_text{kPradsDefaultNets};

  /// PRADS's CONFDIR (Debian: /etc/prads). Not a prads.conf key.
  std::string sig_dir = "/etc/prads";
  /// The signature paths prads.conf can override (unset: sig_dir + PRADS's default name).
  std::optional<std::string> sig_file_serv_tcp, sig_file_cli_tcp, sig_file_serv_udp, mac_file;
  /// sig_file_cli_udp: accepted by PRADS, which never loads it (no default either).
  std::optional<std::string> sig_file_cli_udp;

  std::string ServTcpFile() const { return Path(sig_file_serv_tcp, "tcp-service.sig"); }
  std::string CliTcpFile() const { return Path(sig_file_cli_tcp, "tcp-clients.sig"); }
  std::string ServUdpFile() const { return Path(sig_file_serv_udp, "udp-service.sig"); }
  std::string MacFile() const { return Path(mac_file, "mac.sig"); }
  // Not settable in prads.conf 0.3.3 (keys like sig_file_syn in its comments are ignored).
  std::string SynFile() const { return sig_dir + "/tcp-syn.fp"; }
  std::string SynAckFile() const { return sig_dir + "/tcp-synack.fp"; }
  std::string AckFile() const { return sig_dir + "/tcp-stray-ack.fp"; }
  std::string FinFile() const { return sig_dir + "/tcp-fin.fp"; }
  std::string RstFile() const { return sig_dir + "/tcp-rst.fp"; }
  std::string DhcpFile() const { return sig_dir + "/dhcp.fp"; }

  // Process and output settings: parsed and kept, not used by the detectors.
  bool daemon = false;                                 ///< daemon (sticky once on)
  bool ringbuffer = false;                             ///< ringbuffer (sticky once on)
  std::optional<std::string> pid_file;                 ///< pid_file (PRADS: none)
  std::string user = "1";                              ///< user (PRADS default "1")
  std::string group = "1";                             ///< group (PRADS default "1")
  std::optional<std::string> chroot_dir;               ///< chroot_dir
  std::optional<std::string> interface;                ///< interface (PRADS: pcap's default device)
  std::string bpfilter;                                ///< bpfilter (PRADS default "")
  std::optional<std::string> bpf_file;                 ///< bpf_file
  std::string asset_log = "/var/log/prads-asset.log";  ///< asset_log (LOGDIR PRADS_ASSETLOG)
  std::optional<std::string> fifo;                     ///< fifo
  std::optional<std::string> output;                   ///< output: accepted and ignored by PRADS

 private:
  std::string Path(const std::optional<std::string>& set, std::string_view name) const {
    return set ? *set : sig_dir + "/" + std::string(name);
  }
};

/// Defaults, then the file's keys. Fails only if the file cannot be read (PRADS then carries on
/// with the defaults). A bad line is reported in `warnings` (may be null) as "file:line: reason".
s6::StatusOr<PradsConfig> LoadConfig(const std::string& path, std::vector<std::string>* warnings);

/// The same parser on text (for tests and for config passed inline); `name` names it in warnings.
PradsConfig ParseConfigText(std::string_view text, std::string_view name,
                            std::vector<std::string>* warnings);

}  // namespace prads

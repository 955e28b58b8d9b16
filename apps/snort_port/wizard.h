// SPDX-License-Identifier: Apache-2.0
// Theory of operation: service identification as Snort 3's default configuration does it
// (lua/snort.lua's binder, lua/snort_defaults.lua's default_wizard, service_inspectors/wizard/).
//
// The binder names a service from the flow's server port for the protocols the wizard cannot
// recognise (dns on 53, sunrpc on 111/tcp, modbus, gtp, iec104, opcua, cip); every other flow
// goes to the wizard, which looks at the first bytes each side sends:
//  - spells (case-insensitive; `*` matches any run of octets, `**` is a literal `*`): ftp
//  ("220*FTP"), http (request
//    methods, "HTTP/"), imap, pop3, sip, smtp, ssh;
//  - hexes (exact octets; `?` matches one): ssl (|16 03| from either side), telnet (IAC
//    commands).
// A TCP side is searched across segments (the bytes are kept until a spell matches or none
// can), up to kMaxSearchBytes; a UDP flow only on its first packet. A client side rarely
// stops early: the spell "* * HTTP/" can match any text until it has seen two spaces and no
// "HTTP/", and even then only a later line could. Once no spell can match on
// either side the wizard gives up and the flow stays without a service.
//
// Not identified: the curses (DCE/RPC over TCP, UDP and SMB, MMS, OPC UA, S7comm+, SOCKS,
// SSLv2 client hellos), dnp3, netflow, http2, dce_http_server/proxy.
//
// State is plain data (WizardState) so it lives in the flow's S6 object.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace snort {

/// Octets searched per side before giving up (every default spell is decided well within
/// this; a chunk that crosses the limit is still searched whole).
inline constexpr size_t kMaxSearchBytes = 8192;  // the wizard's max_search_depth

/// One flow's identification progress. Plain data.
struct WizardState {
  bool done = false;                ///< identified or given up
  std::array<std::string, 2> seen;  ///< [0] client -> server, [1] server -> client octets
  std::array<bool, 2> side_done{};  ///< no spell can match this side any more
  /// Per side, a bit per spell (in the wizard's order) that can no longer match, so a later
  /// segment re-checks only the spells still possible.
  std::array<std::array<uint64_t, 2>, 2> ruled_out{};
};

/// The binder's service for a flow whose server listens on `server_port` ("" when none).
/// `proto` is the IP protocol (6 or 17).
std::string_view ServiceForPort(uint8_t proto, uint16_t server_port);

/// Feeds the next in-order octets one side sent (`from_client`), `tcp` for a TCP flow (a UDP
/// flow is searched on its first packet only). Returns the service once identified, "" while
/// searching or after giving up (then `w.done`). On a match, `w.seen` of that side still holds
/// every octet it sent so far (Snort rescans them with the service's splitter): the caller
/// takes them and clears `w.seen`.
std::string_view WizardFeed(WizardState& w, bool from_client, bool tcp, std::string_view bytes);

}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// PRADS on S6: passive real-time asset detection, record for record as PRADS 0.3.3 does it.
//
// Theory of operation
// -------------------
// Every frame is decoded (packet.h) and goes through PRADS's own sequence (prads.c): connection
// tracking for TCP, UDP, ICMP and other IP traffic (whoever sent the first packet is the client;
// a SYN+ACK from the "client" reverses the connection), then — for sources inside the home
// networks — the host's asset is touched and the detectors run: OS fingerprints on SYN, SYN+ACK,
// stray ACK, FIN and RST (os_tcp.h), TCP server and client services and UDP services
// (services.h), UDP and ICMP OS fingerprints (ipfp.h), and ARP replies with the MAC's vendor
// (mac.h). A hit is shipped to the host's Asset at its home, which decides whether it is a new or
// changed record and returns the log line; the line is written to this instance's asset log.
//
// State on S6 (prads_state.h; the reasons are in README.md): the connection is a SingleWriter
// (every packet of a flow needs it, so it moves with the flow); the asset a MultiWriter (many
// flows on many instances update one host) whose per-packet touch is untethered and whose record
// decisions are strict, because the log line depends on the answer; the cluster's statistics a
// MultiWriter fed by each instance's deltas once a second and read stale. Signature databases
// are read-only configuration, loaded once per instance and shared by its packets.
//
// Expiry follows PRADS's timeouts on the instance clock (which follows the capture offline):
// connections after 300 s idle (TCP, other), 60 s (UDP, ICMP) or 5 s once both sides sent a FIN
// or one sent an RST; records and assets not seen for 86400 s, checked every 60 s. s6-prads -r
// leaves it off by default, as `prads -r` effectively does (Setup::expire).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <s6/host.h>
#include <s6/map.h>
#include <s6/nf.h>
#include <s6/status.h>

#include "config.h"
#include "detection.h"
#include "ipfp.h"
#include "mac.h"
#include "os_tcp.h"
#include "packet.h"
#include "prads_state.s6.h"
#include "services.h"

namespace prads {

/// The signature databases of one instance (read-only once loaded).
struct Databases {
  TcpOsDatabase tcp_os;
  ServiceDatabase services;
  MacDatabase mac;
  std::vector<LoadReport> reports;  ///< one per file, in load order

  /// Loads every database `config` names. Fails only when a file cannot be opened.
  static s6::StatusOr<std::shared_ptr<const Databases>> Load(const PradsConfig& config);
};

/// The asset log: PRADS's CSV, appended to (the header only when the file is new), one line
/// per record, flushed per line as PRADS does (records are rare; a reader may tail it).
class AssetLog {
 public:
  static constexpr const char* kHeader =
      "asset,vlan,port,proto,service,[service-info],distance,discovered";
  /// Opens (creating with the header, or appending to) `path`.
  static s6::StatusOr<std::unique_ptr<AssetLog>> Open(const std::string& path);
  ~AssetLog();
  AssetLog(const AssetLog&) = delete;
  AssetLog& operator=(const AssetLog&) = delete;

  void Write(const std::string& line);
  uint64_t lines() const { return lines_; }

 private:
  explicit AssetLog(std::FILE* f) : file_(f) {}
  std::FILE* file_;
  uint64_t lines_ = 0;
};

/// Indexes of the cluster-wide counters (GlobalStats) — PRADS's `-v` statistics.
enum StatIndex : uint32_t {
  kStatGotPackets,
  kStatEth,
  kStatVlan,
  kStatArp,
  kStatIp4,
  kStatIp6,
  kStatOtherLink,
  kStatIp4Ip,
  kStatIp6Ip,
  kStatGre,
  kStatTcp,
  kStatUdp,
  kStatIcmp,
  kStatOtherTransport,
  kStatMalformed,
  kStatSessions,
  kStatTcpOs,
  kStatUdpOs,
  kStatIcmpOs,
  kStatTcpServices,
  kStatUdpServices,
  kStatTcpClients,
  kStatUdpClients,
  kStatRecords,
  kStatCount
};
/// JSON names of StatIndex, in order.
extern const char* const kStatNames[kStatCount];

class Prads final : public s6::NetworkFunction {
 public:
  /// Everything an instance of the NF needs besides its Space.
  struct Setup {
    PradsConfig config;
    std::shared_ptr<const Databases> db;
    std::unique_ptr<AssetLog> log;  ///< may be null: records are counted, not written
    /// Decode raw-IP, Linux SLL and loopback captures (PRADS reads every frame as Ethernet,
    /// so by default those frames count as "other link" and nothing is detected in them).
    bool any_link = false;
    /// The first field of an ICMP fingerprint is, in PRADS, the low byte of a buffer address
    /// (ipfp.h); this is the value it would have.
    uint8_t icmp_frame_addr_low = kPradsFrameAddrLow;
    /// Expire connections and assets (PRADS's timeouts, on the instance clock). PRADS checks
    /// them against the wall clock once a minute, so `prads -r` over a capture read in less
    /// than a minute never expires anything; s6-prads -r does the same unless --expire.
    bool expire = true;
  };
  /// Registers the maps in `space`.
  Prads(s6::Space& space, Setup setup);

  s6::Status Init(s6::Context& ctx) override;
  s6::Verdict Process(s6::Packet& packet, s6::Context& ctx) override;
  void WriteStats(s6::StatsSink& out) const override;

  /// This instance's counters (indexed by StatIndex), current.
  std::vector<uint64_t> counters() const;
  s6::MwMap<HostKey, Asset>& assets() { return assets_; }
  s6::SwMap<ConnKey, Connection>& connections() { return conns_; }

 private:
  struct Pkt;  // one packet's decoded view and its connection (prads.cc)

  void Ip(Pkt& p);
  void Tcp(Pkt& p);
  void Udp(Pkt& p);
  void Icmp(Pkt& p);
  void Arp(const PacketView& v);
  void TrackConnection(Pkt& p);
  void TouchAsset(Pkt& p);
  void TcpOs(Pkt& p, Detection d);
  void LogOs(Pkt& p, const OsHit& hit);
  void LogServices(Pkt& p, const std::vector<ServiceHit>& hits);
  void Emit(const LogLine& line);
  void ExpireAssets();
  void FlushStats();

  PradsConfig config_;
  std::shared_ptr<const Databases> db_;
  std::unique_ptr<AssetLog> log_;
  bool any_link_;
  uint8_t icmp_frame_addr_low_;
  bool expire_;
  s6::SwMap<ConnKey, Connection> conns_;
  s6::MwMap<HostKey, Asset> assets_;
  s6::MwMap<StatsKey, GlobalStats> stats_;
  PacketCounters packets_;
  std::vector<uint64_t> local_ = std::vector<uint64_t>(kStatCount, 0);
  std::vector<uint64_t> flushed_ = std::vector<uint64_t>(kStatCount, 0);
  std::vector<uint64_t> cluster_;  ///< last stale read of GlobalStats
  uint64_t assets_expired_ = 0;
  int64_t latest_ts_ = 0;  ///< newest capture time seen (PRADS's tstamp)
};

/// What s6-prads and s6-prads-instance are told on their command lines.
struct PradsOptions {
  std::string config_path;  ///< prads.conf ("": PRADS's defaults)
  std::string asset_log;    ///< the asset log ("{id}" becomes the instance id; "": none)
  std::string sig_dir;      ///< overrides the signature directory ("": the config's)
  std::string home_nets;    ///< overrides the config's home_nets ("": keep)
  bool any_link = false;    ///< see Prads::Setup::any_link
  uint8_t icmp_frame_addr_low = kPradsFrameAddrLow;  ///< see Prads::Setup
  bool expire = true;                                ///< see Prads::Setup
  bool quiet = false;  ///< no per-file load counts on stderr (bad lines are still reported)
  /// PRADS's flag pickers (-X, -F, -R, -M, -S, -A, -K, -U, -T, -I, -t), applied in order after
  /// the config file, as PRADS applies them.
  std::string flag_picks;
};

/// Applies PRADS's flag-picker letters to `config` (unknown letters are ignored).
void ApplyFlagPicks(std::string_view picks, PradsConfig& config);

/// Loads the configuration and databases `options` name, reporting the databases' load counts
/// and bad lines on stderr (`program: file: loaded N, skipped M` / `file:line: reason`).
s6::StatusOr<Prads::Setup> LoadSetup(const PradsOptions& options, uint32_t instance_id,
                                     std::string_view program);

/// The NF as the host runs it (s6-prads-instance); `options` must outlive its use.
s6::host::NfDefinition PradsDefinition(PradsOptions& options);

}  // namespace prads

// SPDX-License-Identifier: Apache-2.0
// PRADS state classes (input of s6c).
//
//  - Connection (SingleWriter, per connection): PRADS's cxt. Keyed by the two endpoints in a
//    canonical order (PRADS matches connections on addresses and ports only, not the protocol).
//    It records which endpoint is the client and which detectors are done (`check` bits). Every
//    packet of the connection needs it, so it moves to whichever instance handles the flow.
//  - Asset (MultiWriter, per IP address): PRADS's asset with its OS and service records. Packets
//    of many connections (on many instances) update the same host, so it stays at its home and
//    calls are shipped there. The record decisions — "is this fingerprint new for this host?",
//    "did this service change?" — run at the home and return the log line to write (empty: none),
//    so the caller waits only when a detector fired (strict); the per-packet "seen at" update is
//    S6_UNTETHER (nothing waits on it, FIFO with the same caller's later strict calls).
//  - GlobalStats (MultiWriter, one object): PRADS's `-v` counters for the whole cluster. Each
//    instance counts locally and adds its deltas with an untethered call once per flush period;
//    reports read it stale.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <s6/object.h>

namespace prads {

/// An asset's key: the host's address (PRADS keeps one asset per address, whatever the VLAN).
struct HostKey {
  uint8_t family = 0;  ///< 4 or 6
  std::array<uint8_t, 16> addr{};
};

/// A connection's key: both endpoints, the lower (address, port) first.
struct ConnKey {
  uint8_t family = 0;
  std::array<uint8_t, 16> lo_addr{};
  uint16_t lo_port = 0;
  std::array<uint8_t, 16> hi_addr{};
  uint16_t hi_port = 0;
};

class Connection : public s6::SingleWriter {
 public:
  /// First packet (PRADS's cxt_new): its source is the client; the packet itself has no role.
  void Start(const std::array<uint8_t, 16>& src, uint16_t sport, const std::array<uint8_t, 16>& dst,
             uint16_t dport, uint8_t proto, uint8_t flags, uint32_t bytes, int64_t ts) {
    client_addr_ = src;
    client_port_ = sport;
    server_addr_ = dst;
    server_port_ = dport;
    proto_ = proto;
    client_flags_ = flags;
    client_bytes_ = bytes;
    client_packets_ = 1;
    start_ts_ = last_ts_ = ts;
    started_ = true;
  }
  bool started() const { return started_; }
  /// A later packet: 1 (client) or 2 (server), PRADS's cxt_update_client/server.
  uint8_t Update(const std::array<uint8_t, 16>& src, uint16_t sport, uint8_t flags, uint32_t bytes,
                 int64_t ts) {
    last_ts_ = ts;
    if (src == client_addr_ && sport == client_port_) {
      client_flags_ |= flags;
      client_bytes_ += bytes;
      ++client_packets_;
      return 1;
    }
    server_flags_ |= flags;
    server_bytes_ += bytes;
    ++server_packets_;
    return 2;
  }
  /// PRADS's reverse_pi_cxt (a SYN+ACK from the "client", a UDP reply from a known port): the
  /// sides swap, and every detector may run again.
  void Reverse() {
    std::swap(client_addr_, server_addr_);
    std::swap(client_port_, server_port_);
    std::swap(client_flags_, server_flags_);
    std::swap(client_bytes_, server_bytes_);
    std::swap(client_packets_, server_packets_);
    check_ = 0;
  }
  uint8_t check() const { return check_; }
  void set_check(uint8_t c) { check_ = c; }
  uint8_t proto() const { return proto_; }
  uint8_t client_flags() const { return client_flags_; }
  uint8_t server_flags() const { return server_flags_; }
  int64_t last_ts() const { return last_ts_; }
  uint64_t packets() const { return client_packets_ + server_packets_; }

 private:
  std::array<uint8_t, 16> client_addr_{}, server_addr_{};
  uint16_t client_port_ = 0, server_port_ = 0;
  uint8_t proto_ = 0;
  uint8_t check_ = 0;
  uint8_t client_flags_ = 0;
  uint8_t server_flags_ = 0;
  uint64_t client_bytes_ = 0, server_bytes_ = 0;
  uint64_t client_packets_ = 0, server_packets_ = 0;
  int64_t start_ts_ = 0, last_ts_ = 0;
  bool started_ = false;
  S6_STATE(Connection);
};

/// One OS fingerprint of a host (PRADS's os_asset).
struct OsRecord {
  uint8_t detection = 0;  ///< prads::Detection
  std::string identity;   ///< what "the same fingerprint" means (detection.h)
  uint16_t port = 0;
  uint8_t ttl = 0;
  uint32_t uptime = 0;
  int64_t first_seen = 0, last_seen = 0;
};

/// One service or client of a host (PRADS's serv_asset).
struct ServiceRecord {
  uint16_t port = 0;
  uint8_t proto = 0;
  uint8_t role = 0;  ///< 2: server, else client
  std::string service, application;
  uint32_t attempts = 0;
  uint8_t ttl = 0;
  int64_t first_seen = 0, last_seen = 0;
};

/// A detection shipped to the asset's home: what PRADS's update_asset_os receives.
struct OsUpdate {
  uint8_t detection = 0;
  std::string identity;
  std::string info;  ///< the log's bracket text for a new record
  uint16_t port = 0;
  uint8_t ttl = 0;
  uint32_t uptime = 0;
  uint16_t vlan = 0;
  int64_t ts = 0;
};

/// A log line decided at an asset's home: `text` is empty when nothing is to be logged;
/// `created` tells a new record from a changed one (PRADS counts only new ones).
struct LogLine {
  std::string text;
  bool created = false;
};

/// update_asset_service's arguments.
struct ServiceUpdate {
  uint16_t port = 0;
  uint8_t proto = 0;
  uint8_t role = 0;
  std::string service, application;
  uint8_t ttl = 0;
  uint16_t vlan = 0;
  int64_t ts = 0;
};

/// What a host looks like from a report (stale reads).
struct AssetSummary {
  uint16_t vlan = 0;
  int64_t first_seen = 0, last_seen = 0;
  uint32_t os_records = 0, service_records = 0;
  bool has_mac = false;
};

class Asset : public s6::MultiWriter {
 public:
  /// PRADS's update_asset: the host sent a packet (created on first use).
  void Touch(const HostKey& key, uint16_t vlan, int64_t ts) S6_UNTETHER {
    Init(key, vlan, ts);
    vlan_ = vlan;
    last_seen_ = ts;
  }
  /// PRADS's add_asset over an existing host (its ICMPv6 path does that): a fresh asset that
  /// hides everything known so far, so records are logged again.
  void Reset(const HostKey& key, uint16_t vlan, int64_t ts) S6_UNTETHER {
    os_.clear();
    services_.clear();
    mac_ = {};
    vendor_.clear();
    has_vendor_ = false;
    initialized_ = false;
    Init(key, vlan, ts);
  }
  /// PRADS's update_asset_os: the line to log when the fingerprint is new for this host.
  LogLine UpdateOs(const HostKey& key, const OsUpdate& u);
  /// PRADS's update_asset_service: the line to log when the service is new or changed.
  LogLine UpdateService(const HostKey& key, const ServiceUpdate& u);
  /// PRADS's update_asset_arp (`vendor`: mac.sig's name for `mac`, "" if none): the line to
  /// log when the host's MAC address changed.
  LogLine UpdateArp(const HostKey& key, const std::array<uint8_t, 6>& mac,
                    const std::string& vendor, uint16_t vlan, int64_t ts);
  /// PRADS's update_asset_list for this host at time `now`: drops records (and reports whether
  /// the whole asset is) older than `timeout` seconds.
  bool Expire(int64_t now, int64_t timeout);

  AssetSummary Summary() const S6_STALE_MS(1000) {
    return {vlan_,
            first_seen_,
            last_seen_,
            static_cast<uint32_t>(os_.size()),
            static_cast<uint32_t>(services_.size()),
            has_mac()};
  }
  int64_t last_seen() const { return last_seen_; }
  std::vector<OsRecord> os() const { return os_; }
  std::vector<ServiceRecord> services() const { return services_; }

 private:
  void Init(const HostKey& key, uint16_t vlan, int64_t ts) {
    if (initialized_) return;
    initialized_ = true;
    key_ = key;
    vlan_ = vlan;
    first_seen_ = last_seen_ = ts;
  }
  bool has_mac() const { return mac_ != std::array<uint8_t, 6>{}; }

  bool initialized_ = false;
  HostKey key_;
  uint16_t vlan_ = 0;
  int64_t first_seen_ = 0, last_seen_ = 0;
  std::vector<OsRecord> os_;             ///< newest first, as PRADS's list
  std::vector<ServiceRecord> services_;  ///< newest first
  std::array<uint8_t, 6> mac_{};
  std::string vendor_;
  bool has_vendor_ = false;
  S6_STATE(Asset);
};

/// PRADS's `-v` statistics, cluster-wide (see the file comment).
struct StatsDelta {
  std::vector<uint64_t> counts;  ///< indexed by prads::StatIndex
};

/// The single GlobalStats object's key.
struct StatsKey {
  uint32_t id = 0;
};

class GlobalStats : public s6::MultiWriter {
 public:
  void Add(const StatsDelta& d) S6_UNTETHER {
    if (counts_.size() < d.counts.size()) counts_.resize(d.counts.size());
    for (size_t i = 0; i < d.counts.size(); ++i) counts_[i] += d.counts[i];
  }
  std::vector<uint64_t> Read() const S6_STALE_MS(1000) { return counts_; }
  std::vector<uint64_t> ReadExact() const { return counts_; }

 private:
  std::vector<uint64_t> counts_;
  S6_STATE(GlobalStats);
};

}  // namespace prads

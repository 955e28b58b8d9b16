// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the asset table's rules, as PRADS 0.3.3's assets.c applies them, run at
// the asset's home (prads_state.h). A record is logged when it is new; a service record is also
// logged when it changes — at once from a port-name guess ("@name") to a real identification,
// otherwise only after more than 200 disagreeing sightings (MAX_SERVICE_CHECK). OS records are
// "the same" when their detection and identity agree (detection.h). The line is formatted here,
// with the host's current VLAN and the record's TTL, exactly as PRADS's log_file.c prints it.
#include <algorithm>

#include "detection.h"
#include "ipfp.h"
#include "mac.h"
#include "prads_state.h"

namespace prads {
namespace {

constexpr uint32_t kMaxServiceCheck = 200;
constexpr int64_t kUpdateWindow = 60;  // PRADS's SIG_ALRM: records are aged only when recent

std::string HostText(const HostKey& key) {
  IpAddr ip;
  ip.family = key.family;
  ip.bytes = key.addr;
  return FormatIp(ip);
}

std::string Prefix(const HostKey& key, uint16_t vlan, uint16_t port, int proto) {
  return HostText(key) + "," + std::to_string(vlan) + "," + std::to_string(port) + "," +
         std::to_string(proto) + ",";
}

std::string Suffix(uint8_t ttl, int64_t ts) {
  return "," + std::to_string(int{NormalizeTtl(ttl)} - int{ttl}) + "," + std::to_string(ts);
}

std::string ServiceLine(const HostKey& key, uint16_t vlan, const ServiceRecord& r) {
  return Prefix(key, vlan, r.port, r.proto) +
         (r.role == uint8_t(Role::kServer) ? "SERVER" : "CLIENT") + ",[" + r.service + ":" +
         r.application + "]" + Suffix(r.ttl, r.last_seen);
}

bool StartsWithAt(const std::string& s) { return !s.empty() && s[0] == '@'; }

}  // namespace

LogLine Asset::UpdateOs(const HostKey& key, const OsUpdate& u) {
  Init(key, u.vlan, u.ts);
  last_seen_ = u.ts;
  for (OsRecord& r : os_) {
    if (r.detection == u.detection && r.identity == u.identity) {
      r.port = u.port;
      r.last_seen = u.ts;
      if (u.uptime != 0) r.uptime = u.uptime;
      return {};
    }
  }
  OsRecord r;
  r.detection = u.detection;
  r.identity = u.identity;
  r.port = u.port;
  r.ttl = u.ttl;
  r.uptime = u.uptime;
  r.first_seen = r.last_seen = u.ts;
  os_.insert(os_.begin(), r);
  const auto d = static_cast<Detection>(u.detection);
  return {Prefix(key_, vlan_, u.port, DetectionProto(d)) + std::string(DetectionName(d)) + ",[" +
              u.info + "]" + Suffix(u.ttl, u.ts),
          true};
}

LogLine Asset::UpdateService(const HostKey& key, const ServiceUpdate& u) {
  Init(key, u.vlan, u.ts);
  last_seen_ = u.ts;
  for (ServiceRecord& r : services_) {
    if (r.port != u.port || r.proto != u.proto) continue;
    const bool replace = (!StartsWithAt(u.application) && StartsWithAt(r.application)) ||
                         (u.application != r.application && r.attempts > kMaxServiceCheck);
    if (replace) {
      r.attempts = 0;
      r.service = u.service;
      r.application = u.application;
      r.last_seen = u.ts;
      return {ServiceLine(key_, vlan_, r), false};
    }
    if (u.application != r.application) {
      ++r.attempts;
    } else {
      r.attempts = 0;
    }
    r.last_seen = u.ts;
    return {};
  }
  ServiceRecord r;
  r.port = u.port;
  r.proto = u.proto;
  r.role = u.role;
  r.service = u.service;
  r.application = u.application;
  r.ttl = u.ttl;
  r.first_seen = r.last_seen = u.ts;
  services_.insert(services_.begin(), r);
  return {ServiceLine(key_, vlan_, r), true};
}

LogLine Asset::UpdateArp(const HostKey& key, const std::array<uint8_t, 6>& mac,
                         const std::string& vendor, uint16_t vlan, int64_t ts) {
  Init(key, vlan, ts);
  last_seen_ = ts;
  if (mac == mac_) return {};
  // PRADS looks the vendor up once: a later MAC of the same host keeps the first vendor.
  if (!has_vendor_ && !vendor.empty()) {
    vendor_ = vendor;
    has_vendor_ = true;
  }
  const bool created = !has_mac();
  mac_ = mac;
  std::string info = FormatMac(mac_);
  if (has_vendor_) info += ",(" + vendor_ + ")";
  return {Prefix(key_, vlan_, 0, 0) + "ARP,[" + info + "],0," + std::to_string(ts), created};
}

bool Asset::Expire(int64_t now, int64_t timeout) {
  if (now - last_seen_ <= kUpdateWindow) {
    std::erase_if(services_, [&](const ServiceRecord& r) { return now - r.last_seen >= timeout; });
    std::erase_if(os_, [&](const OsRecord& r) { return now - r.last_seen >= timeout; });
  }
  return now - last_seen_ >= timeout;
}

}  // namespace prads

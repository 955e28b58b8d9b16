// SPDX-License-Identifier: Apache-2.0
#include "alerts.h"

#include <arpa/inet.h>

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "classification.h"

namespace snort {

std::string AddressText(const std::array<uint8_t, 16>& a, bool v6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf);
  return buf;
}

namespace {

std::string_view ProtoName(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
    case Protocol::kIcmp:
      return "ICMP";
    case Protocol::kIp:
      break;
  }
  return "IP";
}

// Snort's timestamp: MM/DD-HH:MM:SS.uuuuuu, local time.
std::string Timestamp(uint64_t ts_ns) {
  const time_t sec = static_cast<time_t>(ts_ns / 1'000'000'000ull);
  std::tm tm{};
  localtime_r(&sec, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d/%02d-%02d:%02d:%02d.%06u", tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ts_ns % 1'000'000'000ull / 1000));
  return buf;
}

std::string Endpoint(const std::string& addr, uint16_t port, bool has_port) {
  return has_port ? addr + ":" + std::to_string(port) : addr;
}

}  // namespace

AlertEvent MakeEvent(const Rule& rule, const PacketHeader& header, uint64_t ts_ns) {
  AlertEvent e;
  e.ts_ns = ts_ns;
  e.gid = rule.gid;
  e.sid = rule.sid;
  e.rev = rule.rev;
  e.msg = rule.msg;
  e.priority = rule.priority;
  if (const std::optional<Classification> c = FindClassification(rule.classtype)) {
    e.classification = std::string(c->text);
    if (e.priority == 0) e.priority = c->priority;
  }
  e.proto = std::string(ProtoName(header.protocol));
  e.src = AddressText(header.src, header.v6);
  e.dst = AddressText(header.dst, header.v6);
  e.has_ports = header.protocol == Protocol::kTcp || header.protocol == Protocol::kUdp;
  e.src_port = header.src_port;
  e.dst_port = header.dst_port;
  return e;
}

std::string FormatFast(const AlertEvent& e) {
  std::string line = Timestamp(e.ts_ns) + " [**] [" + std::to_string(e.gid) + ":" +
                     std::to_string(e.sid) + ":" + std::to_string(e.rev) + "] \"" + e.msg +
                     "\" [**] ";
  if (!e.classification.empty()) line += "[Classification: " + e.classification + "] ";
  line += "[Priority: " + std::to_string(e.priority) + "] {" + e.proto + "} " +
          Endpoint(e.src, e.src_port, e.has_ports) + " -> " +
          Endpoint(e.dst, e.dst_port, e.has_ports);
  return line;
}

std::string FormatJson(const AlertEvent& e) {
  nlohmann::json j = {
      {"timestamp", Timestamp(e.ts_ns)},
      {"proto", e.proto},
      {"src_addr", e.src},
      {"dst_addr", e.dst},
      {"src_ap", Endpoint(e.src, e.src_port, true)},
      {"dst_ap", Endpoint(e.dst, e.dst_port, true)},
      {"rule", std::to_string(e.gid) + ":" + std::to_string(e.sid) + ":" + std::to_string(e.rev)},
      {"gid", e.gid},
      {"sid", e.sid},
      {"rev", e.rev},
      {"msg", e.msg},
      {"class", e.classification.empty() ? "none" : e.classification},
      {"priority", e.priority}};
  if (e.has_ports) {
    j["src_port"] = e.src_port;
    j["dst_port"] = e.dst_port;
  }
  return j.dump();
}

}  // namespace snort

// SPDX-License-Identifier: Apache-2.0
// The Snort port's state classes (input of s6c). Why each is what it is:
//
//  - FlowState (SingleWriter, per flow): Snort's Flow with what its inspectors keep — the TCP
//    session and both reassembly directions, the HTTP session (cutters, pending requests,
//    decoders), the flowbits, the service and the wizard's progress. Every packet of the flow
//    reads and writes all of it, in packet order, so it must be where the flow's packets are:
//    it moves with the flow (a scale event moves it between packets; nothing is lost or
//    duplicated because only its holder may touch it).
//  - Threshold (MultiWriter, per rule and tracked address): detection_filter's counter. Every
//    instance that sees the tracked host's packets counts into the same window, so it stays at
//    its home and each match is a strict call: whether the event is raised is the answer, so
//    the packet waits for it. Only rules with a detection_filter make these calls.
//  - HostAlerts (MultiWriter, per source address of alerts): how many alerts each host raised,
//    per priority, and when. Nothing waits on a count (untethered); reports read it stale.
//
// Rules are not state: they are read-only configuration, compiled once per instance.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <s6/object.h>

#include "flowbits.h"
#include "http.h"
#include "stream.h"
#include "wizard.h"

namespace snort {

/// A flow's key: the endpoints in a canonical order (lower address/port first) and the IP
/// protocol. Endpoint 0 is the lower one.
struct FlowKey {
  uint8_t family = 0;  ///< 4 or 6
  uint8_t proto = 0;
  std::array<uint8_t, 16> lo_addr{};
  uint16_t lo_port = 0;
  std::array<uint8_t, 16> hi_addr{};
  uint16_t hi_port = 0;
};

class FlowState : public s6::SingleWriter {
 public:
  /// Starts (or restarts) inspection state: a new flow or a new TCP session on it.
  void Restart(uint8_t client) {
    http_.clear();
    bits_ = FlowBits();
    wizard_ = WizardState();
    service_.clear();
    client_ = client;
    seen_ = 0;
    started_ = true;
  }
  /// Endpoint `e` sent a packet; true once both have (UDP, ICMP and IP flows are then
  /// established, as Snort's stream_udp/icmp/ip mark them).
  bool MarkSeen(uint8_t e) {
    seen_ |= uint8_t(1u << e);
    return seen_ == 3;
  }
  bool started() const { return started_; }
  /// Endpoint index (0/1, see FlowKey) of the client: the TCP session's, else the first sender.
  uint8_t client() const { return client_; }

  TcpStreamState& stream() { return stream_; }
  /// The HTTP session, created on first use: most flows are not HTTP, and every flow is an
  /// object of its own, so its 1.8 KB stay out of the others.
  HttpSession& http() {
    if (http_.empty()) http_.emplace_back();
    return http_.front();
  }
  FlowBits& bits() { return bits_; }
  WizardState& wizard() { return wizard_; }
  const std::string& service() const { return service_; }
  void set_service(std::string s) { service_ = std::move(s); }

 private:
  TcpStreamState stream_;
  std::vector<HttpSession> http_;  ///< none, or the flow's one session
  FlowBits bits_;
  WizardState wizard_;
  std::string service_;
  uint8_t client_ = 0;
  uint8_t seen_ = 0;  ///< bit per endpoint that sent a packet
  bool started_ = false;
  S6_STATE(FlowState);
};

/// A detection_filter counter's key: the rule and the tracked address.
struct ThresholdKey {
  uint32_t gid = 0;
  uint32_t sid = 0;
  uint8_t family = 0;
  std::array<uint8_t, 16> addr{};
};

class Threshold : public s6::MultiWriter {
 public:
  /// One match of the rule for this address at `now_s` (capture seconds): whether the event is
  /// raised. Snort's sfthd detection filter: events are raised once more than `count` matches
  /// fell in the current window of `seconds`, which restarts at the first match after it ends.
  bool Hit(uint32_t count, uint32_t seconds, int64_t now_s) {
    if (!started_) {
      started_ = true;
      start_ = last_ = now_s;
      hits_ = 1;
    } else {
      ++hits_;
    }
    if (now_s - start_ >= int64_t(seconds)) {  // the window ended: a new one starts here
      start_ = now_s;
      prev_ = now_s - last_ > int64_t(seconds) ? 0 : hits_ - 1;
      hits_ = 1;
    }
    last_ = now_s;
    return hits_ > count || prev_ > count;
  }

 private:
  bool started_ = false;
  int64_t start_ = 0, last_ = 0;
  uint32_t hits_ = 0, prev_ = 0;
  S6_STATE(Threshold);
};

/// An alerting host's key.
struct HostKey {
  uint8_t family = 0;
  std::array<uint8_t, 16> addr{};
};

/// What a report sees of one host.
struct HostSummary {
  uint64_t alerts = 0;
  std::array<uint64_t, 4> by_priority{};  ///< priority 1, 2, 3, other
  int64_t first_ns = 0, last_ns = 0;
  uint32_t distinct_sids = 0;
};

class HostAlerts : public s6::MultiWriter {
 public:
  void Count(uint32_t sid, uint32_t priority, int64_t ts_ns) S6_UNTETHER {
    if (alerts_ == 0) first_ns_ = ts_ns;
    ++alerts_;
    ++by_priority_[priority >= 1 && priority <= 3 ? priority - 1 : 3];
    if (ts_ns > last_ns_) last_ns_ = ts_ns;
    for (uint32_t s : sids_) {
      if (s == sid) return;
    }
    sids_.push_back(sid);
  }
  HostSummary Summary() const S6_STALE_MS(1000) {
    return {alerts_, by_priority_, first_ns_, last_ns_, uint32_t(sids_.size())};
  }

 private:
  uint64_t alerts_ = 0;
  std::array<uint64_t, 4> by_priority_{};
  int64_t first_ns_ = 0, last_ns_ = 0;
  std::vector<uint32_t> sids_;
  S6_STATE(HostAlerts);
};

}  // namespace snort

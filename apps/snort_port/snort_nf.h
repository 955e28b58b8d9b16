// SPDX-License-Identifier: Apache-2.0
// The Snort port as an S6 network function: an inline IDS that forwards every packet and
// raises the alerts Snort 3 (default configuration, checksums off) raises for the same rules.
//
// Theory of operation
// -------------------
// Each frame is decoded (decode.h). Its flow — the two endpoints and the protocol — is a
// SingleWriter object (snort_state.h) that holds what Snort's flow and inspectors keep: TCP
// session and reassembly (stream.h), the HTTP session (http.h), flowbits, the service and the
// wizard's progress. Then, as Snort 3 does it for one packet:
//  1. TCP goes through the stream first: it decides the session (a new session restarts the
//     flow's inspection state), the direction, `established`, and which in-order bytes each
//     direction delivers. The binder names a service from the server port when the session
//     starts; otherwise the wizard (wizard.h) reads the first delivered bytes of each side.
//  2. The raw packet is inspected with pkt_data = its payload — unless its payload went into
//     the reassembly of a flow with a service inspector (Snort's skip_raw_tcp with
//     search_engine.detect_raw_tcp off), which then inspects the reassembled data instead.
//     A packet without payload, or whose payload was all seen before, is inspected with
//     content detection off (only rules without fast-pattern contents), as in Snort.
//     UDP, ICMP and other IP packets are always inspected raw (UDP and ICMP flows are
//     `established` once both sides have spoken).
//  3. Reassembled data is inspected as PDUs: HTTP flows through the HTTP inspector, one
//     inspection per message section (header, body pieces, trailer) with its buffers; other
//     services one PDU per delivered chunk. A hole in a direction ends HTTP inspection of that
//     direction (Snort falls back to raw packets). Flows without a service are inspected raw
//     only.
//  4. Each inspection runs the engine (engine.h) with the flow's service, the PDU's section
//     and the flow's flowbits. A match of a rule with a detection_filter asks the rule's
//     Threshold object at its home (strict) whether to raise it. Of the events of one
//     inspection, the first event_queue.max_queue (8) are kept, ordered by the length of
//     their rule's fast-pattern content, then by sid, highest first (Snort's order_events =
//     content_length), and the first event_queue.log (3) are logged, as Snort does. Each logged
//     alert counts into its source host's HostAlerts (untethered).
// Flows end when idle (TCP 3600 s, others 180 s, Snort's flow cache timeouts) or at the end of
// the traffic (Finish): what is still queued in reassembly and in the HTTP inspector is
// flushed and inspected, as Snort does when it releases a flow.
//
// Counters (WriteStats): decoding, flows and sessions, services identified, inspections by
// kind, engine work (candidates, matches) and alerts logged, suppressed by a
// detection_filter, or dropped by the event queue's limits.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <s6/host.h>
#include <s6/map.h>
#include <s6/nf.h>
#include <s6/status.h>

#include "alerts.h"
#include "decode.h"
#include "engine.h"
#include "snort_state.s6.h"

namespace snort {

struct FlowCtx;  // a flow whose reassembled data is being inspected (snort_nf.cc)

/// Where alerts are written: Snort's alert_fast lines or alert_json objects, one per line.
class AlertOutput {
 public:
  enum class Format : uint8_t { kFast, kJson };
  /// Opens `path` for appending ("-": standard output).
  static s6::StatusOr<std::unique_ptr<AlertOutput>> Open(const std::string& path, Format format);
  ~AlertOutput();
  AlertOutput(const AlertOutput&) = delete;
  AlertOutput& operator=(const AlertOutput&) = delete;

  void Write(const AlertEvent& e);
  /// Flushes; an error if anything could not be written.
  s6::Status Flush();
  uint64_t written() const { return written_; }

 private:
  AlertOutput(std::FILE* f, bool owned, Format format) : file_(f), owned_(owned), format_(format) {}
  std::FILE* file_;
  bool owned_;
  Format format_;
  uint64_t written_ = 0;
};

/// Indexes of the NF's counters.
enum Stat : uint32_t {
  kStatPackets,
  kStatBytes,
  kStatNotIp,
  kStatMalformed,
  kStatFragments,
  kStatTcp,
  kStatUdp,
  kStatIcmp,
  kStatOtherIp,
  kStatFlows,
  kStatSessions,
  kStatUntrackedTcp,
  kStatRawInspections,
  kStatRawSkipped,
  kStatHttpSections,
  kStatServicePdus,
  kStatFlushedFlows,
  kStatCandidates,
  kStatMatches,
  kStatAlerts,
  kStatFiltered,
  kStatQueueDropped,
  kStatCount
};
/// JSON names of Stat, in order.
extern const char* const kStatNames[kStatCount];

class SnortNf final : public s6::NetworkFunction {
 public:
  /// Everything an instance needs besides its Space.
  struct Setup {
    std::unique_ptr<Engine> engine;
    std::unique_ptr<AlertOutput> alerts;  ///< may be null: alerts are counted only
    TcpStreamConfig stream;
    uint32_t max_queue = 8;  ///< event_queue.max_queue
    uint32_t log_limit = 3;  ///< event_queue.log
  };
  /// Registers the maps in `space`.
  SnortNf(s6::Space& space, Setup setup);

  s6::Verdict Process(s6::Packet& packet, s6::Context& ctx) override;
  void Finish(s6::Context& ctx) override;
  void WriteStats(s6::StatsSink& out) const override;

  const Engine& engine() const { return *engine_; }
  /// Flushes the alert output; an error if some alert could not be written.
  s6::Status FlushAlerts() { return alerts_ ? alerts_->Flush() : s6::OkStatus(); }
  uint64_t counter(Stat s) const { return stats_[s]; }
  /// Per-host alert counts held on this instance (their home).
  std::map<std::string, HostSummary> LocalHosts();

 private:
  struct Pkt;  // one packet being processed (snort_nf.cc)

  void Tcp(Pkt& p);
  void Datagram(Pkt& p);
  void Deliver(FlowCtx& fc, const StreamResult& r);
  void DeliverChunk(FlowCtx& fc, int dir, const StreamChunk& chunk);
  void InspectHttp(FlowCtx& fc, int dir, const std::vector<HttpSection>& sections);
  void InspectRaw(Pkt& p);
  void Detect(const PacketHeader& header, const Buffers& buffers, const PacketFacts& facts,
              const Where& where, FlowBits* bits, uint64_t ts_ns);
  void FlushFlow(const FlowKey& key, FlowState& flow, uint64_t ts_ns);
  bool ThresholdAllows(const Rule& rule, const PacketHeader& header, uint64_t ts_ns);

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<AlertOutput> alerts_;
  TcpStreamConfig stream_config_;
  uint32_t max_queue_;
  uint32_t log_limit_;
  std::vector<uint32_t> longest_content_;  ///< per rule: its fast pattern's content size
  s6::SwMap<FlowKey, FlowState> flows_;
  s6::MwMap<ThresholdKey, Threshold> thresholds_;
  s6::MwMap<HostKey, HostAlerts> hosts_;
  std::vector<uint64_t> stats_ = std::vector<uint64_t>(kStatCount, 0);
  std::map<std::string, uint64_t> services_;  ///< flows per identified service
  uint64_t latest_ns_ = 0;
};

/// What s6-snort and s6-snort-instance are told on their command lines.
struct SnortOptions {
  std::vector<std::string> rule_files;  ///< -c / --rules
  std::vector<std::string> set_vars;    ///< -S NAME=VALUE, in order
  std::string var_file;                 ///< var/ipvar/portvar lines
  bool enable_all_rules = false;        ///< also load commented-out rules
  std::string alert_path;               ///< "-" stdout, "" none; "{id}" becomes the instance id
  AlertOutput::Format format = AlertOutput::Format::kFast;
  bool naive_engine = false;  ///< verify every rule on every packet (the benchmark's baseline)
  uint32_t max_queue = 8;
  uint32_t log_limit = 3;
  bool quiet = false;  ///< no load summary on stderr (skipped rules are still reported)
};

/// Loads the rules and variables `options` name and compiles the engine, reporting on stderr
/// as Snort does: one warning per skipped rule (`file:line: ... sid N ...`) and the totals.
s6::StatusOr<SnortNf::Setup> LoadSetup(const SnortOptions& options, uint32_t instance_id,
                                       std::string_view program);

/// Adds the NF's options to `app` (shared by s6-snort-instance and s6ctl's pass-through).
void AddSnortOptions(CLI::App& app, SnortOptions& options);

/// The NF as the host runs it (s6-snort-instance); `options` must outlive its use.
s6::host::NfDefinition SnortDefinition(SnortOptions& options);

}  // namespace snort

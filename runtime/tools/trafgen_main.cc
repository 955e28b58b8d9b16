// SPDX-License-Identifier: Apache-2.0
// s6-trafgen: the network, load balancer and clients in one DPDK process. It is the memif
// server of one link per instance, generates synthetic flows (or replays a capture) at a paced
// rate, steers each flow to an instance by rendezvous hashing (optionally mis-steering a
// fraction of packets), timestamps every packet, receives what the instances forward back and
// reports per interval (CSV, JSON lines) and at the end (JSON): sent, received, lost,
// reordered, throughput, latency percentiles, per instance and in total.
//
//   s6-trafgen --instance 1=/tmp/s6-1.memif --instance 2=/tmp/s6-2.memif --rate 50000
//              --flows 8000 --duration 15 [--pkt-size 128] [--flow-size 50] [--dist exp]
//              [--arrival fixed|uniform|exp|pareto] [--arrival-shape 1.5] [--pcap FILE]
//              [--tcp-fraction 0.5] [--missteer 0] [--backlog 8192] [--active 1,2]
//              [--control ipc:///tmp/x/trafgen.ctl] [--interval-ms 100] [--csv F]
//              [--interval-json F] [--json F] [--ready-file F] [--drain-ms 500] [--seed N]
//              [--dpdk-memory MB]
//
// Theory of operation
// - Pacing: packets are generated at the times a Pacer draws (inter-arrival times of mean
//   1/rate from the --arrival distribution); the probe carries the generation time, so any
//   wait after it — in the backlog, in a ring, in an instance — shows up as latency.
// - Backlog: each link has a bounded FIFO of built frames (--backlog). A frame is transmitted
//   from its head; what the link refuses (its ring is full: an instance briefly slow, e.g.
//   while thousands of new flows start) stays and is retried first, in order, on the next loop
//   iteration. Only a frame that finds the backlog full is refused (tx_dropped). A packet
//   counts as sent once its link accepted it; frames still waiting when the run ends are
//   reported as backlog_unsent, in neither sent nor lost.
// - Links: every --instance link is created (its memif socket listening) before --ready-file
//   is written; sending starts when the active ones (--active, default all) are up. An
//   inactive link may come up later (an instance a controller starts at scale-out) and joins
//   the steering when a `steer` control command names it.
// - Control (--control): a ZeroMQ REP socket polled without blocking from the main loop
//   (trafgen/control.h: steer, status, mark-begin, mark-end), at most once a millisecond.
// - pcap replay (--pcap): the capture's IPv4 TCP/UDP/ICMP packets in file order, looped until
//   the duration ends, each loop a fresh set of flows; the probe goes in a trailer after the
//   IPv4 datagram so headers and payload stay as captured. Frames a probe would push over 1514
//   bytes go without (unprobed: in neither sent nor lost). Servers answer many flows from one
//   endpoint, so the shared-endpoint state check is off in this mode.
//
// Exit status 0, 1 (runtime error), 2 (bad arguments, an unreadable capture).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "packetio/dpdk_port.h"
#include "trafgen/backlog.h"
#include "trafgen/control.h"
#include "trafgen/pacer.h"
#include "trafgen/pcap_replay.h"
#include "trafgen/report.h"
#include "trafgen/traffic.h"

namespace {

using s6::trafgen::FlowConfig;
using s6::trafgen::IntervalStats;
using s6::trafgen::LinkState;
using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: s6-trafgen --instance ID=MEMIF_SOCKET [--instance ...] --rate PPS --duration S\n"
    "                  [--flows N] [--pkt-size B] [--flow-size MEAN]\n"
    "                  [--dist fixed|uniform|exp|pareto]        flow sizes\n"
    "                  [--arrival fixed|uniform|exp|pareto]     inter-arrival times (fixed)\n"
    "                  [--arrival-shape A]                      Pareto shape, > 1 (1.5)\n"
    "                  [--pcap FILE]                            replay a capture instead\n"
    "                  [--tcp-fraction F] [--missteer F]\n"
    "                  [--backlog N]                            frames waiting per link (8192)\n"
    "                  [--active ID[,ID...]]                    steered to at start (all)\n"
    "                  [--control ENDPOINT]                     ZeroMQ REP: steer ID..., status,\n"
    "                                                           mark-begin NAME, mark-end NAME\n"
    "                  [--interval-ms N] [--csv F] [--interval-json F] [--json F]\n"
    "                  [--ready-file F] [--drain-ms N] [--seed N] [--dpdk-memory MB]\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "s6-trafgen: %s\n%s", why.c_str(), kUsage);
  return 2;
}

uint64_t ToNs(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}
uint64_t NowNs() { return ToNs(Clock::now()); }

// "1,2,3" -> {1, 2, 3}; false on anything else.
bool ParseIds(const std::string& s, std::vector<uint32_t>& out) {
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) return false;
    out.push_back(static_cast<uint32_t>(std::stoul(item)));
  }
  return !out.empty();
}

// One link: its device, the frames waiting for it and what it refused.
struct Link {
  uint32_t id = 0;
  std::unique_ptr<s6::packetio::DpdkPort> port;
  std::unique_ptr<s6::trafgen::FrameBacklog> backlog;
  uint64_t refused = 0;  // found the backlog full (tx_dropped)
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<uint32_t, std::string>> instances;
  FlowConfig flows;
  double rate = 0;
  double duration = 0;
  double missteer = 0;
  int interval_ms = 100;
  int drain_ms = 500;
  int dpdk_memory = 256;
  std::size_t backlog_frames = 8192;
  s6::trafgen::ArrivalDist arrival = s6::trafgen::ArrivalDist::kFixed;
  double arrival_shape = 1.5;
  std::vector<uint32_t> active;
  std::string csv_path;
  std::string json_path;
  std::string interval_json_path;
  std::string ready_path;
  std::string pcap_path;
  std::string control_endpoint;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      if (a == "--help" || a == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      }
      if (i + 1 >= argc) return Usage(std::string(a) + " needs a value");
      const std::string v = argv[++i];
      if (a == "--instance") {
        const std::size_t eq = v.find('=');
        if (eq == std::string::npos) return Usage("want --instance ID=SOCKET");
        instances.emplace_back(static_cast<uint32_t>(std::stoul(v.substr(0, eq))),
                               v.substr(eq + 1));
      } else if (a == "--rate") {
        rate = std::stod(v);
      } else if (a == "--flows") {
        flows.concurrent_flows = static_cast<uint32_t>(std::stoul(v));
      } else if (a == "--duration") {
        duration = std::stod(v);
      } else if (a == "--pkt-size") {
        flows.frame_bytes = static_cast<uint32_t>(std::stoul(v));
      } else if (a == "--flow-size") {
        flows.mean_flow_packets = std::stod(v);
      } else if (a == "--dist") {
        if (v == "fixed") {
          flows.size_dist = s6::trafgen::SizeDist::kFixed;
        } else if (v == "uniform") {
          flows.size_dist = s6::trafgen::SizeDist::kUniform;
        } else if (v == "exp") {
          flows.size_dist = s6::trafgen::SizeDist::kExponential;
        } else if (v == "pareto") {
          flows.size_dist = s6::trafgen::SizeDist::kPareto;
        } else {
          return Usage("unknown --dist '" + v + "'");
        }
      } else if (a == "--arrival") {
        if (!s6::trafgen::ParseArrivalDist(v, arrival)) {
          return Usage("unknown --arrival '" + v + "'");
        }
      } else if (a == "--arrival-shape") {
        arrival_shape = std::stod(v);
      } else if (a == "--pcap") {
        pcap_path = v;
      } else if (a == "--tcp-fraction") {
        flows.tcp_fraction = std::stod(v);
      } else if (a == "--missteer") {
        missteer = std::stod(v);
      } else if (a == "--backlog") {
        backlog_frames = std::stoul(v);
      } else if (a == "--active") {
        if (!ParseIds(v, active)) return Usage("want --active ID[,ID...]");
      } else if (a == "--control") {
        control_endpoint = v;
      } else if (a == "--interval-ms") {
        interval_ms = std::stoi(v);
      } else if (a == "--drain-ms") {
        drain_ms = std::stoi(v);
      } else if (a == "--csv") {
        csv_path = v;
      } else if (a == "--interval-json") {
        interval_json_path = v;
      } else if (a == "--json") {
        json_path = v;
      } else if (a == "--ready-file") {
        ready_path = v;
      } else if (a == "--seed") {
        flows.seed = std::stoull(v);
      } else if (a == "--dpdk-memory") {
        dpdk_memory = std::stoi(v);
      } else {
        return Usage("unknown argument '" + std::string(a) + "'");
      }
    }
  } catch (const std::exception&) {
    return Usage("a numeric argument did not parse");
  }
  if (instances.empty()) return Usage("at least one --instance is required");
  if (rate <= 0 || duration <= 0) return Usage("--rate and --duration must be positive");
  if (flows.frame_bytes < s6::trafgen::kMinFrame || flows.frame_bytes > s6::trafgen::kMaxFrame) {
    return Usage("--pkt-size must be within " + std::to_string(s6::trafgen::kMinFrame) + "..1514");
  }
  if (interval_ms <= 0 || missteer < 0 || missteer > 1) return Usage("bad interval or missteer");
  if (backlog_frames == 0) return Usage("--backlog must be at least 1");
  if (arrival_shape <= 1) return Usage("--arrival-shape must be > 1");
  std::map<uint32_t, std::size_t> link_of;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    if (!link_of.emplace(instances[i].first, i).second) {
      return Usage("instance " + std::to_string(instances[i].first) + " is declared twice");
    }
  }
  if (active.empty()) {
    for (const auto& [id, socket] : instances) active.push_back(id);
  }
  for (uint32_t id : active) {
    if (link_of.count(id) == 0)
      return Usage("--active names undeclared instance " + std::to_string(id));
  }
  std::sort(active.begin(), active.end());
  active.erase(std::unique(active.begin(), active.end()), active.end());

  // The capture is read before DPDK starts: a bad file is the operator's error (exit 2).
  std::optional<s6::trafgen::PcapReplay> replay;
  if (!pcap_path.empty()) {
    auto r = s6::trafgen::PcapReplay::Load(pcap_path);
    if (!r.ok()) {
      std::fprintf(stderr, "s6-trafgen: %s\n", r.status().message().c_str());
      return 2;
    }
    if (r->empty()) {
      std::fprintf(stderr,
                   "s6-trafgen: '%s' holds no IPv4 TCP/UDP/ICMP packet to replay (%llu "
                   "skipped)\n",
                   pcap_path.c_str(), static_cast<unsigned long long>(r->skipped()));
      return 2;
    }
    replay.emplace(std::move(*r));
  }
  std::unique_ptr<s6::trafgen::ControlSocket> control;
  if (!control_endpoint.empty()) {
    auto c = s6::trafgen::ControlSocket::Bind(control_endpoint);
    if (!c.ok()) {
      std::fprintf(stderr, "s6-trafgen: %s\n", c.status().message().c_str());
      return 2;
    }
    control = std::move(*c);
  }

  s6::packetio::DpdkEnv::Options eo;
  eo.file_prefix = "s6tg" + std::to_string(::getpid());
  eo.memory_mb = dpdk_memory;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    eo.vdevs.push_back("net_memif" + std::to_string(i) +
                       ",role=server,id=0,rsize=11,socket=" + instances[i].second);
  }
  auto env = s6::packetio::DpdkEnv::Create(eo);
  if (!env.ok()) {
    std::fprintf(stderr, "s6-trafgen: %s\n", env.status().ToString().c_str());
    return 1;
  }
  const uint32_t slot_bytes = replay ? s6::trafgen::kMaxFrame : flows.frame_bytes;
  std::vector<Link> links(instances.size());
  for (std::size_t i = 0; i < instances.size(); ++i) {
    auto p = s6::packetio::DpdkPort::Open(**env, "net_memif" + std::to_string(i), 4095);
    if (!p.ok()) {
      std::fprintf(stderr, "s6-trafgen: %s\n", p.status().ToString().c_str());
      return 1;
    }
    links[i].id = instances[i].first;
    links[i].port = std::move(*p);
    links[i].backlog = std::make_unique<s6::trafgen::FrameBacklog>(backlog_frames, slot_bytes);
  }

  std::optional<s6::trafgen::FlowGenerator> gen;
  if (!replay) gen.emplace(flows);
  s6::trafgen::Steering steer(active, missteer, flows.seed + 1);
  // Replayed servers answer many flows from one endpoint: not a state error there.
  s6::trafgen::Tracker tracker(/*check_shared_endpoints=*/!replay);
  auto link_states = [&] {
    std::vector<LinkState> s;
    for (const Link& l : links) s.push_back({l.id, l.port->link_up(), l.backlog->size()});
    return s;
  };
  uint64_t start_ns = 0;  // of sending; 0 until then
  auto serve_control = [&](uint64_t now_ns) {
    if (!control) return;
    while (std::optional<std::string> request = control->Poll()) {
      control->Reply(s6::trafgen::HandleControl(*request, steer, tracker, link_states(), now_ns,
                                                start_ns == 0 ? now_ns : start_ns));
    }
  };

  if (!ready_path.empty()) std::ofstream(ready_path) << "ready\n";
  const auto link_deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    // The active set may change while waiting (a controller's `steer`).
    std::string down;
    for (uint32_t id : steer.instances()) {
      if (!links[link_of[id]].port->link_up()) down = links[link_of[id]].port->name();
    }
    if (down.empty()) break;
    if (Clock::now() >= link_deadline) {
      std::fprintf(stderr, "s6-trafgen: link %s did not come up\n", down.c_str());
      return 1;
    }
    serve_control(NowNs());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  std::ofstream csv;
  if (!csv_path.empty()) {
    csv.open(csv_path);
    csv << "t_ms,instance,sent,received,reordered,throughput_pps,p50_us,p90_us,p99_us,p999_us,"
           "max_us\n";
  }
  std::ofstream interval_json;
  if (!interval_json_path.empty()) interval_json.open(interval_json_path);
  const auto start = Clock::now();
  start_ns = ToNs(start);
  s6::trafgen::Pacer pacer(arrival, rate, start_ns, flows.seed + 2, arrival_shape);
  const auto send_until = start + std::chrono::duration<double>(duration);
  auto next_report = start + std::chrono::milliseconds(interval_ms);
  auto last_report = start;
  auto next_control = start;
  uint64_t alloc_failures = 0;
  s6::Packet* rx[32];
  for (;;) {
    bool busy = false;
    const auto now = Clock::now();
    const uint64_t now_ns = ToNs(now);
    const bool sending = now < send_until;
    if (!sending && now > send_until + std::chrono::milliseconds(drain_ms)) break;
    // Generate what is due into the backlog of the link it is steered to.
    for (int k = 0; sending && k < 64 && pacer.Pop(now_ns); ++k) {
      const s6::trafgen::GenPacket gp = replay ? replay->Next() : gen->Next();
      Link& link = links[link_of[steer.Pick(gp.tuple)]];
      s6::trafgen::FrameBacklog::Frame* f = link.backlog->PushBack();
      if (f == nullptr) {
        ++link.refused;
        continue;
      }
      f->tx_ns = NowNs();
      if (replay) {
        f->len = replay->Build(gp, f->tx_ns, f->data, f->probed);
      } else {
        f->len = gen->Build(gp, f->tx_ns, f->data);
      }
      busy = true;
    }
    // Each backlog from its head: what a link accepts entered the network (loss is counted
    // from there); what it refuses stays, in order, for the next iteration.
    for (Link& link : links) {
      // Per iteration at most 256 a link, so receiving is never starved.
      const s6::trafgen::DrainResult d = s6::trafgen::DrainBacklog(
          *link.backlog, *link.port, 256, [&](const s6::trafgen::FrameBacklog::Frame& f) {
            if (f.probed) {
              tracker.OnSent(link.id, f.tx_ns);
            } else {
              tracker.OnSentUnprobed();
            }
          });
      alloc_failures += d.alloc_failures;
      busy |= d.accepted != 0;
    }
    for (Link& link : links) {
      const std::size_t n = link.port->Receive(rx);
      const uint64_t t = NowNs();
      busy |= n != 0;
      for (std::size_t j = 0; j < n; ++j) {
        tracker.OnReceived(link.id, rx[j]->data, rx[j]->len, t);
        link.port->Release(rx[j]);
      }
    }
    if (control && now >= next_control) {
      serve_control(NowNs());  // after this iteration's packets: windows start after them
      next_control = now + std::chrono::milliseconds(1);
    }
    if (now >= next_report) {
      const double t_ms = std::chrono::duration<double, std::milli>(now - start).count();
      const double interval_s = std::chrono::duration<double>(now - last_report).count();
      const auto interval = tracker.TakeInterval();
      if (csv.is_open()) {
        for (const auto& [inst, s] : interval) {
          csv << static_cast<uint64_t>(t_ms) << ',' << inst << ',' << s.sent << ',' << s.received
              << ',' << s.reordered << ','
              << static_cast<uint64_t>(static_cast<double>(s.received) * 1000.0 / interval_ms)
              << ',' << s.latency.Percentile(0.5) / 1000.0 << ','
              << s.latency.Percentile(0.9) / 1000.0 << ',' << s.latency.Percentile(0.99) / 1000.0
              << ',' << s.latency.Percentile(0.999) / 1000.0 << ',' << s.latency.max() / 1000.0
              << '\n';
        }
        csv.flush();  // s6ctl reads it live
      }
      if (interval_json.is_open()) {
        interval_json << s6::trafgen::IntervalJson(t_ms, interval_s, interval, link_states())
                      << '\n';
        interval_json.flush();  // a controller tails it live
      }
      last_report = now;
      next_report = now + std::chrono::milliseconds(interval_ms);
    }
    // Nothing due and nothing back: yield the CPU briefly (the instances share this machine).
    if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(10));
  }
  tracker.CloseWindows(NowNs());

  const IntervalStats& total = tracker.total();
  uint64_t tx_dropped = 0;
  uint64_t link_refusals = 0;
  uint64_t backlog_unsent = 0;
  std::size_t backlog_max = 0;
  std::string link_json;
  const auto& final_active = steer.instances();
  for (const Link& l : links) {
    tx_dropped += l.refused;
    link_refusals += l.port->stats().tx_dropped;
    backlog_unsent += l.backlog->size();
    backlog_max = std::max(backlog_max, l.backlog->high_water());
    const s6::trafgen::LinkTotals t = tracker.link(l.id);
    const bool is_active =
        std::find(final_active.begin(), final_active.end(), l.id) != final_active.end();
    link_json += (link_json.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(l.id) +
                 ",\"active\":" + (is_active ? "true" : "false") +
                 ",\"sent\":" + std::to_string(t.sent) +
                 ",\"received\":" + std::to_string(t.received) +
                 ",\"tx_dropped\":" + std::to_string(l.refused) +
                 ",\"backlog_max\":" + std::to_string(l.backlog->high_water()) + "}";
  }
  const uint64_t flows_started = replay ? replay->flows_started() : gen->flows_started();
  // Run totals first: readers take the first "key":N of the text (s6ctl), and the per-link
  // and per-window objects at the end reuse the names.
  std::string json =
      "{\"sent\":" + std::to_string(total.sent) +
      ",\"received\":" + std::to_string(total.received) +
      ",\"lost\":" + std::to_string(tracker.lost()) +
      ",\"reordered\":" + std::to_string(total.reordered) +
      ",\"foreign\":" + std::to_string(total.foreign) +
      ",\"mapping_changes\":" + std::to_string(total.mapping_changes) +
      ",\"shared_endpoints\":" + std::to_string(total.shared_endpoints) +
      ",\"throughput_pps\":" + std::to_string(static_cast<double>(total.received) / duration) +
      ",\"latency_us\":" + s6::trafgen::LatencyJson(total.latency) +
      ",\"instances\":" + std::to_string(links.size()) +
      ",\"flows_started\":" + std::to_string(flows_started) +
      ",\"missteered\":" + std::to_string(steer.missteered()) +
      ",\"tx_dropped\":" + std::to_string(tx_dropped) +
      ",\"alloc_failures\":" + std::to_string(alloc_failures) +
      ",\"backlog_max\":" + std::to_string(backlog_max) +
      ",\"backlog_unsent\":" + std::to_string(backlog_unsent) +
      ",\"link_refusals\":" + std::to_string(link_refusals) +
      ",\"unprobed\":" + std::to_string(tracker.unprobed()) +
      ",\"pcap_skipped\":" + std::to_string(replay ? replay->skipped() : 0) +
      ",\"pcap_loops\":" + std::to_string(replay ? replay->loops() : 0) +
      ",\"config\":{\"rate_pps\":" + std::to_string(rate) +
      ",\"flows\":" + std::to_string(flows.concurrent_flows) +
      ",\"pkt_size\":" + std::to_string(flows.frame_bytes) +
      ",\"duration_s\":" + std::to_string(duration) + ",\"missteer\":" + std::to_string(missteer) +
      ",\"arrival\":\"" + std::string(s6::trafgen::ArrivalDistName(arrival)) + "\"" +
      ",\"backlog\":" + std::to_string(backlog_frames) +
      ",\"source\":" + (replay ? "\"pcap\"" : "\"synthetic\"") + "}" +
      ",\"pcap_file\":" + s6::trafgen::JsonString(pcap_path) + ",\"links\":[" + link_json +
      "],\"windows\":" + s6::trafgen::WindowsJson(tracker.windows(), start_ns) + "}";
  std::printf("%s\n", json.c_str());
  if (!json_path.empty()) std::ofstream(json_path) << json << "\n";
  return 0;
}

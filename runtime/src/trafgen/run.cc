// SPDX-License-Identifier: Apache-2.0
#include "trafgen/run.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>

#include <s6/log.h>
#include "trafgen/backlog.h"
#include "trafgen/interval_report.h"
#include "trafgen/pacer.h"

namespace s6::trafgen {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kLinkUpTimeout = std::chrono::seconds(30);
constexpr int kGeneratePerIteration = 64;
constexpr std::size_t kDrainPerIteration = 256;

uint64_t ToNs(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}
uint64_t NowNs() { return ToNs(Clock::now()); }

}  // namespace

struct RunLoop::State {
  // One link: its device, the frames waiting for it and what it refused.
  struct Link {
    RunLink device;
    std::unique_ptr<FrameBacklog> backlog;
    uint64_t refused = 0;  // found the backlog full (tx_dropped)
  };

  State(const Config& c, std::vector<RunLink> devices, std::optional<PcapReplay> r,
        ControlSocket* ctl)
      : config(c),
        replay(std::move(r)),
        control(ctl),
        steering(c.active, c.missteer, c.flows.seed + 1),
        // Replayed servers answer many flows from one endpoint: not a state error there.
        tracker(/*check_shared_endpoints=*/!replay),
        log(log::Get("trafgen")) {
    const uint32_t slot_bytes = replay ? kMaxReplayFrame : config.flows.frame_bytes;
    for (RunLink& d : devices) {
      link_of.emplace(d.id, links.size());
      links.push_back(
          {std::move(d), std::make_unique<FrameBacklog>(c.backlog_frames, slot_bytes), 0});
    }
    if (!replay) generator.emplace(config.flows);
  }

  Link& LinkOf(uint32_t id) { return links[link_of.at(id)]; }

  std::vector<LinkState> LinkStates() const {
    std::vector<LinkState> s;
    for (const Link& l : links) s.push_back({l.device.id, l.device.up(), l.backlog->size()});
    return s;
  }

  void ServeControl(uint64_t now_ns) {
    if (control == nullptr) return;
    while (std::optional<std::string> request = control->Poll()) {
      control->Reply(HandleControl(*request, steering, tracker, LinkStates(), now_ns,
                                   start_ns == 0 ? now_ns : start_ns));
    }
  }

  // Until every active link is up (the active set may change meanwhile: a controller's steer).
  Status AwaitLinks() {
    const auto deadline = Clock::now() + kLinkUpTimeout;
    for (;;) {
      const Link* down = nullptr;
      for (uint32_t id : steering.instances()) {
        if (!LinkOf(id).device.up()) down = &LinkOf(id);
      }
      if (down == nullptr) return OkStatus();
      if (Clock::now() >= deadline) {
        return UnavailableError("link " + down->device.port->name() + " of instance " +
                                std::to_string(down->device.id) + " did not come up");
      }
      ServeControl(NowNs());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // A replay limited to --loops passes has sent them all.
  bool ReplayDone() const {
    return replay && config.pcap_loops != 0 && replay->loops() >= config.pcap_loops;
  }

  // Generates what is due into the backlog of the link each packet is steered to.
  bool Generate(Pacer& pacer, uint64_t now_ns) {
    bool busy = false;
    for (int k = 0; k < kGeneratePerIteration && !ReplayDone() && pacer.Pop(now_ns); ++k) {
      const GenPacket gp = replay ? replay->Next() : generator->Next();
      Link& link = LinkOf(steering.Pick(gp.tuple));
      FrameBacklog::Frame* f = link.backlog->PushBack();
      if (f == nullptr) {
        ++link.refused;
        continue;
      }
      f->tx_ns = NowNs();
      if (replay) {
        f->len = replay->Build(gp, f->tx_ns, f->data, f->probed);
      } else {
        f->len = generator->Build(gp, f->tx_ns, f->data);
      }
      busy = true;
    }
    return busy;
  }

  // Each backlog from its head: what a link accepts entered the network (loss is counted from
  // there); what it refuses stays, in order, for the next iteration.
  bool Transmit() {
    bool busy = false;
    for (Link& link : links) {
      const DrainResult d = DrainBacklog(*link.backlog, *link.device.port, kDrainPerIteration,
                                         [&](const FrameBacklog::Frame& f) {
                                           if (f.probed) {
                                             tracker.OnSent(link.device.id, f.tx_ns);
                                           } else {
                                             tracker.OnSentUnprobed();
                                           }
                                         });
      alloc_failures += d.alloc_failures;
      busy |= d.accepted != 0;
    }
    return busy;
  }

  bool Receive() {
    bool busy = false;
    Packet* rx[32];
    for (Link& link : links) {
      const std::size_t n = link.device.port->Receive(rx);
      const uint64_t t = NowNs();
      busy |= n != 0;
      for (std::size_t j = 0; j < n; ++j) {
        tracker.OnReceived(link.device.id, rx[j]->data, rx[j]->len, t);
        link.device.port->Release(rx[j]);
      }
    }
    return busy;
  }

  RunSummary Summarize() const {
    RunSummary s;
    s.total = tracker.total();
    s.lost = tracker.lost();
    s.unprobed = tracker.unprobed();
    s.windows = tracker.windows();
    s.start_ns = start_ns;
    const auto& active = steering.instances();
    for (const Link& l : links) {
      const LinkTotals t = tracker.link(l.device.id);
      s.links.push_back({l.device.id,
                         std::find(active.begin(), active.end(), l.device.id) != active.end(),
                         t.sent, t.received, l.refused, l.backlog->high_water(), l.backlog->size(),
                         l.device.port->stats().tx_dropped});
    }
    s.flows_started = replay ? replay->flows_started() : generator->flows_started();
    s.missteered = steering.missteered();
    s.alloc_failures = alloc_failures;
    s.pcap_skipped = replay ? replay->skipped() : 0;
    s.pcap_loops = replay ? replay->loops() : 0;
    return s;
  }

  const Config config;
  std::optional<PcapReplay> replay;
  std::optional<FlowGenerator> generator;
  ControlSocket* control;
  Steering steering;
  Tracker tracker;
  std::vector<Link> links;
  std::map<uint32_t, std::size_t> link_of;
  uint64_t start_ns = 0;  // of sending; 0 until then
  uint64_t alloc_failures = 0;
  std::shared_ptr<spdlog::logger> log;
};

RunLoop::RunLoop(const Config& config, std::vector<RunLink> links, std::optional<PcapReplay> replay,
                 ControlSocket* control)
    : s_(std::make_unique<State>(config, std::move(links), std::move(replay), control)) {}

RunLoop::~RunLoop() = default;

StatusOr<RunSummary> RunLoop::Run() {
  State& s = *s_;
  const Config& c = s.config;
  if (!c.ready_path.empty() && !(std::ofstream(c.ready_path) << "ready\n")) {
    return InvalidArgumentError("cannot write --ready-file '" + c.ready_path + "'");
  }
  if (Status st = s.AwaitLinks(); !st.ok()) return st;
  StatusOr<IntervalReport> report =
      IntervalReport::Open(c.csv_path, c.interval_json_path, c.interval_ms);
  if (!report.ok()) return report.status();
  std::string active;
  for (uint32_t id : s.steering.instances()) {
    active += (active.empty() ? "" : ",") + std::to_string(id);
  }
  s.log->info("links up; sending to instance(s) {} for {} s at {} pkt/s", active, c.duration_s,
              c.rate_pps);

  const auto start = Clock::now();
  s.start_ns = ToNs(start);
  Pacer pacer(c.arrival, c.rate_pps, s.start_ns, c.flows.seed + 2, c.arrival_shape);
  const auto send_until = start + std::chrono::duration<double>(c.duration_s);
  const auto drain_until = send_until + std::chrono::milliseconds(c.drain_ms);
  const auto interval = std::chrono::milliseconds(c.interval_ms);
  auto next_report = start + interval;
  auto last_report = start;
  auto next_control = start;
  for (;;) {
    const auto now = Clock::now();
    const bool sending = now < send_until;
    if (!sending && now > drain_until) break;
    bool busy = sending && s.Generate(pacer, ToNs(now));
    busy |= s.Transmit();
    busy |= s.Receive();
    if (s.control != nullptr && now >= next_control) {
      s.ServeControl(NowNs());  // after this iteration's packets: windows start after them
      next_control = now + std::chrono::milliseconds(1);
    }
    if (now >= next_report) {
      report->Write(std::chrono::duration<double, std::milli>(now - start).count(),
                    std::chrono::duration<double>(now - last_report).count(),
                    s.tracker.TakeInterval(), s.LinkStates());
      last_report = now;
      next_report = now + interval;
    }
    if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(10));
  }
  s.tracker.CloseWindows(NowNs());
  s.log->info("run over: {} sent, {} received, {} lost", s.tracker.total().sent,
              s.tracker.total().received, s.tracker.lost());
  return s.Summarize();
}

}  // namespace s6::trafgen

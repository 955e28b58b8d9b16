// SPDX-License-Identifier: Apache-2.0
#include "instance/instance.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <s6/check.h>
#include <s6/log.h>
#include <s6/net.h>

namespace s6 {

/// Routes what the transport delivers: object messages to the space, pings answered here.
class Instance::MessageRouter final : public transport::Receiver {
 public:
  explicit MessageRouter(Instance& inst) : inst_(inst) {}
  void OnMessage(InstanceId from, transport::MessageType type,
                 std::span<const uint8_t> payload) override {
    if (transport::IsObjectType(type)) {
      inst_.space_->HandleMessage(from, transport::ToWire(type), payload);
    } else if (type == transport::MessageType::kPing) {
      inst_.transport_->Send(from, transport::MessageType::kPong, payload);
      ++inst_.loop_stats_.pings_answered;
    } else {
      ++inst_.loop_stats_.unhandled_messages;
    }
  }

 private:
  Instance& inst_;
};

Instance::Instance(Options options)
    : options_(std::move(options)),
      owned_clock_(options_.clock == nullptr ? std::make_unique<SteadyClock>() : nullptr),
      clock_(options_.clock != nullptr ? options_.clock : owned_clock_.get()),
      scheduler_(std::make_unique<uthread::Scheduler>(options_.fibers)) {
  space_ =
      std::make_unique<objspace::ObjectSpace>(options_.id, *scheduler_, *clock_, options_.space);
  router_ = std::make_unique<MessageRouter>(*this);
  endpoint_ = options_.endpoint;
}

Instance::~Instance() {
  // Unwind parked micro-threads first: their destructors may still release refs into the
  // space and send messages through the transport.
  scheduler_.reset();
  // Forwarded packets the device never took go back to their pool (ports outlive us).
  for (Packet* p : tx_staged_) tx_->Release(p);
  tx_staged_.clear();
  space_.reset();
  transport_.reset();
}

Status Instance::Start() {
  if (started_) return FailedPreconditionError("instance already started");
  space_->Seal();
  transport::ZmqTransport::Options topt;
  topt.context = options_.zmq_context;
  topt.linger_ms = options_.transport_linger_ms;
  topt.schema_hash = space_->SchemaHash();
  const uint32_t id = ToUint(options_.id);
  topt.log = [id, log = log::Get("transport")](std::string_view line) {
    log->warn("instance {}: {}", id, line);
  };
  transport_ = std::make_unique<transport::ZmqTransport>(options_.id, options_.endpoint, topt);
  S6_RETURN_IF_ERROR(transport_->Start());
  endpoint_ = transport_->endpoint();
  space_->set_transport(transport_.get());
  if (space_->slot_table().empty()) {
    S6_ASSIGN_OR_RETURN(keyspace::SlotTable t, keyspace::SlotTable::Initial({options_.id}));
    space_->SetSlotTable(std::move(t));
  }
  started_ = true;
  if (nf_ != nullptr) {
    Spawn([this] {
      const Status st = nf_->Init(*this);
      if (!st.ok()) {
        log::Get("instance")
            ->error("instance {}: network function init failed: {}", ToUint(options_.id),
                    st.ToString());
      }
    });
  }
  if (background_) Spawn(background_);
  return OkStatus();
}

const std::string& Instance::endpoint() const { return endpoint_; }

Status Instance::AddPeer(InstanceId id, std::string endpoint) {
  if (!started_) return FailedPreconditionError("AddPeer before Start");
  return transport_->AddPeer(id, std::move(endpoint));
}

void Instance::SetSlotTable(keyspace::SlotTable table) { space_->SetSlotTable(std::move(table)); }

Status Instance::PrepareScale(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                              const std::vector<std::pair<InstanceId, std::string>>& peers,
                              objspace::MigrationOptions options) {
  if (!started_) return FailedPreconditionError("PrepareScale before Start");
  std::vector<InstanceId> named;
  for (const auto& [id, endpoint] : peers) {
    if (id == options_.id) continue;
    named.push_back(id);
    if (transport_->GetPeerState(id) != transport::PeerState::kUnknown) continue;
    S6_RETURN_IF_ERROR(transport_->AddPeer(id, endpoint));
  }
  for (InstanceId id : current.instances()) {
    if (id != options_.id && std::find(named.begin(), named.end(), id) == named.end()) {
      return InvalidArgumentError("PrepareScale: no endpoint for instance " +
                                  std::to_string(ToUint(id)));
    }
  }
  for (InstanceId id : next.instances()) {
    if (id != options_.id && std::find(named.begin(), named.end(), id) == named.end()) {
      return InvalidArgumentError("PrepareScale: no endpoint for instance " +
                                  std::to_string(ToUint(id)));
    }
  }
  S6_RETURN_IF_ERROR(space_->PrepareTable(current, next, options));
  scale_peers_ = std::move(named);
  scale_departing_.clear();
  for (InstanceId id : current.instances()) {
    if (!next.IsMember(id)) scale_departing_.push_back(id);
  }
  return OkStatus();
}

Status Instance::SwitchScale(uint64_t version) { return space_->SwitchTable(version); }

Status Instance::CompleteScale(uint64_t version) {
  S6_RETURN_IF_ERROR(space_->CompleteTable(version));
  // Not at once: the departed instance's last messages (transfers it sent just before it was
  // settled) may still be in flight, and a removed peer's messages are dropped.
  const uint64_t at = clock_->NowNs() + static_cast<uint64_t>(options_.departed_grace.count());
  for (InstanceId id : scale_departing_) {
    if (id == options_.id) continue;
    space_->timers().Add(at, [this, id] {
      // Unless it came back in the meantime (a later scale-out reused the id).
      if (!space_->slot_table().IsMember(id)) transport_->RemovePeer(id);
    });
  }
  scale_departing_.clear();
  return OkStatus();
}

uint32_t Instance::PeersNotReady() const {
  uint32_t n = 0;
  for (InstanceId id : scale_peers_) {
    if (transport_->GetPeerState(id) != transport::PeerState::kReady) ++n;
  }
  return n;
}

bool Instance::Spawn(std::function<void()> fn) { return scheduler_->TrySpawn(std::move(fn)); }

bool Instance::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(posted_mu_);
  if (posted_.size() >= options_.max_posted) {
    tasks_refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  posted_.push_back(std::move(fn));
  posted_size_.store(posted_.size(), std::memory_order_release);
  tasks_posted_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::size_t Instance::TakePosted() {
  if (posted_size_.load(std::memory_order_acquire) == 0) return 0;
  std::size_t started = 0;
  std::lock_guard<std::mutex> lock(posted_mu_);
  while (!posted_.empty() && scheduler_->in_flight() < options_.fibers.max_fibers) {
    if (!scheduler_->TrySpawn(std::move(posted_.front()))) break;
    posted_.pop_front();
    ++started;
  }
  posted_size_.store(posted_.size(), std::memory_order_release);
  loop_stats_.tasks_started += started;
  return started;
}

void Instance::AttachPacketIo(NetworkFunction* nf, packetio::Port* rx, packetio::Port* tx) {
  S6_CHECK(!started_) << "AttachPacketIo after Start";
  S6_CHECK(nf != nullptr && rx != nullptr);
  nf_ = nf;
  rx_ = rx;
  tx_ = tx != nullptr ? tx : rx;
  rx_batch_.resize(options_.rx_burst);
  tx_staged_.reserve(options_.fibers.max_fibers);
}

std::size_t Instance::TakePackets() {
  if (nf_ == nullptr) return 0;
  // Output refused: take no more input until it drains (the packets wait in the port).
  if (tx_staged_.size() >= options_.max_tx_backlog / 2) return 0;
  const std::size_t room = options_.fibers.max_fibers - scheduler_->in_flight();
  const std::size_t want = std::min<std::size_t>(room, rx_batch_.size());
  if (want == 0) return 0;
  const std::size_t got = rx_->Receive(std::span<Packet*>(rx_batch_.data(), want));
  const uint64_t now = got != 0 ? clock_->NowNs() : 0;  // one clock read per burst
  for (std::size_t i = 0; i < got; ++i) {
    Packet* pkt = rx_batch_[i];
    pkt->rx_ns = now;
    pkt->capture_ns = net::ReadCaptureTime({pkt->data, pkt->len});
    // Cannot fail: `room` micro-threads are free.
    S6_CHECK(scheduler_->TrySpawn([this, pkt] { ProcessPacket(pkt); }));
  }
  packet_stats_.received += got;
  packet_stats_.in_flight += got;
  return got;
}

void Instance::ProcessPacket(Packet* pkt) {
  // If the micro-thread ends in an exception (a state access abandoned), the packet is freed.
  struct Guard {
    Instance* self;
    Packet* pkt;
    bool done = false;
    ~Guard() {
      --self->packet_stats_.in_flight;
      if (done) return;
      ++self->packet_stats_.aborted;
      self->rx_->Release(pkt);
    }
  } guard{this, pkt};
  const Verdict v = nf_->Process(*pkt, *this);
  guard.done = true;
  switch (v) {
    case Verdict::kForward:
      tx_staged_.push_back(pkt);
      return;
    case Verdict::kDrop:
      ++packet_stats_.dropped;
      break;
    case Verdict::kConsumed:
      ++packet_stats_.consumed;
      break;
  }
  rx_->Release(pkt);
}

void Instance::FlushPackets() {
  if (tx_staged_.empty()) return;
  // Dwell: how long each forwarded packet spent in this instance (received -> handed to the
  // device), one clock read per flush. Where a packet waited (here, or in rings and the
  // generator) is what tells a stalled instance from a starved machine.
  const uint64_t now = clock_->NowNs();
  for (std::size_t i = dwell_recorded_; i < tx_staged_.size(); ++i) {
    const uint64_t d = now > tx_staged_[i]->rx_ns ? now - tx_staged_[i]->rx_ns : 0;
    dwell_.Record(d);
    if (d > 1'000'000) ++packet_stats_.dwell_over_1ms;
    if (d > 10'000'000) ++packet_stats_.dwell_over_10ms;
  }
  // What the device refuses (its ring is full: the next hop is slow) waits here and goes
  // first next iteration; only beyond a bound is it dropped (counted by the port).
  std::size_t sent = 0;
  while (sent < tx_staged_.size()) {
    const std::size_t n = tx_->TransmitSome(std::span<Packet* const>(tx_staged_).subspan(sent));
    if (n == 0) break;
    sent += n;
  }
  packet_stats_.forwarded += sent;
  tx_staged_.erase(tx_staged_.begin(), tx_staged_.begin() + static_cast<std::ptrdiff_t>(sent));
  if (tx_staged_.size() > options_.max_tx_backlog) {
    const std::size_t excess = tx_staged_.size() - options_.max_tx_backlog;
    packet_stats_.tx_backlog_dropped += excess;
    tx_->Transmit(std::span<Packet* const>(tx_staged_).first(excess));  // frees; tx_dropped
    tx_staged_.erase(tx_staged_.begin(), tx_staged_.begin() + static_cast<std::ptrdiff_t>(excess));
  }
  packet_stats_.tx_backlog = tx_staged_.size();
  dwell_recorded_ = tx_staged_.size();  // still staged: recorded already
}

bool Instance::RunOnce(int max_wait_ms) {
  S6_CHECK(started_) << "RunOnce before Start";
  ++loop_stats_.iterations;
  int wait_ms = 0;
  const bool may_wait =
      !options_.busy_poll && (nf_ == nullptr || idle_iterations_ >= options_.idle_spins);
  if (may_wait && max_wait_ms > 0 && scheduler_->ready() == 0 && !space_->has_local_messages() &&
      tx_staged_.empty() && posted_size_.load(std::memory_order_acquire) == 0) {
    const uint64_t now = clock_->NowNs();
    const uint64_t next = space_->NextTimerDeadline();
    if (next > now) {
      const uint64_t until_ms = (next - now + 999'999) / 1'000'000;
      wait_ms = static_cast<int>(std::min<uint64_t>(until_ms, static_cast<uint64_t>(max_wait_ms)));
    }
  }
  // Receiving from the network costs system calls (even when nothing is there); while packets
  // keep the loop busy, the transport is polled at most every transport_poll_interval.
  std::size_t work = 0;
  // Real time, not the instance clock: this paces system calls (a manual test clock would
  // otherwise starve the transport).
  const uint64_t now_ns = poll_clock_.NowNs();
  if (wait_ms > 0 || now_ns - last_transport_poll_ns_ >= options_.transport_poll_interval_ns ||
      now_ns < last_transport_poll_ns_) {
    work += transport_->Poll(*router_, wait_ms);
    last_transport_poll_ns_ = now_ns;
  }
  const uint64_t work_start_ns = wait_ms > 0 ? poll_clock_.NowNs() : now_ns;
  // After any wait: what runs below sees this time. A busy iteration on the real clock reuses
  // the reading above (clock reads are not free on every VM).
  space_->SetLoopTime(wait_ms == 0 && options_.clock == nullptr ? now_ns : clock_->NowNs());
  work += space_->PumpLocal();
  work += space_->RunTimers();
  work += space_->RunMigration() ? 1 : 0;
  work += scheduler_->RunReady();  // resumed work before new work
  work += TakePosted();
  work += TakePackets();
  // New micro-threads, and those their messages to ourselves make ready, settle in a few
  // rounds; anything left runs next iteration (after the network was polled again).
  for (int round = 0; round < 4; ++round) {
    std::size_t n = scheduler_->RunReady();
    n += space_->PumpLocal();
    work += n;
    if (n == 0) break;
  }
  FlushPackets();
  transport_->Flush();
  if (wait_ms > 0) ++loop_stats_.idle_sleeps;
  if (work != 0) {
    const uint64_t end_ns = poll_clock_.NowNs();
    const uint64_t took = end_ns > work_start_ns ? end_ns - work_start_ns : 0;
    if (took > 1'000'000) ++loop_stats_.slow_iterations;
    if (took > 10'000'000) ++loop_stats_.very_slow_iterations;
    loop_stats_.max_iteration_ns = std::max(loop_stats_.max_iteration_ns, took);
  }
  if (work != 0) {
    ++loop_stats_.busy_iterations;
    idle_iterations_ = 0;
  } else if (idle_iterations_ < options_.idle_spins) {
    ++idle_iterations_;
  }
  return work != 0;
}

void Instance::RunUntil(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_acquire)) RunOnce(options_.idle_poll_ms);
}

uint64_t Instance::AddTimer(std::chrono::nanoseconds period, std::function<void()> fn) {
  S6_CHECK(period.count() > 0) << "timer period must be positive";
  const uint64_t id = next_timer_id_++;
  auto t = std::make_shared<AppTimer>();
  t->period = period;
  t->fn = std::move(fn);
  app_timers_.emplace(id, std::move(t));
  ArmAppTimer(id);
  return id;
}

void Instance::CancelTimer(uint64_t id) {
  auto it = app_timers_.find(id);
  if (it == app_timers_.end()) return;
  it->second->cancelled = true;
  app_timers_.erase(it);
}

void Instance::ArmAppTimer(uint64_t id) {
  auto it = app_timers_.find(id);
  if (it == app_timers_.end()) return;
  std::shared_ptr<AppTimer> t = it->second;
  space_->timers().Add(clock_->NowNs() + static_cast<uint64_t>(t->period.count()), [this, id, t] {
    if (t->cancelled) return;
    if (t->running) {
      ++loop_stats_.timer_skips;
    } else if (scheduler_->TrySpawn([t] {
                 struct Done {
                   AppTimer* t;
                   ~Done() { t->running = false; }
                 } done{t.get()};
                 t->running = true;
                 t->fn();
               })) {
      ++loop_stats_.timer_runs;
    } else {
      ++loop_stats_.timer_skips;
    }
    ArmAppTimer(id);
  });
}

void Instance::SetBackgroundTask(std::function<void()> fn) {
  background_ = std::move(fn);
  if (started_) Spawn(background_);
}

void Instance::SleepFor(std::chrono::nanoseconds d) {
  S6_CHECK(scheduler_->InFiber()) << "SleepFor outside a micro-thread";
  const uint64_t id = next_sleep_id_++;
  bool fired = false;
  space_->timers().Add(clock_->NowNs() + static_cast<uint64_t>(std::max<int64_t>(0, d.count())),
                       [this, id, &fired] {
                         fired = true;
                         scheduler_->Wake({uthread::WaitKind::kTimer, id});
                       });
  while (!fired) scheduler_->Suspend({uthread::WaitKind::kTimer, id});
}

LoopStats Instance::loop_stats() const {
  LoopStats s = loop_stats_;
  s.tasks_posted = tasks_posted_.load(std::memory_order_relaxed);
  s.tasks_refused = tasks_refused_.load(std::memory_order_relaxed);
  return s;
}

void Instance::WriteStats(StatsSink& out) const {
  const LoopStats loop = loop_stats();
  out.Counter("instance", ToUint(options_.id));
  out.Group("loop", [&loop](StatsSink& g) {
    g.Counter("iterations", loop.iterations);
    g.Counter("busy_iterations", loop.busy_iterations);
    g.Counter("tasks_posted", loop.tasks_posted);
    g.Counter("tasks_refused", loop.tasks_refused);
    g.Counter("tasks_started", loop.tasks_started);
    g.Counter("timer_runs", loop.timer_runs);
    g.Counter("timer_skips", loop.timer_skips);
    g.Counter("pings_answered", loop.pings_answered);
    g.Counter("unhandled_messages", loop.unhandled_messages);
    g.Counter("idle_sleeps", loop.idle_sleeps);
    g.Counter("slow_iterations", loop.slow_iterations);
    g.Counter("very_slow_iterations", loop.very_slow_iterations);
    g.Gauge("max_iteration_ns", static_cast<double>(loop.max_iteration_ns));
  });
  if (nf_ != nullptr) {
    out.Group("packets", [this](StatsSink& g) { WritePacketStats(g); });
    out.Group("nf", [this](StatsSink& g) { nf_->WriteStats(g); });
  }
  out.Group("fibers", [this](StatsSink& g) {
    const uthread::SchedulerStats& f = scheduler_->stats();
    g.Gauge("in_use", static_cast<double>(scheduler_->in_flight()));
    g.Gauge("ready", static_cast<double>(scheduler_->ready()));
    g.Counter("spawned", f.spawned);
    g.Counter("completed", f.completed);
    g.Counter("aborted", f.aborted);
    g.Counter("refused", f.refused);
    g.Counter("suspends", f.suspends);
    g.Gauge("max_in_flight", static_cast<double>(f.max_in_flight));
    g.Gauge("stacks", static_cast<double>(scheduler_->stacks().created()));
  });
  out.Group("space", [this](StatsSink& g) { space_->stats().Write(g); });
  out.Group("migration", [this](StatsSink& g) { space_->migration_status().Write(g); });
  if (transport_) out.Group("transport", [this](StatsSink& g) { transport_->stats().Write(g); });
}

void Instance::WritePacketStats(StatsSink& out) const {
  const PacketStats& p = packet_stats_;
  out.Counter("received", p.received);
  out.Counter("forwarded", p.forwarded);
  out.Counter("dropped", p.dropped);
  out.Counter("consumed", p.consumed);
  out.Counter("aborted", p.aborted);
  out.Gauge("in_flight", static_cast<double>(p.in_flight));
  out.Group("dwell_us", [this](StatsSink& g) {
    g.Gauge("p50", static_cast<double>(dwell_.Percentile(0.5) / 1000));
    g.Gauge("p99", static_cast<double>(dwell_.Percentile(0.99) / 1000));
    g.Gauge("max", static_cast<double>(dwell_.max() / 1000));
  });
  out.Counter("dwell_over_1ms", p.dwell_over_1ms);
  out.Counter("dwell_over_10ms", p.dwell_over_10ms);
  out.Gauge("tx_backlog", static_cast<double>(p.tx_backlog));
  out.Counter("tx_backlog_dropped", p.tx_backlog_dropped);
  out.Group("rx_port", [this](StatsSink& g) { rx_->stats().Write(g); });
  out.Group("tx_port", [this](StatsSink& g) { tx_->stats().Write(g); });
}

std::string Instance::StatsJson() const {
  return StatsToJson([this](StatsSink& out) { WriteStats(out); });
}

}  // namespace s6

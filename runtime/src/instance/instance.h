// SPDX-License-Identifier: Apache-2.0
// File: instance/instance.h
//
// One NF instance: the data-plane loop that owns the micro-thread scheduler, the object space
// and the transport to the other instances.
//
// Theory of operation: one thread runs RunOnce() in a loop. An iteration
//   1. polls the transport (waiting up to `max_wait_ms` only when there is nothing else to do:
//      no ready micro-thread, no queued work, no message to ourselves, no timer due);
//   2. delivers messages the object space sent to itself and fires due timers;
//   3. resumes ready micro-threads *before* taking new work, so state that arrived is used
//      before more packets pile up;
//   4. takes new work (tasks posted from other threads, later packets) while fewer than
//      `max_fibers` micro-threads are alive: beyond that, work waits in its bounded queue
//      (backpressure, never an unbounded backlog of micro-threads);
//   5. flushes the transport: every peer's messages of this iteration leave as one batch, so an
//      S6_UNTETHER call is never held longer than one iteration.
// Everything except Post() (and the thread-safe stats snapshot) belongs to the loop thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include <s6/clock.h>
#include <s6/instance_id.h>
#include <s6/nf.h>
#include <s6/space.h>
#include <s6/status.h>
#include "keyspace/slot_table.h"
#include "objspace/object_space.h"
#include "packetio/port.h"
#include "stats/histogram.h"
#include "transport/zmq_transport.h"
#include "uthread/scheduler.h"

namespace s6 {

/// Counters of the loop itself.
struct LoopStats {
  uint64_t iterations = 0;
  uint64_t busy_iterations = 0;  ///< iterations that did any work
  uint64_t tasks_posted = 0;
  uint64_t tasks_refused = 0;  ///< Post() calls refused: the queue was full
  uint64_t tasks_started = 0;
  uint64_t timer_runs = 0;   ///< app timer callbacks started
  uint64_t timer_skips = 0;  ///< periods skipped because the previous run had not ended
  uint64_t pings_answered = 0;
  uint64_t unhandled_messages = 0;  ///< control-range messages (no handler yet)
  uint64_t idle_sleeps = 0;         ///< iterations that waited for input (adaptive polling)
  /// Iterations whose work (not counting the wait for input) took over 1 ms / 10 ms, and the
  /// longest: a stalled loop delays every packet behind it.
  uint64_t slow_iterations = 0;
  uint64_t very_slow_iterations = 0;
  uint64_t max_iteration_ns = 0;
};

/// Counters of the packet path (NF attached with AttachPacketIo).
struct PacketStats {
  uint64_t received = 0;
  uint64_t forwarded = 0;
  uint64_t dropped = 0;         ///< Verdict::kDrop
  uint64_t consumed = 0;        ///< Verdict::kConsumed
  uint64_t aborted = 0;         ///< the packet's micro-thread ended in an exception (packet freed)
  uint64_t in_flight = 0;       ///< gauge: packets being processed
  uint64_t dwell_over_1ms = 0;  ///< forwarded packets that spent over 1 ms in the instance
  uint64_t dwell_over_10ms = 0;
  uint64_t tx_backlog = 0;          ///< gauge: forwarded packets the device has not taken yet
  uint64_t tx_backlog_dropped = 0;  ///< dropped because that backlog was full
};

class Instance final : public Context {
 public:
  struct Options {
    InstanceId id{};
    /// Endpoint to bind: tcp://127.0.0.1:* (port chosen at Start), ipc://path, inproc://name.
    std::string endpoint;
    /// ZeroMQ context to share (required for inproc://); nullptr: the transport owns one.
    zmq::context_t* zmq_context = nullptr;
    /// Time source; nullptr: the steady clock.
    const Clock* clock = nullptr;
    uthread::Scheduler::Options fibers;
    objspace::ObjectSpace::Options space;
    /// Longest time RunOnce waits for messages when idle (adaptive polling).
    int idle_poll_ms = 1;
    /// With packet I/O attached: idle iterations spent polling without waiting before the loop
    /// starts to wait (adaptive polling, so that co-located processes can share the CPUs).
    uint32_t idle_spins = 200;
    /// Never wait (pinned busy polling, for dedicated cores).
    bool busy_poll = false;
    /// Most packets taken from the port per iteration.
    uint32_t rx_burst = 32;
    /// While the loop is busy, the longest time between two receives from the transport (a
    /// receive costs system calls even when nothing arrived). Idle loops always poll.
    uint64_t transport_poll_interval_ns = 20'000;
    /// How long closing the transport may wait to deliver what it queued (a departing instance
    /// exits right after its last hand-overs).
    int transport_linger_ms = 0;
    /// After a scale event, messages from an instance that left are still accepted this long
    /// (what it sent last may still be on its way), then it is forgotten.
    std::chrono::nanoseconds departed_grace = std::chrono::seconds(3);
    /// Forwarded packets kept for retry while the output device refuses them.
    std::size_t max_tx_backlog = 4096;
    /// Bound of the cross-thread task queue.
    std::size_t max_posted = 1 << 16;
  };

  explicit Instance(Options options);
  ~Instance() override;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  /// Where NF state maps register (before Start).
  Space& space() override { return *space_; }
  objspace::ObjectSpace& object_space() { return *space_; }
  uthread::Scheduler& scheduler() { return *scheduler_; }
  /// Null before Start.
  transport::ZmqTransport* transport() { return transport_.get(); }

  /// Seals the map registry (its schema hash goes into the handshake), binds the endpoint and,
  /// if no slot table was set, homes everything here (a one-instance table). Call once.
  Status Start();
  /// The endpoint peers connect to (resolved after Start).
  const std::string& endpoint() const;
  /// Connects to peer `id` at `endpoint` (after Start).
  Status AddPeer(InstanceId id, std::string endpoint);
  /// Installs the slot table (who is home of which key).
  void SetSlotTable(keyspace::SlotTable table);

  // --- scaling (DESIGN §6, docs/protocol.md); loop thread only (e.g. from a Post()ed task) ---
  /// Connects every instance of `peers` (id -> endpoint; the members of `current` and `next`)
  /// that is not a peer yet, then prepares the switch to `next` (ObjectSpace::PrepareTable).
  Status PrepareScale(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                      const std::vector<std::pair<InstanceId, std::string>>& peers,
                      objspace::MigrationOptions options);
  /// Withdraws a prepared table (ObjectSpace::AbortPrepared).
  Status AbortScale(uint64_t version) { return space_->AbortPrepared(version); }
  /// Routes by the prepared table from now on (ObjectSpace::SwitchTable).
  Status SwitchScale(uint64_t version);
  /// Ends the transition (ObjectSpace::CompleteTable) and forgets instances that left.
  Status CompleteScale(uint64_t version);
  /// Peers named at the last PrepareScale whose handshake has not completed.
  uint32_t PeersNotReady() const;

  /// Runs `fn` in a new micro-thread (loop thread only). False when `max_fibers` are alive.
  bool Spawn(std::function<void()> fn) override;
  /// Queues `fn` to run in a micro-thread on the loop thread. Thread-safe. False when the queue
  /// is full.
  bool Post(std::function<void()> fn);

  /// One loop iteration (see the theory of operation). Returns whether it did any work.
  bool RunOnce(int max_wait_ms);
  /// Runs iterations until `stop` becomes true (waiting up to idle_poll_ms when idle).
  void RunUntil(const std::atomic<bool>& stop);

  /// Calls `fn` in a micro-thread every `period` (a period is skipped while the previous run is
  /// still going). Returns an id for CancelTimer.
  uint64_t AddTimer(std::chrono::nanoseconds period, std::function<void()> fn) override;
  void CancelTimer(uint64_t id) override;
  /// Runs `nf` on every packet received from `rx`, each in its own micro-thread; packets it
  /// forwards leave through `tx` (or `rx` again when null: a bump in the wire). Packets are
  /// taken only while fewer than max_fibers micro-threads exist (backpressure: they wait in the
  /// port). nf->Init runs at Start. All borrowed; call before Start.
  void AttachPacketIo(NetworkFunction* nf, packetio::Port* rx, packetio::Port* tx = nullptr);
  const PacketStats& packet_stats() const { return packet_stats_; }

  /// Runs `fn` once in its own micro-thread, at Start (or now if already started); it may loop
  /// with SleepFor().
  void SetBackgroundTask(std::function<void()> fn);
  /// Suspends the calling micro-thread for `d` on the instance clock.
  void SleepFor(std::chrono::nanoseconds d) override;
  uint64_t NowNs() const override { return clock_->NowNs(); }

  InstanceId id() const { return options_.id; }
  InstanceId self() const override { return options_.id; }
  /// A snapshot of the loop counters (loop thread).
  LoopStats loop_stats() const;
  /// Reports the instance's counters, its packet path's, the NF's (as "nf"), the object
  /// space's, migration's and the transport's (loop thread).
  void WriteStats(StatsSink& out) const;
  /// WriteStats as JSON: {"instance":..,"loop":{..},"packets":{..},"nf":{..},"fibers":{..},
  /// "space":{..},"migration":{..},"transport":{..}} (loop thread).
  std::string StatsJson() const;

 private:
  class MessageRouter;
  struct AppTimer {
    std::chrono::nanoseconds period{};
    std::function<void()> fn;
    bool running = false;
    bool cancelled = false;
  };
  void WritePacketStats(StatsSink& out) const;
  void ArmAppTimer(uint64_t id);
  std::size_t TakePosted();
  std::size_t TakePackets();
  void ProcessPacket(Packet* pkt);
  void FlushPackets();

  const Options options_;
  std::unique_ptr<SteadyClock> owned_clock_;
  const Clock* clock_;
  std::unique_ptr<objspace::ObjectSpace> space_;
  std::unique_ptr<transport::ZmqTransport> transport_;
  std::unique_ptr<uthread::Scheduler> scheduler_;  // destroyed first (see ~Instance)
  std::unique_ptr<MessageRouter> router_;
  std::function<void()> background_;
  bool started_ = false;
  std::string endpoint_;

  std::mutex posted_mu_;
  std::deque<std::function<void()>> posted_;  // guarded by posted_mu_
  std::atomic<std::size_t> posted_size_{0};
  std::atomic<uint64_t> tasks_posted_{0};  // written by Post() on any thread
  std::atomic<uint64_t> tasks_refused_{0};

  NetworkFunction* nf_ = nullptr;  // not owned
  packetio::Port* rx_ = nullptr;   // not owned
  packetio::Port* tx_ = nullptr;   // not owned
  std::vector<Packet*> rx_batch_;
  std::vector<Packet*> tx_staged_;  // forwarded this iteration
  std::size_t dwell_recorded_ = 0;  // tx_staged_[0, this) had their dwell recorded
  stats::LatencyHistogram dwell_;
  PacketStats packet_stats_;
  uint32_t idle_iterations_ = 0;
  SteadyClock poll_clock_;
  uint64_t last_transport_poll_ns_ = 0;

  std::vector<InstanceId> scale_peers_;      // named at the last PrepareScale
  std::vector<InstanceId> scale_departing_;  // members of its current table, not of its next

  std::unordered_map<uint64_t, std::shared_ptr<AppTimer>> app_timers_;
  uint64_t next_timer_id_ = 1;
  uint64_t next_sleep_id_ = 1;
  LoopStats loop_stats_;
};

}  // namespace s6

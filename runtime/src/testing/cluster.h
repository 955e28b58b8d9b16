// SPDX-License-Identifier: Apache-2.0
// File: testing/cluster.h
//
// An in-process multi-instance harness for tests and benchmarks: N real instances, each with its
// own data-plane thread, real ZeroMQ sockets (inproc://, ipc:// or tcp:// on loopback) and one
// slot table over all of them.
//
//   struct State {                      // the NF's maps, constructed per instance
//     explicit State(s6::Space& s) : flows(s, "flows"), counters(s, "counters") {}
//     s6::SwMap<Key, Flow> flows;
//     s6::MwMap<Key, Counter> counters;
//   };
//   s6::testing::Cluster<State> c({.instances = 3});
//   c.Run(0, [](State& s, s6::Instance&) { s.flows.get(k)->bump(); });   // in a micro-thread
//
// Theory of operation: construction builds every instance, lets `State` register its maps,
// starts each transport, connects every pair, installs SlotTable::Initial over all ids, starts
// the loop threads and waits until every handshake completed. Run()/Async() post a task to one
// instance's loop; it runs there in a micro-thread (so it may suspend on remote state) and its
// result or exception comes back through a future. The destructor stops and joins the loops.
// Nothing here is a mock: this is exactly the code a multi-process deployment runs.
#pragma once

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include <s6/check.h>
#include "control/scale_driver.h"
#include "instance/instance.h"
#include "keyspace/slot_table.h"

namespace s6::testing {

enum class ClusterTransport { kInproc, kIpc, kTcp };

struct ClusterOptions {
  int instances = 3;
  ClusterTransport transport = ClusterTransport::kInproc;
  /// Shared time source of every instance (nullptr: steady clock).
  const Clock* clock = nullptr;
  uthread::Scheduler::Options fibers{};
  objspace::ObjectSpace::Options space{};
  uint32_t slots = keyspace::kDefaultSlots;
  /// First instance id; ids are consecutive from it (they need not be in general).
  uint32_t first_id = 1;
};

template <typename State>
class Cluster {
 public:
  explicit Cluster(ClusterOptions options) : options_(options), seq_(NextSeq()) {
    std::vector<InstanceId> ids;
    for (int i = 0; i < options_.instances; ++i) ids.push_back(NewNode().instance->id());
    for (auto& a : nodes_) {
      for (auto& b : nodes_) {
        if (a == b) continue;
        const Status st = a->instance->AddPeer(b->instance->id(), b->instance->endpoint());
        S6_CHECK(st.ok()) << st;
      }
    }
    StatusOr<keyspace::SlotTable> table = keyspace::SlotTable::Initial(ids, options_.slots);
    S6_CHECK(table.ok()) << table.status();
    table_ = *table;
    for (auto& n : nodes_) n->instance->SetSlotTable(table_);
    for (auto& n : nodes_) StartLoop(*n);
    WaitReady();
  }

  ~Cluster() {
    for (auto& n : nodes_) n->stop.store(true, std::memory_order_release);
    for (auto& n : nodes_) {
      if (n->thread.joinable()) n->thread.join();
    }
    // States (maps) go before their instances.
    for (auto& n : nodes_) n->state.reset();
    nodes_.clear();
  }

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  Instance& instance(int i) { return *nodes_.at(static_cast<std::size_t>(i))->instance; }
  State& state(int i) { return *nodes_.at(static_cast<std::size_t>(i))->state; }
  InstanceId id(int i) { return instance(i).id(); }

  /// Runs `fn(State&, Instance&)` in a micro-thread on instance `i`; the future carries its
  /// result or exception.
  template <typename Fn>
  auto Async(int i, Fn fn) -> std::future<std::invoke_result_t<Fn&, State&, Instance&>> {
    using R = std::invoke_result_t<Fn&, State&, Instance&>;
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> f = promise->get_future();
    Node* node = nodes_.at(static_cast<std::size_t>(i)).get();
    const bool posted = node->instance->Post([node, promise, fn = std::move(fn)]() mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          fn(*node->state, *node->instance);
          promise->set_value();
        } else {
          promise->set_value(fn(*node->state, *node->instance));
        }
      } catch (...) {
        promise->set_exception(std::current_exception());
        throw;  // let the scheduler count the aborted micro-thread, as for a packet
      }
    });
    S6_CHECK(posted) << "instance task queue full";
    return f;
  }

  /// Like Async, and waits (up to `timeout`) for the result.
  template <typename Fn>
  auto Run(int i, Fn fn, std::chrono::milliseconds timeout = std::chrono::seconds(30))
      -> std::invoke_result_t<Fn&, State&, Instance&> {
    auto f = Async(i, std::move(fn));
    if (f.wait_for(timeout) != std::future_status::ready) {
      throw std::runtime_error("s6::testing::Cluster: task on instance " + std::to_string(i) +
                               " did not finish in time");
    }
    return f.get();
  }

  /// Starts one more instance (id: first_id + its index), connected to every other and routing
  /// by the table in force, but not a member of it (it homes nothing): Scale() makes it one.
  /// Returns its index.
  int AddInstance() {
    Node& n = NewNode(&table_);
    for (int i = 0; i + 1 < size(); ++i) {
      const Status st =
          instance(i).transport()->GetPeerState(n.instance->id()) == transport::PeerState::kUnknown
              ? Run(i,
                    [&n](State&, Instance& inst) {
                      return inst.AddPeer(n.instance->id(), n.instance->endpoint());
                    })
              : OkStatus();
      S6_CHECK(st.ok()) << st;
      const Status back = n.instance->AddPeer(id(i), instance(i).endpoint());
      S6_CHECK(back.ok()) << back;
    }
    StartLoop(n);
    WaitReady();
    return size() - 1;
  }

  /// Stops instance i's loop (its state stays readable only through what was returned before).
  void StopInstance(int i) {
    Node& n = *nodes_.at(static_cast<std::size_t>(i));
    n.stop.store(true, std::memory_order_release);
    if (n.thread.joinable()) n.thread.join();
  }

  /// The slot table in force (after the last successful Scale()).
  const keyspace::SlotTable& table() const { return table_; }

  /// Drives a scale event to the instances with indices `members` (control/scale_driver.h; the
  /// caller links s6::control). On success the new table is in force.
  StatusOr<control::ScaleReport> Scale(const std::vector<int>& members,
                                       control::ScaleOptions options = {}) {
    std::vector<InstanceId> ids;
    for (int i : members) ids.push_back(id(i));
    StatusOr<keyspace::SlotTable> next = table_.Rebalance(ids);
    if (!next.ok()) return next.status();
    std::vector<std::unique_ptr<InProcessTarget>> owned;
    std::map<InstanceId, control::ScaleTarget*> targets;
    std::map<InstanceId, std::string> endpoints;
    for (int i = 0; i < size(); ++i) {
      const InstanceId iid = id(i);
      if (!table_.IsMember(iid) && !next->IsMember(iid)) continue;
      owned.push_back(std::make_unique<InProcessTarget>(*this, i));
      targets[iid] = owned.back().get();
      endpoints[iid] = instance(i).endpoint();
    }
    StatusOr<control::ScaleReport> report =
        control::RunScaleEvent(table_, *next, targets, endpoints, options);
    if (report.ok()) table_ = *next;
    return report;
  }

  /// Instance i's counters as JSON (read on its loop thread).
  std::string StatsJson(int i) {
    return Run(i, [](State&, Instance& inst) { return inst.StatsJson(); });
  }

 private:
  struct Node {
    std::unique_ptr<Instance> instance;
    std::unique_ptr<State> state;
    std::thread thread;
    std::atomic<bool> stop{false};
  };

  /// Drives one instance of this cluster on its loop thread; an instance that does not answer
  /// within a second (stopped) is Unavailable, as a dead process would be.
  class InProcessTarget final : public control::ScaleTarget {
   public:
    InProcessTarget(Cluster& c, int i) : c_(c), i_(i) {}
    Status Prepare(const keyspace::SlotTable& current, const keyspace::SlotTable& next,
                   const std::vector<std::pair<InstanceId, std::string>>& peers,
                   const objspace::MigrationOptions& options) override {
      return Call<Status>(
          [&](Instance& inst) { return inst.PrepareScale(current, next, peers, options); });
    }
    Status Abort(uint64_t v) override {
      return Call<Status>([v](Instance& inst) { return inst.AbortScale(v); });
    }
    Status Switch(uint64_t v) override {
      return Call<Status>([v](Instance& inst) { return inst.SwitchScale(v); });
    }
    Status Complete(uint64_t v) override {
      return Call<Status>([v](Instance& inst) { return inst.CompleteScale(v); });
    }
    StatusOr<Progress> Poll() override {
      return Call<StatusOr<Progress>>([](Instance& inst) {
        Progress p;
        p.migration = inst.object_space().migration_status();
        p.peers_not_ready = inst.PeersNotReady();
        return StatusOr<Progress>(p);
      });
    }

   private:
    template <typename R, typename Fn>
    R Call(Fn fn) {
      try {
        return c_.Run(
            i_, [&fn](State&, Instance& inst) { return R(fn(inst)); },
            std::chrono::milliseconds(1000));
      } catch (const std::exception& e) {
        return UnavailableError(e.what());
      }
    }

    Cluster& c_;
    int i_;
  };

  static int NextSeq() {
    static std::atomic<int> cluster_seq{0};
    return cluster_seq.fetch_add(1);
  }

  /// Builds and starts (transport bound, maps registered) instance number size().
  Node& NewNode(const keyspace::SlotTable* table = nullptr) {
    const int i = size();
    Node& n = *nodes_.emplace_back(std::make_unique<Node>());
    Instance::Options io;
    io.id = static_cast<InstanceId>(options_.first_id + static_cast<uint32_t>(i));
    io.endpoint = Endpoint(seq_, i);
    io.zmq_context = &context_;
    io.clock = options_.clock;
    io.fibers = options_.fibers;
    io.space = options_.space;
    n.instance = std::make_unique<Instance>(io);
    n.state = std::make_unique<State>(n.instance->space());
    if (table != nullptr) n.instance->SetSlotTable(*table);
    const Status st = n.instance->Start();
    S6_CHECK(st.ok()) << st;
    return n;
  }

  void StartLoop(Node& n) {
    Node* node = &n;
    node->thread = std::thread([node] { node->instance->RunUntil(node->stop); });
  }

  std::string Endpoint(int seq, int i) const {
    const std::string tag =
        std::to_string(::getpid()) + "-" + std::to_string(seq) + "-" + std::to_string(i);
    switch (options_.transport) {
      case ClusterTransport::kInproc:
        return "inproc://s6-cluster-" + tag;
      case ClusterTransport::kIpc:
        return "ipc:///tmp/s6-cluster-" + tag;
      case ClusterTransport::kTcp:
        return "tcp://127.0.0.1:*";
    }
    return {};
  }

  void WaitReady() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 0; i < size(); ++i) {
      for (;;) {
        const bool ready = Run(i, [this](State&, Instance& inst) {
          for (auto& n : nodes_) {
            if (n->instance.get() == &inst) continue;
            if (inst.transport()->GetPeerState(n->instance->id()) != transport::PeerState::kReady) {
              return false;
            }
          }
          return true;
        });
        if (ready) break;
        S6_CHECK(std::chrono::steady_clock::now() < deadline) << "cluster handshake timed out";
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }

  const ClusterOptions options_;
  zmq::context_t context_;  // shared by all instances (inproc needs one context)
  const int seq_;
  std::vector<std::unique_ptr<Node>> nodes_;
  keyspace::SlotTable table_;
};

}  // namespace s6::testing

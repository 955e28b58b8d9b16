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
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include <s6/check.h>
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
  explicit Cluster(ClusterOptions options) : options_(options) {
    static std::atomic<int> cluster_seq{0};
    const int seq = cluster_seq.fetch_add(1);
    std::vector<InstanceId> ids;
    for (int i = 0; i < options_.instances; ++i) {
      Node& n = *nodes_.emplace_back(std::make_unique<Node>());
      Instance::Options io;
      io.id = static_cast<InstanceId>(options_.first_id + static_cast<uint32_t>(i));
      io.endpoint = Endpoint(seq, i);
      io.zmq_context = &context_;
      io.clock = options_.clock;
      io.fibers = options_.fibers;
      io.space = options_.space;
      n.instance = std::make_unique<Instance>(io);
      n.state = std::make_unique<State>(n.instance->space());
      const Status st = n.instance->Start();
      S6_CHECK(st.ok()) << st;
      ids.push_back(io.id);
    }
    for (auto& a : nodes_) {
      for (auto& b : nodes_) {
        if (a == b) continue;
        const Status st = a->instance->AddPeer(b->instance->id(), b->instance->endpoint());
        S6_CHECK(st.ok()) << st;
      }
    }
    StatusOr<keyspace::SlotTable> table = keyspace::SlotTable::Initial(ids, options_.slots);
    S6_CHECK(table.ok()) << table.status();
    for (auto& n : nodes_) n->instance->SetSlotTable(*table);
    for (auto& n : nodes_) {
      Node* node = n.get();
      node->thread = std::thread([this, node] { node->instance->RunUntil(stop_); });
    }
    WaitReady();
  }

  ~Cluster() {
    stop_.store(true, std::memory_order_release);
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

  /// Instance i's counters as JSON (read on its loop thread).
  std::string StatsJson(int i) {
    return Run(i, [](State&, Instance& inst) { return inst.StatsJson(); });
  }

 private:
  struct Node {
    std::unique_ptr<Instance> instance;
    std::unique_ptr<State> state;
    std::thread thread;
  };

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
  std::vector<std::unique_ptr<Node>> nodes_;
  std::atomic<bool> stop_{false};
};

}  // namespace s6::testing

// SPDX-License-Identifier: Apache-2.0
// File: testing/local_cluster.cc
//
// The compiled core of the public test harness s6::testing::LocalCluster (s6/testing/cluster.h).
//
// Theory of operation: the same bring-up as the internal harness (testing/cluster.h), behind a
// pimpl so that the public header names no internal type. Construction builds every Instance
// (each registers its maps through the caller's StateFactory before it starts), starts its
// transport, connects every pair, installs SlotTable::Initial over all ids and starts one loop
// thread per instance; it returns once each instance reports every peer ready, asked on the
// instance's own loop thread (transport state belongs to it). Tasks are Instance::Post()ed and
// run in micro-threads with the instance as their s6::Context. Endpoints are made unique by the
// process id and the core's address, so concurrent clusters (and processes) never collide
// without any process-wide counter; the destructor removes the ipc:// socket files.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
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
#include <s6/testing/cluster.h>
#include "instance/instance.h"
#include "keyspace/slot_table.h"

namespace s6::testing::detail {

namespace {

/// How long construction waits for all handshakes.
constexpr std::chrono::seconds kReadyTimeout(20);

}  // namespace

struct ClusterCore::Impl {
  struct Node {
    std::unique_ptr<Instance> instance;
    std::unique_ptr<ErasedState> state;
    std::thread thread;
    std::atomic<bool> stop{false};
  };

  explicit Impl(const LocalClusterOptions& o) : options(o) {}

  ~Impl() {
    for (auto& n : nodes) n->stop.store(true, std::memory_order_release);
    for (auto& n : nodes) {
      if (n->thread.joinable()) n->thread.join();
    }
    // States (their maps) go before the instances whose spaces they registered with.
    for (auto& n : nodes) n->state.reset();
    nodes.clear();
    // The sockets are closed; remove what ipc:// binding left in the file system.
    context.close();
    for (const auto& n : ipc_paths) ::unlink(n.c_str());
  }

  Node& node(int i) const { return *nodes.at(static_cast<std::size_t>(i)); }

  static std::string IpcPath(const char* tag) { return std::string("/tmp/s6-local-") + tag; }

  std::string Endpoint(int i) const {
    char tag[64];
    std::snprintf(tag, sizeof(tag), "%ld-%llx-%d", static_cast<long>(::getpid()),
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(this)), i);
    switch (options.transport) {
      case LocalTransport::kInproc:
        return std::string("inproc://s6-local-") + tag;
      case LocalTransport::kIpc:
        return std::string("ipc://") + IpcPath(tag);
      case LocalTransport::kTcp:
        return "tcp://127.0.0.1:*";
    }
    return {};
  }

  /// Runs `fn(Instance&)` on instance i's loop thread and waits up to `timeout` for its result.
  template <typename Fn>
  auto OnLoop(int i, Fn fn, std::chrono::milliseconds timeout)
      -> std::invoke_result_t<Fn&, Instance&> {
    using R = std::invoke_result_t<Fn&, Instance&>;
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    Instance* inst = node(i).instance.get();
    const bool posted = inst->Post([inst, promise, fn = std::move(fn)]() mutable {
      try {
        promise->set_value(fn(*inst));
      } catch (...) {
        promise->set_exception(std::current_exception());
        throw;
      }
    });
    if (!posted) {
      throw std::runtime_error("s6::testing::LocalCluster: task queue of instance " +
                               std::to_string(i) + " full");
    }
    if (result.wait_for(timeout) != std::future_status::ready) {
      throw std::runtime_error("s6::testing::LocalCluster: instance " + std::to_string(i) +
                               " did not answer in time");
    }
    return result.get();
  }

  /// Whether instance i has completed the handshake with every other instance.
  bool Ready(int i) {
    return OnLoop(
        i,
        [this](Instance& inst) {
          for (const auto& n : nodes) {
            if (n->instance.get() == &inst) continue;
            if (inst.transport()->GetPeerState(n->instance->id()) != transport::PeerState::kReady) {
              return false;
            }
          }
          return true;
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(kReadyTimeout));
  }

  const LocalClusterOptions options;
  zmq::context_t context;  // shared by all instances (inproc:// needs one); outlives them
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::string> ipc_paths;  // socket files to remove at the end (ipc:// only)
};

ClusterCore::ClusterCore(const LocalClusterOptions& options, const StateFactory& make_state)
    : impl_(std::make_unique<Impl>(options)) {
  S6_CHECK(options.instances >= 1) << "LocalCluster needs at least one instance";
  std::vector<InstanceId> ids;
  for (int i = 0; i < options.instances; ++i) {
    Impl::Node& n = *impl_->nodes.emplace_back(std::make_unique<Impl::Node>());
    Instance::Options io;
    io.id = static_cast<InstanceId>(static_cast<uint32_t>(i) + 1);
    io.endpoint = impl_->Endpoint(i);
    if (options.transport == LocalTransport::kIpc) {
      impl_->ipc_paths.push_back(io.endpoint.substr(std::strlen("ipc://")));
    }
    io.zmq_context = &impl_->context;
    io.clock = options.clock;
    n.instance = std::make_unique<Instance>(io);
    n.state = make_state(n.instance->space());
    S6_CHECK(n.state != nullptr) << "LocalCluster: the state factory returned null";
    const Status st = n.instance->Start();
    S6_CHECK(st.ok()) << "LocalCluster: instance " << i << " failed to start: " << st;
    ids.push_back(io.id);
  }
  for (auto& a : impl_->nodes) {
    for (auto& b : impl_->nodes) {
      if (a == b) continue;
      const Status st = a->instance->AddPeer(b->instance->id(), b->instance->endpoint());
      S6_CHECK(st.ok()) << st;
    }
  }
  StatusOr<keyspace::SlotTable> table = keyspace::SlotTable::Initial(ids);
  S6_CHECK(table.ok()) << table.status();
  for (auto& n : impl_->nodes) n->instance->SetSlotTable(*table);
  for (auto& n : impl_->nodes) {
    Impl::Node* node = n.get();
    node->thread = std::thread([node] { node->instance->RunUntil(node->stop); });
  }
  // The handshakes run on the loop threads; poll each instance's view of its peers.
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  for (int i = 0; i < size(); ++i) {
    while (!impl_->Ready(i)) {
      S6_CHECK(std::chrono::steady_clock::now() < deadline)
          << "LocalCluster: handshakes did not complete within " << kReadyTimeout.count() << " s";
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

ClusterCore::~ClusterCore() = default;

int ClusterCore::size() const { return static_cast<int>(impl_->nodes.size()); }

InstanceId ClusterCore::id(int i) const { return impl_->node(i).instance->id(); }

bool ClusterCore::Post(int i, Task task) {
  Impl::Node* node = &impl_->node(i);
  return node->instance->Post(
      [node, task = std::move(task)]() { task(*node->state, *node->instance); });
}

std::string ClusterCore::StatsJson(int i, std::chrono::milliseconds timeout) {
  return impl_->OnLoop(
      i, [](Instance& inst) { return inst.StatsJson(); }, timeout);
}

}  // namespace s6::testing::detail

// SPDX-License-Identifier: Apache-2.0
// File: s6/testing/cluster.h
//
// A cluster of real S6 instances inside one process, for NF authors' tests and examples: each
// instance has its own data-plane thread, object space and ZeroMQ transport (inproc://, ipc://
// or tcp:// on loopback), and one slot table spreads the keys over all of them.
//
//   struct State {                      // the NF's maps, constructed once per instance
//     explicit State(s6::Space& s) : flows(s, "my.flows"), pools(s, "my.pools") {}
//     s6::SwMap<FlowKey, Flow> flows;
//     s6::MwMap<uint32_t, Pool> pools;
//   };
//   s6::testing::LocalCluster<State> c({.instances = 3});
//   c.Run(0, [](State& s, s6::Context&) { s.flows.get_or_create(k)->bump(); });
//   uint64_t n = c.Run(2, [](State& s, s6::Context&) { return s.flows.lookup(k)->count(); });
//   nlohmann::json stats = nlohmann::json::parse(c.StatsJson(2));   // {"space":{..},..}
//
// Theory of operation: LocalCluster<State> is a thin typed layer over
// s6::testing::detail::ClusterCore, which the runtime compiles (link S6::testing). The core
// builds every instance, lets a `State` register its maps on each, starts the transports,
// connects every pair, installs one slot table over all of them, starts the loop threads and
// returns once every handshake completed. Run(), Async() and Post() queue a task on one
// instance's loop; it runs there in a micro-thread, so it may touch state homed anywhere in the
// cluster (the micro-thread suspends while the object or the call travels). Async() and Run()
// carry the task's result or exception back through a future. The destructor stops and joins
// the loops, then destroys the states and the instances. Nothing is mocked: this is the code a
// multi-process deployment runs, minus the process boundary.
//
// Threading: call the cluster from test threads, never from inside a task (a task that waits
// for Run() on its own instance would wait for itself). A `State` is only touched by its
// instance's loop thread, through tasks; there is no accessor for it from outside.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <s6/clock.h>
#include <s6/instance_id.h>
#include <s6/nf.h>
#include <s6/space.h>

namespace s6::testing {

/// How the instances of a LocalCluster talk to each other.
enum class LocalTransport {
  kInproc,  ///< ZeroMQ inproc:// (one shared context; fastest)
  kIpc,     ///< ZeroMQ ipc:// (Unix sockets under /tmp)
  kTcp,     ///< ZeroMQ tcp:// on 127.0.0.1 (ports picked by the kernel)
};

/// Options of a LocalCluster.
struct LocalClusterOptions {
  /// Number of instances (>= 1). Their ids are 1..instances.
  int instances = 3;
  LocalTransport transport = LocalTransport::kInproc;
  /// Time source shared by every instance (e.g. an s6::ManualClock that the test advances);
  /// nullptr: the steady clock. Borrowed: it must outlive the cluster.
  const Clock* clock = nullptr;
};

namespace detail {

/// A type-erased `State`, owned by the core.
class ErasedState {
 public:
  virtual ~ErasedState() = default;
};

template <typename State>
class StateBox final : public ErasedState {
 public:
  explicit StateBox(Space& space) : state(space) {}
  State state;
};

/// The non-template part of LocalCluster, compiled into the runtime (pimpl: no internal type
/// appears here). Use LocalCluster instead.
class ClusterCore {
 public:
  /// Builds one instance's state from its Space (called once per instance, before it starts).
  using StateFactory = std::function<std::unique_ptr<ErasedState>(Space&)>;
  /// A task: runs in a micro-thread on the instance's loop thread.
  using Task = std::function<void(ErasedState&, Context&)>;

  /// Starts the cluster; returns once every instance completed its handshake with every other.
  /// Aborts (S6_CHECK) if an instance cannot start or the handshakes time out.
  ClusterCore(const LocalClusterOptions& options, const StateFactory& make_state);
  /// Stops and joins the loops, then destroys the states and the instances.
  ~ClusterCore();
  ClusterCore(const ClusterCore&) = delete;
  ClusterCore& operator=(const ClusterCore&) = delete;

  int size() const;
  /// Instance i's id. Throws std::out_of_range for a bad index.
  InstanceId id(int i) const;
  /// Queues `task` on instance i. False when its task queue is full (backpressure).
  bool Post(int i, Task task);
  /// Instance i's stats as JSON, read on its loop thread. Throws std::runtime_error if the
  /// instance does not answer within `timeout`.
  std::string StatsJson(int i, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detail

/// N instances of an NF's state in one process; see the theory of operation above. `State`
/// must be constructible from `s6::Space&` (it registers its maps there).
template <typename State>
class LocalCluster {
 public:
  static_assert(std::is_constructible_v<State, Space&>,
                "LocalCluster<State>: State must be constructible from s6::Space&");

  /// Default time a Run() waits for its task.
  static constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::seconds(30);

  /// Starts `options.instances` instances, each with its own `State`, and waits until they are
  /// all connected.
  explicit LocalCluster(LocalClusterOptions options = {})
      : core_(options, [](Space& space) -> std::unique_ptr<detail::ErasedState> {
          return std::make_unique<detail::StateBox<State>>(space);
        }) {}

  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  /// Number of instances.
  int size() const { return core_.size(); }
  /// Instance i's id (index i in 0..size()-1).
  InstanceId id(int i) const { return core_.id(i); }

  /// Runs `fn(State&, s6::Context&)` in a micro-thread on instance i; the future carries what it
  /// returns or throws. If instance i's task queue is full, the future holds a
  /// std::runtime_error. `fn` must be copyable (it travels in a std::function).
  template <typename Fn>
  auto Async(int i, Fn fn) -> std::future<std::invoke_result_t<Fn&, State&, Context&>> {
    using R = std::invoke_result_t<Fn&, State&, Context&>;
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    const bool posted =
        core_.Post(i, [promise, fn = std::move(fn)](detail::ErasedState& s, Context& ctx) mutable {
          State& state = static_cast<detail::StateBox<State>&>(s).state;
          try {
            if constexpr (std::is_void_v<R>) {
              fn(state, ctx);
              promise->set_value();
            } else {
              promise->set_value(fn(state, ctx));
            }
          } catch (...) {
            promise->set_exception(std::current_exception());
            throw;  // the runtime counts the aborted micro-thread, as for a packet
          }
        });
    if (!posted) {
      promise->set_exception(std::make_exception_ptr(std::runtime_error(
          "s6::testing::LocalCluster: task queue of instance " + std::to_string(i) + " full")));
    }
    return result;
  }

  /// Async(), then waits up to `timeout` for the result and returns it (or rethrows what `fn`
  /// threw). Throws std::runtime_error if the task did not finish in time; the task may then
  /// still run later, so `fn` should not capture locals by reference in tests that expect
  /// timeouts.
  template <typename Fn>
  auto Run(int i, Fn fn, std::chrono::milliseconds timeout = kDefaultTimeout)
      -> std::invoke_result_t<Fn&, State&, Context&> {
    auto result = Async(i, std::move(fn));
    if (result.wait_for(timeout) != std::future_status::ready) {
      throw std::runtime_error("s6::testing::LocalCluster: task on instance " + std::to_string(i) +
                               " did not finish in time");
    }
    return result.get();
  }

  /// Queues `fn(State&, s6::Context&)` to run in a micro-thread on instance i, fire and forget
  /// (an exception ends the micro-thread and is counted in the instance's stats, under
  /// "fibers.aborted"). Returns false, without queueing, when the instance's task queue is
  /// full: back off and retry, as a packet source would.
  template <typename Fn>
  bool Post(int i, Fn fn) {
    static_assert(std::is_invocable_v<Fn&, State&, Context&>,
                  "LocalCluster::Post: fn must be callable as fn(State&, s6::Context&)");
    return core_.Post(i, [fn = std::move(fn)](detail::ErasedState& s, Context& ctx) mutable {
      fn(static_cast<detail::StateBox<State>&>(s).state, ctx);
    });
  }

  /// Instance i's counters as one JSON object, read on its loop thread:
  /// {"instance":..,"loop":{..},"fibers":{..},"space":{..},"migration":{..},"transport":{..}}
  /// ("space" holds the object space's counters, e.g. sw_local_hits, mw_calls_served).
  std::string StatsJson(int i, std::chrono::milliseconds timeout = kDefaultTimeout) {
    return core_.StatsJson(i, timeout);
  }

 private:
  detail::ClusterCore core_;
};

}  // namespace s6::testing

// SPDX-License-Identifier: Apache-2.0
// Object-space micro-benchmarks (issue "Runtime core"). State classes: bench_state.h.
//
// One instance (no network):
//   BM_SwLocalAccess          SwMap::get(key) of a SingleWriter object already held here, one
//                             method call through the ref, ref release. No micro-thread.
//   BM_MwLocalCall            one strict call on a MultiWriter object homed here, through an
//                             MwRef kept across iterations (stub encode, dispatch, decode).
// Two instances in two processes (the benchmark forks a child running an Instance with the
// same maps; every key is homed on the child; the parent runs the benchmark loop):
//   BM_MwStrictRemote/<ipc|tcp>        strict call round trip: spawn a micro-thread that calls
//                                      Tally::add(u64) -> u64 at the child, run the loop until
//                                      it finished. This is a packet's whole remote call.
//   BM_ZmqPingPong/<ipc|tcp>_process   the raw ZeroMQ baseline with the same transport between
//                                      the same two processes: PUSH/PULL pairs, 64-byte
//                                      payload, blocking send/recv.
//   BM_SwRemoteAcquire/ipc             a SingleWriter object ping-ponged between the processes.
//                                      One iteration is two acquisitions, each by the instance
//                                      that does not hold the object (so each is a recall plus
//                                      a transfer): the parent acquires it, then asks the child
//                                      (Mailbox::pull, untether) to take it back and runs until
//                                      it has left. Time per acquisition is half an iteration.
//   BM_MwUntetherRemote/ipc            untether calls to the child: 16 x (a micro-thread makes
//                                      1000 calls, one loop iteration flushes them as one
//                                      batch), then one strict read, which is FIFO behind them,
//                                      so an iteration ends only when the child has executed
//                                      all 16000. The read also checks none was lost.
//   BM_MwStaleHit/ipc                  an S6_STALE call answered from the warm cache (remote
//                                      home, 1 s bound); the loop runs in a micro-thread that
//                                      yields to the instance loop every 1024 calls.
// Remote benchmarks give up after 5 s without progress (SkipWithError), and the child exits
// when the parent closes the control socket (or dies: PR_SET_PDEATHSIG); it is always reaped.
// The parent forks before it creates any ZeroMQ context.
#include <benchmark/benchmark.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "raw_pingpong.h"

#include <s6/map.h>
#include <s6/space.h>
#include "bench_state.s6.h"
#include "instance/instance.h"
#include "keyspace/slot_table.h"

namespace {

using s6::Instance;
using s6::InstanceId;
using s6bench::Flow;
using s6bench::FlowKey;
using s6bench::Mailbox;
using s6bench::Tally;
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = std::chrono::seconds(5);
constexpr InstanceId kParentId{1};
constexpr InstanceId kChildId{2};
constexpr FlowKey kFlowKey{0x0a000001, 0x0a000002, 40000, 80, 6};
constexpr uint32_t kTallyKey = 7;
constexpr uint32_t kMailboxKey = 1;
constexpr std::size_t kRawPayloadBytes = 64;

enum class Net { kIpc, kTcp };

const char* NetName(Net net) { return net == Net::kIpc ? "ipc" : "tcp"; }

/// The NF state of every benchmark instance (the same maps in both processes).
struct BenchState {
  explicit BenchState(s6::Space& s)
      : flows(s, "bench.flows"), tallies(s, "bench.tallies"), mailboxes(s, "bench.mailboxes") {}
  s6::SwMap<FlowKey, Flow> flows;
  s6::MwMap<uint32_t, Tally> tallies;
  s6::MwMap<uint32_t, Mailbox> mailboxes;
};

/// A temporary directory for ipc:// sockets (made before fork, removed by the parent).
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/s6-micro-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string BindEndpoint(Net net, const std::string& dir, const char* name) {
  return net == Net::kIpc ? "ipc://" + dir + "/" + name : "tcp://127.0.0.1:*";
}

// --- The control socket between parent and child (endpoints, then "close = stop"). ---

bool SendLine(int fd, const std::string& line) {
  const std::string m = line + "\n";
  std::size_t off = 0;
  while (off < m.size()) {
    const ssize_t n = ::send(fd, m.data() + off, m.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

/// One line (without '\n'); nullopt on timeout, EOF or error.
std::optional<std::string> RecvLine(int fd) {
  const auto deadline = Clock::now() + kTimeout;
  std::string line;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char c = 0;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

/// True once the other side closed its end (or the socket failed).
bool PeerClosed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char c = 0;
  const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/// A forked child running `body(control_fd)`; it `_exit`s with body's result. Stop() (or the
/// destructor) closes the control socket, waits up to 3 s for the child, then kills it; the
/// child is always reaped.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  template <typename Body>
  bool Start(Body body, std::string* error) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      *error = "socketpair failed";
      return false;
    }
    std::fflush(nullptr);  // nothing buffered may be written twice
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(sv[0]);
      ::close(sv[1]);
      *error = "fork failed";
      return false;
    }
    if (pid_ == 0) {
      ::close(sv[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(2);
      int rc = 3;
      try {
        rc = body(sv[1]);
      } catch (const std::exception& e) {
        SendLine(sv[1], std::string("ERR ") + e.what());
      } catch (...) {
      }
      ::_exit(rc);  // no atexit handlers, no static destructors of the parent's world
    }
    ::close(sv[1]);
    fd_ = sv[0];
    return true;
  }

  int fd() const { return fd_; }

  void Stop() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (pid_ <= 0) return;
    const auto give_up = Clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > give_up) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

/// Every slot owned by `home`, over the two benchmark instances.
s6::keyspace::SlotTable AllHomedOn(InstanceId home) {
  s6::StatusOr<s6::keyspace::SlotTable> t = s6::keyspace::SlotTable::FromOwners(
      1, {kParentId, kChildId}, std::vector<InstanceId>(s6::keyspace::kDefaultSlots, home));
  S6_CHECK(t.ok()) << t.status();
  return *std::move(t);
}

// --- The child's instance. ---

Instance* g_child_instance = nullptr;
BenchState* g_child_state = nullptr;

/// Mailbox::pull at the child: acquire the flow here (recalling it from the parent), use it once.
void ChildPull() {
  g_child_instance->Spawn([] {
    s6::SwRef<Flow> r = g_child_state->flows.get(kFlowKey);
    r->bump();
  });
}

int InstanceChildMain(int fd, Net net, const std::string& dir) {
  Instance::Options o;
  o.id = kChildId;
  o.endpoint = BindEndpoint(net, dir, "child");
  auto inst = std::make_unique<Instance>(o);
  auto st = std::make_unique<BenchState>(inst->space());
  inst->SetSlotTable(AllHomedOn(kChildId));
  s6::Status s = inst->Start();
  if (!s.ok()) {
    SendLine(fd, "ERR child: " + s.ToString());
    return 1;
  }
  if (!SendLine(fd, inst->endpoint())) return 1;
  const std::optional<std::string> parent = RecvLine(fd);
  if (!parent) return 1;
  s = inst->AddPeer(kParentId, *parent);
  if (!s.ok()) return 1;
  g_child_instance = inst.get();
  g_child_state = st.get();
  s6bench::g_pull_hook = &ChildPull;
  // The control socket is checked when idle (a 1 ms wait passed) or every 1024 iterations, so
  // the hot path makes no extra system call.
  for (uint64_t n = 1;; ++n) {
    const bool busy = inst->RunOnce(1);
    if ((!busy || n % 1024 == 0) && PeerClosed(fd)) break;
  }
  return 0;
}

// --- The parent's side. ---

/// The parent's instance plus the forked child instance, connected and handshaken.
class RemotePair {
 public:
  RemotePair() = default;
  ~RemotePair() {
    state_.reset();  // maps before their instance
    instance_.reset();
    child_.Stop();
  }
  RemotePair(const RemotePair&) = delete;
  RemotePair& operator=(const RemotePair&) = delete;

  /// Setup, or marks the benchmark skipped with the reason.
  bool SetupOrSkip(Net net, benchmark::State& state) {
    std::string error;
    if (Setup(net, &error)) return true;
    state.SkipWithError(error.c_str());
    return false;
  }

  bool Setup(Net net, std::string* error) {
    if (net == Net::kIpc && dir_.path().empty()) {
      *error = "mkdtemp failed";
      return false;
    }
    const std::string dir = dir_.path();
    if (!child_.Start([net, dir](int fd) { return InstanceChildMain(fd, net, dir); }, error)) {
      return false;
    }
    // Only now (after fork) does this process create ZeroMQ state.
    Instance::Options o;
    o.id = kParentId;
    o.endpoint = BindEndpoint(net, dir, "parent");
    o.fibers.stack_size = 256 * 1024;  // BM_MwStaleHit runs the benchmark loop in a fiber
    instance_ = std::make_unique<Instance>(o);
    state_ = std::make_unique<BenchState>(instance_->space());
    instance_->SetSlotTable(AllHomedOn(kChildId));
    if (s6::Status s = instance_->Start(); !s.ok()) {
      *error = "parent: " + s.ToString();
      return false;
    }
    const std::optional<std::string> child_ep = RecvLine(child_.fd());
    if (!child_ep || child_ep->rfind("ERR", 0) == 0) {
      *error = child_ep ? *child_ep : "child did not report its endpoint";
      return false;
    }
    if (!SendLine(child_.fd(), instance_->endpoint())) {
      *error = "child gone";
      return false;
    }
    if (s6::Status s = instance_->AddPeer(kChildId, *child_ep); !s.ok()) {
      *error = "parent: " + s.ToString();
      return false;
    }
    const auto deadline = Clock::now() + kTimeout;
    while (instance_->transport()->GetPeerState(kChildId) != s6::transport::PeerState::kReady) {
      instance_->RunOnce(1);
      if (Clock::now() > deadline) {
        *error = "handshake with the child did not complete";
        return false;
      }
    }
    return true;
  }

  Instance& inst() { return *instance_; }
  BenchState& st() { return *state_; }
  s6::objspace::ObjectSpaceStats stats() { return instance_->object_space().stats(); }

 private:
  TempDir dir_;  // outlives the child
  ChildProcess child_;
  std::unique_ptr<Instance> instance_;
  std::unique_ptr<BenchState> state_;
};

/// Runs loop iterations until `done()`; false if it is not done within kTimeout.
template <typename Pred>
bool Pump(Instance& inst, Pred done) {
  const auto deadline = Clock::now() + kTimeout;
  while (!done()) {
    inst.RunOnce(1);
    if (Clock::now() > deadline) return done();
  }
  return true;
}

/// Outcome of one micro-thread run by RunFiber.
struct Task {
  bool done = false;
  std::string error;
};

/// Runs `fn` in a micro-thread and the loop until it finished. False (t.error says why) if
/// it was refused, took longer than kTimeout, or a call in it was abandoned.
template <typename Fn>
bool RunFiber(Instance& inst, Task& t, Fn& fn) {
  t.done = false;
  t.error.clear();
  const bool spawned = inst.Spawn([&t, &fn] {
    try {
      fn();
    } catch (const s6::CallAbandoned& e) {
      t.error = e.what();
    }
    t.done = true;
  });
  if (!spawned) {
    t.error = "micro-thread refused";
    return false;
  }
  if (!Pump(inst, [&t] { return t.done; })) {
    t.error = "no answer within 5 s";
    return false;
  }
  return t.error.empty();
}

double PerItem(const benchmark::State& state, double items_per_iteration) {
  return static_cast<double>(state.iterations()) * items_per_iteration;
}

// --- One instance. ---

/// One started instance homing every key (no peers).
class LocalInstance {
 public:
  bool Start(std::string* error) {
    static int seq = 0;
    Instance::Options o;
    o.id = kParentId;
    o.endpoint = "inproc://s6-micro-local-" + std::to_string(seq++);
    instance_ = std::make_unique<Instance>(o);
    state_ = std::make_unique<BenchState>(instance_->space());
    const s6::Status s = instance_->Start();
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  }
  ~LocalInstance() {
    state_.reset();
    instance_.reset();
  }
  Instance& inst() { return *instance_; }
  BenchState& st() { return *state_; }

 private:
  std::unique_ptr<Instance> instance_;
  std::unique_ptr<BenchState> state_;
};

void BM_SwLocalAccess(benchmark::State& state) {
  LocalInstance li;
  std::string error;
  if (!li.Start(&error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto& flows = li.st().flows;
  flows.get(kFlowKey)->bump();  // created here: homed here, so no micro-thread is needed
  for (auto _ : state) {
    s6::SwRef<Flow> r = flows.get(kFlowKey);
    r->bump();
  }
  const uint64_t packets = flows.get(kFlowKey)->packets();
  if (packets != static_cast<uint64_t>(state.iterations()) + 1) {
    state.SkipWithError("lost updates");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel("1 instance, object held, key 13 B");
}
BENCHMARK(BM_SwLocalAccess);

void BM_MwLocalCall(benchmark::State& state) {
  LocalInstance li;
  std::string error;
  if (!li.Start(&error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  s6::MwRef<Tally> ref = li.st().tallies.get(kTallyKey);
  uint64_t last = 0;
  for (auto _ : state) {
    last = ref->add(1);
    benchmark::DoNotOptimize(last);
  }
  if (last != static_cast<uint64_t>(state.iterations())) state.SkipWithError("lost updates");
  const s6::objspace::ObjectSpaceStats s = li.inst().object_space().stats();
  if (s.messages_sent != 0 || s.messages_local != 0) state.SkipWithError("call left the stub");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel("1 instance, home here, add(u64)->u64");
}
BENCHMARK(BM_MwLocalCall);

// --- Two processes. ---

void BM_MwStrictRemote(benchmark::State& state, Net net) {
  RemotePair p;
  if (!p.SetupOrSkip(net, state)) return;
  s6::MwRef<Tally> ref = p.st().tallies.get(kTallyKey);
  Task t;
  uint64_t last = 0;
  auto call = [&ref, &last] { last = ref->add(1); };
  if (!RunFiber(p.inst(), t, call)) {  // untimed: the home creates the object
    state.SkipWithError(t.error.c_str());
    return;
  }
  const s6::objspace::ObjectSpaceStats before = p.stats();
  for (auto _ : state) {
    if (!RunFiber(p.inst(), t, call)) [[unlikely]] {
      state.SkipWithError(t.error.c_str());
      break;
    }
  }
  const s6::objspace::ObjectSpaceStats after = p.stats();
  const auto n = static_cast<uint64_t>(state.iterations());
  if (!state.error_occurred()) {
    if (last != n + 1) {
      state.SkipWithError("wrong result");
    } else if (after.mw_strict_sent - before.mw_strict_sent != n || after.mw_local_calls != 0) {
      state.SkipWithError("calls did not go to the child");
    }
  }
  const uint64_t msgs = after.messages_sent - before.messages_sent;
  state.counters["req_bytes"] = static_cast<double>(after.bytes_sent - before.bytes_sent) /
                                static_cast<double>(std::max<uint64_t>(1, msgs));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(std::string(NetName(net)) + ", 2 processes, add(u64)->u64");
}
BENCHMARK_CAPTURE(BM_MwStrictRemote, ipc, Net::kIpc)->UseRealTime();
BENCHMARK_CAPTURE(BM_MwStrictRemote, tcp, Net::kTcp)->UseRealTime();

int RawEchoChildMain(int fd, Net net, const std::string& dir) {
  zmq::context_t ctx(1);
  zmq::socket_t pull(ctx, zmq::socket_type::pull);
  pull.set(zmq::sockopt::linger, 0);
  pull.set(zmq::sockopt::rcvtimeo, 100);
  pull.bind(BindEndpoint(net, dir, "child"));
  if (!SendLine(fd, pull.get(zmq::sockopt::last_endpoint))) return 1;
  const std::optional<std::string> parent = RecvLine(fd);
  if (!parent) return 1;
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect(*parent);
  zmq::message_t msg;
  for (;;) {
    if (!pull.recv(msg, zmq::recv_flags::none)) {  // timeout: is the parent still there?
      if (PeerClosed(fd)) break;
      continue;
    }
    if (msg.size() == 0) break;
    (void)push.send(msg, zmq::send_flags::none);
  }
  return 0;
}

/// BM_ZmqPingPong/<net>_process: transport_bench.cc's raw baseline between two processes.
void BM_ZmqPingPongProcess(benchmark::State& state, Net net) {
  TempDir dir;
  ChildProcess child;
  std::string error;
  const std::string d = dir.path();
  if (!child.Start([net, d](int fd) { return RawEchoChildMain(fd, net, d); }, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  try {
    zmq::context_t ctx(1);  // after fork
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.set(zmq::sockopt::linger, 0);
    pull.set(zmq::sockopt::rcvtimeo, static_cast<int>(kTimeout / std::chrono::milliseconds(1)));
    pull.bind(BindEndpoint(net, d, "parent"));
    const std::optional<std::string> child_ep = RecvLine(child.fd());
    if (!child_ep || child_ep->rfind("ERR", 0) == 0) {
      throw std::runtime_error(child_ep ? *child_ep : "child did not report its endpoint");
    }
    if (!SendLine(child.fd(), pull.get(zmq::sockopt::last_endpoint))) {
      throw std::runtime_error("child gone");
    }
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.connect(*child_ep);
    RunRawPingPong(state, push, pull, kRawPayloadBytes);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(std::string(NetName(net)) + ", 2 processes, 64B round trip");
}
const auto* const kZmqIpcProcess =
    benchmark::RegisterBenchmark("BM_ZmqPingPong/ipc_process", BM_ZmqPingPongProcess, Net::kIpc)
        -> UseRealTime();
const auto* const kZmqTcpProcess =
    benchmark::RegisterBenchmark("BM_ZmqPingPong/tcp_process", BM_ZmqPingPongProcess, Net::kTcp)
        -> UseRealTime();

void BM_SwRemoteAcquire(benchmark::State& state, Net net) {
  RemotePair p;
  if (!p.SetupOrSkip(net, state)) return;
  s6::MwRef<Mailbox> mailbox = p.st().mailboxes.get(kMailboxKey);
  auto& flows = p.st().flows;
  Task t;
  Clock::duration acquiring{};
  // Acquire here (the child holds it: recall + transfer), use it, then ask the child to take
  // it back (untether, leaves with this loop iteration's batch).
  auto here_then_back = [&flows, &mailbox, &acquiring] {
    const auto t0 = Clock::now();
    s6::SwRef<Flow> r = flows.get(kFlowKey);
    acquiring += Clock::now() - t0;
    r->bump();
    r.reset();
    mailbox->pull();
  };
  // One round: both acquisitions; ends when the object has left for the child.
  auto round = [&p, &t, &here_then_back]() -> bool {
    const uint64_t out = p.stats().sw_transfers_out;
    if (!RunFiber(p.inst(), t, here_then_back)) return false;
    if (!Pump(p.inst(), [&p, out] { return p.stats().sw_transfers_out != out; })) {
      t.error = "the child did not take the object back within 5 s";
      return false;
    }
    return true;
  };
  if (!round()) {  // untimed: creates the object and gets one round trip going
    state.SkipWithError(t.error.c_str());
    return;
  }
  acquiring = {};
  const s6::objspace::ObjectSpaceStats before = p.stats();
  for (auto _ : state) {
    if (!round()) [[unlikely]] {
      state.SkipWithError(t.error.c_str());
      break;
    }
  }
  const s6::objspace::ObjectSpaceStats after = p.stats();
  const auto n = static_cast<uint64_t>(state.iterations());
  if (!state.error_occurred()) {
    uint64_t packets = 0;
    auto read = [&flows, &packets] { packets = flows.get(kFlowKey)->packets(); };
    if (after.sw_transfers_in - before.sw_transfers_in != n ||
        after.sw_recalls - before.sw_recalls != n) {
      state.SkipWithError("the object did not move every iteration");
    } else if (!RunFiber(p.inst(), t, read)) {
      state.SkipWithError(t.error.c_str());
    } else if (packets != 2 * (n + 1)) {
      state.SkipWithError("lost updates");
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(2 * n));  // acquisitions
  state.counters["time_per_acquire"] = benchmark::Counter(
      PerItem(state, 2), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["parent_get_us"] = std::chrono::duration<double, std::micro>(acquiring).count() /
                                    static_cast<double>(std::max<uint64_t>(1, n));
  state.SetLabel(std::string(NetName(net)) + ", 2 processes, home=child, object 31 B");
}
BENCHMARK_CAPTURE(BM_SwRemoteAcquire, ipc, Net::kIpc)->UseRealTime();

void BM_MwUntetherRemote(benchmark::State& state, Net net) {
  constexpr int kCallsPerFlush = 1000;
  constexpr int kFlushesPerCheck = 16;
  RemotePair p;
  if (!p.SetupOrSkip(net, state)) return;
  s6::MwRef<Tally> ref = p.st().tallies.get(kTallyKey);
  Task t;
  uint64_t total = 0;
  uint64_t sent = 0;
  auto burst = [&ref] {
    for (int i = 0; i < kCallsPerFlush; ++i) ref->add_async(1);
  };
  auto check = [&ref, &total] { total = ref->total(); };
  // Untimed warm-up: the home creates the object.
  if (!RunFiber(p.inst(), t, burst) || !RunFiber(p.inst(), t, check)) {
    state.SkipWithError(t.error.c_str());
    return;
  }
  sent = kCallsPerFlush;
  const s6::objspace::ObjectSpaceStats before = p.stats();
  for (auto _ : state) {
    for (int f = 0; f < kFlushesPerCheck; ++f) {
      // One loop iteration runs the burst and flushes it: one batch of kCallsPerFlush calls.
      if (!RunFiber(p.inst(), t, burst)) [[unlikely]]
        break;
    }
    // Strict, so FIFO behind the untether calls: returns once the child executed them all.
    if (!t.error.empty() || !RunFiber(p.inst(), t, check)) [[unlikely]] {
      state.SkipWithError(t.error.c_str());
      break;
    }
    sent += kCallsPerFlush * kFlushesPerCheck;
    if (total != sent) [[unlikely]] {
      state.SkipWithError("untether calls lost or not executed at the home");
      break;
    }
  }
  const s6::objspace::ObjectSpaceStats after = p.stats();
  const double calls = PerItem(state, kCallsPerFlush * kFlushesPerCheck);
  if (!state.error_occurred() &&
      (static_cast<double>(after.mw_untether_sent - before.mw_untether_sent) != calls ||
       after.mw_local_calls != 0)) {
    state.SkipWithError("calls did not go to the child");
  }
  state.SetItemsProcessed(static_cast<int64_t>(calls));
  state.counters["time_per_call"] =
      benchmark::Counter(calls, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["calls_per_batch"] = kCallsPerFlush;
  state.counters["msg_bytes"] =
      static_cast<double>(after.bytes_sent - before.bytes_sent) /
      static_cast<double>(std::max<uint64_t>(1, after.messages_sent - before.messages_sent));
  state.SetLabel(std::string(NetName(net)) + ", 2 processes, add_async(u64), verified at home");
}
BENCHMARK_CAPTURE(BM_MwUntetherRemote, ipc, Net::kIpc)->UseRealTime();

void BM_MwStaleHit(benchmark::State& state, Net net) {
  RemotePair p;
  if (!p.SetupOrSkip(net, state)) return;
  s6::MwRef<Tally> ref = p.st().tallies.get(kTallyKey);
  Task t;
  uint64_t v = 0;
  auto set = [&ref] { ref->add(41); };
  auto warm = [&ref, &v] { v = ref->total_stale(); };  // a miss: fills the cache
  if (!RunFiber(p.inst(), t, set) || !RunFiber(p.inst(), t, warm)) {
    state.SkipWithError(t.error.c_str());
    return;
  }
  if (v != 41) {
    state.SkipWithError("stale read returned a wrong value");
    return;
  }
  const s6::objspace::ObjectSpaceStats before = p.stats();
  // The timed loop runs in one micro-thread, so a miss (cache older than its bound) may wait
  // for the refresh like in an NF; every 1024 calls it yields so the loop takes refresh replies.
  uint64_t progress = 0;
  s6::uthread::Scheduler& sched = p.inst().scheduler();
  auto loop = [&state, &ref, &v, &progress, &sched] {
    for (auto _ : state) {
      v = ref->total_stale();
      benchmark::DoNotOptimize(v);
      if ((++progress & 1023) == 0) sched.Yield();
    }
  };
  t.done = false;
  if (!p.inst().Spawn([&t, &loop] {
        try {
          loop();
        } catch (const s6::CallAbandoned& e) {
          t.error = e.what();
        }
        t.done = true;
      })) {
    state.SkipWithError("micro-thread refused");
    return;
  }
  // Wait for the loop; give up only after 5 s without progress.
  uint64_t seen = progress;
  auto deadline = Clock::now() + kTimeout;
  while (!t.done) {
    p.inst().RunOnce(1);
    if (progress != seen) {
      seen = progress;
      deadline = Clock::now() + kTimeout;
    } else if (Clock::now() > deadline) {
      t.error = "stale loop made no progress for 5 s";
      break;
    }
  }
  if (!t.error.empty()) {
    state.SkipWithError(t.error.c_str());
    return;
  }
  const s6::objspace::ObjectSpaceStats after = p.stats();
  const uint64_t hits = after.mw_stale_hits - before.mw_stale_hits;
  const uint64_t misses = after.mw_stale_misses - before.mw_stale_misses;
  if (v != 41 || after.mw_local_calls != 0) state.SkipWithError("not served from the cache");
  state.counters["hit_ratio"] =
      static_cast<double>(hits) / static_cast<double>(std::max<uint64_t>(1, hits + misses));
  state.counters["refreshes"] =
      static_cast<double>(after.mw_stale_refreshes - before.mw_stale_refreshes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(std::string(NetName(net)) + ", 2 processes, home=child, bound 1000 ms");
}
BENCHMARK_CAPTURE(BM_MwStaleHit, ipc, Net::kIpc);

}  // namespace

// SPDX-License-Identifier: Apache-2.0
#include <s6/host.h>

#include <malloc.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>

#include <s6/cli.h>
#include <s6/log.h>
#include "control/control.h"
#include "host/cli.h"
#include "instance/instance.h"
#include "keyspace/slot_table.h"
#include "packetio/pcap_port.h"
#if defined(S6_HAVE_DPDK)
#include "packetio/dpdk_port.h"
#endif

namespace s6::host {
namespace {

struct Args {
  uint32_t id = 0;
  std::string endpoint;
  std::vector<std::pair<uint32_t, std::string>> peers;
  std::vector<uint32_t> members;
  std::string port = "none";
  int dpdk_memory_mb = 256;
  std::string file_prefix;
  // Packets waiting for remote state hold a micro-thread each; when the cap is reached new
  // packets wait in the ring behind them (head-of-line blocking), so it is generous.
  uint32_t max_fibers = 4096;
  bool busy_poll = false;
  std::string stats_file;
  std::string control;
  int stats_interval_ms = 500;
  double duration_s = 0;
  std::string log_level;
};

void AddInstanceOptions(CLI::App& app, Args& a) {
  app.add_option("--id", a.id, "this instance's id")
      ->required()
      ->check(cli::Count(1, std::numeric_limits<uint32_t>::max(), "instance id"));
  app.add_option("--endpoint", a.endpoint, "ZeroMQ endpoint to bind (ipc://, tcp://)")->required();
  app.add_option_function<std::vector<std::string>>(
         "--peer",
         [&a](const std::vector<std::string>& specs) {
           for (const std::string& v : specs) {
             const std::size_t eq = v.find('=');
             uint32_t id = 0;
             if (eq == std::string::npos || eq == 0 || eq + 1 == v.size() ||
                 std::from_chars(v.data(), v.data() + eq, id).ptr != v.data() + eq || id == 0) {
               throw CLI::ValidationError("--peer", "bad '" + v + "' (want ID=ENDPOINT)");
             }
             a.peers.emplace_back(id, v.substr(eq + 1));
           }
         },
         "a peer instance, ID=ENDPOINT (repeatable)")
      ->type_name("ID=ENDPOINT");
  app.add_option("--members", a.members,
                 "ids in the slot table in force, comma-separated (default: this instance and "
                 "its peers; an instance started to join lists the current members, not itself)")
      ->delimiter(',');
  app.add_option("--port", a.port, "packet port: memif:SOCKET[:client|server], pcap:IN:OUT, none")
      ->capture_default_str();
  app.add_option("--dpdk-memory", a.dpdk_memory_mb, "DPDK memory (MB, no hugepages)")
      ->check(cli::Count(16, 1 << 20, "MB"))
      ->capture_default_str();
  app.add_option("--file-prefix", a.file_prefix, "DPDK file prefix (default: per process)");
  app.add_option("--max-fibers", a.max_fibers, "cap on micro-threads (packets in flight)")
      ->check(cli::Count(1, 1u << 24, "micro-threads"))
      ->capture_default_str();
  app.add_flag("--busy-poll", a.busy_poll, "never sleep when idle (a dedicated core)");
  app.add_option("--stats-file", a.stats_file, "write the stats JSON here, atomically");
  app.add_option("--stats-interval-ms", a.stats_interval_ms, "how often to write the stats file")
      ->check(cli::Count(1, 3600 * 1000, "ms"))
      ->capture_default_str();
  app.add_option("--duration", a.duration_s, "stop after S seconds (0: run until signalled)")
      ->check(cli::Real(0, 1e7, "s"))
      ->capture_default_str();
  app.add_option("--control", a.control, "ZeroMQ endpoint of the control socket (s6ctl)");
  AddLogLevelOption(app, a.log_level);
}

// The default member list: this instance and its peers.
void Finish(Args& a) {
  if (a.members.empty()) {
    a.members.push_back(a.id);
    for (const auto& [pid, ep] : a.peers) a.members.push_back(pid);
  }
}

// Declares the NF's options in their own section of --help.
void AddNfOptions(CLI::App& app, const NfDefinition& nf) {
  if (!nf.add_options) return;
  CLI::App* section = app.add_option_group(nf.name + " options");
  nf.add_options(*section);
}

// Replace-by-rename only over a regular file (or nothing): a rename would replace whatever
// the path names, a device node included.
bool WriteAtomically(const std::string& path, const std::string& content) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::symlink_status(path, ec);
  if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) return false;
  const std::string tmp = path + ".tmp";
  if (!WriteFileChecked(tmp, content + "\n").ok()) return false;
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// The packet port named by --port, and what owns it.
struct PortHolder {
#if defined(S6_HAVE_DPDK)
  std::unique_ptr<packetio::DpdkEnv> env;
#endif
  std::unique_ptr<packetio::Port> port;
  packetio::PcapPort* pcap = nullptr;  // when the port is a capture: stop at its end
};

StatusOr<PortHolder> OpenPort(const Args& a) {
  PortHolder h;
  const std::string& spec = a.port;
  if (spec == "none") return h;
  if (spec.rfind("pcap:", 0) == 0) {
    const std::string rest = spec.substr(5);
    const std::size_t colon = rest.find(':');
    if (colon == std::string::npos) return InvalidArgumentError("want --port pcap:IN:OUT");
    S6_ASSIGN_OR_RETURN(
        std::unique_ptr<packetio::PcapPort> p,
        packetio::PcapPort::Open("pcap", rest.substr(0, colon), rest.substr(colon + 1)));
    h.pcap = p.get();
    h.port = std::move(p);
    return h;
  }
  if (spec.rfind("memif:", 0) == 0) {
#if defined(S6_HAVE_DPDK)
    std::string rest = spec.substr(6);
    std::string role = "client";
    const std::size_t colon = rest.rfind(':');
    if (colon != std::string::npos &&
        (rest.substr(colon + 1) == "client" || rest.substr(colon + 1) == "server")) {
      role = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    packetio::DpdkEnv::Options o;
    o.file_prefix = a.file_prefix.empty()
                        ? "s6i" + std::to_string(a.id) + "-" + std::to_string(::getpid())
                        : a.file_prefix;
    o.memory_mb = a.dpdk_memory_mb;
    o.vdevs = {"net_memif0,role=" + role + ",id=0,rsize=11,socket=" + rest};
    S6_ASSIGN_OR_RETURN(h.env, packetio::DpdkEnv::Create(o));
    S6_ASSIGN_OR_RETURN(std::unique_ptr<packetio::DpdkPort> p,
                        packetio::DpdkPort::Open(*h.env, "net_memif0"));
    h.port = std::move(p);
    return h;
#else
    return UnimplementedError("built without DPDK (S6_WITH_DPDK=OFF): no memif port");
#endif
  }
  return InvalidArgumentError("unknown --port '" + spec + "'");
}

}  // namespace

int InstanceMain(int argc, char** argv, const NfDefinition& nf) {
  const std::string program = ProgramName(argc, argv, "s6-" + nf.name + "-instance");
  Args a;
  CLI::App app(nf.description.empty() ? "an S6 network function instance" : nf.description,
               program);
  AddInstanceOptions(app, a);
  AddNfOptions(app, nf);
  if (std::optional<int> exit = ParseCommandLine(app, argc, argv, a.log_level)) return *exit;
  Finish(a);
  if (nf.validate) {
    if (const Status st = nf.validate(); !st.ok()) {
      std::fprintf(stderr, "%s: %s (see --help)\n", program.c_str(), st.message().c_str());
      return 2;
    }
  }
  const std::shared_ptr<spdlog::logger> log = log::Get("host");
  // SIGINT/SIGTERM are read from a signalfd by the loop: no handler, no global flag.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  const int sigfd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);

  // Declared before the instance so it outlives it (the instance gives packets back to it).
  PortHolder port_holder;
  PortHolder* const port = &port_holder;
  // One ZeroMQ context (one I/O thread) for the transport and the control socket: on a small
  // machine every extra thread is another context switch on each message's way.
  zmq::context_t zmq_context(1);
  Instance::Options io;
  io.zmq_context = &zmq_context;
  io.transport_linger_ms = 2000;  // what a departing instance sent last must arrive
  io.id = static_cast<InstanceId>(a.id);
  io.endpoint = a.endpoint;
  io.fibers.max_fibers = a.max_fibers;
  // A burst must not fault its stacks in (the first 2048; more are made on demand).
  io.fibers.prewarm_stacks = std::min<uint32_t>(a.max_fibers, 2048);
  // Memory freed after a burst stays mapped for the next one (no trim, no per-chunk mmap):
  // page faults are what stall the loop on a VM.
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  io.busy_poll = a.busy_poll;
  Instance inst(io);
  // The link comes up (and traffic may start) when the port opens: only after the instance
  // is built, its micro-thread stacks included.
  {
    StatusOr<PortHolder> opened = OpenPort(a);
    if (!opened.ok()) {
      log->error("port {}: {}", a.port, opened.status().ToString());
      return opened.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
    port_holder = std::move(*opened);
  }
  StatusOr<std::unique_ptr<NetworkFunction>> created = nf.create(inst.space());
  if (!created.ok()) {
    log->error("{}: {}", nf.name, created.status().message());
    return 2;
  }
  if (port->port) inst.AttachPacketIo(created->get(), port->port.get());
  std::vector<InstanceId> members;
  for (uint32_t m : a.members) members.push_back(static_cast<InstanceId>(m));
  StatusOr<keyspace::SlotTable> table = keyspace::SlotTable::Initial(members);
  if (!table.ok()) {
    log->error("members: {}", table.status().message());
    return 2;
  }
  inst.SetSlotTable(*table);
  if (const Status st = inst.Start(); !st.ok()) {
    log->error("start: {}", st.ToString());
    return 1;
  }
  for (const auto& [pid, ep] : a.peers) {
    if (const Status st = inst.AddPeer(static_cast<InstanceId>(pid), ep); !st.ok()) {
      log->error("peer {}: {}", pid, st.ToString());
      return 2;
    }
  }
  // The controller's socket: polled from this loop, commands run between iterations.
  std::unique_ptr<control::ControlServer> control;
  if (!a.control.empty()) {
    StatusOr<std::unique_ptr<control::ControlServer>> c =
        control::ControlServer::Bind(zmq_context, a.control);
    if (!c.ok()) {
      log->error("control socket: {}", c.status().ToString());
      return 1;
    }
    control = std::move(*c);
  }
  log->info("{} instance {} at {}: port {}, {} peers, {} members{}", nf.name, a.id, a.endpoint,
            a.port, a.peers.size(), a.members.size(),
            a.control.empty() ? "" : ", control at " + a.control);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto next_stats = start;
  auto write_stats = [&] {
    if (!a.stats_file.empty() && !WriteAtomically(a.stats_file, inst.StatsJson())) {
      log->warn("cannot write {}", a.stats_file);
    }
  };
  auto next_signal_check = start;
  for (;;) {
    inst.RunOnce(1);
    const auto now = Clock::now();
    if (now >= next_signal_check) {  // a system call: once a millisecond is enough
      signalfd_siginfo si;
      if (sigfd >= 0 && ::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) break;
      // `stop`, or the end of a scale-in that removed this instance.
      if (control && control->Serve(inst)) break;
      next_signal_check = now + std::chrono::milliseconds(1);
    }
    if (a.duration_s > 0 && now - start >= std::chrono::duration<double>(a.duration_s)) break;
    if (port->pcap != nullptr && port->pcap->at_end() && inst.scheduler().in_flight() == 0) {
      break;
    }
    if (now >= next_stats) {
      write_stats();
      next_stats = now + std::chrono::milliseconds(a.stats_interval_ms);
    }
  }
  for (int i = 0; i < 10; ++i) inst.RunOnce(0);  // flush what the last packets produced
  // The NF's end-of-traffic work, bounded: peers may be stopping too.
  bool finished = false;
  if (inst.Spawn([&] {
        (*created)->Finish(inst);
        finished = true;
      })) {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (!finished && Clock::now() < deadline) inst.RunOnce(1);
    if (!finished) log->warn("{}: the end-of-traffic work did not finish within 2 s", nf.name);
  }
  write_stats();
  if (sigfd >= 0) ::close(sigfd);
  log->info("instance {} stopped", a.id);
  return 0;
}

}  // namespace s6::host

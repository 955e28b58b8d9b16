// SPDX-License-Identifier: Apache-2.0
#include "host/instance_main.h"

#include <malloc.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "control/control.h"
#include "instance/instance.h"
#include "keyspace/slot_table.h"
#include "packetio/pcap_port.h"
#if defined(S6_HAVE_DPDK)
#include "packetio/dpdk_port.h"
#endif

namespace s6::host {
namespace {

constexpr char kUsage[] =
    "usage: %s --id N --endpoint ENDPOINT [--peer ID=ENDPOINT]... [--members ID,ID,...]\n"
    "          [--port memif:SOCKET[:client|server] | pcap:IN:OUT | none]\n"
    "          [--dpdk-memory MB] [--file-prefix P] [--max-fibers N] [--busy-poll]\n"
    "          [--stats-file F] [--stats-interval-ms N] [--duration S]\n"
    "          [--control ENDPOINT] [-- APP ARGS...]\n"
    "  --members: the members of the slot table in force (default: this instance and its\n"
    "  peers); an instance started to join a running cluster lists the current members, not\n"
    "  itself, and becomes a member when the controller scales out (--control).\n";

struct Args {
  uint32_t id = 0;
  bool id_set = false;
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
  std::vector<std::string> app_args;
};

bool ParseU32(std::string_view s, uint32_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

Status Parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) a.app_args.emplace_back(argv[i]);
      break;
    }
    auto value = [&]() -> StatusOr<std::string_view> {
      if (i + 1 >= argc) return InvalidArgumentError(std::string(arg) + " needs a value");
      return std::string_view(argv[++i]);
    };
    if (arg == "--busy-poll") {
      a.busy_poll = true;
      continue;
    }
    S6_ASSIGN_OR_RETURN(std::string_view v, value());
    if (arg == "--id") {
      if (!ParseU32(v, a.id)) return InvalidArgumentError("bad --id '" + std::string(v) + "'");
      a.id_set = true;
    } else if (arg == "--endpoint") {
      a.endpoint = v;
    } else if (arg == "--peer") {
      const std::size_t eq = v.find('=');
      uint32_t pid = 0;
      if (eq == std::string_view::npos || !ParseU32(v.substr(0, eq), pid)) {
        return InvalidArgumentError("bad --peer '" + std::string(v) + "' (want ID=ENDPOINT)");
      }
      a.peers.emplace_back(pid, std::string(v.substr(eq + 1)));
    } else if (arg == "--members") {
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t comma = std::min(v.find(',', start), v.size());
        uint32_t m = 0;
        if (!ParseU32(v.substr(start, comma - start), m)) {
          return InvalidArgumentError("bad --members '" + std::string(v) + "'");
        }
        a.members.push_back(m);
        start = comma + 1;
      }
    } else if (arg == "--port") {
      a.port = v;
    } else if (arg == "--dpdk-memory") {
      uint32_t mb = 0;
      if (!ParseU32(v, mb) || mb < 16) return InvalidArgumentError("bad --dpdk-memory");
      a.dpdk_memory_mb = static_cast<int>(mb);
    } else if (arg == "--file-prefix") {
      a.file_prefix = v;
    } else if (arg == "--max-fibers") {
      if (!ParseU32(v, a.max_fibers) || a.max_fibers == 0) {
        return InvalidArgumentError("bad --max-fibers");
      }
    } else if (arg == "--stats-file") {
      a.stats_file = v;
    } else if (arg == "--control") {
      a.control = v;
    } else if (arg == "--stats-interval-ms") {
      uint32_t ms = 0;
      if (!ParseU32(v, ms) || ms == 0) return InvalidArgumentError("bad --stats-interval-ms");
      a.stats_interval_ms = static_cast<int>(ms);
    } else if (arg == "--duration") {
      try {
        a.duration_s = std::stod(std::string(v));
      } catch (...) {
        return InvalidArgumentError("bad --duration '" + std::string(v) + "'");
      }
    } else {
      return InvalidArgumentError("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (!a.id_set) return InvalidArgumentError("--id is required");
  if (a.endpoint.empty()) return InvalidArgumentError("--endpoint is required");
  if (a.members.empty()) {
    a.members.push_back(a.id);
    for (const auto& [pid, ep] : a.peers) a.members.push_back(pid);
  }
  return OkStatus();
}

bool WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << content << "\n";
    if (!f) return false;
  }
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

int InstanceMain(int argc, char** argv, const std::string& program, const NfFactory& factory) {
  Args a;
  if (const Status st = Parse(argc, argv, a); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), st.message().c_str());
    std::fprintf(stderr, kUsage, program.c_str());
    return 2;
  }
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
      std::fprintf(stderr, "%s: port: %s\n", program.c_str(), opened.status().ToString().c_str());
      return opened.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
    port_holder = std::move(*opened);
  }
  StatusOr<std::unique_ptr<NetworkFunction>> nf = factory(inst.space(), a.app_args);
  if (!nf.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), nf.status().message().c_str());
    return 2;
  }
  if (port->port) inst.AttachPacketIo(nf->get(), port->port.get());
  std::vector<InstanceId> members;
  for (uint32_t m : a.members) members.push_back(static_cast<InstanceId>(m));
  StatusOr<keyspace::SlotTable> table = keyspace::SlotTable::Initial(members);
  if (!table.ok()) {
    std::fprintf(stderr, "%s: members: %s\n", program.c_str(), table.status().message().c_str());
    return 2;
  }
  inst.SetSlotTable(*table);
  if (const Status st = inst.Start(); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), st.ToString().c_str());
    return 1;
  }
  for (const auto& [pid, ep] : a.peers) {
    if (const Status st = inst.AddPeer(static_cast<InstanceId>(pid), ep); !st.ok()) {
      std::fprintf(stderr, "%s: peer %u: %s\n", program.c_str(), pid, st.ToString().c_str());
      return 2;
    }
  }
  // The controller's socket: polled from this loop, commands run between iterations.
  std::unique_ptr<control::ControlServer> control;
  if (!a.control.empty()) {
    StatusOr<std::unique_ptr<control::ControlServer>> c =
        control::ControlServer::Bind(zmq_context, a.control);
    if (!c.ok()) {
      std::fprintf(stderr, "%s: %s\n", program.c_str(), c.status().ToString().c_str());
      return 1;
    }
    control = std::move(*c);
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto next_stats = start;
  auto write_stats = [&] {
    if (!a.stats_file.empty() && !WriteAtomically(a.stats_file, inst.StatsJson())) {
      std::fprintf(stderr, "%s: cannot write %s\n", program.c_str(), a.stats_file.c_str());
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
  write_stats();
  if (sigfd >= 0) ::close(sigfd);
  return 0;
}

}  // namespace s6::host

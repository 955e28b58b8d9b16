// SPDX-License-Identifier: Apache-2.0
#include "ctl/launcher.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

namespace s6::ctl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kControlTimeout{3000};

}  // namespace

std::string IdList(const std::vector<InstanceId>& ids, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out += (i ? sep : "") + std::to_string(ToUint(ids[i]));
  }
  return out;
}

std::vector<std::string> TrafgenArgs(const std::string& binary, const RunOptions& o,
                                     const RunLayout& layout, int links) {
  std::vector<std::string> args = {binary,
                                   "--rate",
                                   std::to_string(o.rate_pps),
                                   "--flows",
                                   std::to_string(o.flows),
                                   "--duration",
                                   FormatNumber(o.duration_s),
                                   "--pkt-size",
                                   std::to_string(o.pkt_size),
                                   "--flow-size",
                                   FormatNumber(o.flow_size),
                                   "--missteer",
                                   FormatNumber(o.missteer),
                                   "--interval-ms",
                                   "100",
                                   "--csv",
                                   layout.Csv(o),
                                   "--interval-json",
                                   layout.IntervalJson(),
                                   "--json",
                                   layout.TrafgenSummary(),
                                   "--ready-file",
                                   layout.ReadyFile(),
                                   "--control",
                                   layout.TrafgenControl(),
                                   "--dpdk-memory",
                                   std::to_string(96 + 16 * links)};
  if (!o.pcap.empty()) {
    args.push_back("--pcap");
    args.push_back(o.pcap);
    if (o.pcap_loops != 0) {
      args.push_back("--loops");
      args.push_back(std::to_string(o.pcap_loops));
    }
  }
  if (!o.arrival.empty()) {
    args.push_back("--arrival");
    args.push_back(o.arrival);
  }
  std::vector<InstanceId> active;
  for (int i = 1; i <= links; ++i) {
    args.push_back("--instance");
    args.push_back(std::to_string(i) + "=" + layout.Memif(i));
    if (i <= o.instances) active.push_back(static_cast<InstanceId>(i));
  }
  args.push_back("--active");
  args.push_back(IdList(active));
  return args;
}

std::vector<std::string> InstanceArgs(const std::string& binary, const RunOptions& o,
                                      const RunLayout& layout, int id,
                                      const std::vector<InstanceId>& members,
                                      const std::vector<std::string>& app_args) {
  std::vector<std::string> args = {binary,
                                   "--id",
                                   std::to_string(id),
                                   "--endpoint",
                                   layout.InstanceEndpoint(id),
                                   "--control",
                                   layout.InstanceControl(id)};
  for (InstanceId m : members) {
    const int peer = static_cast<int>(ToUint(m));
    if (peer == id) continue;
    args.push_back("--peer");
    args.push_back(std::to_string(peer) + "=" + layout.InstanceEndpoint(peer));
  }
  for (const std::string& s :
       {std::string("--members"), IdList(members), std::string("--port"),
        "memif:" + layout.Memif(id) + ":client", std::string("--dpdk-memory"), std::string("128"),
        std::string("--stats-file"), layout.StatsFile(id), std::string("--stats-interval-ms"),
        std::to_string(o.stats_interval_ms), std::string("--")}) {
    args.push_back(s);
  }
  args.insert(args.end(), app_args.begin(), app_args.end());
  return args;
}

std::vector<std::string> AppArgs(const RunOptions& o) {
  if (!o.app_args.empty() || !o.app_binary.empty()) return o.app_args;
  // The NAT needs its public address; the demo's is from TEST-NET-3.
  if (o.app == "nat") return {"--public-ip", "203.0.113.7"};
  return {};
}

pid_t Launch(const std::vector<std::string>& args, const std::string& log_path) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // A child dies with s6ctl (SIGTERM when it goes, however it goes), so no run leaves
    // instances behind; if s6ctl is already gone, the child never starts.
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(125);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (std::freopen(log_path.c_str(), "w", stdout) == nullptr ||
        std::freopen(log_path.c_str(), "a", stderr) == nullptr) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::optional<int> PollExit(pid_t pid) {
  int st = 0;
  if (pid > 0 && ::waitpid(pid, &st, WNOHANG) == pid) return st;
  return std::nullopt;
}

int Reap(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (const std::optional<int> st = PollExit(pid)) return *st;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

std::string DescribeWaitStatus(int status) {
  if (status == -1) return "killed after the deadline";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return name != nullptr ? std::string("killed by SIG") + name
                           : "killed by signal " + std::to_string(WTERMSIG(status));
  }
  if (WIFSTOPPED(status)) return "stopped";
  return "wait status " + std::to_string(status);
}

ClusterLauncher::ClusterLauncher(const RunOptions& options, Binaries binaries, RunLayout layout,
                                 zmq::context_t& zmq)
    : options_(options),
      binaries_(std::move(binaries)),
      layout_(std::move(layout)),
      zmq_(zmq),
      log_(log::Get("ctl")),
      app_args_(AppArgs(options)) {}

ClusterLauncher::~ClusterLauncher() {
  for (auto& [id, p] : instances_) {
    ::kill(p.pid, SIGKILL);
    ::waitpid(p.pid, nullptr, 0);
  }
  if (trafgen_ > 0 && !PollExit(trafgen_)) {
    ::kill(trafgen_, SIGKILL);
    ::waitpid(trafgen_, nullptr, 0);
  }
}

Status ClusterLauncher::StartTrafgen(int links) {
  const std::vector<std::string> args = TrafgenArgs(binaries_.trafgen, options_, layout_, links);
  log_->debug("starting {} with {} links", binaries_.trafgen, links);
  trafgen_ = Launch(args, layout_.TrafgenLog());
  if (trafgen_ < 0) return UnavailableError("cannot fork s6-trafgen");
  // trafgen writes the ready file once every link listens: instances may connect from then on.
  const auto ready_by = Clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(layout_.ReadyFile()) && Clock::now() < ready_by) {
    if (const std::optional<int> st = PollExit(trafgen_)) {
      trafgen_ = -1;
      return UnavailableError("s6-trafgen exited while starting (" + DescribeWaitStatus(*st) +
                              "); see " + layout_.TrafgenLog());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!std::filesystem::exists(layout_.ReadyFile())) {
    ::kill(trafgen_, SIGKILL);
    ::waitpid(trafgen_, nullptr, 0);
    trafgen_ = -1;
    return DeadlineExceededError("s6-trafgen did not get ready in 30 s; see " +
                                 layout_.TrafgenLog());
  }
  trafgen_ctl_ =
      std::make_unique<control::ControlClient>(zmq_, layout_.TrafgenControl(), kControlTimeout);
  return OkStatus();
}

std::optional<int> ClusterLauncher::PollTrafgen() {
  const std::optional<int> st = PollExit(trafgen_);
  if (st) trafgen_ = -1;
  return st;
}

int ClusterLauncher::StopTrafgen() {
  if (trafgen_ <= 0) return 0;
  ::kill(trafgen_, SIGTERM);
  int st = 0;
  ::waitpid(trafgen_, &st, 0);
  trafgen_ = -1;
  return st;
}

Status ClusterLauncher::StartInstance(int id, const std::vector<InstanceId>& members) {
  const std::vector<std::string> args =
      InstanceArgs(binaries_.instance, options_, layout_, id, members, app_args_);
  log_->debug("starting instance {} (peers: members {})", id, IdList(members));
  InstanceProcess p;
  p.pid = Launch(args, layout_.InstanceLog(id));
  if (p.pid < 0) return UnavailableError("cannot fork instance " + std::to_string(id));
  p.control =
      std::make_unique<control::ControlClient>(zmq_, layout_.InstanceControl(id), kControlTimeout);
  p.target = std::make_unique<control::RemoteTarget>(*p.control);
  instances_[id] = std::move(p);
  started_.push_back(id);
  return OkStatus();
}

std::map<int, int> ClusterLauncher::PollExited() {
  std::map<int, int> exited;
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (const std::optional<int> st = PollExit(it->second.pid)) {
      exited[it->first] = *st;
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
  return exited;
}

int ClusterLauncher::ReapInstance(int id) {
  const auto it = instances_.find(id);
  if (it == instances_.end()) return -1;
  const int st = Reap(it->second.pid, std::chrono::seconds(10));
  instances_.erase(it);
  return st;
}

void ClusterLauncher::KillInstance(int id) {
  const auto it = instances_.find(id);
  if (it == instances_.end()) return;
  ::kill(it->second.pid, SIGKILL);
  ::waitpid(it->second.pid, nullptr, 0);
  instances_.erase(it);
}

std::map<int, int> ClusterLauncher::StopInstances() {
  // SIGCONT too: a stopped instance would never see the SIGTERM. One deadline for all of them,
  // not one each.
  for (const auto& [id, p] : instances_) {
    ::kill(p.pid, SIGTERM);
    ::kill(p.pid, SIGCONT);
  }
  std::map<int, int> statuses;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (statuses.size() < instances_.size() && Clock::now() < deadline) {
    for (const auto& [id, p] : instances_) {
      if (statuses.contains(id)) continue;
      if (const std::optional<int> st = PollExit(p.pid)) statuses[id] = *st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& [id, p] : instances_) {
    if (statuses.contains(id)) continue;
    ::kill(p.pid, SIGKILL);
    ::waitpid(p.pid, nullptr, 0);
    statuses[id] = -1;
  }
  instances_.clear();
  return statuses;
}

}  // namespace s6::ctl

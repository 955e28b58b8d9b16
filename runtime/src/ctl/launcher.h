// SPDX-License-Identifier: Apache-2.0
// File: ctl/launcher.h
//
// The processes of a local cluster: s6-trafgen and the instances, started, watched and reaped.
//
// Theory of operation
// -------------------
// `s6ctl run` runs a cluster the way a multi-host one runs, as separate processes, all files
// of a run in one directory (RunLayout): each process's log, the instances' stats files, the
// memif sockets, and the ZeroMQ ipc:// endpoints (transport and control of each instance,
// trafgen's control, s6ctl's own attach socket). s6-trafgen serves one memif link per possible
// instance (--max-instances), so a scale-out finds a spare link to start its instance on; an
// instance is started with the current members as its peers, which is also how a newcomer
// joins as a non-member (it is not in --members until the switch).
//
// Children are started with fork/exec, their stdout and stderr in their log, with an empty
// signal mask (s6ctl blocks SIGINT/SIGTERM to read them from a signalfd; the children must
// not inherit that). The launcher owns every child: it notices early exits (PollExited), stops
// them at the end (SIGTERM, then SIGKILL after a deadline) and never leaves one running.
// The argument lists are built by plain functions so tests can check them without starting
// anything.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <s6/instance_id.h>
#include <s6/log.h>
#include <s6/status.h>
#include "control/control.h"
#include "ctl/binaries.h"
#include "ctl/options.h"

namespace s6::ctl {

/// Where a run keeps its files and sockets.
class RunLayout {
 public:
  explicit RunLayout(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string InstanceEndpoint(int id) const { return "ipc://" + Path(Id(id) + ".zmq"); }
  std::string InstanceControl(int id) const { return "ipc://" + Path(Id(id) + ".ctl"); }
  std::string Memif(int id) const { return Path(Id(id) + ".memif"); }
  std::string StatsFile(int id) const { return Path(Id(id) + ".json"); }
  std::string InstanceLog(int id) const { return Path("instance" + Id(id) + ".log"); }
  std::string TrafgenControl() const { return "ipc://" + Path("trafgen.ctl"); }
  std::string TrafgenLog() const { return Path("trafgen.log"); }
  std::string TrafgenSummary() const { return Path("trafgen.json"); }
  std::string IntervalJson() const { return Path("intervals.jsonl"); }
  std::string ReadyFile() const { return Path("ready"); }
  std::string AttachEndpoint() const { return "ipc://" + Path("s6ctl.ctl"); }
  /// --csv, or the run's own.
  std::string Csv(const RunOptions& o) const {
    return o.csv.empty() ? Path("intervals.csv") : o.csv;
  }

 private:
  static std::string Id(int id) { return std::to_string(id); }
  std::string dir_;
};

/// "1,2,3" (or with another separator).
std::string IdList(const std::vector<InstanceId>& ids, const char* sep = ",");

/// s6-trafgen's command line: `links` memif links, the first --instances of them active.
std::vector<std::string> TrafgenArgs(const std::string& binary, const RunOptions& o,
                                     const RunLayout& layout, int links);
/// Instance `id`'s command line on link `id`, peered with `members` (minus itself).
std::vector<std::string> InstanceArgs(const std::string& binary, const RunOptions& o,
                                      const RunLayout& layout, int id,
                                      const std::vector<InstanceId>& members,
                                      const std::vector<std::string>& app_args);
/// The app's options: --app's defaults (nat: a public address) unless given after `--`.
std::vector<std::string> AppArgs(const RunOptions& o);

/// Starts `argv` (argv[0] a path) with stdout and stderr to `log_path`; -1 if fork failed.
pid_t Launch(const std::vector<std::string>& argv, const std::string& log_path);
/// The wait status of `pid` if it has exited (reaped now), else nullopt. Never blocks.
std::optional<int> PollExit(pid_t pid);
/// Waits up to `timeout` for `pid`; SIGKILLs it after that. Its wait status, or -1 if it had to
/// be killed.
int Reap(pid_t pid, std::chrono::milliseconds timeout);
/// "exit 3", "signal 9".
std::string DescribeWaitStatus(int status);

/// The cluster's processes.
class ClusterLauncher {
 public:
  struct InstanceProcess {
    pid_t pid = -1;
    std::unique_ptr<control::ControlClient> control;
    std::unique_ptr<control::RemoteTarget> target;
  };

  ClusterLauncher(const RunOptions& options, Binaries binaries, RunLayout layout,
                  zmq::context_t& zmq);
  ~ClusterLauncher();  // kills whatever still runs
  ClusterLauncher(const ClusterLauncher&) = delete;
  ClusterLauncher& operator=(const ClusterLauncher&) = delete;

  /// Starts s6-trafgen with `links` links and waits (30 s) for its ready file.
  Status StartTrafgen(int links);
  /// s6-trafgen's control socket (after StartTrafgen).
  control::ControlClient& trafgen() { return *trafgen_ctl_; }
  /// s6-trafgen's wait status if it has exited.
  std::optional<int> PollTrafgen();
  /// SIGTERM to s6-trafgen and its wait status.
  int StopTrafgen();

  /// Starts instance `id` on link `id` with `members` as its peers.
  Status StartInstance(int id, const std::vector<InstanceId>& members);
  /// Running instances by id.
  std::map<int, InstanceProcess>& instances() { return instances_; }
  /// Every instance ever started, in start order.
  const std::vector<int>& started() const { return started_; }
  /// Instances that exited since the last call (removed from instances()), with their status.
  std::map<int, int> PollExited();
  /// Waits (10 s) for instance `id`, which should exit by itself, and forgets it. Its status,
  /// or -1 if it had to be killed.
  int ReapInstance(int id);
  /// SIGKILLs instance `id` and forgets it.
  void KillInstance(int id);
  /// SIGTERM to every instance, then reaps them (10 s each); the wait statuses by id.
  std::map<int, int> StopInstances();

  const RunLayout& layout() const { return layout_; }

 private:
  const RunOptions& options_;
  const Binaries binaries_;
  const RunLayout layout_;
  zmq::context_t& zmq_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::string> app_args_;
  pid_t trafgen_ = -1;
  std::unique_ptr<control::ControlClient> trafgen_ctl_;
  std::map<int, InstanceProcess> instances_;
  std::vector<int> started_;
};

}  // namespace s6::ctl

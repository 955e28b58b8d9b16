// SPDX-License-Identifier: Apache-2.0
// File: ctl/run.h
//
// `s6ctl run`: a local cluster under traffic, its scale events, the live table and the summary.
//
// Theory of operation
// -------------------
// ClusterRun is the main loop that ties the other units together. It binds the attach socket
// (ctl/attach.h), starts s6-trafgen and the initial instances (ctl/launcher.h), waits until
// traffic flows (event times count from there), then every 10 ms: notices processes that
// exited, reads a pending SIGINT/SIGTERM (signalfd: the signals are blocked, so they cannot
// interrupt a control call half-way), answers attached requests, runs the next due scale event
// (ctl/events.h) and, once a second, prints the live table (ctl/stats.h, ctl/table.h). It ends
// when trafgen exits (its --duration passed) or on a signal, stops the instances and writes the
// summary (ctl/summary.h). Every wait (for traffic, for a new instance) also watches for a
// signal and for instances that exited, so Ctrl-C is never ignored and a dead cluster is not
// waited for. Instances that exit early or stall (ctl/health.h) are errors in the summary, with
// when, why and their last log lines; so are packets lost or refused anywhere, so the exit
// status is 0 only for a run that delivered everything.
//
// A scale-out starts the next instance as a non-member on a spare link and waits until its
// control socket answers and trafgen sees its link up; a scale-in removes the newest member
// (which exits by itself once it handed everything back) and reaps it; both drive the event
// with control/scale_driver.h while trafgen measures a window around it (opened just before
// the switch, re-steered right after it, closed at the end). Events run synchronously in the
// main loop — never two at once — and attached requests are still answered from the driver's
// progress callback. The slot table s6ctl keeps is the one the instances agreed to: it adopts
// v+1 only when the event succeeded.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <s6/log.h>
#include "ctl/attach.h"
#include "ctl/binaries.h"
#include "ctl/events.h"
#include "ctl/health.h"
#include "ctl/launcher.h"
#include "ctl/options.h"
#include "ctl/table.h"
#include "keyspace/slot_table.h"

namespace s6::ctl {

class ClusterRun {
 public:
  /// `options` is borrowed; `workdir` exists.
  ClusterRun(const RunOptions& options, Binaries binaries, std::string workdir);
  ~ClusterRun();

  /// Runs to the end. Exit status: 0 when the run completed with no error, 1 otherwise.
  int Run();

 private:
  using Clock = std::chrono::steady_clock;

  double Elapsed() const;
  bool WaitTrafficStarted();
  bool WaitInstanceReady(int id);
  void Execute(const Event& e);
  Json ScaleTo(const std::vector<InstanceId>& members, const std::string& window);
  void ServeAttach();
  std::string Answer(const AttachRequest& r);
  void PrintTable();
  void NoteExited();
  // Instance `id` exited with wait status `st`: why, when, and its last log lines.
  std::string DescribeExit(int id, int st, const std::string& what);
  void WatchStalls();
  // A SIGINT/SIGTERM arrived (remembered once read).
  bool Interrupted();
  void Finish(int trafgen_status);

  const RunOptions& o_;
  const RunLayout layout_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::context_t zmq_;
  ClusterLauncher launcher_;
  std::unique_ptr<AttachServer> attach_;
  LiveTable table_view_;
  EventQueue queue_;
  keyspace::SlotTable table_;
  int next_id_ = 1;
  std::vector<std::string> errors_;
  int signal_fd_ = -1;  // SIGINT/SIGTERM, blocked and read here (see Run)
  bool interrupted_ = false;
  bool stopped_early_ = false;  // s6ctl stopped s6-trafgen (a signal, or no instance left)
  StallWatch stalls_;
  Clock::time_point next_stall_check_;
  std::vector<Json> events_;
  Clock::time_point start_;
  Clock::time_point last_progress_;
};

}  // namespace s6::ctl

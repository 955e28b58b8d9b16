// SPDX-License-Identifier: Apache-2.0
#include "ctl/run.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "control/scale_driver.h"
#include "ctl/format.h"
#include "ctl/merge_logs.h"
#include "ctl/stats.h"
#include "ctl/summary.h"

namespace s6::ctl {
namespace {

// Blocks SIGINT/SIGTERM and returns a descriptor to read them from: a signal then never
// interrupts a control call or a scale event half-way; the loops look at it between steps.
int BlockStopSignals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  return signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
}

bool ExitedCleanly(int st) { return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0; }

}  // namespace

ClusterRun::ClusterRun(const RunOptions& options, Binaries binaries, std::string workdir)
    : o_(options),
      layout_(std::move(workdir)),
      log_(log::Get("ctl")),
      zmq_(1),
      launcher_(options, std::move(binaries), layout_, zmq_),
      signal_fd_(BlockStopSignals()),
      stalls_(StallThreshold(options.stats_interval_ms)) {}

ClusterRun::~ClusterRun() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

bool ClusterRun::Interrupted() {
  signalfd_siginfo si;
  if (!interrupted_ && signal_fd_ >= 0 &&
      ::read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    interrupted_ = true;
    errors_.push_back("interrupted");
    log_->warn("interrupted: stopping the run");
  }
  return interrupted_;
}

double ClusterRun::Elapsed() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

int ClusterRun::Run() {
  queue_.Schedule(o_.scale_out_at, o_.scale_in_at);

  StatusOr<std::unique_ptr<AttachServer>> attach =
      AttachServer::Bind(zmq_, layout_.AttachEndpoint());
  if (!attach.ok()) {
    log_->error("{}", attach.status().message());
    return 1;
  }
  attach_ = std::move(*attach);
  {
    std::ofstream latest(LatestRunFile(), std::ios::trunc);
    latest << layout_.dir() << "\n";
    latest.close();
    if (!latest) log_->warn("cannot write {}: attach with --workdir", LatestRunFile());
  }

  if (const Status st = launcher_.StartTrafgen(o_.MaxLinks()); !st.ok()) {
    log_->error("{}", st.message());
    return 1;
  }
  std::vector<InstanceId> initial;
  for (int i = 1; i <= o_.instances; ++i) initial.push_back(static_cast<InstanceId>(i));
  table_ = *keyspace::SlotTable::Initial(initial);  // what the instances compute too
  next_id_ = o_.instances + 1;
  for (int i = 1; i <= o_.instances; ++i) {
    if (const Status st = launcher_.StartInstance(i, initial); !st.ok()) {
      errors_.push_back(std::string(st.message()));
    }
  }
  log_->debug("{} x {} + s6-trafgen started in {}", o_.instances, o_.AppName(), layout_.dir());

  if (!o_.quiet) {
    std::printf(
        "s6ctl: %d x s6-%s-instance + s6-trafgen, %llu flows at %llu pkt/s for %.0f s, %s "
        "migration (logs and stats in %s)\n",
        o_.instances, o_.AppName().c_str(), static_cast<unsigned long long>(o_.flows),
        static_cast<unsigned long long>(o_.rate_pps), o_.duration_s,
        MigrationModeName(o_.migration.mode), layout_.dir().c_str());
    std::fputs(LiveTable::Header().c_str(), stdout);
  }
  WaitTrafficStarted();
  start_ = Clock::now();
  auto next_table = start_ + std::chrono::seconds(1);
  next_stall_check_ = start_;
  std::optional<int> trafgen_status;
  while (!trafgen_status) {
    trafgen_status = launcher_.PollTrafgen();
    NoteExited();
    if (Interrupted()) {
      stopped_early_ = true;
      trafgen_status = launcher_.StopTrafgen();
      break;
    }
    if (launcher_.instances().empty()) {
      stopped_early_ = true;  // nothing left to send to: don't wait out --duration
      errors_.push_back(Format("every instance has exited: the run stopped at %.1f s", Elapsed()));
      log_->warn("{}", errors_.back());
      trafgen_status = launcher_.StopTrafgen();
      break;
    }
    WatchStalls();
    ServeAttach();
    if (!trafgen_status) {
      if (std::optional<Event> e = queue_.PopDue(Elapsed())) Execute(*e);
    }
    if (!o_.quiet && Clock::now() >= next_table) {
      PrintTable();
      next_table = Clock::now() + std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Finish(*trafgen_status);
  return errors_.empty() ? 0 : 1;
}

// Traffic starts when every initial link is up: event times count from there. Not waited for
// after a signal, or once every instance has exited.
bool ClusterRun::WaitTrafficStarted() {
  const auto up_by = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    NoteExited();
    if (Interrupted()) return false;
    if (launcher_.instances().empty()) return false;  // the main loop says so and stops
    StatusOr<std::string> reply = launcher_.trafgen().CallRaw({"status"});
    if (reply.ok()) {
      const StatusOr<TrafgenStatus> tg = ParseTrafgenStatus(*reply);
      if (tg.ok() && tg->sent > 0) return true;
      if (!tg.ok()) log_->debug("trafgen status: {}", tg.status().message());
    }
    if (Clock::now() > up_by) {
      errors_.push_back("traffic did not start within 30 s");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ClusterRun::NoteExited() {
  for (const auto& [id, st] : launcher_.PollExited()) {
    stalls_.Forget(id, Elapsed());
    errors_.push_back(DescribeExit(id, st, "exited early"));
    log_->warn("{}", errors_.back());
  }
}

std::string ClusterRun::DescribeExit(int id, int st, const std::string& what) {
  std::string out =
      Format("instance %d %s at %.1f s (%s)", id, what.c_str(),
             start_ == Clock::time_point{} ? 0.0 : Elapsed(), DescribeWaitStatus(st).c_str());
  const std::vector<std::string> last = LastLogLines(layout_.InstanceLog(id), 3);
  if (last.empty()) return out + "; its log " + layout_.InstanceLog(id) + " is empty";
  out += "; the end of its log " + layout_.InstanceLog(id) + ":";
  for (const std::string& line : last) out += " | " + line;
  return out;
}

// Every 100 ms: the age of each instance's stats file (see ctl/health.h).
void ClusterRun::WatchStalls() {
  const Clock::time_point now = Clock::now();
  if (now < next_stall_check_) return;
  next_stall_check_ = now + std::chrono::milliseconds(100);
  const auto file_now = std::filesystem::file_time_type::clock::now();
  for (const auto& [id, p] : launcher_.instances()) {
    std::error_code ec;
    const auto written = std::filesystem::last_write_time(layout_.StatsFile(id), ec);
    std::optional<double> age;
    if (!ec) age = std::chrono::duration<double>(file_now - written).count();
    stalls_.Observe(id, Elapsed(), age);
  }
}

void ClusterRun::Finish(int trafgen_status) {
  for (const Event& e : queue_.pending()) {
    errors_.push_back(std::string(KindName(e.kind)) + " at " + FormatNumber(e.at_s) +
                      " s did not run: the traffic ended first");
  }
  if (!stopped_early_ && !ExitedCleanly(trafgen_status)) {
    errors_.push_back("s6-trafgen failed (" + DescribeWaitStatus(trafgen_status) + "); see " +
                      layout_.TrafgenLog());
  }
  const std::size_t alive_members = std::count_if(
      table_.instances().begin(), table_.instances().end(),
      [&](InstanceId m) { return launcher_.instances().contains(static_cast<int>(ToUint(m))); });
  const std::vector<std::string> stalls = stalls_.Report(Elapsed());
  errors_.insert(errors_.end(), stalls.begin(), stalls.end());
  for (const auto& [id, st] : launcher_.StopInstances()) {
    if (st == -1) {
      errors_.push_back("instance " + std::to_string(id) + " did not stop on SIGTERM");
    } else if (!ExitedCleanly(st)) {
      errors_.push_back(DescribeExit(id, st, "failed to stop cleanly"));
    }
  }

  if (!o_.merge_log.empty()) {
    const StatusOr<uint64_t> merged = MergeLogs(o_.merge_log, launcher_.started(), o_.merged_log);
    if (merged.ok()) {
      log_->info("merged {} log lines into {}", *merged, o_.merged_log);
    } else {
      errors_.push_back("--merge-log: " + std::string(merged.status().message()));
    }
  }

  SummaryInputs in;
  in.mode = o_.migration.mode;
  in.instances = o_.instances;
  in.instances_at_end = alive_members;
  in.workdir = layout_.dir();
  in.errors = errors_;
  in.events = events_;
  StatusOr<std::string> tg_text = ReadFile(layout_.TrafgenSummary());
  in.trafgen =
      tg_text.ok() ? ParseTrafgenSummary(*tg_text) : StatusOr<TrafgenSummary>(tg_text.status());
  for (int id : launcher_.started()) {
    in.instance_stats.emplace_back(
        id, ReadInstanceStats(layout_.StatsFile(id), "instance " + std::to_string(id) + " stats"));
  }
  // The attach pointer points only at a live run.
  if (const StatusOr<std::string> latest = ReadFile(LatestRunFile());
      latest.ok() && *latest == layout_.dir() + "\n") {
    std::error_code ec;
    std::filesystem::remove(LatestRunFile(), ec);
  }
  const Json summary = BuildSummary(in);
  // The summary may have found more (unreadable results): they count as the run's errors.
  errors_ = summary.at("errors").get<std::vector<std::string>>();
  std::fputs(SummaryText(summary).c_str(), stdout);
  std::fflush(stdout);
  if (!o_.summary_json.empty()) {
    std::ofstream out(o_.summary_json);
    out << summary.dump() << "\n";
    if (!out) {
      log_->error("cannot write {}", o_.summary_json);
      errors_.push_back("cannot write " + o_.summary_json);
    }
  }
}

// A new instance is ready for a scale-out once its control socket answers and trafgen sees its
// link up.
bool ClusterRun::WaitInstanceReady(int id) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  bool control_ok = false;
  while (Clock::now() < deadline) {
    if (Interrupted()) return false;
    auto& procs = launcher_.instances();
    if (const std::optional<int> st = PollExit(procs[id].pid)) {
      errors_.push_back(DescribeExit(id, *st, "exited while starting"));
      procs.erase(id);
      return false;
    }
    ServeAttach();
    if (!control_ok) control_ok = procs[id].control->Call("status").ok();
    if (control_ok) {
      StatusOr<std::string> reply = launcher_.trafgen().CallRaw({"status"});
      if (reply.ok()) {
        const StatusOr<TrafgenStatus> tg = ParseTrafgenStatus(*reply);
        if (!tg.ok()) {
          log_->warn("{}", tg.status().message());
        } else if (const auto up = tg->link_up.find(static_cast<uint32_t>(id));
                   up != tg->link_up.end() && up->second) {
          return true;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  errors_.push_back("instance " + std::to_string(id) + " did not become ready in 20 s");
  return false;
}

// Drives one scale event to `members`; returns the event's fields (the scale report's, or
// `error`).
Json ClusterRun::ScaleTo(const std::vector<InstanceId>& members, const std::string& window) {
  StatusOr<keyspace::SlotTable> next = table_.Rebalance(members);
  if (!next.ok()) return Json{{"error", next.status().ToString()}};
  log_->debug("{}: v{} -> v{}, members {} -> {}", window, table_.version(), next->version(),
              IdList(table_.instances()), IdList(members));
  std::map<InstanceId, control::ScaleTarget*> targets;
  std::map<InstanceId, std::string> endpoints;
  for (auto& [id, p] : launcher_.instances()) {
    targets[static_cast<InstanceId>(id)] = p.target.get();
    endpoints[static_cast<InstanceId>(id)] = layout_.InstanceEndpoint(id);
  }
  control::ScaleOptions o;
  o.migration = o_.migration;
  // Migration time is measured by the instances' clocks; polling faster only adds load.
  o.poll_interval = std::chrono::milliseconds(10);
  o.before_switch = [&] {
    log_->debug("{}: every instance prepared and connected; switching to v{}", window,
                next->version());
    const StatusOr<std::string> r = launcher_.trafgen().CallRaw({"mark-begin " + window});
    if (!r.ok() || *r != "ok") {
      log_->warn("{}: trafgen mark-begin: {}", window, r.ok() ? *r : r.status().ToString());
    }
  };
  o.on_switched = [&] {
    log_->debug("{}: switched; re-steering trafgen to {}", window, IdList(members));
    StatusOr<std::string> r = launcher_.trafgen().CallRaw({"steer " + IdList(members, " ")});
    if (!r.ok() || *r != "ok") {
      errors_.push_back("trafgen refused to steer to " + IdList(members) + ": " +
                        (r.ok() ? *r : r.status().ToString()));
    }
  };
  o.on_progress = [&](uint32_t slots_left, uint64_t moved) {
    // Attached operators are answered during an event too (new requests queue behind it).
    ServeAttach();
    if (Clock::now() - last_progress_ < std::chrono::milliseconds(100)) return;
    last_progress_ = Clock::now();
    log_->debug("{}: {} slots left, {} objects moved", window, slots_left, moved);
    if (o_.quiet) return;
    std::printf("%6.1f   migrating to v%llu: %u slots left, %llu objects moved\n", Elapsed(),
                static_cast<unsigned long long>(next->version()), slots_left,
                static_cast<unsigned long long>(moved));
    std::fflush(stdout);
  };
  StatusOr<control::ScaleReport> report =
      control::RunScaleEvent(table_, *next, targets, endpoints, o);
  const StatusOr<std::string> end = launcher_.trafgen().CallRaw({"mark-end " + window});
  if (!end.ok() || *end != "ok") {
    log_->warn("{}: trafgen mark-end: {}", window, end.ok() ? *end : end.status().ToString());
  }
  if (!report.ok()) {
    errors_.push_back(window + ": " + report.status().ToString());
    log_->error("{}", errors_.back());
    return Json{{"error", report.status().ToString()}};
  }
  table_ = *next;
  log_->debug("{}: done, v{}: {} slots and {} objects moved in {:.1f} ms", window, report->version,
              report->slots_moved, report->objects_moved, report->migration_ms);
  if (!o_.quiet) {
    std::printf(
        "%6.1f   %s done: v%llu, %u slots and %llu objects moved in %.1f ms "
        "(%llu pulled on first use), members %s\n",
        Elapsed(), window.c_str(), static_cast<unsigned long long>(report->version),
        report->slots_moved, static_cast<unsigned long long>(report->objects_moved),
        report->migration_ms, static_cast<unsigned long long>(report->pulls_on_demand),
        IdList(members).c_str());
    std::fflush(stdout);
  }
  // Our own library's output: a parse failure would be a bug there, reported as such.
  Json fields = Json::parse(report->ToJson(), nullptr, /*allow_exceptions=*/false);
  if (!fields.is_object()) return Json{{"error", "scale report is not a JSON object"}};
  return fields;
}

void ClusterRun::Execute(const Event& e) {
  const std::string window = WindowName(e);
  log_->debug("{}: starting ({})", window, e.origin);
  Json event = {
      {"kind", KindName(e.kind)}, {"origin", e.origin}, {"at_s", Elapsed()}, {"window", window}};
  auto add = [&event](const Json& fields) {
    for (const auto& [k, v] : fields.items()) event[k] = v;
  };
  std::vector<InstanceId> members = table_.instances();
  switch (e.kind) {
    case EventKind::kScaleOut: {
      const int id = next_id_;
      if (id > o_.MaxLinks()) {
        errors_.push_back(window + ": no spare link (raise --max-instances)");
        add({{"error", "no spare link"}});
        break;
      }
      ++next_id_;
      log_->debug("{}: starting instance {} as a non-member", window, id);
      const Status st = launcher_.StartInstance(id, members);
      if (!st.ok() || !WaitInstanceReady(id)) {
        if (!st.ok()) errors_.push_back(window + ": " + std::string(st.message()));
        add({{"error", "the new instance did not start"}});
        break;
      }
      log_->debug("{}: instance {} is ready", window, id);
      members.push_back(static_cast<InstanceId>(id));
      add(ScaleTo(members, window));
      break;
    }
    case EventKind::kScaleIn: {
      if (members.size() <= 1) {
        errors_.push_back(window + ": refused: the cluster has one instance");
        add({{"error", "refused: one instance left"}});
        break;
      }
      const InstanceId leaving = members.back();  // the newest
      members.pop_back();
      add(ScaleTo(members, window));
      if (table_.IsMember(leaving)) break;  // the event failed: it stays
      const int id = static_cast<int>(ToUint(leaving));
      log_->debug("{}: waiting for instance {} to exit", window, id);
      const int st = launcher_.ReapInstance(id);
      if (!ExitedCleanly(st)) {
        errors_.push_back("instance " + std::to_string(id) + " did not exit cleanly after " +
                          window + " (" + DescribeWaitStatus(st) + ")");
      }
      break;
    }
    case EventKind::kKill: {
      const int id = static_cast<int>(e.target);
      if (!launcher_.instances().contains(id)) {
        add({{"error", "no such running instance"}});
        break;
      }
      launcher_.KillInstance(id);
      add({{"instance", id},
           {"note", "killed; without replication its state and traffic are lost"}});
      errors_.push_back("instance " + std::to_string(id) + " killed by the operator");
      log_->warn("{}", errors_.back());
      break;
    }
  }
  events_.push_back(std::move(event));
}

void ClusterRun::ServeAttach() {
  attach_->Poll([this](const AttachRequest& r) { return Answer(r); });
}

std::string ClusterRun::Answer(const AttachRequest& r) {
  auto queue = [&](EventKind kind) {
    StatusOr<std::size_t> n = queue_.Append(Event{Elapsed(), kind, r.target, "attach"});
    if (!n.ok()) return "error refused: " + std::string(n.status().message());
    log_->debug("attached request: {} queued", KindName(kind));
    return "ok queued " + std::string(KindName(kind)) + " (" + std::to_string(*n) +
           " in the queue)";
  };
  switch (r.kind) {
    case AttachRequest::Kind::kStatus: {
      std::vector<StatusRow> rows;
      for (const auto& [id, p] : launcher_.instances()) {
        rows.push_back(StatusRow{
            id, p.pid,
            ReadInstanceStats(layout_.StatsFile(id), "instance " + std::to_string(id) + " stats")});
      }
      return "ok " + RenderStatus(table_.version(), table_.instances(), queue_.size(), rows);
    }
    case AttachRequest::Kind::kScaleOut:
      return queue(EventKind::kScaleOut);
    case AttachRequest::Kind::kScaleIn:
      return queue(EventKind::kScaleIn);
    case AttachRequest::Kind::kKill:
      if (!launcher_.instances().contains(static_cast<int>(r.target))) {
        return "error no running instance " + std::to_string(r.target);
      }
      return queue(EventKind::kKill);
  }
  return "error unknown request";
}

void ClusterRun::PrintTable() {
  const double t = Elapsed();
  std::string out;
  for (const auto& [id, p] : launcher_.instances()) {
    out += table_view_.InstanceRow(
        t, id,
        ReadInstanceStats(layout_.StatsFile(id), "instance " + std::to_string(id) + " stats"));
  }
  // Cluster: the newest complete interval of s6-trafgen.
  if (const StatusOr<TrafgenInterval> i = ReadLastTrafgenInterval(layout_.IntervalJson()); i.ok()) {
    out += LiveTable::ClusterRow(t, *i);
  } else {
    log_->debug("no trafgen interval: {}", i.status().message());
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace s6::ctl

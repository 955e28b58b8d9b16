// SPDX-License-Identifier: Apache-2.0
// s6ctl: the operator's tool.
//
//   s6ctl run --app nat --instances N --duration S --flows F --rate PPS [--pkt-size B]
//             [--flow-size MEAN] [--missteer F] [--pcap FILE] [--arrival DIST]
//             [--scale-out-at T]... [--scale-in-at T]... [--migration gradual|stop-and-copy]
//             [--migration-rate SLOTS_PER_S] [--max-instances M] [--summary-json FILE]
//             [--csv FILE] [--bin-dir DIR] [--workdir DIR] [--quiet] [-- APP OPTIONS...]
//   s6ctl status | scale-out | scale-in | kill ID   [--workdir DIR]
//
// Theory of operation
// -------------------
// `run` starts a local cluster the way a multi-host one runs, as real processes: s6-trafgen
// (memif server of one link per possible instance, the load balancer and clients) and N
// `s6-<app>-instance` processes (memif clients, peered over ZeroMQ ipc://, each with a control
// socket). Every second it prints a live table (per instance: packets/s, SingleWriter objects
// held, objects homed, remote requests, micro-threads, slots still moving; cluster: the last
// interval's traffic and p99), read from the instances' stats files and trafgen's interval
// CSV. At the end it prints the summary and writes it as JSON.
//
// Scale events come from the schedule (--scale-out-at / --scale-in-at, seconds after traffic
// started) or from an attached `s6ctl scale-out|scale-in|kill` (through the run's own control
// socket, DIR/s6ctl.ctl); they are queued and executed one at a time, never interleaved. A
// scale-out starts the next instance as a non-member on a spare trafgen link, then drives the
// event (control/scale_driver.h: prepare -> switch -> settle -> complete) while trafgen opens a
// measurement window before the switch, re-steers right after it and closes the window at the
// end. A scale-in removes the newest instance, which hands everything back and exits. The
// summary's `scaling` object reports each event (slots and objects moved, migration time,
// latency of the packets sent during its window) and their totals/maxima.
//
// Exit status: 0 when the run completed with no error, 1 otherwise, 2 on usage.
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "control/control.h"
#include "control/scale_driver.h"
#include "keyspace/slot_table.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using s6::InstanceId;
using s6::StatusOr;

constexpr char kUsage[] =
    "usage: s6ctl run --app nat --instances N --duration S --flows F --rate PPS\n"
    "                 [--pkt-size B] [--flow-size MEAN] [--missteer F] [--pcap FILE]\n"
    "                 [--arrival fixed|uniform|exp|pareto] [--scale-out-at T]...\n"
    "                 [--scale-in-at T]... [--migration gradual|stop-and-copy]\n"
    "                 [--migration-rate SLOTS_PER_S] [--max-instances M] [--stats-interval-ms N]\n"
    "                 [--summary-json FILE] [--csv FILE] [--bin-dir DIR] [--workdir DIR]\n"
    "                 [--quiet] [-- APP OPTIONS]\n"
    "       s6ctl status | scale-out | scale-in | kill ID   [--workdir DIR]\n"
    "         (attach to a running `s6ctl run`; DIR defaults to the latest run's)\n";

constexpr char kLatestRun[] = "/tmp/s6ctl-latest";

int Usage(const std::string& why) {
  std::fprintf(stderr, "s6ctl: %s\n%s", why.c_str(), kUsage);
  return 2;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The first integer matched by `pattern`'s group 1 in `text`, or -1.
long long Grab(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern))) return std::stoll(m[1]);
  return -1;
}
long long Field(const std::string& json, const std::string& key) {
  return Grab(json, "\"" + key + "\":([0-9]+)");
}
std::string Object(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":(\\{[^{}]*\\})"))) return m[1];
  return "{}";
}
double Number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9.eE+-]+)"))) {
    return std::stod(m[1]);
  }
  return 0;
}

pid_t Launch(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (std::freopen(log.c_str(), "w", stdout) == nullptr ||
        std::freopen(log.c_str(), "a", stderr) == nullptr) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to `timeout` for `pid`; SIGKILLs it after that. Returns its wait status, or -1 if
// it had to be killed.
int Reap(pid_t pid, std::chrono::milliseconds timeout) {
  int st = 0;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (::waitpid(pid, &st, WNOHANG) == pid) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &st, 0);
  return -1;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n') ? ' ' : c;
  }
  return out + "\"";
}

std::string IdList(const std::vector<InstanceId>& ids, const char* sep = ",") {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out += (i ? sep : "") + std::to_string(s6::ToUint(ids[i]));
  }
  return out;
}

struct RunArgs {
  std::string app;
  int instances = 0;
  double duration = 0;
  std::string flows;
  std::string rate;
  std::string pkt_size = "128";
  std::string flow_size = "50";
  std::string missteer = "0";
  std::string pcap;
  std::string arrival;
  std::vector<double> scale_out_at;
  std::vector<double> scale_in_at;
  s6::objspace::MigrationOptions migration;
  int max_instances = 0;
  int stats_interval_ms = 200;
  std::string summary_json;
  std::string csv;
  std::string bin_dir;
  std::string workdir;
  bool quiet = false;
  std::vector<std::string> app_args;
};

enum class EventKind { kScaleOut, kScaleIn, kKill };

const char* KindName(EventKind k) {
  switch (k) {
    case EventKind::kScaleOut:
      return "scale-out";
    case EventKind::kScaleIn:
      return "scale-in";
    case EventKind::kKill:
      return "kill";
  }
  return "?";
}

struct Event {
  double at_s = 0;
  EventKind kind = EventKind::kScaleOut;
  int target = 0;  // kKill
  std::string origin = "schedule";
};

/// The cluster `run` manages: trafgen, the instance processes and their control sockets.
class LocalCluster {
 public:
  LocalCluster(const RunArgs& a, std::string workdir)
      : a_(a), workdir_(std::move(workdir)), zmq_(1) {}

  int Run();

 private:
  struct Proc {
    pid_t pid = -1;
    std::unique_ptr<s6::control::ControlClient> control;
    std::unique_ptr<s6::control::RemoteTarget> target;
  };

  std::string Path(const std::string& name) const { return workdir_ + "/" + name; }
  std::string Endpoint(int id) const { return "ipc://" + Path(std::to_string(id) + ".zmq"); }
  std::string ControlEndpoint(int id) const { return "ipc://" + Path(std::to_string(id) + ".ctl"); }
  bool StartTrafgen(int links);
  bool StartInstance(int id);
  bool WaitInstanceReady(int id);
  void Execute(const Event& e);
  std::string ScaleTo(const std::vector<InstanceId>& members, const std::string& window);
  void ServeAttach(double t);
  void PrintTable(double t);
  std::string StatusText();
  std::string Summary(const std::string& trafgen_json);

  const RunArgs& a_;
  const std::string workdir_;
  zmq::context_t zmq_;
  std::string instance_bin_;
  std::vector<std::string> app_args_;
  pid_t trafgen_ = -1;
  std::unique_ptr<s6::control::ControlClient> trafgen_ctl_;
  std::unique_ptr<zmq::socket_t> attach_;
  std::map<int, Proc> procs_;  // running instances
  std::vector<int> all_ids_;   // every instance ever started
  int max_links_ = 0;
  int next_id_ = 1;
  s6::keyspace::SlotTable table_;
  std::deque<Event> queue_;
  std::vector<std::string> errors_;
  std::vector<std::string> event_json_;
  std::map<int, long long> last_rx_;
  Clock::time_point start_;
  Clock::time_point last_progress_;
};

bool LocalCluster::StartTrafgen(int links) {
  const std::string csv = a_.csv.empty() ? Path("intervals.csv") : a_.csv;
  std::vector<std::string> args = {a_.bin_dir + "/s6-trafgen",
                                   "--rate",
                                   a_.rate,
                                   "--flows",
                                   a_.flows,
                                   "--duration",
                                   std::to_string(a_.duration),
                                   "--pkt-size",
                                   a_.pkt_size,
                                   "--flow-size",
                                   a_.flow_size,
                                   "--missteer",
                                   a_.missteer,
                                   "--interval-ms",
                                   "100",
                                   "--csv",
                                   csv,
                                   "--interval-json",
                                   Path("intervals.jsonl"),
                                   "--json",
                                   Path("trafgen.json"),
                                   "--ready-file",
                                   Path("ready"),
                                   "--control",
                                   "ipc://" + Path("trafgen.ctl"),
                                   "--dpdk-memory",
                                   std::to_string(96 + 16 * links)};
  if (!a_.pcap.empty()) {
    args.push_back("--pcap");
    args.push_back(a_.pcap);
  }
  if (!a_.arrival.empty()) {
    args.push_back("--arrival");
    args.push_back(a_.arrival);
  }
  std::string active;
  for (int i = 1; i <= links; ++i) {
    args.push_back("--instance");
    args.push_back(std::to_string(i) + "=" + Path(std::to_string(i) + ".memif"));
    if (i <= a_.instances) active += (i > 1 ? "," : "") + std::to_string(i);
  }
  args.push_back("--active");
  args.push_back(active);
  trafgen_ = Launch(args, Path("trafgen.log"));
  const auto ready_by = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(Path("ready")) && Clock::now() < ready_by) {
    int st = 0;
    if (::waitpid(trafgen_, &st, WNOHANG) == trafgen_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!fs::exists(Path("ready"))) {
    std::fprintf(stderr, "s6ctl: s6-trafgen did not get ready; see %s\n",
                 Path("trafgen.log").c_str());
    ::kill(trafgen_, SIGKILL);
    ::waitpid(trafgen_, nullptr, 0);
    return false;
  }
  trafgen_ctl_ = std::make_unique<s6::control::ControlClient>(zmq_, "ipc://" + Path("trafgen.ctl"),
                                                              std::chrono::milliseconds(3000));
  return true;
}

// Starts instance `id` on link `id`. The members of the table in force are its peers; an
// instance started for a scale-out is not one of them yet (it joins at the switch).
bool LocalCluster::StartInstance(int id) {
  std::vector<std::string> args = {instance_bin_, "--id",      std::to_string(id), "--endpoint",
                                   Endpoint(id),  "--control", ControlEndpoint(id)};
  std::vector<InstanceId> members = table_.instances();
  for (InstanceId m : members) {
    if (static_cast<int>(s6::ToUint(m)) == id) continue;
    args.push_back("--peer");
    args.push_back(std::to_string(s6::ToUint(m)) + "=" + Endpoint(static_cast<int>(s6::ToUint(m))));
  }
  for (const std::string& s :
       {std::string("--members"), IdList(members), std::string("--port"),
        "memif:" + Path(std::to_string(id) + ".memif") + ":client", std::string("--dpdk-memory"),
        std::string("128"), std::string("--stats-file"), Path(std::to_string(id) + ".json"),
        std::string("--stats-interval-ms"), std::to_string(a_.stats_interval_ms),
        std::string("--")}) {
    args.push_back(s);
  }
  args.insert(args.end(), app_args_.begin(), app_args_.end());
  Proc p;
  p.pid = Launch(args, Path("instance" + std::to_string(id) + ".log"));
  p.control = std::make_unique<s6::control::ControlClient>(zmq_, ControlEndpoint(id),
                                                           std::chrono::milliseconds(3000));
  p.target = std::make_unique<s6::control::RemoteTarget>(*p.control);
  procs_[id] = std::move(p);
  all_ids_.push_back(id);
  return true;
}

// A new instance is ready for a scale-out once its control socket answers and trafgen sees its
// link up.
bool LocalCluster::WaitInstanceReady(int id) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  bool control_ok = false;
  while (Clock::now() < deadline) {
    int st = 0;
    if (::waitpid(procs_[id].pid, &st, WNOHANG) == procs_[id].pid) {
      errors_.push_back("instance " + std::to_string(id) + " exited while starting (status " +
                        std::to_string(st) + "); see " +
                        Path("instance" + std::to_string(id) + ".log"));
      procs_.erase(id);
      return false;
    }
    ServeAttach(std::chrono::duration<double>(Clock::now() - start_).count());
    if (!control_ok) control_ok = procs_[id].control->Call("status").ok();
    if (control_ok) {
      StatusOr<std::string> tg = trafgen_ctl_->CallRaw({"status"});
      if (tg.ok() &&
          std::regex_search(*tg, std::regex("\\{\"id\":" + std::to_string(id) + ",\"up\":true"))) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  errors_.push_back("instance " + std::to_string(id) + " did not become ready in 20 s");
  return false;
}

// Drives one scale event to `members`; returns the event's JSON fields (or records an error).
std::string LocalCluster::ScaleTo(const std::vector<InstanceId>& members,
                                  const std::string& window) {
  StatusOr<s6::keyspace::SlotTable> next = table_.Rebalance(members);
  if (!next.ok()) return ",\"error\":" + JsonString(next.status().ToString());
  std::map<InstanceId, s6::control::ScaleTarget*> targets;
  std::map<InstanceId, std::string> endpoints;
  for (auto& [id, p] : procs_) {
    targets[static_cast<InstanceId>(id)] = p.target.get();
    endpoints[static_cast<InstanceId>(id)] = Endpoint(id);
  }
  s6::control::ScaleOptions o;
  o.migration = a_.migration;
  // Migration time is measured by the instances' clocks; polling faster only adds load.
  o.poll_interval = std::chrono::milliseconds(10);
  o.before_switch = [&] { trafgen_ctl_->CallRaw({"mark-begin " + window}).status().IgnoreError(); };
  o.on_switched = [&] {
    StatusOr<std::string> r = trafgen_ctl_->CallRaw({"steer " + IdList(members, " ")});
    if (!r.ok() || *r != "ok") {
      errors_.push_back("trafgen refused to steer to " + IdList(members) + ": " +
                        (r.ok() ? *r : r.status().ToString()));
    }
  };
  o.on_progress = [&](uint32_t slots_left, uint64_t moved) {
    // Attached operators are answered during an event too (new requests queue behind it).
    ServeAttach(std::chrono::duration<double>(Clock::now() - start_).count());
    if (a_.quiet || Clock::now() - last_progress_ < std::chrono::milliseconds(100)) return;
    last_progress_ = Clock::now();
    std::printf("%6.1f   migrating to v%llu: %u slots left, %llu objects moved\n",
                std::chrono::duration<double>(Clock::now() - start_).count(),
                static_cast<unsigned long long>(next->version()), slots_left,
                static_cast<unsigned long long>(moved));
    std::fflush(stdout);
  };
  StatusOr<s6::control::ScaleReport> report =
      s6::control::RunScaleEvent(table_, *next, targets, endpoints, o);
  trafgen_ctl_->CallRaw({"mark-end " + window}).status().IgnoreError();
  if (!report.ok()) {
    errors_.push_back(window + ": " + report.status().ToString());
    return ",\"error\":" + JsonString(report.status().ToString());
  }
  table_ = *next;
  if (!a_.quiet) {
    std::printf(
        "%6.1f   %s done: v%llu, %u slots and %llu objects moved in %.1f ms "
        "(%llu pulled on first use), members %s\n",
        std::chrono::duration<double>(Clock::now() - start_).count(), window.c_str(),
        static_cast<unsigned long long>(report->version), report->slots_moved,
        static_cast<unsigned long long>(report->objects_moved), report->migration_ms,
        static_cast<unsigned long long>(report->pulls_on_demand), IdList(members).c_str());
    std::fflush(stdout);
  }
  std::string j = report->ToJson();
  return "," + j.substr(1, j.size() - 2);  // its fields, spliced into the event's object
}

void LocalCluster::Execute(const Event& e) {
  const double t = std::chrono::duration<double>(Clock::now() - start_).count();
  char at[32];
  std::snprintf(at, sizeof at, "%.1f", e.at_s);
  const std::string window = std::string(KindName(e.kind)) + "@" + at;
  std::string json = "{\"kind\":\"" + std::string(KindName(e.kind)) +
                     "\",\"origin\":" + JsonString(e.origin) + ",\"at_s\":" + std::to_string(t) +
                     ",\"window\":" + JsonString(window);
  std::vector<InstanceId> members = table_.instances();
  switch (e.kind) {
    case EventKind::kScaleOut: {
      const int id = next_id_;
      if (id > max_links_) {
        errors_.push_back(window + ": no spare link (raise --max-instances)");
        json += ",\"error\":\"no spare link\"";
        break;
      }
      ++next_id_;
      StartInstance(id);
      if (!WaitInstanceReady(id)) {
        json += ",\"error\":\"the new instance did not start\"";
        break;
      }
      members.push_back(static_cast<InstanceId>(id));
      json += ScaleTo(members, window);
      break;
    }
    case EventKind::kScaleIn: {
      if (members.size() <= 1) {
        errors_.push_back(window + ": refused: the cluster has one instance");
        json += ",\"error\":\"refused: one instance left\"";
        break;
      }
      const InstanceId leaving = members.back();  // the newest
      members.pop_back();
      json += ScaleTo(members, window);
      if (table_.IsMember(leaving)) break;  // the event failed: it stays
      const int id = static_cast<int>(s6::ToUint(leaving));
      const int st = Reap(procs_[id].pid, std::chrono::seconds(10));
      if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errors_.push_back("instance " + std::to_string(id) + " did not exit cleanly after " +
                          window);
      }
      procs_.erase(id);
      break;
    }
    case EventKind::kKill: {
      auto it = procs_.find(e.target);
      if (it == procs_.end()) {
        json += ",\"error\":\"no such running instance\"";
        break;
      }
      ::kill(it->second.pid, SIGKILL);
      ::waitpid(it->second.pid, nullptr, 0);
      procs_.erase(it);
      json += ",\"instance\":" + std::to_string(e.target) +
              ",\"note\":\"killed; without replication its state and traffic are lost\"";
      errors_.push_back("instance " + std::to_string(e.target) + " killed by the operator");
      break;
    }
  }
  event_json_.push_back(json + "}");
}

// Requests from an attached `s6ctl status|scale-out|scale-in|kill` (one at a time, REP).
void LocalCluster::ServeAttach(double t) {
  zmq::message_t m;
  try {
    if (!attach_->recv(m, zmq::recv_flags::dontwait)) return;
  } catch (const zmq::error_t&) {
    return;
  }
  const std::string req(static_cast<const char*>(m.data()), m.size());
  std::string reply;
  auto queued = [&](EventKind k, int target) {
    if (queue_.size() >= 16) return std::string("error refused: 16 scale events already queued");
    queue_.push_back(Event{t, k, target, "attach"});
    return "ok queued " + std::string(KindName(k)) + " (" + std::to_string(queue_.size()) +
           " in the queue)";
  };
  if (req == "status") {
    reply = "ok " + StatusText();
  } else if (req == "scale-out") {
    reply = queued(EventKind::kScaleOut, 0);
  } else if (req == "scale-in") {
    reply = queued(EventKind::kScaleIn, 0);
  } else if (req.rfind("kill ", 0) == 0) {
    int id = 0;
    try {
      id = std::stoi(req.substr(5));
    } catch (...) {
    }
    reply = procs_.contains(id) ? queued(EventKind::kKill, id)
                                : "error no running instance " + req.substr(5);
  } else {
    reply = "error unknown request";
  }
  attach_->send(zmq::buffer(reply), zmq::send_flags::none);
}

std::string LocalCluster::StatusText() {
  std::string out = "table v" + std::to_string(table_.version()) + ", members " +
                    IdList(table_.instances()) + ", " + std::to_string(queue_.size()) +
                    " event(s) queued\n";
  char line[160];
  std::snprintf(line, sizeof line, "%5s %8s %10s %7s %7s %8s %9s\n", "inst", "pid", "rx", "held",
                "homed", "v", "moving");
  out += line;
  for (auto& [id, p] : procs_) {
    const std::string s = ReadFile(Path(std::to_string(id) + ".json"));
    std::snprintf(line, sizeof line, "%5d %8d %10lld %7lld %7lld %8lld %4lld/%-4lld\n", id,
                  static_cast<int>(p.pid), Grab(s, "\"packets\":\\{\"received\":([0-9]+)"),
                  Field(s, "sw_held"), Field(s, "sw_homed") + Field(s, "mw_homed"),
                  Field(s, "version"), Field(s, "incoming_left"), Field(s, "outgoing_left"));
    out += line;
  }
  return out;
}

void LocalCluster::PrintTable(double t) {
  for (auto& [id, p] : procs_) {
    const std::string s = ReadFile(Path(std::to_string(id) + ".json"));
    const long long rx = Grab(s, "\"packets\":\\{\"received\":([0-9]+)");
    const long long pps = rx >= 0 && last_rx_.count(id) ? rx - last_rx_[id] : rx;
    last_rx_[id] = rx;
    const long long in_left = Field(s, "incoming_left");
    const long long out_left = Field(s, "outgoing_left");
    std::string moving = "-";
    if (in_left > 0 || out_left > 0) {
      moving = std::to_string(in_left) + "/" + std::to_string(out_left);
    }
    std::printf("%6.1f %5d %9lld %9lld %7lld %7lld %9lld %7lld %9s\n", t, id, pps,
                Field(s, "forwarded"), Field(s, "sw_held"),
                Field(s, "sw_homed") + Field(s, "mw_homed"),
                Field(s, "sw_acquires_sent") + Field(s, "mw_strict_sent"), Field(s, "in_use"),
                moving.c_str());
  }
  // Cluster: the newest complete interval of s6-trafgen's CSV.
  std::istringstream rows(ReadFile(a_.csv.empty() ? Path("intervals.csv") : a_.csv));
  std::string row;
  std::vector<std::vector<std::string>> last;
  std::string last_t;
  while (std::getline(rows, row)) {
    std::vector<std::string> cols;
    std::stringstream ss(row);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
    if (cols.size() != 11 || cols[0] == "t_ms") continue;
    if (cols[0] != last_t) {
      last.clear();
      last_t = cols[0];
    }
    last.push_back(cols);
  }
  long long sent = 0, received = 0;
  double p99 = 0;
  for (const auto& c : last) {
    sent += std::stoll(c[2]);
    received += std::stoll(c[3]);
    p99 = std::max(p99, std::stod(c[8]));
  }
  if (!last.empty()) {
    std::printf("%6.1f %5s %9lld   last 100 ms: sent %lld, back %lld, p99 %.0f us\n", t, "all",
                received * 10, sent, received, p99);
  }
  std::fflush(stdout);
}

int LocalCluster::Run() {
  instance_bin_ = a_.bin_dir + "/s6-" + a_.app + "-instance";
  for (const std::string& b : {a_.bin_dir + "/s6-trafgen", instance_bin_}) {
    if (::access(b.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "s6ctl: %s not found (build it, or pass --bin-dir)\n", b.c_str());
      return 2;
    }
  }
  app_args_ = a_.app_args;
  if (app_args_.empty() && a_.app == "nat") app_args_ = {"--public-ip", "203.0.113.7"};
  for (double t : a_.scale_out_at) queue_.push_back(Event{t, EventKind::kScaleOut, 0});
  for (double t : a_.scale_in_at) queue_.push_back(Event{t, EventKind::kScaleIn, 0});
  std::stable_sort(queue_.begin(), queue_.end(),
                   [](const Event& x, const Event& y) { return x.at_s < y.at_s; });
  max_links_ = a_.max_instances != 0 ? a_.max_instances
                                     : a_.instances + static_cast<int>(a_.scale_out_at.size()) + 2;

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  const int sigfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);

  attach_ = std::make_unique<zmq::socket_t>(zmq_, zmq::socket_type::rep);
  attach_->set(zmq::sockopt::linger, 0);
  try {
    attach_->bind("ipc://" + Path("s6ctl.ctl"));
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "s6ctl: cannot bind %s: %s\n", Path("s6ctl.ctl").c_str(), e.what());
    return 1;
  }
  std::ofstream(kLatestRun) << workdir_ << "\n";

  if (!StartTrafgen(max_links_)) return 1;
  std::vector<InstanceId> initial;
  for (int i = 1; i <= a_.instances; ++i) initial.push_back(static_cast<InstanceId>(i));
  table_ = *s6::keyspace::SlotTable::Initial(initial);  // what the instances compute too
  next_id_ = a_.instances + 1;
  for (int i = 1; i <= a_.instances; ++i) StartInstance(i);

  if (!a_.quiet) {
    std::printf(
        "s6ctl: %d x s6-%s-instance + s6-trafgen, %s flows at %s pkt/s for %.0f s, %s migration "
        "(logs and stats in %s)\n",
        a_.instances, a_.app.c_str(), a_.flows.c_str(), a_.rate.c_str(), a_.duration,
        a_.migration.mode == s6::objspace::MigrationMode::kGradual ? "gradual" : "stop-and-copy",
        workdir_.c_str());
    std::printf("%6s %5s %9s %9s %7s %7s %9s %7s %9s\n", "t(s)", "inst", "rx pkt/s", "fwd", "held",
                "homed", "remote", "fibers", "moving");
  }
  // Traffic starts when every initial link is up: event times count from there.
  const auto up_by = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    StatusOr<std::string> tg = trafgen_ctl_->CallRaw({"status"});
    if (tg.ok() && Field(*tg, "sent") > 0) break;
    if (Clock::now() > up_by) {
      errors_.push_back("traffic did not start within 30 s");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  start_ = Clock::now();
  auto next_table = start_ + std::chrono::seconds(1);
  int tg_status = -1;
  bool interrupted = false;
  while (tg_status == -1) {
    int st = 0;
    if (::waitpid(trafgen_, &st, WNOHANG) == trafgen_) tg_status = st;
    for (auto it = procs_.begin(); it != procs_.end();) {
      if (::waitpid(it->second.pid, &st, WNOHANG) == it->second.pid) {
        errors_.push_back("instance " + std::to_string(it->first) + " exited early (status " +
                          std::to_string(st) + "); see its log in " + workdir_);
        it = procs_.erase(it);
      } else {
        ++it;
      }
    }
    signalfd_siginfo si;
    if (sigfd >= 0 && ::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      errors_.push_back("interrupted");
      interrupted = true;
      ::kill(trafgen_, SIGTERM);
      ::waitpid(trafgen_, &st, 0);
      tg_status = st;
      break;
    }
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    ServeAttach(t);
    if (tg_status == -1 && !queue_.empty() && queue_.front().at_s <= t) {
      const Event e = queue_.front();
      queue_.pop_front();
      Execute(e);
    }
    const auto now = Clock::now();
    if (!a_.quiet && now >= next_table) {
      PrintTable(std::chrono::duration<double>(now - start_).count());
      next_table = now + std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const Event& e : queue_) {
    errors_.push_back(std::string(KindName(e.kind)) + " at " + std::to_string(e.at_s) +
                      " s did not run: the traffic ended first");
  }
  if (!WIFEXITED(tg_status) || WEXITSTATUS(tg_status) != 0) {
    if (!interrupted) errors_.push_back("s6-trafgen failed; see " + Path("trafgen.log"));
  }
  for (const auto& [id, p] : procs_) ::kill(p.pid, SIGTERM);
  for (const auto& [id, p] : procs_) {
    const int st = Reap(p.pid, std::chrono::seconds(10));
    if (st == -1) {
      errors_.push_back("instance " + std::to_string(id) + " did not stop on SIGTERM");
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      errors_.push_back("instance " + std::to_string(id) + " exited with status " +
                        std::to_string(st));
    }
  }
  const std::string summary = Summary(ReadFile(Path("trafgen.json")));
  if (!a_.summary_json.empty()) std::ofstream(a_.summary_json) << summary << "\n";
  if (sigfd >= 0) ::close(sigfd);
  return errors_.empty() ? 0 : 1;
}

std::string LocalCluster::Summary(const std::string& tgj) {
  std::string nf_stats = "[";
  for (std::size_t i = 0; i < all_ids_.size(); ++i) {
    const std::string s = ReadFile(Path(std::to_string(all_ids_[i]) + ".json"));
    nf_stats += (i ? "," : "") + std::string("{\"instance\":") + std::to_string(all_ids_[i]) +
                ",\"nf\":" + Object(s, "nf") + ",\"migration\":" + Object(s, "migration") +
                ",\"packets_aborted\":" + std::to_string(std::max(0LL, Field(s, "aborted"))) + "}";
  }
  nf_stats += "]";

  // Scaling: each event with the latency of the packets sent during its window.
  std::string events = "[";
  uint64_t objects_moved = 0;
  double migration_ms = 0, p50 = 0, p99 = 0, lmax = 0;
  for (std::size_t i = 0; i < event_json_.size(); ++i) {
    std::string e = event_json_[i];
    std::smatch m;
    std::regex_search(e, m, std::regex("\"window\":\"([^\"]*)\""));
    const std::string name = m[1];
    const std::size_t at = tgj.find("\"name\":" + JsonString(name));
    std::string window = "{}";
    if (at != std::string::npos) {
      const std::string rest = tgj.substr(at);
      const std::string lat = Object(rest, "latency_us");
      window = "{\"sent\":" + std::to_string(Field(rest, "sent")) +
               ",\"received\":" + std::to_string(Field(rest, "received")) +
               ",\"lost\":" + std::to_string(Field(rest, "lost")) + ",\"latency_us\":" + lat + "}";
      p50 = std::max(p50, Number(lat, "p50"));
      p99 = std::max(p99, Number(lat, "p99"));
      lmax = std::max(lmax, Number(lat, "max"));
    }
    if (Field(e, "objects_moved") > 0)
      objects_moved += static_cast<uint64_t>(Field(e, "objects_moved"));
    migration_ms = std::max(migration_ms, Number(e, "migration_ms"));
    e.pop_back();
    events += (i ? "," : "") + e + ",\"traffic\":" + window + "}";
  }
  events += "]";
  const std::string scaling =
      "{\"mode\":\"" +
      std::string(a_.migration.mode == s6::objspace::MigrationMode::kGradual ? "gradual"
                                                                             : "stop-and-copy") +
      "\",\"events\":" + events + ",\"objects_moved\":" + std::to_string(objects_moved) +
      ",\"migration_ms\":" + std::to_string(migration_ms) +
      ",\"latency_us\":{\"p50\":" + std::to_string(p50) + ",\"p99\":" + std::to_string(p99) +
      ",\"max\":" + std::to_string(lmax) + "}}";

  const long long sent = Field(tgj, "sent");
  const long long received = Field(tgj, "received");
  const long long state_lost =
      std::max(0LL, Field(tgj, "mapping_changes")) + std::max(0LL, Field(tgj, "shared_endpoints"));
  std::string errs = "[";
  for (std::size_t i = 0; i < errors_.size(); ++i) errs += (i ? "," : "") + JsonString(errors_[i]);
  errs += "]";
  std::smatch m;
  std::string tput = "0";
  if (std::regex_search(tgj, m, std::regex("\"throughput_pps\":([0-9.]+)"))) tput = m[1];
  const std::string summary =
      "{\"sent\":" + std::to_string(std::max(0LL, sent)) +
      ",\"received\":" + std::to_string(std::max(0LL, received)) +
      ",\"lost\":" + std::to_string(std::max(0LL, Field(tgj, "lost"))) +
      ",\"throughput_pps\":" + tput + ",\"latency_us\":" + Object(tgj, "latency_us") +
      ",\"instances\":" + std::to_string(a_.instances) +
      ",\"instances_at_end\":" + std::to_string(table_.instances().size()) +
      ",\"state_lost\":" + std::to_string(state_lost) + ",\"errors\":" + errs +
      ",\"scaling\":" + scaling +
      ",\"reordered\":" + std::to_string(std::max(0LL, Field(tgj, "reordered"))) +
      ",\"missteered\":" + std::to_string(std::max(0LL, Field(tgj, "missteered"))) +
      // Packets the links refused with trafgen's backlog full: they never entered the
      // network, so they are neither in `sent` nor `lost`.
      ",\"link_refused\":" + std::to_string(std::max(0LL, Field(tgj, "tx_dropped"))) +
      ",\"backlog_max\":" + std::to_string(std::max(0LL, Field(tgj, "backlog_max"))) +
      ",\"instance_stats\":" + nf_stats + ",\"config\":" + Object(tgj, "config") +
      ",\"workdir\":" + JsonString(workdir_) + "}";
  std::printf(
      "\nsummary: sent %lld, received %lld, lost %lld, state_lost %lld, refused at the links "
      "%lld, %s pkt/s, latency_us %s, errors %zu\n",
      sent, received, Field(tgj, "lost"), state_lost, Field(tgj, "tx_dropped"), tput.c_str(),
      Object(tgj, "latency_us").c_str(), errors_.size());
  if (!event_json_.empty()) {
    std::printf(
        "scaling (%s): %zu event(s), %llu objects moved, migration max %.1f ms, "
        "latency during migration p50 %.0f us, p99 %.0f us, max %.0f us\n",
        a_.migration.mode == s6::objspace::MigrationMode::kGradual ? "gradual" : "stop-and-copy",
        event_json_.size(), static_cast<unsigned long long>(objects_moved), migration_ms, p50, p99,
        lmax);
  }
  for (const std::string& e : errors_) std::printf("  error: %s\n", e.c_str());
  return summary;
}

// `s6ctl status|scale-out|scale-in|kill ID`: one request to a running `s6ctl run`.
int Attach(const std::string& request, std::string workdir) {
  if (workdir.empty()) {
    std::string latest = ReadFile(kLatestRun);
    while (!latest.empty() && (latest.back() == '\n' || latest.back() == ' ')) latest.pop_back();
    workdir = latest;
  }
  if (workdir.empty() || !fs::exists(workdir + "/s6ctl.ctl")) {
    std::fprintf(stderr, "s6ctl: no running `s6ctl run` found%s%s (pass --workdir)\n",
                 workdir.empty() ? "" : " in ", workdir.c_str());
    return 1;
  }
  zmq::context_t zmq(1);
  s6::control::ControlClient client(zmq, "ipc://" + workdir + "/s6ctl.ctl",
                                    std::chrono::milliseconds(5000));
  StatusOr<std::string> reply = client.Call(request);
  if (!reply.ok()) {
    std::fprintf(stderr, "s6ctl: %s\n", reply.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", reply->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("missing command");
  const std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "status" || cmd == "scale-out" || cmd == "scale-in" || cmd == "kill") {
    std::string request(cmd);
    std::string workdir;
    for (int i = 2; i < argc; ++i) {
      const std::string_view k = argv[i];
      if (k == "--workdir" && i + 1 < argc) {
        workdir = argv[++i];
      } else if (cmd == "kill" && request == "kill" && !k.starts_with("--")) {
        request += " " + std::string(k);
      } else {
        return Usage("unknown argument '" + std::string(k) + "'");
      }
    }
    if (cmd == "kill" && request == "kill") return Usage("kill needs an instance id");
    return Attach(request, workdir);
  }
  if (cmd != "run") return Usage("unknown command '" + std::string(cmd) + "'");
  RunArgs a;
  a.bin_dir = fs::path(fs::read_symlink("/proc/self/exe")).parent_path().string();
  for (int i = 2; i < argc; ++i) {
    const std::string_view k = argv[i];
    if (k == "--") {
      for (++i; i < argc; ++i) a.app_args.emplace_back(argv[i]);
      break;
    }
    if (k == "--quiet") {
      a.quiet = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(std::string(k) + " needs a value");
    const std::string v = argv[++i];
    try {
      if (k == "--app") {
        a.app = v;
      } else if (k == "--instances") {
        a.instances = std::stoi(v);
      } else if (k == "--duration") {
        a.duration = std::stod(v);
      } else if (k == "--flows") {
        a.flows = std::to_string(std::stoul(v));
      } else if (k == "--rate") {
        a.rate = std::to_string(std::stoul(v));
      } else if (k == "--pkt-size") {
        a.pkt_size = std::to_string(std::stoul(v));
      } else if (k == "--flow-size") {
        a.flow_size = v;
      } else if (k == "--missteer") {
        a.missteer = v;
      } else if (k == "--pcap") {
        a.pcap = v;
      } else if (k == "--arrival") {
        a.arrival = v;
      } else if (k == "--scale-out-at") {
        a.scale_out_at.push_back(std::stod(v));
      } else if (k == "--scale-in-at") {
        a.scale_in_at.push_back(std::stod(v));
      } else if (k == "--migration") {
        if (v == "gradual") {
          a.migration.mode = s6::objspace::MigrationMode::kGradual;
        } else if (v == "stop-and-copy") {
          a.migration.mode = s6::objspace::MigrationMode::kStopAndCopy;
        } else {
          return Usage("--migration is gradual or stop-and-copy");
        }
      } else if (k == "--migration-rate") {
        a.migration.slots_per_sec = static_cast<uint32_t>(std::stoul(v));
        if (a.migration.slots_per_sec == 0) return Usage("--migration-rate must be positive");
      } else if (k == "--stats-interval-ms") {
        a.stats_interval_ms = std::stoi(v);
        if (a.stats_interval_ms < 10) return Usage("--stats-interval-ms must be at least 10");
      } else if (k == "--max-instances") {
        a.max_instances = std::stoi(v);
      } else if (k == "--summary-json") {
        a.summary_json = v;
      } else if (k == "--csv") {
        a.csv = v;
      } else if (k == "--bin-dir") {
        a.bin_dir = v;
      } else if (k == "--workdir") {
        a.workdir = v;
      } else {
        return Usage("unknown option '" + std::string(k) + "'");
      }
    } catch (const std::exception&) {
      return Usage("bad value '" + v + "' for " + std::string(k));
    }
  }
  if (a.app.empty()) return Usage("--app is required (nat)");
  if (a.instances < 1 || a.instances > 64) return Usage("--instances must be 1..64");
  if (a.duration <= 0 || a.flows.empty() || a.rate.empty()) {
    return Usage("--duration, --flows and --rate are required");
  }
  for (double t : a.scale_out_at) {
    if (t < 0 || t >= a.duration) return Usage("--scale-out-at must be within the run");
  }
  for (double t : a.scale_in_at) {
    if (t < 0 || t >= a.duration) return Usage("--scale-in-at must be within the run");
  }
  if (a.max_instances != 0 && (a.max_instances < a.instances || a.max_instances > 64)) {
    return Usage("--max-instances must be within --instances..64");
  }
  const std::string workdir =
      a.workdir.empty() ? "/tmp/s6ctl-" + std::to_string(::getpid()) : a.workdir;
  fs::create_directories(workdir);
  LocalCluster cluster(a, workdir);
  return cluster.Run();
}

// SPDX-License-Identifier: Apache-2.0
// s6ctl: the operator's tool.
//
//   s6ctl run --app nat --instances N --duration S --flows F --rate PPS [--pkt-size B]
//             [--flow-size MEAN] [--missteer F] [--summary-json FILE] [--csv FILE]
//             [--bin-dir DIR] [--workdir DIR] [--quiet] [-- APP OPTIONS...]
//
// `run` starts a local cluster the way a multi-host one runs, as real processes: s6-trafgen
// (memif server of one link per instance, the load balancer and clients) and N instances of
// `s6-<app>-instance` (memif clients, peered over ZeroMQ ipc://, one slot table over 1..N). It
// shows a live table once a second (per instance: packets/s, SingleWriter objects held,
// objects homed, remote requests, micro-threads; cluster: received/s, loss, p99) read from the
// instances' stats files and trafgen's interval CSV, then prints the summary (and writes it as
// JSON): sent, received, lost, throughput_pps, latency_us, instances, state_lost (the
// receiver-side state check: flows whose translated endpoint changed or was shared) and
// errors. `status`, `scale-out`, `scale-in` and `kill` need the scaling protocol (next issue)
// and say so. Exit status: 0 when the run completed with no error, 1 otherwise, 2 on usage.
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr char kUsage[] =
    "usage: s6ctl run --app nat --instances N --duration S --flows F --rate PPS\n"
    "                 [--pkt-size B] [--flow-size MEAN] [--missteer F] [--summary-json FILE]\n"
    "                 [--csv FILE] [--bin-dir DIR] [--workdir DIR] [--quiet] [-- APP OPTIONS]\n"
    "       s6ctl status | scale-out | scale-in | kill   (need elastic scaling: not yet)\n";

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

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n') ? ' ' : c;
  }
  return out + "\"";
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
  std::string summary_json;
  std::string csv;
  std::string bin_dir;
  std::string workdir;
  bool quiet = false;
  std::vector<std::string> app_args;
};

int Run(const RunArgs& a) {
  const std::string workdir =
      a.workdir.empty() ? "/tmp/s6ctl-" + std::to_string(::getpid()) : a.workdir;
  fs::create_directories(workdir);
  const std::string trafgen = a.bin_dir + "/s6-trafgen";
  const std::string instance_bin = a.bin_dir + "/s6-" + a.app + "-instance";
  for (const std::string& b : {trafgen, instance_bin}) {
    if (::access(b.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "s6ctl: %s not found (build it, or pass --bin-dir)\n", b.c_str());
      return 2;
    }
  }
  std::vector<std::string> app_args = a.app_args;
  if (app_args.empty() && a.app == "nat") app_args = {"--public-ip", "203.0.113.7"};

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  const int sigfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);

  std::vector<std::string> errors;
  const std::string csv = a.csv.empty() ? workdir + "/intervals.csv" : a.csv;
  std::vector<std::string> tg_args = {trafgen,
                                      "--rate",
                                      a.rate,
                                      "--flows",
                                      a.flows,
                                      "--duration",
                                      std::to_string(a.duration),
                                      "--pkt-size",
                                      a.pkt_size,
                                      "--flow-size",
                                      a.flow_size,
                                      "--missteer",
                                      a.missteer,
                                      "--interval-ms",
                                      "100",
                                      "--csv",
                                      csv,
                                      "--json",
                                      workdir + "/trafgen.json",
                                      "--ready-file",
                                      workdir + "/ready",
                                      "--dpdk-memory",
                                      "128"};
  for (int i = 1; i <= a.instances; ++i) {
    tg_args.push_back("--instance");
    tg_args.push_back(std::to_string(i) + "=" + workdir + "/" + std::to_string(i) + ".memif");
  }
  const pid_t tg = Launch(tg_args, workdir + "/trafgen.log");
  const auto ready_by = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(workdir + "/ready") && Clock::now() < ready_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!fs::exists(workdir + "/ready")) {
    std::fprintf(stderr, "s6ctl: s6-trafgen did not get ready; see %s/trafgen.log\n",
                 workdir.c_str());
    ::kill(tg, SIGKILL);
    ::waitpid(tg, nullptr, 0);
    return 1;
  }
  std::string members;
  for (int i = 1; i <= a.instances; ++i) members += (i > 1 ? "," : "") + std::to_string(i);
  std::map<int, pid_t> inst;
  for (int i = 1; i <= a.instances; ++i) {
    std::vector<std::string> args = {instance_bin, "--id", std::to_string(i), "--endpoint",
                                     "ipc://" + workdir + "/" + std::to_string(i) + ".zmq"};
    for (int j = 1; j <= a.instances; ++j) {
      if (j == i) continue;
      args.push_back("--peer");
      args.push_back(std::to_string(j) + "=ipc://" + workdir + "/" + std::to_string(j) + ".zmq");
    }
    for (const std::string& s :
         {std::string("--members"), members, std::string("--port"),
          "memif:" + workdir + "/" + std::to_string(i) + ".memif:client",
          std::string("--dpdk-memory"), std::string("128"), std::string("--stats-file"),
          workdir + "/" + std::to_string(i) + ".json", std::string("--stats-interval-ms"),
          std::string("200"), std::string("--")}) {
      args.push_back(s);
    }
    args.insert(args.end(), app_args.begin(), app_args.end());
    inst[i] = Launch(args, workdir + "/instance" + std::to_string(i) + ".log");
  }

  if (!a.quiet) {
    std::printf(
        "s6ctl: %d x s6-%s-instance + s6-trafgen, %s flows at %s pkt/s for %.0f s "
        "(logs and stats in %s)\n",
        a.instances, a.app.c_str(), a.flows.c_str(), a.rate.c_str(), a.duration, workdir.c_str());
    std::printf("%6s %5s %9s %9s %7s %7s %9s %7s\n", "t(s)", "inst", "rx pkt/s", "fwd", "held",
                "homed", "remote", "fibers");
  }
  std::map<int, long long> last_rx;
  const auto start = Clock::now();
  auto next_table = start + std::chrono::seconds(1);
  int tg_status = -1;
  bool interrupted = false;
  while (tg_status == -1) {
    int st = 0;
    if (::waitpid(tg, &st, WNOHANG) == tg) tg_status = st;
    for (auto it = inst.begin(); it != inst.end();) {
      if (::waitpid(it->second, &st, WNOHANG) == it->second) {
        errors.push_back("instance " + std::to_string(it->first) + " exited early (status " +
                         std::to_string(st) + "); see its log in " + workdir);
        it = inst.erase(it);
      } else {
        ++it;
      }
    }
    signalfd_siginfo si;
    if (sigfd >= 0 && ::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      errors.push_back("interrupted");
      interrupted = true;
      ::kill(tg, SIGTERM);
      ::waitpid(tg, &st, 0);
      tg_status = st;
      break;
    }
    const auto now = Clock::now();
    if (!a.quiet && now >= next_table) {
      const double t = std::chrono::duration<double>(now - start).count();
      for (int i = 1; i <= a.instances; ++i) {
        const std::string s = ReadFile(workdir + "/" + std::to_string(i) + ".json");
        const long long rx = Grab(s, "\"packets\":\\{\"received\":([0-9]+)");
        const long long fwd = Grab(s, "\"forwarded\":([0-9]+)");
        const long long pps = rx >= 0 && last_rx.count(i) ? rx - last_rx[i] : rx;
        last_rx[i] = rx;
        std::printf("%6.1f %5d %9lld %9lld %7lld %7lld %9lld %7lld\n", t, i, pps, fwd,
                    Field(s, "sw_held"), Field(s, "sw_homed") + Field(s, "mw_homed"),
                    Field(s, "sw_acquires_sent") + Field(s, "mw_strict_sent"), Field(s, "in_use"));
      }
      // Cluster: the newest complete interval of s6-trafgen's CSV.
      std::istringstream rows(ReadFile(csv));
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
      next_table = now + std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!WIFEXITED(tg_status) || WEXITSTATUS(tg_status) != 0) {
    if (!interrupted) errors.push_back("s6-trafgen failed; see " + workdir + "/trafgen.log");
  }
  for (const auto& [i, pid] : inst) ::kill(pid, SIGTERM);
  for (const auto& [i, pid] : inst) {
    int st = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    bool done = false;
    while (!done && Clock::now() < deadline) {
      done = ::waitpid(pid, &st, WNOHANG) == pid;
      if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!done) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      errors.push_back("instance " + std::to_string(i) + " did not stop on SIGTERM");
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      errors.push_back("instance " + std::to_string(i) + " exited with status " +
                       std::to_string(st));
    }
  }

  const std::string tgj = ReadFile(workdir + "/trafgen.json");
  std::string nf_stats = "[";
  for (int i = 1; i <= a.instances; ++i) {
    const std::string s = ReadFile(workdir + "/" + std::to_string(i) + ".json");
    nf_stats += (i > 1 ? "," : "") + std::string("{\"instance\":") + std::to_string(i) +
                ",\"nf\":" + Object(s, "nf") +
                ",\"packets_aborted\":" + std::to_string(std::max(0LL, Field(s, "aborted"))) + "}";
  }
  nf_stats += "]";
  const long long sent = Field(tgj, "sent");
  const long long received = Field(tgj, "received");
  const long long state_lost =
      std::max(0LL, Field(tgj, "mapping_changes")) + std::max(0LL, Field(tgj, "shared_endpoints"));
  std::string errs = "[";
  for (std::size_t i = 0; i < errors.size(); ++i) errs += (i ? "," : "") + JsonString(errors[i]);
  errs += "]";
  std::smatch m;
  std::string tput = "0";
  if (std::regex_search(tgj, m, std::regex("\"throughput_pps\":([0-9.]+)"))) tput = m[1];
  const std::string summary =
      "{\"sent\":" + std::to_string(std::max(0LL, sent)) +
      ",\"received\":" + std::to_string(std::max(0LL, received)) +
      ",\"lost\":" + std::to_string(std::max(0LL, Field(tgj, "lost"))) +
      ",\"throughput_pps\":" + tput + ",\"latency_us\":" + Object(tgj, "latency_us") +
      ",\"instances\":" + std::to_string(a.instances) +
      ",\"state_lost\":" + std::to_string(state_lost) + ",\"errors\":" + errs +
      ",\"reordered\":" + std::to_string(std::max(0LL, Field(tgj, "reordered"))) +
      ",\"missteered\":" + std::to_string(std::max(0LL, Field(tgj, "missteered"))) +
      // Packets the links refused (backpressure: an instance's ring was full): they never
      // entered the network, so they are neither in `sent` nor `lost`.
      ",\"link_refused\":" + std::to_string(std::max(0LL, Field(tgj, "tx_dropped"))) +
      ",\"instance_stats\":" + nf_stats + ",\"config\":" + Object(tgj, "config") +
      ",\"workdir\":" + JsonString(workdir) + "}";
  std::printf(
      "\nsummary: sent %lld, received %lld, lost %lld, state_lost %lld, refused at the links "
      "%lld, %s pkt/s, latency_us %s, errors %zu\n",
      sent, received, Field(tgj, "lost"), state_lost, Field(tgj, "tx_dropped"), tput.c_str(),
      Object(tgj, "latency_us").c_str(), errors.size());
  for (const std::string& e : errors) std::printf("  error: %s\n", e.c_str());
  if (!a.summary_json.empty()) std::ofstream(a.summary_json) << summary << "\n";
  if (sigfd >= 0) ::close(sigfd);
  return errors.empty() ? 0 : 1;
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
    std::fprintf(stderr,
                 "s6ctl: '%s' is not supported yet: attaching to a running cluster comes with "
                 "elastic scaling\n",
                 argv[1]);
    return 2;
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
  return Run(a);
}

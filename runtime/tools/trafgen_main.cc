// SPDX-License-Identifier: Apache-2.0
// s6-trafgen: the network, load balancer and clients in one DPDK process. It is the memif
// server of one link per instance, generates synthetic flows at a paced rate, steers each flow
// to an instance by rendezvous hashing (optionally mis-steering a fraction of packets),
// timestamps every packet, receives what the instances forward back and reports per interval
// (CSV) and at the end (JSON): sent, received, lost, reordered, throughput, latency
// percentiles, per instance and in total.
//
//   s6-trafgen --instance 1=/tmp/s6-1.memif --instance 2=/tmp/s6-2.memif --rate 50000
//              --flows 8000 --duration 15 [--pkt-size 128] [--flow-size 50] [--dist exp]
//              [--tcp-fraction 0.5] [--missteer 0] [--interval-ms 100] [--csv F] [--json F]
//              [--ready-file F] [--drain-ms 500] [--seed N] [--dpdk-memory MB]
//
// --ready-file is written once every link listens (start the instances after it appears);
// sending starts when every link is up. Exit status 0, 1 (runtime error), 2 (bad arguments).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "packetio/dpdk_port.h"
#include "trafgen/traffic.h"

namespace {

using s6::trafgen::FlowConfig;
using s6::trafgen::IntervalStats;
using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: s6-trafgen --instance ID=MEMIF_SOCKET [--instance ...] --rate PPS --flows N\n"
    "                  --duration S [--pkt-size B] [--flow-size MEAN] [--dist fixed|uniform|exp|"
    "pareto]\n"
    "                  [--tcp-fraction F] [--missteer F] [--interval-ms N] [--csv F] [--json F]\n"
    "                  [--ready-file F] [--drain-ms N] [--seed N] [--dpdk-memory MB]\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "s6-trafgen: %s\n%s", why.c_str(), kUsage);
  return 2;
}

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

std::string LatencyJson(const s6::trafgen::LatencyHistogram& h) {
  auto us = [](uint64_t ns) { return std::to_string(static_cast<double>(ns) / 1000.0); };
  return "{\"p50\":" + us(h.Percentile(0.5)) + ",\"p90\":" + us(h.Percentile(0.9)) +
         ",\"p99\":" + us(h.Percentile(0.99)) + ",\"p999\":" + us(h.Percentile(0.999)) +
         ",\"max\":" + us(h.max()) + "}";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<uint32_t, std::string>> instances;
  FlowConfig flows;
  double rate = 0;
  double duration = 0;
  double missteer = 0;
  int interval_ms = 100;
  int drain_ms = 500;
  int dpdk_memory = 256;
  std::string csv_path;
  std::string json_path;
  std::string ready_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      if (a == "--help" || a == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      }
      if (i + 1 >= argc) return Usage(std::string(a) + " needs a value");
      const std::string v = argv[++i];
      if (a == "--instance") {
        const std::size_t eq = v.find('=');
        if (eq == std::string::npos) return Usage("want --instance ID=SOCKET");
        instances.emplace_back(static_cast<uint32_t>(std::stoul(v.substr(0, eq))),
                               v.substr(eq + 1));
      } else if (a == "--rate") {
        rate = std::stod(v);
      } else if (a == "--flows") {
        flows.concurrent_flows = static_cast<uint32_t>(std::stoul(v));
      } else if (a == "--duration") {
        duration = std::stod(v);
      } else if (a == "--pkt-size") {
        flows.frame_bytes = static_cast<uint32_t>(std::stoul(v));
      } else if (a == "--flow-size") {
        flows.mean_flow_packets = std::stod(v);
      } else if (a == "--dist") {
        if (v == "fixed") {
          flows.size_dist = s6::trafgen::SizeDist::kFixed;
        } else if (v == "uniform") {
          flows.size_dist = s6::trafgen::SizeDist::kUniform;
        } else if (v == "exp") {
          flows.size_dist = s6::trafgen::SizeDist::kExponential;
        } else if (v == "pareto") {
          flows.size_dist = s6::trafgen::SizeDist::kPareto;
        } else {
          return Usage("unknown --dist '" + v + "'");
        }
      } else if (a == "--tcp-fraction") {
        flows.tcp_fraction = std::stod(v);
      } else if (a == "--missteer") {
        missteer = std::stod(v);
      } else if (a == "--interval-ms") {
        interval_ms = std::stoi(v);
      } else if (a == "--drain-ms") {
        drain_ms = std::stoi(v);
      } else if (a == "--csv") {
        csv_path = v;
      } else if (a == "--json") {
        json_path = v;
      } else if (a == "--ready-file") {
        ready_path = v;
      } else if (a == "--seed") {
        flows.seed = std::stoull(v);
      } else if (a == "--dpdk-memory") {
        dpdk_memory = std::stoi(v);
      } else {
        return Usage("unknown argument '" + std::string(a) + "'");
      }
    }
  } catch (const std::exception&) {
    return Usage("a numeric argument did not parse");
  }
  if (instances.empty()) return Usage("at least one --instance is required");
  if (rate <= 0 || duration <= 0) return Usage("--rate and --duration must be positive");
  if (flows.frame_bytes < s6::trafgen::kMinFrame || flows.frame_bytes > 1514) {
    return Usage("--pkt-size must be within " + std::to_string(s6::trafgen::kMinFrame) + "..1514");
  }
  if (interval_ms <= 0 || missteer < 0 || missteer > 1) return Usage("bad interval or missteer");

  s6::packetio::DpdkEnv::Options eo;
  eo.file_prefix = "s6tg" + std::to_string(::getpid());
  eo.memory_mb = dpdk_memory;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    eo.vdevs.push_back("net_memif" + std::to_string(i) +
                       ",role=server,id=0,rsize=11,socket=" + instances[i].second);
  }
  auto env = s6::packetio::DpdkEnv::Create(eo);
  if (!env.ok()) {
    std::fprintf(stderr, "s6-trafgen: %s\n", env.status().ToString().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<s6::packetio::DpdkPort>> ports;
  std::map<uint32_t, std::size_t> port_of;
  std::vector<uint32_t> ids;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    auto p = s6::packetio::DpdkPort::Open(**env, "net_memif" + std::to_string(i), 4095);
    if (!p.ok()) {
      std::fprintf(stderr, "s6-trafgen: %s\n", p.status().ToString().c_str());
      return 1;
    }
    port_of[instances[i].first] = i;
    ids.push_back(instances[i].first);
    ports.push_back(std::move(*p));
  }
  if (!ready_path.empty()) std::ofstream(ready_path) << "ready\n";
  const auto link_deadline = Clock::now() + std::chrono::seconds(30);
  for (auto& p : ports) {
    while (!p->link_up() && Clock::now() < link_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!p->link_up()) {
      std::fprintf(stderr, "s6-trafgen: link %s did not come up\n", p->name().c_str());
      return 1;
    }
  }

  s6::trafgen::FlowGenerator gen(flows);
  s6::trafgen::Steering steer(ids, missteer, flows.seed + 1);
  s6::trafgen::Tracker tracker;
  std::ofstream csv;
  if (!csv_path.empty()) {
    csv.open(csv_path);
    csv << "t_ms,instance,sent,received,reordered,throughput_pps,p50_us,p90_us,p99_us,p999_us,"
           "max_us\n";
  }
  std::vector<std::vector<s6::Packet*>> batches(ports.size());
  const auto start = Clock::now();
  const auto send_until = start + std::chrono::duration<double>(duration);
  auto next_report = start + std::chrono::milliseconds(interval_ms);
  uint64_t sent = 0;
  uint64_t alloc_failures = 0;
  s6::Packet* rx[32];
  for (;;) {
    bool busy = false;
    const auto now = Clock::now();
    const bool sending = now < send_until;
    if (!sending && now > send_until + std::chrono::milliseconds(drain_ms)) break;
    if (sending) {
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const auto due = static_cast<uint64_t>(elapsed * rate);
      for (int k = 0; k < 64 && sent < due; ++k) {
        const s6::trafgen::GenPacket gp = gen.Next();
        const uint32_t inst = steer.Pick(gp.tuple);
        const std::size_t pi = port_of[inst];
        s6::Packet* p = ports[pi]->Allocate(flows.frame_bytes);
        if (p == nullptr) {
          ++alloc_failures;
          break;
        }
        gen.Build(gp, NowNs(), p->data);
        batches[pi].push_back(p);
        busy = true;
        ++sent;  // paced: a packet the device refuses is not retried (counted as tx_dropped)
      }
      for (std::size_t i = 0; i < ports.size(); ++i) {
        if (batches[i].empty()) continue;
        // Only what the link accepted entered the network: loss is counted from there.
        const std::size_t accepted = ports[i]->Transmit(batches[i]);
        for (std::size_t j = 0; j < accepted; ++j) tracker.OnSent(ids[i], flows.frame_bytes);
        batches[i].clear();
      }
    }
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const std::size_t n = ports[i]->Receive(rx);
      const uint64_t t = NowNs();
      busy |= n != 0;
      for (std::size_t j = 0; j < n; ++j) {
        tracker.OnReceived(ids[i], rx[j]->data, rx[j]->len, t);
        ports[i]->Release(rx[j]);
      }
    }
    if (now >= next_report) {
      const double t_ms = std::chrono::duration<double, std::milli>(now - start).count();
      for (const auto& [inst, s] : tracker.TakeInterval()) {
        if (!csv.is_open()) continue;
        csv << static_cast<uint64_t>(t_ms) << ',' << inst << ',' << s.sent << ',' << s.received
            << ',' << s.reordered << ','
            << static_cast<uint64_t>(static_cast<double>(s.received) * 1000.0 / interval_ms) << ','
            << s.latency.Percentile(0.5) / 1000.0 << ',' << s.latency.Percentile(0.9) / 1000.0
            << ',' << s.latency.Percentile(0.99) / 1000.0 << ','
            << s.latency.Percentile(0.999) / 1000.0 << ',' << s.latency.max() / 1000.0 << '\n';
      }
      if (csv.is_open()) csv.flush();  // s6ctl reads it live
      next_report = now + std::chrono::milliseconds(interval_ms);
    }
    // Nothing due and nothing back: yield the CPU briefly (the instances share this machine).
    if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(10));
  }
  const IntervalStats& total = tracker.total();
  uint64_t tx_dropped = 0;
  for (const auto& p : ports) tx_dropped += p->stats().tx_dropped;
  std::string json =
      "{\"sent\":" + std::to_string(total.sent) +
      ",\"received\":" + std::to_string(total.received) +
      ",\"lost\":" + std::to_string(tracker.lost()) +
      ",\"reordered\":" + std::to_string(total.reordered) +
      ",\"foreign\":" + std::to_string(total.foreign) +
      ",\"mapping_changes\":" + std::to_string(total.mapping_changes) +
      ",\"shared_endpoints\":" + std::to_string(total.shared_endpoints) +
      ",\"throughput_pps\":" + std::to_string(static_cast<double>(total.received) / duration) +
      ",\"latency_us\":" + LatencyJson(total.latency) +
      ",\"instances\":" + std::to_string(ports.size()) +
      ",\"flows_started\":" + std::to_string(gen.flows_started()) +
      ",\"missteered\":" + std::to_string(steer.missteered()) +
      ",\"tx_dropped\":" + std::to_string(tx_dropped) +
      ",\"alloc_failures\":" + std::to_string(alloc_failures) +
      ",\"config\":{\"rate_pps\":" + std::to_string(rate) +
      ",\"flows\":" + std::to_string(flows.concurrent_flows) +
      ",\"pkt_size\":" + std::to_string(flows.frame_bytes) +
      ",\"duration_s\":" + std::to_string(duration) + ",\"missteer\":" + std::to_string(missteer) +
      "}}";
  std::printf("%s\n", json.c_str());
  if (!json_path.empty()) std::ofstream(json_path) << json << "\n";
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
#include "packetio/dpdk_port.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace s6::packetio {
namespace {

// DPDK allows one EAL per process; this only guards against a second DpdkEnv.
std::atomic<bool> eal_taken{false};

// Whether some process holds a lock on `path` (DPDK's primary holds its config file's).
bool Locked(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // can't tell: leave it
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &lock) != 0 || lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

// Where DPDK puts runtime directories: /var/run/dpdk for root, else $XDG_RUNTIME_DIR/dpdk or
// /tmp/dpdk (as eal_create_runtime_dir decides).
std::string RuntimeParent() {
  if (::getuid() == 0) return "/var/run/dpdk";
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  return std::string(xdg != nullptr ? xdg : "/tmp") + "/dpdk";
}

}  // namespace

std::size_t ReapStaleRuntimeDirs(const std::string& parent, const std::string& prefix) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !entry.is_directory(ec)) continue;
    const std::filesystem::path config = entry.path() / "config";
    // A process creates its config file an instant before it locks it: a young one is left.
    const auto written = std::filesystem::last_write_time(config, ec);
    if (ec || std::filesystem::file_time_type::clock::now() - written < std::chrono::seconds(10) ||
        Locked(config.string())) {
      continue;
    }
    if (std::filesystem::remove_all(entry.path(), ec) > 0 && !ec) ++removed;
  }
  return removed;
}

StatusOr<std::unique_ptr<DpdkEnv>> DpdkEnv::Create(Options options) {
  if (eal_taken.exchange(true)) {
    return FailedPreconditionError("DPDK is already initialised in this process");
  }
  if (options.file_prefix.empty()) {
    eal_taken = false;
    return InvalidArgumentError("DpdkEnv needs a file prefix unique to the process");
  }
  std::vector<std::string> args = {"s6",
                                   "--no-huge",
                                   "-m",
                                   std::to_string(options.memory_mb),
                                   "--file-prefix",
                                   options.file_prefix,
                                   "--no-pci",
                                   "--no-telemetry",
                                   "-l",
                                   "0",
                                   "--log-level",
                                   std::to_string(options.log_level)};
  for (const std::string& v : options.vdevs) {
    args.push_back("--vdev");
    args.push_back(v);
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ReapStaleRuntimeDirs(RuntimeParent());
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    eal_taken = false;
    // A failed init may have left its directory (only an unlocked one is removed: a second
    // process given a live process's prefix fails here, and that directory stays).
    ReapStaleRuntimeDirs(RuntimeParent(), options.file_prefix);
    return UnavailableError(std::string("DPDK EAL init failed: ") + rte_strerror(rte_errno));
  }
  return std::unique_ptr<DpdkEnv>(new DpdkEnv(rte_eal_get_runtime_dir()));
}

DpdkEnv::~DpdkEnv() {
  rte_eal_cleanup();
  // Only our own directory, and only one under DPDK's parent (never a path we did not make).
  if (runtime_dir_.rfind(RuntimeParent() + "/", 0) == 0) {
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir_, ec);
  }
}

StatusOr<std::unique_ptr<DpdkPort>> DpdkPort::Open(const DpdkEnv& /*env*/,
                                                   const std::string& device, uint32_t mbufs) {
  uint16_t port_id = 0;
  if (rte_eth_dev_get_port_by_name(device.c_str(), &port_id) != 0) {
    return NotFoundError("no DPDK device '" + device + "' (give it as a --vdev)");
  }
  std::unique_ptr<DpdkPort> port(new DpdkPort(device, port_id));
  const std::string pool_name = "s6p" + std::to_string(port_id);
  port->pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                        static_cast<int>(rte_socket_id()));
  if (port->pool_ == nullptr) {
    return ResourceExhaustedError("mbuf pool for '" + device + "': " + rte_strerror(rte_errno) +
                                  " (raise DpdkEnv memory_mb or lower mbufs)");
  }
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof conf);
  int rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
  if (rc == 0) {
    rc = rte_eth_rx_queue_setup(port_id, 0, 512,
                                static_cast<unsigned>(rte_eth_dev_socket_id(port_id)), nullptr,
                                port->pool_);
  }
  if (rc == 0) {
    rc = rte_eth_tx_queue_setup(port_id, 0, 512,
                                static_cast<unsigned>(rte_eth_dev_socket_id(port_id)), nullptr);
  }
  if (rc == 0) rc = rte_eth_dev_start(port_id);
  if (rc != 0) {
    return UnavailableError("cannot start DPDK device '" + device + "': " + rte_strerror(-rc));
  }
  port->started_ = true;
  rte_eth_promiscuous_enable(port_id);  // not every virtual device supports it
  port->records_.resize(mbufs);
  port->free_records_.reserve(mbufs);
  for (Packet& p : port->records_) port->free_records_.push_back(&p);
  port->scratch_.resize(64);
  return port;
}

DpdkPort::~DpdkPort() {
  if (started_) {
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
  }
  if (pool_ != nullptr) rte_mempool_free(pool_);
}

bool DpdkPort::link_up() const {
  rte_eth_link link;
  std::memset(&link, 0, sizeof link);
  return rte_eth_link_get_nowait(port_id_, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

Packet* DpdkPort::Wrap(rte_mbuf* m) {
  Packet* p = free_records_.back();
  free_records_.pop_back();
  p->data = rte_pktmbuf_mtod(m, uint8_t*);
  p->len = rte_pktmbuf_data_len(m);
  p->capacity = static_cast<uint32_t>(p->len + rte_pktmbuf_tailroom(m));
  p->ethernet = true;
  p->handle = m;
  return p;
}

void DpdkPort::Unwrap(Packet* p) {
  p->handle = nullptr;
  free_records_.push_back(p);
}

std::size_t DpdkPort::Receive(std::span<Packet*> out) {
  const uint16_t want =
      static_cast<uint16_t>(std::min({out.size(), scratch_.size(), free_records_.size()}));
  if (want == 0) return 0;
  const uint16_t got = rte_eth_rx_burst(port_id_, 0, scratch_.data(), want);
  std::size_t n = 0;
  for (uint16_t i = 0; i < got; ++i) {
    rte_mbuf* m = scratch_[i];
    if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) == 0) {
      ++stats_.rx_invalid;
      rte_pktmbuf_free(m);
      continue;
    }
    ++stats_.rx_packets;
    stats_.rx_bytes += rte_pktmbuf_data_len(m);
    out[n++] = Wrap(m);
  }
  return n;
}

std::size_t DpdkPort::Transmit(std::span<Packet* const> pkts) {
  std::size_t sent = 0;
  while (sent < pkts.size()) {
    const std::size_t n = TransmitSome(pkts.subspan(sent));
    if (n == 0) break;
    sent += n;
  }
  for (Packet* p : pkts.subspan(sent)) {  // the device has no room: ours to free
    ++stats_.tx_dropped;
    Release(p);
  }
  return sent;
}

std::size_t DpdkPort::TransmitSome(std::span<Packet* const> pkts) {
  const std::size_t n = std::min(scratch_.size(), pkts.size());
  for (std::size_t i = 0; i < n; ++i) {
    Packet* p = pkts[i];
    auto* m = static_cast<rte_mbuf*>(p->handle);
    const uint32_t headroom = static_cast<uint32_t>(p->data - rte_pktmbuf_mtod(m, uint8_t*));
    if (headroom != 0) rte_pktmbuf_adj(m, static_cast<uint16_t>(headroom));  // idempotent
    m->data_len = static_cast<uint16_t>(p->len);
    m->pkt_len = p->len;
    scratch_[i] = m;
  }
  const uint16_t sent = rte_eth_tx_burst(port_id_, 0, scratch_.data(), static_cast<uint16_t>(n));
  for (std::size_t i = 0; i < sent; ++i) {
    stats_.tx_bytes += pkts[i]->len;
    Unwrap(pkts[i]);
  }
  stats_.tx_packets += sent;
  return sent;
}

void DpdkPort::Release(Packet* pkt) {
  rte_pktmbuf_free(static_cast<rte_mbuf*>(pkt->handle));
  Unwrap(pkt);
}

Packet* DpdkPort::Allocate(uint32_t len) {
  if (free_records_.empty()) return nullptr;
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return nullptr;
  if (rte_pktmbuf_append(m, static_cast<uint16_t>(len)) == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  return Wrap(m);
}

PortStats DpdkPort::stats() const {
  PortStats s = stats_;
  s.buffers_in_use = records_.size() - free_records_.size();
  return s;
}

}  // namespace s6::packetio

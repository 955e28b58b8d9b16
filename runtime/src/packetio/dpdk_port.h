// SPDX-License-Identifier: Apache-2.0
// File: packetio/dpdk_port.h
//
// DPDK devices as ports: memif (the default link between processes), pcap, af_packet, ring,
// null — any ethdev, real or virtual.
//
// Theory of operation: DPDK's environment (EAL) is per process and can be initialised once;
// `DpdkEnv` is the RAII owner of it (constructed once, e.g. in main; a second one is refused).
// On this project's machines it runs without hugepages (`--no-huge -m <MB>`), with a file
// prefix unique to the process, no PCI scan, and the virtual devices given as `--vdev` strings.
// A `DpdkPort` configures one ethdev with one RX and one TX queue on a packet-buffer pool sized
// to fit the memory given, starts it, and wraps each received mbuf in a Packet (from a fixed
// array of Packet records, so nothing is allocated per packet). Multi-segment mbufs are counted
// as rx_invalid and freed (an NF sees one contiguous buffer). Transmit hands mbufs to the
// device and frees what it did not take (tx_dropped). Single-threaded like every port.
//
// DPDK leaves its runtime directory (/var/run/dpdk/PREFIX, ~2 MB of files) behind even after
// rte_eal_cleanup, so DpdkEnv removes its own when it ends, and at start removes the ones of
// this project's processes that are gone (prefix "s6..."): a directory whose `config` file no
// process holds locked — DPDK's primary process holds that lock for its whole life — belongs
// to a dead process. A process killed with SIGKILL thus leaks its directory only until the next
// S6 process starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <s6/status.h>
#include "packetio/port.h"

struct rte_mempool;
struct rte_mbuf;

namespace s6::packetio {

/// The process's DPDK environment.
class DpdkEnv {
 public:
  struct Options {
    /// Unique per process (DPDK's runtime files live under it).
    std::string file_prefix;
    /// Memory for DPDK without hugepages, in MB.
    int memory_mb = 256;
    /// Virtual devices, e.g. "net_memif0,role=server,socket=/tmp/s6.sock".
    std::vector<std::string> vdevs;
    /// DPDK's own log level (1..8); 4 = warnings.
    int log_level = 4;
    /// Further EAL arguments, e.g. "--log-level=pmd.net.memif:debug".
    std::vector<std::string> extra_args;
  };
  /// Initialises the EAL. FailedPrecondition if the process already has one.
  static StatusOr<std::unique_ptr<DpdkEnv>> Create(Options options);
  /// Cleans the EAL up and removes its runtime directory.
  ~DpdkEnv();
  DpdkEnv(const DpdkEnv&) = delete;
  DpdkEnv& operator=(const DpdkEnv&) = delete;

  /// This process's DPDK runtime directory.
  const std::string& runtime_dir() const { return runtime_dir_; }

 private:
  explicit DpdkEnv(std::string runtime_dir) : runtime_dir_(std::move(runtime_dir)) {}
  std::string runtime_dir_;
};

/// Removes the runtime directories under `parent` (DPDK's /var/run/dpdk) whose name starts with
/// `prefix` and whose process is gone (nobody holds their `config` file's lock). Returns how
/// many it removed.
std::size_t ReapStaleRuntimeDirs(const std::string& parent, const std::string& prefix = "s6");

class DpdkPort final : public Port {
 public:
  /// Opens the ethdev named `device` (e.g. "net_memif0"), with a pool of `mbufs` buffers.
  static StatusOr<std::unique_ptr<DpdkPort>> Open(const DpdkEnv& env, const std::string& device,
                                                  uint32_t mbufs = 2047);
  ~DpdkPort() override;

  /// Whether the device reports its link up (memif: the peer connected).
  bool link_up() const;

  const std::string& name() const override { return name_; }
  std::size_t Receive(std::span<Packet*> out) override;
  std::size_t Transmit(std::span<Packet* const> pkts) override;
  std::size_t TransmitSome(std::span<Packet* const> pkts) override;
  void Release(Packet* pkt) override;
  Packet* Allocate(uint32_t len) override;
  PortStats stats() const override;

 private:
  DpdkPort(std::string name, uint16_t port_id) : name_(std::move(name)), port_id_(port_id) {}
  Packet* Wrap(rte_mbuf* m);
  void Unwrap(Packet* p);

  std::string name_;
  uint16_t port_id_;
  rte_mempool* pool_ = nullptr;
  bool started_ = false;
  std::vector<Packet> records_;  // one per mbuf of the pool
  std::vector<Packet*> free_records_;
  std::vector<rte_mbuf*> scratch_;
  PortStats stats_;
};

}  // namespace s6::packetio

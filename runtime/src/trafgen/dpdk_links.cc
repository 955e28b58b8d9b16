// SPDX-License-Identifier: Apache-2.0
#include "trafgen/dpdk_links.h"

#include <unistd.h>

#include <string>

namespace s6::trafgen {
namespace {

// Memif rings of 2^11 descriptors, and the buffer pool of each port, as s6-trafgen always had.
constexpr int kRingLog2 = 11;
constexpr uint32_t kPortBuffers = 4095;

}  // namespace

StatusOr<std::unique_ptr<DpdkLinks>> DpdkLinks::Open(const Config& config) {
  packetio::DpdkEnv::Options eo;
  eo.file_prefix = "s6tg" + std::to_string(::getpid());
  eo.memory_mb = config.dpdk_memory_mb;
  for (std::size_t i = 0; i < config.instances.size(); ++i) {
    eo.vdevs.push_back("net_memif" + std::to_string(i) + ",role=server,id=0,rsize=" +
                       std::to_string(kRingLog2) + ",socket=" + config.instances[i].socket);
  }
  StatusOr<std::unique_ptr<packetio::DpdkEnv>> env = packetio::DpdkEnv::Create(eo);
  if (!env.ok()) return env.status();
  std::unique_ptr<DpdkLinks> links(new DpdkLinks());
  links->env_ = std::move(*env);
  for (std::size_t i = 0; i < config.instances.size(); ++i) {
    auto port =
        packetio::DpdkPort::Open(*links->env_, "net_memif" + std::to_string(i), kPortBuffers);
    if (!port.ok()) return port.status();
    links->ids_.push_back(config.instances[i].id);
    links->ports_.push_back(std::move(*port));
  }
  return links;
}

std::vector<RunLink> DpdkLinks::links() const {
  std::vector<RunLink> out;
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    packetio::DpdkPort* port = ports_[i].get();
    out.push_back({ids_[i], port, [port] { return port->link_up(); }});
  }
  return out;
}

}  // namespace s6::trafgen

// SPDX-License-Identifier: Apache-2.0
// File: trafgen/dpdk_links.h
//
// s6-trafgen's devices: one DPDK memif server per declared instance link.
//
// Theory of operation: one DPDK environment per process (its runtime files under a prefix
// unique to the pid, no hugepages), with a memif vdev in server role per --instance, device
// i on socket i; opening the ports makes every socket listen, so instances may connect from
// then on. The links handed to the run loop report memif's link state as "up". Built into the
// s6-trafgen executable only: it is the one unit that needs DPDK.
#pragma once

#include <memory>
#include <vector>

#include <s6/status.h>
#include "packetio/dpdk_port.h"
#include "trafgen/config.h"
#include "trafgen/run.h"

namespace s6::trafgen {

class DpdkLinks {
 public:
  /// Starts DPDK and opens a memif server port per config.instances.
  static StatusOr<std::unique_ptr<DpdkLinks>> Open(const Config& config);

  /// The links for the run loop, in declaration order (valid while this object lives).
  std::vector<RunLink> links() const;

 private:
  DpdkLinks() = default;

  std::unique_ptr<packetio::DpdkEnv> env_;
  std::vector<uint32_t> ids_;
  std::vector<std::unique_ptr<packetio::DpdkPort>> ports_;
};

}  // namespace s6::trafgen

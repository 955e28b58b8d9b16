// SPDX-License-Identifier: Apache-2.0
// my-nf: counts packets per flow and per protocol; optionally drops one destination port.
#pragma once

#include <atomic>
#include <cstdint>

#include <s6/host.h>
#include <s6/map.h>
#include <s6/net.h>
#include <s6/nf.h>

#include "flow_state.s6.h"

namespace my_nf {

struct Config {
  uint16_t drop_port = 0;  // 0: drop nothing
};

class MyNf final : public s6::NetworkFunction {
 public:
  MyNf(s6::Space& space, Config config);
  s6::Verdict Process(s6::Packet& packet, s6::Context& ctx) override;
  void WriteStats(s6::StatsSink& out) const override;

 private:
  Config config_;
  s6::SwMap<s6::net::FiveTuple, FlowCounter> flows_;
  s6::MwMap<uint8_t, ProtocolTotal> totals_;
  std::atomic<uint64_t> counted_{0};
  std::atomic<uint64_t> new_flows_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> not_ipv4_{0};
};

s6::host::NfDefinition Definition(Config& config);

}  // namespace my_nf

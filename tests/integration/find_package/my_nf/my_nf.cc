// SPDX-License-Identifier: Apache-2.0
#include "my_nf.h"

#include <memory>

namespace my_nf {

MyNf::MyNf(s6::Space& space, Config config)
    : config_(config), flows_(space, "my_nf.flows"), totals_(space, "my_nf.totals") {}

s6::Verdict MyNf::Process(s6::Packet& packet, s6::Context& /*ctx*/) {
  s6::net::Ipv4Packet p;
  if (s6::net::ParseIpv4(packet.bytes(), packet.ethernet, p) != s6::net::ParseError::kOk) {
    ++not_ipv4_;
    return s6::Verdict::kForward;
  }
  if (config_.drop_port != 0 && p.dport == config_.drop_port) {
    ++dropped_;
    return s6::Verdict::kDrop;
  }
  s6::SwRef<FlowCounter> flow = flows_.get_or_create(s6::net::TupleOf(p));
  if (flow.created()) ++new_flows_;
  flow->add(packet.len);
  totals_.get(p.proto)->add(1);
  ++counted_;
  return s6::Verdict::kForward;
}

void MyNf::WriteStats(s6::StatsSink& out) const {
  out.Counter("counted", counted_.load());
  out.Counter("new_flows", new_flows_.load());
  out.Counter("dropped", dropped_.load());
  out.Counter("not_ipv4", not_ipv4_.load());
  out.Group("config", [this](s6::StatsSink& c) { c.Gauge("drop_port", config_.drop_port); });
}

s6::host::NfDefinition Definition(Config& config) {
  return {
      .name = "my-nf",
      .description = "counts packets per flow (an out-of-tree S6 network function)",
      .add_options =
          [&config](CLI::App& app) {
            app.add_option("--drop-port", config.drop_port, "drop packets to this port")
                ->capture_default_str();
          },
      .validate = nullptr,
      .create = [&config](s6::Space& space) -> s6::StatusOr<std::unique_ptr<s6::NetworkFunction>> {
        return std::unique_ptr<s6::NetworkFunction>(std::make_unique<MyNf>(space, config));
      }};
}

}  // namespace my_nf

// SPDX-License-Identifier: Apache-2.0
// s6-nat-instance: one NAT instance as a process (what s6ctl starts): the instance options of
// s6::host::InstanceMain, then `--` and the NAT's options (nat::ParseNatArgs), e.g.
//
//   s6-nat-instance --id 1 --endpoint ipc:///tmp/s6-1 --port memif:/tmp/s6-1.memif
//       --stats-file /tmp/s6-1.json -- --public-ip 203.0.113.7
#include <memory>

#include "host/instance_main.h"
#include "nat.h"

int main(int argc, char** argv) {
  return s6::host::InstanceMain(argc, argv, "s6-nat-instance",
                                [](s6::Space& space, const std::vector<std::string>& args)
                                    -> s6::StatusOr<std::unique_ptr<s6::NetworkFunction>> {
                                  S6_ASSIGN_OR_RETURN(nat::NatConfig config,
                                                      nat::ParseNatArgs(args));
                                  return std::unique_ptr<s6::NetworkFunction>(
                                      std::make_unique<nat::Nat>(space, std::move(config)));
                                });
}

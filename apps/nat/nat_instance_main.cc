// SPDX-License-Identifier: Apache-2.0
// s6-nat-instance: one NAT instance as a process (what s6ctl starts): the host's instance
// options and the NAT's (--help lists both), e.g.
//
//   s6-nat-instance --id 1 --endpoint ipc:///tmp/s6-1 --port memif:/tmp/s6-1.memif
//       --stats-file /tmp/s6-1.json -- --public-ip 203.0.113.7
#include <s6/host.h>

#include "nat.h"

int main(int argc, char** argv) {
  nat::NatConfig config;
  return s6::host::InstanceMain(argc, argv, nat::NatDefinition(config));
}

// SPDX-License-Identifier: Apache-2.0
// s6-prads-instance: one PRADS instance as a process (what `s6ctl run --app prads` starts): the
// host's instance options and PRADS's (--help lists both), e.g.
//
//   s6-prads-instance --id 1 --endpoint ipc:///tmp/s6-1 --port memif:/tmp/s6-1.memif
//       --stats-file /tmp/s6-1.json -- --asset-log /tmp/assets-{id}.log
#include <s6/host.h>

#include "prads.h"

int main(int argc, char** argv) {
  prads::PradsOptions options;
  return s6::host::InstanceMain(argc, argv, prads::PradsDefinition(options));
}

// SPDX-License-Identifier: Apache-2.0
// s6-snort-instance: one Snort-port instance as a process (what `s6ctl run --app snort`
// starts): an inline IDS that forwards every packet. The host's instance options and the NF's
// (--help lists both), e.g.
//
//   s6-snort-instance --id 1 --endpoint ipc:///tmp/s6-1 --port memif:/tmp/s6-1.memif
//       -- --rules community.rules --alerts /tmp/alerts-{id}.txt
#include <s6/host.h>

#include "snort_nf.h"

int main(int argc, char** argv) {
  snort::SnortOptions options;
  options.quiet = true;
  return s6::host::InstanceMain(argc, argv, snort::SnortDefinition(options));
}

// SPDX-License-Identifier: Apache-2.0
// File: host/instance_main.h
//
// The process around one instance: command line, packet port, peers, slot table, signals and
// stats. An app's main is one call:
//
//   int main(int argc, char** argv) {
//     return s6::host::InstanceMain(argc, argv, "s6-nat-instance", [](s6::Space& s, auto args) {
//       ... parse app args ...; return std::make_unique<nat::Nat>(s, config);
//     });
//   }
//
// Theory of operation: the NF factory runs before the instance starts (so the NF registers its
// maps and the schema hash covers them); the instance then binds its endpoint, connects to its
// peers, installs a slot table over the member list (every process computes the same one) and
// runs its loop until SIGINT/SIGTERM or the given duration. The packet port is a DPDK device
// (memif by default, the link to s6-trafgen), a pair of capture files, or none (a pure state
// peer). Stats JSON (the instance's counters, the NF's, the port's) is written to a file at an
// interval and at exit, atomically (write then rename), so a controller can poll it.
// Exit status: 0 after a clean stop, 1 on a runtime error, 2 on bad arguments.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <s6/nf.h>
#include <s6/space.h>
#include <s6/status.h>

namespace s6::host {

/// Creates the NF from the instance's Space and the app's own arguments (those after `--`).
/// A bad argument is a Status error (reported with the program name, exit status 2).
using NfFactory = std::function<StatusOr<std::unique_ptr<NetworkFunction>>(
    Space& space, const std::vector<std::string>& app_args)>;

int InstanceMain(int argc, char** argv, const std::string& program, const NfFactory& factory);

}  // namespace s6::host

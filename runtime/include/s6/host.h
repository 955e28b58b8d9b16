// SPDX-License-Identifier: Apache-2.0
// File: s6/host.h
//
// The executables of a network function. An NF author writes the NF (s6/nf.h) and one
// definition; each executable's main is one call:
//
//   struct MyConfig { std::string greeting = "hi"; };
//
//   s6::host::NfDefinition MyNf(MyConfig& config) {
//     return {
//         .name = "my-nf",
//         .description = "counts packets per flow",
//         .add_options = [&config](CLI::App& app) {
//           app.add_option("--greeting", config.greeting, "what to say")
//               ->capture_default_str();
//         },
//         .create = [&config](s6::Space& space)
//             -> s6::StatusOr<std::unique_ptr<s6::NetworkFunction>> {
//           return std::unique_ptr<s6::NetworkFunction>(
//               std::make_unique<Counter>(space, config));
//         }};
//   }
//   int main(int argc, char** argv) {              // s6-my-nf-instance: run by s6ctl
//     MyConfig config;
//     return s6::host::InstanceMain(argc, argv, MyNf(config));
//   }
//   int main(int argc, char** argv) {              // s6-my-nf: pcap in, pcap out
//     MyConfig config;
//     return s6::host::OfflineMain(argc, argv, MyNf(config));
//   }
//
// Theory of operation: the NF's options are declared on the same CLI11 app as the host's (in
// their own section of --help; a name clash is reported at start-up), so one parse validates
// everything and a bad option is one line on stderr with exit status 2. For compatibility
// with launchers that separate them, a lone `--` before the NF's options is accepted.
// `create` runs before the instance starts, so the NF registers its maps and the schema hash
// covers them.
//
// InstanceMain: the process around one instance. It binds its endpoint, connects to its peers,
// installs a slot table over the member list (every process computes the same one), opens the
// packet port (a DPDK memif link to s6-trafgen, a pair of capture files, or none for a pure
// state peer), serves the controller's socket (--control) and runs the loop until
// SIGINT/SIGTERM, the given duration, or a scale-in that removed it. The stats JSON (the
// instance's counters, the NF's under "nf", the port's) is written to --stats-file at an
// interval and at exit, atomically (write then rename), so a controller can poll it.
//
// OfflineMain: reads a capture, runs every packet through the NF in order on one instance whose
// clock follows the capture's timestamps (so idle timeouts expire as they would have live),
// writes the forwarded packets to another capture and prints the counters as JSON
// ({"packets_read", "packets_written", "packets_dropped", "packets_consumed", "too_short",
// "<name>": {the NF's stats}}).
//
// Exit status of both: 0 after a clean stop, 1 on a runtime error, 2 on bad arguments or input.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include <s6/nf.h>
#include <s6/space.h>
#include <s6/status.h>

namespace s6::host {

/// What the host needs to know about a network function.
struct NfDefinition {
  /// Short name, e.g. "nat": names the executables (s6-<name>-instance, s6-<name>), the NF's
  /// section of --help, its logger and its key in offline stats.
  std::string name;
  /// One line for --help.
  std::string description;
  /// Declares the NF's own options (bound to a config the caller owns). Optional.
  std::function<void(CLI::App& app)> add_options;
  /// Cross-option checks after parsing; an error is a usage error (exit 2). Optional.
  std::function<Status()> validate;
  /// Creates the NF from the instance's Space (construct its maps here). Required.
  std::function<StatusOr<std::unique_ptr<NetworkFunction>>(Space& space)> create;
};

/// Runs one instance as a process (what s6ctl starts). Returns the exit status.
int InstanceMain(int argc, char** argv, const NfDefinition& nf);

/// Runs the NF over a capture file (pcap in, pcap out). Returns the exit status.
int OfflineMain(int argc, char** argv, const NfDefinition& nf);

}  // namespace s6::host

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

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

/// Parses a tool's command line as every S6 tool does, for NFs whose offline tool has a
/// command line of its own: `argv` into `app` (a lone "--" is dropped), `--help` printed,
/// a usage error reported as one line; then the log spec `log_spec` (bound to an option of
/// `app`, e.g. --log-level) applied. Returns nothing to go on, or the exit status to return
/// now (0 after --help, 2 on a usage error).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                    const std::string& log_spec);

/// Checks, before anything is read or written, that `path` can take the output of option
/// `what`: not one of `inputs` (the same file by any name: writing would destroy it before it is
/// read), not a directory, not an existing device, FIFO or socket. InvalidArgument with the
/// reason, for a usage error.
Status CheckOutputPath(const std::string& what, const std::string& path,
                       const std::vector<std::string>& inputs);

/// Writes `content` to the regular file `path` (created or truncated) and reports every failure
/// with the path — opening, writing, a full disk found at close.
Status WriteFileChecked(const std::string& path, std::string_view content);

/// What one pass of an NF over a capture did.
struct CaptureCounts {
  uint64_t read = 0;       ///< packets in the capture
  uint64_t forwarded = 0;  ///< Verdict::kForward
  uint64_t dropped = 0;    ///< Verdict::kDrop
  uint64_t consumed = 0;   ///< Verdict::kConsumed
  uint64_t too_short = 0;  ///< shorter than their link-layer header: never reached the NF
};

/// How RunCapture reports to its caller; every callback is optional.
struct CaptureOptions {
  std::string pcap_in;
  /// Once, with the capture's DLT_ link type, before the first packet (e.g. to open an output
  /// of the same type). An error stops the run and is returned.
  std::function<Status(int linktype)> on_open;
  /// Each forwarded frame as it would be written (link-layer prefix included), with the
  /// capture's timestamp (ns) and original length.
  std::function<void(std::span<const uint8_t> frame, uint64_t ts_ns, uint32_t wire_len)> on_forward;
  /// After the last packet, while the instance still runs (e.g. to report the NF's state).
  std::function<void(NetworkFunction& nf)> at_end;
};

/// The engine of OfflineMain for NFs with a command line of their own (e.g. flags compatible
/// with the tool they replace): one instance, no peers, a clock that follows the capture's
/// timestamps, every packet processed to completion in capture order. InvalidArgument for a
/// capture libpcap cannot read (to its end) or an unsupported link type, naming the file;
/// Internal if the NF cannot start or a packet never finishes.
StatusOr<CaptureCounts> RunCapture(const NfDefinition& nf, const CaptureOptions& options);

}  // namespace s6::host

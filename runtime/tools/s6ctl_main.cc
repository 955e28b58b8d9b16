// SPDX-License-Identifier: Apache-2.0
// s6ctl: the operator's tool.
//
//   s6ctl run (--app NAME | --app-binary PATH) --instances N --duration S --flows F --rate PPS
//             [options...] [-- APP OPTIONS...]
//   s6ctl status | scale-out | scale-in | kill ID   [--workdir DIR]
//   s6ctl --help (every option of every command, with defaults), s6ctl run --help
//
// Theory of operation
// -------------------
// This file only dispatches: the command line becomes a typed Config (ctl/options.h), logging
// is configured from $S6_LOG and --log-level, then `run` starts a local cluster
// (ctl/run.h: processes, live table, scale events, summary) and the other commands send one
// request to a running `run` (ctl/attach.h). Diagnostics go to the "ctl" logger on stderr;
// the table, the summary and attach replies are the tool's output, on stdout.
//
// Exit status: 0 when the run (or the request) completed with no error, 1 otherwise, 2 on a
// usage error (one line on stderr), including an executable that cannot be found.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <s6/log.h>
#include "ctl/attach.h"
#include "ctl/binaries.h"
#include "ctl/options.h"
#include "ctl/run.h"

namespace {

// After a run: the socket files of its workdir are removed (nothing listens on them any more),
// and with `whole` the workdir itself (a default one, after a clean run: nothing to look at).
// A failed run keeps its logs, which the summary points to.
void CleanUp(const std::string& workdir, bool whole) {
  std::error_code ec;
  if (whole) {
    std::filesystem::remove_all(workdir, ec);
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(workdir, ec)) {
    std::error_code type_ec;
    if (entry.is_socket(type_ec)) std::filesystem::remove(entry.path(), type_ec);
  }
}

int Run(const s6::ctl::RunOptions& run) {
  s6::StatusOr<s6::ctl::Binaries> binaries =
      s6::ctl::ResolveBinaries(run, s6::ctl::DefaultSearchPath(run.bin_dir));
  if (!binaries.ok()) {
    std::fprintf(stderr, "s6ctl: %s\n", std::string(binaries.status().message()).c_str());
    return 2;
  }
  const std::string workdir =
      run.workdir.empty() ? "/tmp/s6ctl-" + std::to_string(::getpid()) : run.workdir;
  std::error_code ec;
  std::filesystem::create_directories(workdir, ec);
  if (ec) {  // e.g. a file of that name: an operator's mistake, found before anything ran
    std::fprintf(stderr, "s6ctl: --workdir: cannot create '%s': %s\n", workdir.c_str(),
                 ec.message().c_str());
    return 2;
  }
  int rc = 0;
  {
    s6::ctl::ClusterRun cluster(run, std::move(*binaries), workdir);
    rc = cluster.Run();
  }  // every process and socket of the run is gone here
  if (!run.keep) CleanUp(workdir, /*whole=*/run.workdir.empty() && rc == 0);
  return rc;
}

int Attach(const s6::ctl::Config& config) {
  const auto log = s6::log::Get("ctl");
  const s6::StatusOr<std::string> dir = s6::ctl::ResolveAttachDir(config.attach.workdir);
  if (!dir.ok()) {
    log->error("{}", dir.status().message());
    return 1;
  }
  const s6::StatusOr<std::string> reply = s6::ctl::SendAttachRequest(
      *dir, s6::ctl::RequestFor(config), std::chrono::milliseconds(5000));
  if (!reply.ok()) {
    log->error("{}", reply.status().ToString());
    return 1;
  }
  std::printf("%s\n", reply->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const s6::ctl::ParsedCommandLine parsed =
      s6::ctl::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.config) {
    std::fputs(parsed.out.c_str(), stdout);
    if (!parsed.err.empty()) std::fprintf(stderr, "%s\n", parsed.err.c_str());
    return parsed.exit_status;
  }
  const s6::ctl::Config& config = *parsed.config;
  if (const s6::Status st = s6::log::ConfigureFromEnv(config.log_level); !st.ok()) {
    std::fprintf(stderr, "s6ctl: %s\n", std::string(st.message()).c_str());
    return 2;
  }
  return config.command == s6::ctl::Command::kRun ? Run(config.run) : Attach(config);
}

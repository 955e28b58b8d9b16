// SPDX-License-Identifier: Apache-2.0
// File: s6/log.h
//
// Leveled, per-component logging (spdlog underneath).
//
//   auto log = s6::log::Get("migration");       // once, at construction: keep the pointer
//   log->debug("slot {} pulled from {}", slot, peer);
//
// Theory of operation: every component (transport, objspace, migration, instance, host, ctl,
// trafgen, and each app under its own name) logs through its own named spdlog logger, writing
// to stderr as "[time] [component] [level] message". Levels are set at run time by a spec:
// "info" (every component), "migration=trace" (one component), or a comma-separated mix
// ("warn,migration=debug,transport=trace"); later entries win. `Configure` validates the
// spec (an unknown level or an empty component name is an error, nothing is applied), then
// applies it to existing loggers and remembers it for loggers created later. Tools apply
// `S6_LOG` from the environment first, then their `--log-level` option.
// Never log per packet: the data path counts (stats) instead; logs are for setup, control
// and rare events (a scale event's steps, a dropped message burst, a peer lost).
// The logger registry is spdlog's, the process-wide one its API is built around.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include <s6/status.h>

namespace s6::log {

/// The logger of `component`, created on first use with the configured level.
/// Thread-safe; cache the pointer rather than calling this on a hot path.
std::shared_ptr<spdlog::logger> Get(std::string_view component);

/// Applies a level spec ("info", "migration=debug", "warn,transport=trace"); levels are
/// trace, debug, info, warn, error, critical, off. Invalid specs change nothing.
Status Configure(std::string_view spec);

/// Applies `$S6_LOG` (if set) and then `cli_spec` (if not empty): the command line wins.
/// The error names which of the two was bad.
Status ConfigureFromEnv(std::string_view cli_spec = {});

/// The name of the environment variable ConfigureFromEnv reads.
inline constexpr char kEnvVar[] = "S6_LOG";

/// Help text for a tool's --log-level option.
inline constexpr char kLevelHelp[] =
    "log levels: LEVEL or COMPONENT=LEVEL,... (trace|debug|info|warn|error|critical|off); "
    "also $S6_LOG";

}  // namespace s6::log

// SPDX-License-Identifier: Apache-2.0
// File: log/log.cc — see s6/log.h.
#include <s6/log.h>

#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace s6::log {
namespace {

constexpr char kPattern[] = "[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

StatusOr<spdlog::level::level_enum> ParseLevel(std::string_view name) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace},       {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},         {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical}, {"off", spdlog::level::off}};
  for (const auto& [n, l] : kLevels) {
    if (n == name) return l;
  }
  return InvalidArgumentError("unknown log level '" + std::string(name) +
                              "' (trace, debug, info, warn, error, critical, off)");
}

struct Levels {
  std::unordered_map<std::string, spdlog::level::level_enum> per_component;
  bool has_global = false;
  spdlog::level::level_enum global = spdlog::level::info;
};

StatusOr<Levels> Parse(std::string_view spec) {
  Levels out;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view item = Trim(spec.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view component = eq == std::string_view::npos ? "" : Trim(item.substr(0, eq));
    std::string_view level = eq == std::string_view::npos ? item : Trim(item.substr(eq + 1));
    if (eq != std::string_view::npos && component.empty()) {
      return InvalidArgumentError("log spec '" + std::string(spec) +
                                  "': empty component name before '='");
    }
    S6_ASSIGN_OR_RETURN(auto l, ParseLevel(level));
    if (component.empty()) {
      out.has_global = true;
      out.global = l;
      out.per_component.clear();  // a later bare level overrides earlier per-component ones
    } else {
      out.per_component[std::string(component)] = l;
    }
  }
  return out;
}

Status Validate(std::string_view spec) { return Parse(spec).status(); }

}  // namespace

std::shared_ptr<spdlog::logger> Get(std::string_view component) {
  const std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  // Two threads may race to create the same logger; the loser's create throws, and the
  // winner's logger is the one to use.
  try {
    auto logger = spdlog::stderr_color_mt(name, spdlog::color_mode::automatic);
    logger->set_pattern(kPattern);
    return logger;
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(name);
  }
}

Status Configure(std::string_view spec) {
  S6_ASSIGN_OR_RETURN(Levels levels, Parse(spec));
  spdlog::details::registry::instance().set_levels(std::move(levels.per_component),
                                                   levels.has_global ? &levels.global : nullptr);
  return OkStatus();
}

Status ConfigureFromEnv(std::string_view cli_spec) {
  // Validate each source on its own (so the error names it), then apply both as one spec so
  // the environment's per-component levels survive a command-line level for another one.
  std::string combined;
  if (const char* env = std::getenv(kEnvVar); env != nullptr && *env != '\0') {
    if (Status s = Validate(env); !s.ok()) {
      return InvalidArgumentError(std::string("$") + kEnvVar + ": " + s.message());
    }
    combined = env;
  }
  if (!cli_spec.empty()) {
    if (Status s = Validate(cli_spec); !s.ok()) {
      return InvalidArgumentError("--log-level: " + s.message());
    }
    combined += combined.empty() ? "" : ",";
    combined += cli_spec;
  }
  return combined.empty() ? OkStatus() : Configure(combined);
}

}  // namespace s6::log

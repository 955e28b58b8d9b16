// SPDX-License-Identifier: Apache-2.0
#include "host/cli.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <s6/log.h>

namespace s6::host {

std::string ProgramName(int argc, char** argv, const std::string& fallback) {
  if (argc < 1 || argv[0] == nullptr || *argv[0] == '\0') return fallback;
  return std::filesystem::path(argv[0]).filename().string();
}

void AddLogLevelOption(CLI::App& app, std::string& spec) {
  app.add_option("--log-level", spec, log::kLevelHelp);
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                    const std::string& log_spec) {
  std::vector<std::string> args;
  bool separator_dropped = false;
  for (int i = 1; i < argc; ++i) {
    if (!separator_dropped && std::string(argv[i]) == "--") {
      separator_dropped = true;
      continue;
    }
    args.emplace_back(argv[i]);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last-first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), e.what());
    return 2;
  }
  if (const Status st = log::ConfigureFromEnv(log_spec); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), st.message().c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace s6::host

// SPDX-License-Identifier: Apache-2.0
// Helpers for tests that run the project's executables as real processes.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/poll.h"

namespace s6test {

/// fork + execv(args[0], args); stdout and stderr go to `log` when given. Returns the pid.
inline pid_t Launch(const std::vector<std::string>& args, const std::string& log = "") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!log.empty() && (std::freopen(log.c_str(), "w", stdout) == nullptr ||
                         std::freopen(log.c_str(), "a", stderr) == nullptr)) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits for `pid` up to `timeout` (then kills it); returns the wait status, -1 if killed.
inline int WaitExit(pid_t pid, std::chrono::seconds timeout) {
  int status = 0;
  if (PollUntil([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout)) return status;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Parses a JSON text; a parse error fails the calling test with the text in the message.
/// Returns a discarded value (is_discarded()) on error.
inline nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

/// The integer at `pointer` (a JSON pointer such as "/instance/packets_in") in `json`, or -1
/// when the text does not parse, the member is missing or is not an integer.
inline long long JsonInt(const std::string& json, const std::string& pointer) {
  const nlohmann::json j = ParseJson(json);
  if (j.is_discarded()) return -1;
  const nlohmann::json::json_pointer p(pointer);
  if (!j.contains(p) || !j.at(p).is_number_integer()) return -1;
  return j.at(p).get<long long>();
}

}  // namespace s6test

// SPDX-License-Identifier: Apache-2.0
// Helpers for tests that run the project's executables as real processes.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
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

/// The integer value of the first "key":N in a JSON text, or -1.
inline long long JsonField(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":([0-9]+)"))) return std::stoll(m[1]);
  return -1;
}

}  // namespace s6test

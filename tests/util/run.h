// SPDX-License-Identifier: Apache-2.0
// The end of a test run of s6-trafgen and instances as processes (gtest assertions).
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <span>
#include <string>

#include "util/process.h"

namespace s6test {

/// Waits for s6-trafgen (`tg`) to finish successfully, then stops `instances` (SIGTERM) and
/// expects each to exit 0. Logs are DIR/trafgen.log and DIR/instanceN.log (N from 1).
inline void FinishRun(pid_t tg, std::span<const pid_t> instances, const std::string& dir) {
  using namespace std::chrono_literals;
  const int tg_status = WaitExit(tg, 60s);
  ASSERT_TRUE(WIFEXITED(tg_status) && WEXITSTATUS(tg_status) == 0)
      << ReadFile(dir + "/trafgen.log");
  for (pid_t p : instances) ::kill(p, SIGTERM);
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const int st = WaitExit(instances[i], 20s);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
        << "instance " << i + 1 << ": "
        << ReadFile(dir + "/instance" + std::to_string(i + 1) + ".log");
  }
}

}  // namespace s6test

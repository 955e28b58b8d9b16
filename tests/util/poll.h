// SPDX-License-Identifier: Apache-2.0
// Waiting in tests: a condition polled until it holds or a deadline passes. Tests never sleep
// to synchronise; they poll for the state they need and fail with a message at the deadline.
//
//   ASSERT_TRUE(s6test::PollUntil([&] { return server.connected(); }, 5s)) << "no connection";
#pragma once

#include <chrono>
#include <thread>

namespace s6test {

/// Calls `ready()` every `every` until it returns true (-> true) or `timeout` passed
/// (-> false; `ready` is called once more at the deadline so a late success still counts).
template <typename Pred>
bool PollUntil(Pred&& ready, std::chrono::milliseconds timeout,
               std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(every);
  }
  return static_cast<bool>(ready());
}

}  // namespace s6test

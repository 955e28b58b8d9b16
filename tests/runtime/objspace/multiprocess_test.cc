// SPDX-License-Identifier: Apache-2.0
// The same instances as separate processes on one host (ipc:// and tcp:// on loopback): three
// processes hammer shared SingleWriter objects and a MultiWriter counter at once; afterwards
// every SingleWriter count is exact (exclusivity across processes) and the untether counter
// equals the calls made (exactly once).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"

namespace s6test {
namespace {

using s6::Instance;
using namespace std::chrono_literals;

constexpr int kInstances = 3;
constexpr uint32_t kKeys = 6;
constexpr int kFibers = 6;
constexpr int kIters = 50;
constexpr uint32_t kTally = 4242;

uint16_t FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// One instance process's life: start, connect, run the workload, report "done" (1 byte on
// `done_fd`) after a strict read made sure its untether calls were applied, then keep serving
// until `stop_fd` reaches EOF. In the parent (`is_parent`), return the final checks instead.
int RunInstance(int index, const std::vector<std::string>& endpoints, int done_fd, int stop_fd,
                const std::vector<int>& child_done_fds, std::string* failure) {
  zmq::context_t ctx;
  Instance::Options io;
  io.id = static_cast<s6::InstanceId>(index + 1);
  io.endpoint = endpoints[static_cast<std::size_t>(index)];
  io.zmq_context = &ctx;
  Instance inst(io);
  State s(inst.space());
  if (!inst.Start().ok()) return 2;
  std::vector<s6::InstanceId> ids;
  for (int j = 0; j < kInstances; ++j) {
    ids.push_back(static_cast<s6::InstanceId>(j + 1));
    if (j != index && !inst.AddPeer(ids.back(), endpoints[static_cast<std::size_t>(j)]).ok()) {
      return 3;
    }
  }
  inst.SetSlotTable(*s6::keyspace::SlotTable::Initial(ids));
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  auto all_ready = [&] {
    for (s6::InstanceId id : ids) {
      if (id != inst.id() &&
          inst.transport()->GetPeerState(id) != s6::transport::PeerState::kReady) {
        return false;
      }
    }
    return true;
  };
  while (!all_ready()) {
    inst.RunOnce(1);
    if (std::chrono::steady_clock::now() > deadline) return 4;
  }

  int running = kFibers;
  for (int f = 0; f < kFibers; ++f) {
    inst.Spawn([&, f] {
      for (int n = 0; n < kIters; ++n) {
        auto ref = s.flows.get({static_cast<uint32_t>((index + f + n) % kKeys), 0, 0, 0, 17});
        ref->add(1);
        if (n % 8 == 0) inst.SleepFor(0ns);
        s.tallies.get(kTally)->add(1);  // untether
      }
      if (--running == 0) {
        s.tallies.get(kTally)->total();  // strict: our untether calls have all run
        const char d = 'd';
        if (done_fd >= 0 && ::write(done_fd, &d, 1) != 1) std::abort();
      }
    });
  }

  if (failure == nullptr) {  // child: serve until the parent closes our stop pipe
    for (;;) {
      inst.RunOnce(1);
      pollfd p{stop_fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) return 0;  // EOF (or anything): stop
    }
  }

  // Parent: wait for our own workload and the children's, serving all the while.
  std::vector<bool> got(child_done_fds.size(), false);
  std::size_t children_done = 0;
  while (running > 0 || children_done < child_done_fds.size()) {
    inst.RunOnce(1);
    for (std::size_t i = 0; i < child_done_fds.size(); ++i) {
      pollfd p{child_done_fds[i], POLLIN, 0};
      if (!got[i] && ::poll(&p, 1, 0) > 0) {
        got[i] = true;
        ++children_done;
      }
    }
    if (std::chrono::steady_clock::now() > deadline + 40s) {
      *failure = "workload did not finish";
      return 5;
    }
  }
  bool checked = false;
  inst.Spawn([&] {
    int64_t sum = 0;
    for (uint32_t k = 0; k < kKeys; ++k) sum += s.flows.get({k, 0, 0, 0, 17})->count();
    const int64_t total = s.tallies.get(kTally)->total();
    const int64_t expected = int64_t{kInstances} * kFibers * kIters;
    if (sum != expected) *failure += "SW sum " + std::to_string(sum) + " != expected; ";
    if (total != expected) *failure += "MW total " + std::to_string(total) + " != expected; ";
    checked = true;
  });
  while (!checked && std::chrono::steady_clock::now() < deadline + 60s) inst.RunOnce(1);
  if (!checked) *failure += "final check did not finish; ";
  return 0;
}

void RunProcesses(const std::vector<std::string>& endpoints) {
  struct Child {
    pid_t pid = -1;
    int done_read = -1;
    int stop_write = -1;
  };
  std::vector<Child> children;
  for (int index = 1; index < kInstances; ++index) {
    int done[2];
    int stop[2];
    ASSERT_EQ(::pipe(done), 0);
    ASSERT_EQ(::pipe(stop), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(done[0]);
      ::close(stop[1]);
      for (const Child& c : children) ::close(c.stop_write), ::close(c.done_read);
      const int rc = RunInstance(index, endpoints, done[1], stop[0], {}, nullptr);
      ::_exit(rc);
    }
    ::close(done[1]);
    ::close(stop[0]);
    children.push_back({pid, done[0], stop[1]});
  }
  std::vector<int> done_fds;
  for (const Child& c : children) done_fds.push_back(c.done_read);
  std::string failure;
  const int rc = RunInstance(0, endpoints, -1, -1, done_fds, &failure);
  for (const Child& c : children) ::close(c.stop_write);
  for (const Child& c : children) {
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 1000 && !exited; ++i) {
      exited = ::waitpid(c.pid, &status, WNOHANG) == c.pid;
      if (!exited) std::this_thread::sleep_for(5ms);
    }
    if (!exited) {
      ::kill(c.pid, SIGKILL);
      ::waitpid(c.pid, &status, 0);
    }
    EXPECT_TRUE(exited && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "child " << c.pid << " status " << status;
    ::close(c.done_read);
  }
  EXPECT_EQ(rc, 0) << failure;
  EXPECT_EQ(failure, "");
}

TEST(MultiProcessTest, ThreeProcessesOverIpc) {
  char tmpl[] = "/tmp/s6-mp-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::vector<std::string> endpoints;
  for (int i = 0; i < kInstances; ++i)
    endpoints.push_back("ipc://" + dir + "/i" + std::to_string(i));
  RunProcesses(endpoints);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(MultiProcessTest, ThreeProcessesOverTcpLoopback) {
  std::vector<std::string> endpoints;
  for (int i = 0; i < kInstances; ++i) {
    const uint16_t port = FreeTcpPort();
    ASSERT_NE(port, 0);
    endpoints.push_back("tcp://127.0.0.1:" + std::to_string(port));
  }
  RunProcesses(endpoints);
}

}  // namespace
}  // namespace s6test

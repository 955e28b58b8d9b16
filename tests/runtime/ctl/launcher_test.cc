// SPDX-License-Identifier: Apache-2.0
// The cluster launcher's parts that need no cluster: the run's file layout, the command lines
// of s6-trafgen and of an instance (peers, members, the app's options after `--`), and child
// processes started, watched and reaped (with /bin/sh).
#include "ctl/launcher.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "ctl/stats.h"
#include "util/poll.h"

namespace s6::ctl {
namespace {

using namespace std::chrono_literals;

RunOptions Options() {
  RunOptions o;
  o.app = "nat";
  o.instances = 2;
  o.duration_s = 3;
  o.flows = 2000;
  o.rate_pps = 5000;
  o.missteer = 0.05;
  return o;
}

// The value after `flag` in `args`, or "" if absent.
std::string After(const std::vector<std::string>& args, const std::string& flag) {
  const auto it = std::find(args.begin(), args.end(), flag);
  return it == args.end() || it + 1 == args.end() ? "" : *(it + 1);
}

TEST(RunLayoutTest, FilesAndEndpoints) {
  const RunLayout l("/tmp/r");
  EXPECT_EQ(l.InstanceEndpoint(2), "ipc:///tmp/r/2.zmq");
  EXPECT_EQ(l.InstanceControl(2), "ipc:///tmp/r/2.ctl");
  EXPECT_EQ(l.Memif(2), "/tmp/r/2.memif");
  EXPECT_EQ(l.StatsFile(2), "/tmp/r/2.json");
  EXPECT_EQ(l.InstanceLog(2), "/tmp/r/instance2.log");
  EXPECT_EQ(l.TrafgenControl(), "ipc:///tmp/r/trafgen.ctl");
  EXPECT_EQ(l.AttachEndpoint(), "ipc:///tmp/r/s6ctl.ctl");
  RunOptions o;
  EXPECT_EQ(l.Csv(o), "/tmp/r/intervals.csv");
  o.csv = "/x.csv";
  EXPECT_EQ(l.Csv(o), "/x.csv");
}

TEST(LauncherArgsTest, Trafgen) {
  RunOptions o = Options();
  o.arrival = "exp";
  const std::vector<std::string> a = TrafgenArgs("/bin/s6-trafgen", o, RunLayout("/tmp/r"), 4);
  EXPECT_EQ(a.front(), "/bin/s6-trafgen");
  EXPECT_EQ(After(a, "--rate"), "5000");
  EXPECT_EQ(After(a, "--flows"), "2000");
  EXPECT_EQ(After(a, "--duration"), "3");
  EXPECT_EQ(After(a, "--pkt-size"), "128");
  EXPECT_EQ(After(a, "--flow-size"), "50");
  EXPECT_EQ(After(a, "--missteer"), "0.05");
  EXPECT_EQ(After(a, "--interval-json"), "/tmp/r/intervals.jsonl");
  EXPECT_EQ(After(a, "--json"), "/tmp/r/trafgen.json");
  EXPECT_EQ(After(a, "--control"), "ipc:///tmp/r/trafgen.ctl");
  EXPECT_EQ(After(a, "--dpdk-memory"), "160");
  EXPECT_EQ(After(a, "--arrival"), "exp");
  EXPECT_EQ(After(a, "--pcap"), "");
  EXPECT_EQ(std::count(a.begin(), a.end(), "--instance"), 4);
  EXPECT_EQ(After(a, "--instance"), "1=/tmp/r/1.memif");
  EXPECT_EQ(After(a, "--active"), "1,2");  // the spare links wait for scale-outs
}

TEST(LauncherArgsTest, InstancePeersAndAppOptions) {
  const RunOptions o = Options();
  const std::vector<InstanceId> members = {static_cast<InstanceId>(1), static_cast<InstanceId>(2)};
  std::vector<std::string> a =
      InstanceArgs("/bin/s6-nat-instance", o, RunLayout("/tmp/r"), 2, members, AppArgs(o));
  EXPECT_EQ(After(a, "--id"), "2");
  EXPECT_EQ(After(a, "--endpoint"), "ipc:///tmp/r/2.zmq");
  EXPECT_EQ(After(a, "--control"), "ipc:///tmp/r/2.ctl");
  EXPECT_EQ(std::count(a.begin(), a.end(), "--peer"), 1);  // not itself
  EXPECT_EQ(After(a, "--peer"), "1=ipc:///tmp/r/1.zmq");
  EXPECT_EQ(After(a, "--members"), "1,2");
  EXPECT_EQ(After(a, "--port"), "memif:/tmp/r/2.memif:client");
  EXPECT_EQ(After(a, "--stats-file"), "/tmp/r/2.json");
  EXPECT_EQ(After(a, "--stats-interval-ms"), "200");
  // The app's options come last, after `--`: nat's default public address.
  const auto sep = std::find(a.begin(), a.end(), "--");
  ASSERT_NE(sep, a.end());
  EXPECT_EQ(std::vector<std::string>(sep + 1, a.end()),
            (std::vector<std::string>{"--public-ip", "203.0.113.7"}));

  // A newcomer for a scale-out: the current members are its peers, it is not one of them.
  a = InstanceArgs("/bin/x", o, RunLayout("/tmp/r"), 3, members, {});
  EXPECT_EQ(std::count(a.begin(), a.end(), "--peer"), 2);
  EXPECT_EQ(After(a, "--members"), "1,2");
  EXPECT_EQ(a.back(), "--");
}

TEST(LauncherArgsTest, AppArgsDefaults) {
  RunOptions o = Options();
  EXPECT_EQ(AppArgs(o), (std::vector<std::string>{"--public-ip", "203.0.113.7"}));
  o.app_args = {"--public-ip", "198.51.100.9"};
  EXPECT_EQ(AppArgs(o), o.app_args);
  o.app_args.clear();
  o.app.clear();
  o.app_binary = "/x/my-nf";  // an out-of-tree NF gets only what was given
  EXPECT_TRUE(AppArgs(o).empty());
}

TEST(ProcessTest, LaunchPollAndReap) {
  const std::string log = ::testing::TempDir() + "/s6-ctl-launch-" + std::to_string(::getpid());
  const pid_t ok = Launch({"/bin/sh", "-c", "echo hello; exit 3"}, log);
  ASSERT_GT(ok, 0);
  std::optional<int> st;
  ASSERT_TRUE(s6test::PollUntil([&] { return (st = PollExit(ok)).has_value(); }, 5000ms));
  EXPECT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 3);
  EXPECT_EQ(DescribeWaitStatus(*st), "exit 3");
  EXPECT_EQ(*ReadFile(log), "hello\n");  // stdout went to the log

  // A child that does not exit is killed at the deadline.
  const pid_t stuck = Launch({"/bin/sh", "-c", "exec sleep 30"}, log);
  ASSERT_GT(stuck, 0);
  EXPECT_FALSE(PollExit(stuck).has_value());
  EXPECT_EQ(Reap(stuck, 50ms), -1);
  EXPECT_EQ(DescribeWaitStatus(-1), "killed after the deadline");

  // A missing executable: the child reports 127.
  const pid_t missing = Launch({"/nonexistent/binary"}, log);
  const int code = Reap(missing, 5000ms);
  EXPECT_TRUE(WIFEXITED(code));
  EXPECT_EQ(WEXITSTATUS(code), 127);
  std::filesystem::remove(log);
}

TEST(ProcessTest, ChildrenDoNotInheritBlockedSignals) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  const pid_t child = Launch({"/bin/sh", "-c", "exec sleep 30"}, "/dev/null");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_GT(child, 0);
  ::kill(child, SIGTERM);
  const int st = Reap(child, 5000ms);
  ASSERT_NE(st, -1) << "SIGTERM was blocked in the child";
  EXPECT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(DescribeWaitStatus(st), "killed by SIGTERM");
}

// An instance dies with its s6ctl, however s6ctl ends (here: _exit, as after a SIGKILL).
TEST(ProcessTest, ChildrenDieWithTheirLauncher) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t launcher = ::fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    const pid_t child = Launch({"/bin/sh", "-c", "exec sleep 30"}, "/dev/null");
    (void)!::write(fds[1], &child, sizeof child);
    ::_exit(0);
  }
  pid_t child = -1;
  ASSERT_EQ(::read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_GT(child, 0);
  ::waitpid(launcher, nullptr, 0);
  // Reparented to init, which reaps it once it is gone.
  EXPECT_TRUE(s6test::PollUntil([&] { return ::kill(child, 0) != 0; }, 5000ms))
      << "the child outlived its launcher";
  if (::kill(child, 0) == 0) ::kill(child, SIGKILL);
}

TEST(ProcessTest, WaitStatusesInWords) {
  EXPECT_EQ(DescribeWaitStatus(0), "exit 0");
  EXPECT_EQ(DescribeWaitStatus(2 << 8), "exit 2");
  EXPECT_EQ(DescribeWaitStatus(SIGKILL), "killed by SIGKILL");
  EXPECT_EQ(DescribeWaitStatus(SIGSEGV | 0x80), "killed by SIGSEGV");  // with a core dump
}

}  // namespace
}  // namespace s6::ctl

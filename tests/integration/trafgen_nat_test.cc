// SPDX-License-Identifier: Apache-2.0
// The first vertical slice end to end, as real processes: s6-trafgen (memif server of one link
// per instance) drives two s6-nat-instance processes (peered over ZeroMQ ipc://) with paced
// synthetic TCP and UDP flows, 5 % of packets mis-steered to the other instance. Every packet
// that entered the network must come back (lost == 0), every flow must be translated (no
// exhausted pool, no missing mapping), and both instances must stop cleanly on SIGTERM.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

pid_t Launch(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!log.empty()) {
      (void)std::freopen(log.c_str(), "w", stdout);
      (void)std::freopen(log.c_str(), "a", stderr);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The integer value of "key": N in a flat JSON text (first occurrence), or -1.
long long Field(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":([0-9]+)"))) return std::stoll(m[1]);
  return -1;
}

int WaitExit(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

TEST(TrafgenNatTest, TwoInstancesLoseNoPacketAndTranslateEveryFlow) {
  const std::string dir = "/tmp/s6-e2e-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const pid_t tg = Launch({S6_TRAFGEN_BIN,
                           "--instance",
                           "1=" + dir + "/1.memif",
                           "--instance",
                           "2=" + dir + "/2.memif",
                           "--rate",
                           "3000",
                           "--flows",
                           "300",
                           "--duration",
                           "3",
                           "--missteer",
                           "0.05",
                           "--ready-file",
                           dir + "/ready",
                           "--json",
                           dir + "/summary.json",
                           "--csv",
                           dir + "/intervals.csv",
                           "--dpdk-memory",
                           "128"},
                          dir + "/trafgen.log");
  ASSERT_GT(tg, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!std::filesystem::exists(dir + "/ready") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(std::filesystem::exists(dir + "/ready")) << ReadFile(dir + "/trafgen.log");
  pid_t inst[2];
  for (int i = 1; i <= 2; ++i) {
    const int other = 3 - i;
    inst[i - 1] = Launch(
        {S6_NAT_INSTANCE_BIN, "--id", std::to_string(i), "--endpoint",
         "ipc://" + dir + "/" + std::to_string(i) + ".zmq", "--peer",
         std::to_string(other) + "=ipc://" + dir + "/" + std::to_string(other) + ".zmq",
         "--members", "1,2", "--port", "memif:" + dir + "/" + std::to_string(i) + ".memif:client",
         "--dpdk-memory", "128", "--stats-file", dir + "/" + std::to_string(i) + ".json", "--",
         "--public-ip", "203.0.113.7"},
        dir + "/instance" + std::to_string(i) + ".log");
    ASSERT_GT(inst[i - 1], 0);
  }
  const int tg_status = WaitExit(tg, 60s);
  ASSERT_TRUE(WIFEXITED(tg_status) && WEXITSTATUS(tg_status) == 0)
      << ReadFile(dir + "/trafgen.log");
  for (pid_t p : inst) ::kill(p, SIGTERM);
  for (int i = 0; i < 2; ++i) {
    const int st = WaitExit(inst[i], 20s);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
        << "instance " << i + 1 << ": "
        << ReadFile(dir + "/instance" + std::to_string(i + 1) + ".log");
  }
  const std::string summary = ReadFile(dir + "/summary.json");
  ASSERT_FALSE(summary.empty());
  EXPECT_GT(Field(summary, "sent"), 7000) << summary;
  EXPECT_EQ(Field(summary, "lost"), 0) << summary;
  EXPECT_EQ(Field(summary, "received"), Field(summary, "sent")) << summary;
  EXPECT_EQ(Field(summary, "foreign"), 0) << summary;
  EXPECT_GT(Field(summary, "missteered"), 0) << summary;
  // NAT state check at the receiver: each flow kept one public endpoint, none was shared.
  EXPECT_EQ(Field(summary, "mapping_changes"), 0) << summary;
  EXPECT_EQ(Field(summary, "shared_endpoints"), 0) << summary;
  long long translated = 0;
  for (int i = 1; i <= 2; ++i) {
    const std::string s = ReadFile(dir + "/" + std::to_string(i) + ".json");
    EXPECT_EQ(Field(s, "exhausted"), 0) << s;
    EXPECT_EQ(Field(s, "no_mapping"), 0) << s;
    EXPECT_EQ(Field(s, "aborted"), 0) << s;
    translated += Field(s, "translated_out");
  }
  EXPECT_EQ(translated, Field(summary, "received"));
  EXPECT_GT(ReadFile(dir + "/intervals.csv").size(), 100u);
  std::filesystem::remove_all(dir);
}

}  // namespace

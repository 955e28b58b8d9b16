// SPDX-License-Identifier: Apache-2.0
// DPDK ports on a real virtual device between two processes, the way trafgen and instances are
// linked: a child process owns the memif server and echoes every frame back; the parent (memif
// client) sends a thousand frames and must get each back, in order and intact, with every
// buffer returned. DPDK runs without hugepages (--no-huge -m 256) and a file prefix per process.
#include "packetio/dpdk_port.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace s6::packetio {
namespace {

using namespace std::chrono_literals;

std::size_t Drain(DpdkPort& port, std::vector<Packet*>& into, std::size_t want,
                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Packet* batch[32];
  do {
    const std::size_t n = port.Receive(batch);
    into.insert(into.end(), batch, batch + n);
    if (n == 0) std::this_thread::sleep_for(50us);
  } while (into.size() < want && std::chrono::steady_clock::now() < deadline);
  return into.size();
}

bool WaitLink(const DpdkPort& p, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!p.link_up() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  return p.link_up();
}

// The child: memif server that echoes frames until it saw none for a second after the first.
int RunEcho(const std::string& sock, const std::string& prefix, int ready_fd) {
  DpdkEnv::Options o;
  o.file_prefix = prefix;
  o.vdevs = {"net_memif0,role=server,id=0,rsize=11,socket=" + sock};
  if (const char* dbg = std::getenv("S6_DPDK_DEBUG")) o.extra_args = {dbg};
  auto env = DpdkEnv::Create(o);
  if (!env.ok()) return 2;
  auto port = DpdkPort::Open(**env, "net_memif0", 4095);
  if (!port.ok()) return 3;
  // Only now is the listener fully set up: a client that connects as soon as the socket file
  // appears can hit DPDK 22.11's memif listener before its handler has a descriptor.
  const char r = 'r';
  if (::write(ready_fd, &r, 1) != 1) return 5;
  if (!WaitLink(**port, std::chrono::seconds(10))) return 6;
  auto last = std::chrono::steady_clock::now() + 10s;
  Packet* batch[32];
  while (std::chrono::steady_clock::now() < last) {
    const std::size_t n = (*port)->Receive(batch);
    if (n == 0) {
      std::this_thread::sleep_for(20us);
      continue;
    }
    (*port)->Transmit(std::span<Packet* const>(batch, n));
    last = std::chrono::steady_clock::now() + 1s;
  }
  return 0;  // what came back (in order, complete) is checked by the parent
}

TEST(DpdkPortTest, MemifBetweenProcessesCarriesFramesBothWaysInOrder) {
  const std::string tag = std::to_string(::getpid());
  const std::string sock = "/tmp/s6-memif-test-" + tag + ".sock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(RunEcho(sock, "s6echo" + tag, ready[1]));
  ::close(ready[1]);

  // A memif client can only start once the server is listening.
  pollfd pfd{ready[0], POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "echo process did not get ready";
  ::close(ready[0]);
  DpdkEnv::Options o;
  o.file_prefix = "s6test" + tag;
  o.vdevs = {"net_memif0,role=client,id=0,socket=" + sock};
  if (const char* dbg = std::getenv("S6_DPDK_DEBUG")) o.extra_args = {dbg};
  auto env = DpdkEnv::Create(o);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_FALSE(DpdkEnv::Create(o).ok());  // one EAL per process
  EXPECT_FALSE(DpdkPort::Open(**env, "net_nonexistent", 63).ok());
  auto port = DpdkPort::Open(**env, "net_memif0", 4095);
  ASSERT_TRUE(port.ok()) << port.status();
  ASSERT_TRUE(WaitLink(**port, std::chrono::seconds(10))) << "memif link did not come up";

  // "Link up" on the client can precede the server's first receive: frames sent in between
  // are lost (s6-trafgen counts them as link_refused/lost at start-up). Establish the data
  // path first with marker frames until one comes back, then count from a clean baseline.
  constexpr std::size_t kMarker = ~std::size_t{0};
  bool path_ok = false;
  for (int attempt = 0; attempt < 500 && !path_ok; ++attempt) {
    Packet* m = (*port)->Allocate(64);
    ASSERT_NE(m, nullptr);
    std::memset(m->data, 0, m->len);
    std::memcpy(m->data, &kMarker, sizeof kMarker);
    Packet* one[1] = {m};
    (*port)->Transmit(one);
    std::vector<Packet*> back;
    Drain(**port, back, 1, std::chrono::milliseconds(20));
    for (Packet* b : back) {
      std::size_t v = 0;
      std::memcpy(&v, b->data, sizeof v);
      path_ok |= v == kMarker;
      (*port)->Release(b);
    }
  }
  ASSERT_TRUE(path_ok) << "no frame came back from the echo process";
  std::this_thread::sleep_for(50ms);
  {  // markers still in flight
    std::vector<Packet*> late;
    Drain(**port, late, 1000, std::chrono::milliseconds(20));
    for (Packet* b : late) (*port)->Release(b);
  }
  const auto base = (*port)->stats();

  constexpr std::size_t kFrames = 1000;
  std::vector<Packet*> got;
  std::size_t echoed = 0;  // frames received back so far (checked in order)
  for (std::size_t sent = 0; sent < kFrames;) {
    std::vector<Packet*> batch;
    for (std::size_t i = 0; i < 32 && sent < kFrames; ++i, ++sent) {
      Packet* p = (*port)->Allocate(64 + static_cast<uint32_t>(sent % 100));
      ASSERT_NE(p, nullptr);
      std::memset(p->data, 0, p->len);
      std::memcpy(p->data, &sent, sizeof sent);
      batch.push_back(p);
    }
    EXPECT_EQ((*port)->Transmit(batch), batch.size());
    Drain(**port, got, 0, 0ms);
    for (Packet* p : got) {  // check and release at once: keep buffers flowing
      std::size_t v = 0;
      std::memcpy(&v, p->data, sizeof v);
      EXPECT_EQ(v, echoed);
      EXPECT_EQ(p->len, 64 + echoed % 100);
      ++echoed;
      (*port)->Release(p);
    }
    got.clear();
    std::this_thread::sleep_for(100us);  // let the echo keep up with its ring
  }
  // Check everything echoed, releasing buffers as we go (holding them all could starve the
  // receive side of mbufs under CPU contention).
  const auto tx = (*port)->stats();
  EXPECT_EQ(tx.tx_packets - base.tx_packets, kFrames);
  EXPECT_EQ(tx.tx_dropped, base.tx_dropped);
  std::size_t expect = echoed;
  const auto until = std::chrono::steady_clock::now() + 10s;
  Packet* batch[32];
  while (expect < kFrames && std::chrono::steady_clock::now() < until) {
    const std::size_t n = (*port)->Receive(batch);
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t v = 0;
      std::memcpy(&v, batch[i]->data, sizeof v);
      EXPECT_EQ(v, expect);
      EXPECT_EQ(batch[i]->len, 64 + expect % 100);
      ++expect;
      (*port)->Release(batch[i]);
    }
    if (n == 0) std::this_thread::sleep_for(50us);
  }
  EXPECT_EQ((*port)->stats().rx_packets - base.rx_packets, kFrames);
  EXPECT_EQ((*port)->stats().buffers_in_use, 0u);
  port->reset();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "echo child status " << status;
  ::unlink(sock.c_str());
  // Both processes' DPDK runtime directories are gone with them.
  const std::string dir = (*env)->runtime_dir();
  EXPECT_TRUE(std::filesystem::exists(dir)) << dir;
  env->reset();
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " outlived its process";
  EXPECT_FALSE(
      std::filesystem::exists(std::filesystem::path(dir).parent_path() / ("s6echo" + tag)));
}

// Stale runtime directories (of processes killed before they could clean up) are removed at
// the next start; a live process's (its config file locked), a young one and another
// program's are left.
TEST(DpdkRuntimeDirTest, OnlyDeadProcessesDirectoriesAreReaped) {
  namespace fs = std::filesystem;
  const fs::path parent =
      fs::path(::testing::TempDir()) / ("s6-dpdk-reap-" + std::to_string(::getpid()));
  fs::remove_all(parent);
  auto make = [&](const std::string& name, bool old) {
    fs::create_directories(parent / name);
    std::ofstream(parent / name / "config") << "x";
    if (old)
      fs::last_write_time(parent / name / "config",
                          fs::file_time_type::clock::now() - std::chrono::minutes(5));
  };
  make("s6dead", true);
  make("s6live", true);
  make("s6young", false);
  make("otherdead", true);
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {  // holds the live directory's lock, as DPDK's primary process does
    const int fd = ::open((parent / "s6live" / "config").c_str(), O_RDWR);
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    char c = fd >= 0 && ::fcntl(fd, F_SETLK, &lock) == 0 ? 'l' : 'e';
    if (::write(ready[1], &c, 1) != 1 || ::read(done[0], &c, 1) < 0) ::_exit(1);
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'l');
  EXPECT_EQ(ReapStaleRuntimeDirs(parent.string()), 1u);
  EXPECT_FALSE(fs::exists(parent / "s6dead"));
  EXPECT_TRUE(fs::exists(parent / "s6live"));
  EXPECT_TRUE(fs::exists(parent / "s6young"));
  EXPECT_TRUE(fs::exists(parent / "otherdead"));
  ASSERT_EQ(::write(done[1], "x", 1), 1);
  ::waitpid(holder, nullptr, 0);
  EXPECT_EQ(ReapStaleRuntimeDirs(parent.string()), 1u);  // its holder is gone now
  EXPECT_FALSE(fs::exists(parent / "s6live"));
  fs::remove_all(parent);
}

}  // namespace
}  // namespace s6::packetio

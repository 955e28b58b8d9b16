// SPDX-License-Identifier: Apache-2.0
// s6ctl run --merge-log: per-instance logs into one, a common header once, order kept.
#include "ctl/merge_logs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace s6::ctl {
namespace {

class MergeLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "s6-merge-logs-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(MergeLogsTest, ReplacesEveryIdInThePattern) {
  EXPECT_EQ(LogPathFor("/tmp/{id}/assets-{id}.log", 12), "/tmp/12/assets-12.log");
  EXPECT_EQ(LogPathFor("/tmp/plain.log", 3), "/tmp/plain.log");
}

TEST_F(MergeLogsTest, CommonHeaderOnceThenEachInstancesLinesInOrder) {
  Write("a-1.log", "h1,h2\nx,1\ny,2\n");
  Write("a-2.log", "h1,h2\n");
  Write("a-3.log", "h1,h2\nz,3\n");
  const StatusOr<uint64_t> n = MergeLogs(dir_ + "/a-{id}.log", {1, 2, 3}, dir_ + "/all.log");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(Read("all.log"), "h1,h2\nx,1\ny,2\nz,3\n");
}

TEST_F(MergeLogsTest, DifferentFirstLinesAreAllKept) {
  Write("b-1.log", "one\n");
  Write("b-2.log", "two\n");
  const StatusOr<uint64_t> n = MergeLogs(dir_ + "/b-{id}.log", {1, 2}, dir_ + "/all.log");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Read("all.log"), "one\ntwo\n");
}

TEST_F(MergeLogsTest, AMissingLogIsAnErrorNamingTheInstance) {
  Write("c-1.log", "h\n");
  const StatusOr<uint64_t> n = MergeLogs(dir_ + "/c-{id}.log", {1, 4}, dir_ + "/all.log");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("instance 4"), std::string::npos);
}

}  // namespace
}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// Finding executables: s6ctl's own directory first, then --bin-dir, then PATH; --app-binary
// as given; a miss names every place that was searched.
#include "ctl/binaries.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace s6::ctl {
namespace {

namespace fs = std::filesystem;

class BinariesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("s6-ctl-binaries-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (const char* d : {"self", "bin", "p1", "p2"}) fs::create_directories(root_ / d);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Dir(const char* d) const { return (root_ / d).string(); }
  void Touch(const char* dir, const std::string& name, bool executable = true) {
    const fs::path p = root_ / dir / name;
    std::ofstream(p) << "#!/bin/sh\n";
    ::chmod(p.c_str(), executable ? 0755 : 0644);
  }
  SearchPath Where() const {
    return SearchPath{Dir("self"), Dir("bin"), Dir("p1") + ":" + Dir("p2")};
  }

  fs::path root_;
};

TEST_F(BinariesTest, OwnDirectoryFirstThenBinDirThenPath) {
  Touch("p2", "tool");
  EXPECT_EQ(*FindExecutable("tool", Where()), Dir("p2") + "/tool");
  Touch("p1", "tool");
  EXPECT_EQ(*FindExecutable("tool", Where()), Dir("p1") + "/tool");
  Touch("bin", "tool");
  EXPECT_EQ(*FindExecutable("tool", Where()), Dir("bin") + "/tool");
  Touch("self", "tool");
  EXPECT_EQ(*FindExecutable("tool", Where()), Dir("self") + "/tool");
}

TEST_F(BinariesTest, NonExecutableFilesAndDirectoriesAreSkipped) {
  Touch("self", "tool", /*executable=*/false);
  fs::create_directories(root_ / "bin" / "tool");
  Touch("p2", "tool");
  EXPECT_EQ(*FindExecutable("tool", Where()), Dir("p2") + "/tool");
}

TEST_F(BinariesTest, AMissNamesWhereItLooked) {
  const StatusOr<std::string> r = FindExecutable("s6-nope-instance", Where());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("s6-nope-instance not found"), std::string::npos) << m;
  EXPECT_NE(m.find(Dir("self")), std::string::npos) << m;
  EXPECT_NE(m.find("--bin-dir " + Dir("bin")), std::string::npos) << m;
  EXPECT_NE(m.find("$PATH"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  // Without --bin-dir or PATH they are not claimed.
  const StatusOr<std::string> r2 = FindExecutable("x", SearchPath{Dir("self"), "", ""});
  EXPECT_EQ(r2.status().message().find("--bin-dir"), std::string::npos);
}

TEST_F(BinariesTest, ResolveAppAndTrafgen) {
  Touch("self", "s6-trafgen");
  Touch("bin", "s6-nat-instance");
  RunOptions o;
  o.app = "nat";
  StatusOr<Binaries> b = ResolveBinaries(o, Where());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->trafgen, Dir("self") + "/s6-trafgen");
  EXPECT_EQ(b->instance, Dir("bin") + "/s6-nat-instance");

  o.app = "ids";
  b = ResolveBinaries(o, Where());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("s6-ids-instance"), std::string::npos);

  Touch("p1", "my-nf");
  o.app.clear();
  o.app_binary = Dir("p1") + "/my-nf";
  b = ResolveBinaries(o, Where());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->instance, Dir("p1") + "/my-nf");
  o.app_binary = Dir("p1") + "/missing";
  b = ResolveBinaries(o, Where());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("--app-binary"), std::string::npos);
}

TEST_F(BinariesTest, SelfDirectoryIsThisTestsDirectory) {
  EXPECT_TRUE(fs::exists(fs::path(SelfDirectory()) / "s6_ctl_test"));
}

}  // namespace
}  // namespace s6::ctl

// SPDX-License-Identifier: Apache-2.0
// s6/log.h: level specs are validated as a whole, applied to existing and later loggers, and
// the environment is overridden by the command line.
#include <s6/log.h>

#include <gtest/gtest.h>
#include <stdlib.h>

namespace s6 {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv(log::kEnvVar);
    ASSERT_TRUE(log::Configure("info").ok());
  }
};

TEST_F(LogTest, GlobalLevelAppliesToExistingAndLaterLoggers) {
  auto before = log::Get("log-test-a");
  ASSERT_TRUE(log::Configure("warn").ok());
  EXPECT_EQ(before->level(), spdlog::level::warn);
  EXPECT_EQ(log::Get("log-test-b")->level(), spdlog::level::warn);
  EXPECT_EQ(log::Get("log-test-a").get(), before.get()) << "one logger per component";
}

TEST_F(LogTest, PerComponentLevels) {
  ASSERT_TRUE(log::Configure("error, log-test-c = trace ,log-test-d=debug").ok());
  EXPECT_EQ(log::Get("log-test-c")->level(), spdlog::level::trace);
  EXPECT_EQ(log::Get("log-test-d")->level(), spdlog::level::debug);
  EXPECT_EQ(log::Get("log-test-e")->level(), spdlog::level::err);
}

TEST_F(LogTest, ALaterBareLevelOverridesEarlierComponents) {
  ASSERT_TRUE(log::Configure("log-test-f=trace,critical").ok());
  EXPECT_EQ(log::Get("log-test-f")->level(), spdlog::level::critical);
}

TEST_F(LogTest, InvalidSpecsChangeNothing) {
  ASSERT_TRUE(log::Configure("info,log-test-g=debug").ok());
  for (const char* bad :
       {"loud", "log-test-g=verbose", "=debug", "info,log-test-g=", "debug,x=1"}) {
    const Status st = log::Configure(bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(log::Get("log-test-g")->level(), spdlog::level::debug) << bad;
  }
}

TEST_F(LogTest, CommandLineWinsOverEnvironment) {
  ::setenv(log::kEnvVar, "log-test-h=trace,log-test-i=trace", 1);
  ASSERT_TRUE(log::ConfigureFromEnv("log-test-i=error").ok());
  EXPECT_EQ(log::Get("log-test-h")->level(), spdlog::level::trace);  // the env's survives
  EXPECT_EQ(log::Get("log-test-i")->level(), spdlog::level::err);
}

TEST_F(LogTest, ErrorsNameTheirSource) {
  ::setenv(log::kEnvVar, "nonsense", 1);
  Status st = log::ConfigureFromEnv("");
  EXPECT_NE(st.message().find("S6_LOG"), std::string::npos) << st;
  ::setenv(log::kEnvVar, "info", 1);
  st = log::ConfigureFromEnv("x=nonsense");
  EXPECT_NE(st.message().find("--log-level"), std::string::npos) << st;
}

}  // namespace
}  // namespace s6

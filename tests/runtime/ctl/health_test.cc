// SPDX-License-Identifier: Apache-2.0
// What s6ctl says about failed instances: the end of a log, read with a bound, and stalls
// found from the age of an instance's stats file, on times the test chooses.
#include "ctl/health.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace s6::ctl {
namespace {

class LastLogLinesTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_ = ::testing::TempDir() + "/s6-health-log-" +
                      std::to_string(::testing::UnitTest::GetInstance()->random_seed());
};

TEST_F(LastLogLinesTest, TheLastLinesWithoutBlanks) {
  EXPECT_EQ(LastLogLines(Write("a\nb\n\nc\r\nd"), 3), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(LastLogLines(Write("only\n"), 3), (std::vector<std::string>{"only"}));
  EXPECT_TRUE(LastLogLines(Write(""), 3).empty());
  EXPECT_TRUE(LastLogLines("/nonexistent/s6/log", 3).empty());
}

TEST_F(LastLogLinesTest, ReadsOnlyTheTailAndCutsLongLines) {
  std::string big(1 << 20, 'x');  // a megabyte without a newline, then two lines
  big += "\nfatal: port down\n" + std::string(500, 'y') + "\n";
  const std::vector<std::string> last = LastLogLines(Write(big), 3, 4096);
  ASSERT_EQ(last.size(), 2u);  // the partial first line of the tail is dropped
  EXPECT_EQ(last[0], "fatal: port down");
  EXPECT_EQ(last[1], std::string(200, 'y'));
}

TEST(StallWatchTest, AnEpisodeFromTheLastWriteUntilTheNext) {
  StallWatch w(2.0);
  w.Observe(1, 1.0, std::nullopt);  // starting: no file yet
  w.Observe(1, 2.0, 0.1);
  w.Observe(2, 2.0, 0.1);
  w.Observe(2, 5.0, 3.0);  // last written at 2.0
  w.Observe(2, 6.0, 4.0);
  w.Observe(2, 6.5, 0.2);  // written again at 6.3
  w.Observe(1, 6.5, 1.9);  // slow, not stalled
  EXPECT_EQ(w.Report(7.0),
            (std::vector<std::string>{"instance 2 stalled at 2.0 s (no stats written) for 4.3 s"}));
}

TEST(StallWatchTest, OngoingAndForgottenStalls) {
  StallWatch w(StallThreshold(200));
  EXPECT_EQ(StallThreshold(200), 2.0);
  EXPECT_EQ(StallThreshold(1000), 10.0);
  w.Observe(3, 10.0, 2.5);
  w.Observe(4, 10.0, 5.0);
  w.Forget(4, 11.0);  // it exited: the stall ends there
  EXPECT_EQ(w.Report(12.5),
            (std::vector<std::string>{
                "instance 3 stalled at 7.5 s (no stats written) and still was 5.0 s later, at "
                "the end of the run",
                "instance 4 stalled at 5.0 s (no stats written) for 6.0 s"}));
}

}  // namespace
}  // namespace s6::ctl

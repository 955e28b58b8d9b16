// SPDX-License-Identifier: Apache-2.0
// The strict number options: every spelling another parser reads as something else is refused
// with its reason, values outside the range are refused (never clamped), and what is accepted
// reaches the option's variable unchanged.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <s6/cli.h>

namespace s6::cli {
namespace {

TEST(CheckCountTest, AcceptsPlainDecimalsInRange) {
  EXPECT_EQ(CheckCount("1", 1, 10), "");
  EXPECT_EQ(CheckCount("10", 1, 10), "");
  EXPECT_EQ(CheckCount("0", 0, 10), "");
  EXPECT_EQ(CheckCount("18446744073709551615", 0, UINT64_MAX), "");
}

TEST(CheckCountTest, RefusesEverySpellingThatIsReadAsSomethingElse) {
  for (const std::string bad : {"", "-5", "-0", "+5", "1e3", "1E3", "5k", "10abc", "0x10", "010",
                                " 7", "7 ", "1.0", "1,000", "1_000", "inf", "nan", "\xff", "٣"}) {
    const std::string why = CheckCount(bad, 0, 100, "flows");
    EXPECT_NE(why.find("is not a whole decimal number (0 to 100 flows)"), std::string::npos)
        << "'" << bad << "': " << why;
  }
}

TEST(CheckCountTest, RefusesValuesOutOfRangeWithTheRange) {
  EXPECT_EQ(CheckCount("0", 1, 16777216, "flows"), "0 is out of range (1 to 16777216 flows)");
  EXPECT_EQ(CheckCount("4294967297", 1, 16777216, "flows"),
            "4294967297 is out of range (1 to 16777216 flows)");
  EXPECT_EQ(CheckCount("99999999999999999999999", 0, UINT64_MAX),
            "99999999999999999999999 is out of range (0 to 18446744073709551615)");
}

TEST(CheckIntegerTest, AcceptsNegativesOnlyAsPlainDecimals) {
  EXPECT_EQ(CheckInteger("-5", -10, 10), "");
  EXPECT_EQ(CheckInteger("0", -10, 10), "");
  EXPECT_NE(CheckInteger("-0", -10, 10), "");
  EXPECT_NE(CheckInteger("--5", -10, 10), "");
  EXPECT_NE(CheckInteger("-", -10, 10), "");
  EXPECT_EQ(CheckInteger("-11", -10, 10), "-11 is out of range (-10 to 10)");
  EXPECT_EQ(CheckInteger("-9223372036854775809", INT64_MIN, 0),
            "-9223372036854775809 is out of range (-9223372036854775808 to 0)");
}

TEST(CheckRealTest, AcceptsDecimalsAndExponents) {
  for (const std::string good : {"1", "2.5", "0.25", "1e3", "2.5E-1", "1e+2", "0"}) {
    EXPECT_EQ(CheckReal(good, 0, 1e7, "s"), "") << good;
  }
  EXPECT_EQ(CheckReal("-0.5", -1, 1), "");
}

TEST(CheckRealTest, RefusesJunkSignsAndNonFiniteValues) {
  for (const std::string bad :
       {"", ".5", "5.", "+1", "1e", "1e+", "0x1p3", "inf", "nan", "1s", "01", " 1", "1,5", "--1"}) {
    EXPECT_NE(CheckReal(bad, -10, 10).find("is not a decimal number"), std::string::npos) << bad;
  }
  EXPECT_EQ(CheckReal("-1", 0, 1e7, "s"), "-1 is out of range (0 to 10000000 s)");
  EXPECT_EQ(CheckReal("1e400", 0, 1e7, "s"), "1e400 is out of range (0 to 10000000 s)");
  EXPECT_EQ(CheckReal("0", 0, 1e7, "s", true), "0 is out of range (more than 0, up to 10000000 s)");
  EXPECT_EQ(CheckReal("1e-400", 0, 1e7, "s", true),
            "1e-400 is out of range (more than 0, up to 10000000 s)");
}

TEST(ValidatorTest, ACommandLineGetsTheValueOrAOneLineError) {
  uint64_t flows = 0;
  double duration = 0;
  CLI::App app("t", "t");
  app.add_option("--flows", flows)->check(Count(1, 100, "flows"));
  app.add_option("--duration", duration)->check(Real(0, 60, "s", true));
  app.parse(std::vector<std::string>{"0.5", "--duration", "42", "--flows"});  // last-first
  EXPECT_EQ(flows, 42u);
  EXPECT_EQ(duration, 0.5);
  try {
    app.parse(std::vector<std::string>{"-1", "--flows"});
    FAIL() << "a negative count was accepted";
  } catch (const CLI::ValidationError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--flows: '-1' is not a whole decimal number (1 to 100 flows)");
  }
}

}  // namespace
}  // namespace s6::cli

// SPDX-License-Identifier: Apache-2.0
// The stats sink's JSON form: counters, gauges, labels and groups land where they were written,
// with JSON types a reader can rely on.
#include "stats/json_sink.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace s6::stats {
namespace {

TEST(JsonSinkTest, ValuesAndGroups) {
  const std::string text = StatsToJson([](StatsSink& out) {
    out.Counter("packets", 18446744073709551615ull);
    out.Gauge("ratio", 0.25);
    out.Gauge("in_use", 42);
    out.Label("mode", "gradual \"quoted\"\n");
    out.Group("drops", [](StatsSink& d) {
      d.Counter("malformed", 3);
      d.Group("deeper", [](StatsSink& e) { e.Counter("x", 1); });
    });
    out.Counter("packets_twice", 1);
    out.Counter("packets_twice", 2);  // the last value wins
  });
  const nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["packets"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_TRUE(j["packets"].is_number_unsigned());
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 0.25);
  EXPECT_TRUE(j["in_use"].is_number_unsigned()) << "integral gauges stay integers: " << text;
  EXPECT_EQ(j["mode"], "gradual \"quoted\"\n");
  EXPECT_EQ(j["drops"]["malformed"], 3);
  EXPECT_EQ(j["drops"]["deeper"]["x"], 1);
  EXPECT_EQ(j["packets_twice"], 2);
}

TEST(JsonSinkTest, NonFiniteGaugesStayValidJson) {
  const std::string text = StatsToJson([](StatsSink& out) {
    out.Gauge("nan", std::numeric_limits<double>::quiet_NaN());
    out.Gauge("inf", std::numeric_limits<double>::infinity());
    out.Gauge("huge", 1e300);
  });
  const nlohmann::json j = nlohmann::json::parse(text);  // throws on invalid JSON
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_DOUBLE_EQ(j["huge"].get<double>(), 1e300);
}

}  // namespace
}  // namespace s6::stats

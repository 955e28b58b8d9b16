// SPDX-License-Identifier: Apache-2.0
// Alert output: Snort's fast line (with and without classification, ports for TCP/UDP only,
// IPv6) and the JSON object, read back with nlohmann-json.
#include "alerts.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace snort {
namespace {

Rule OneRule(const std::string& text) {
  LoadReport rep;
  RuleSet set = ParseRules(text, "t.rules", Variables(), ParseOptions(), &rep);
  EXPECT_EQ(set.rules.size(), 1u) << rep.Summary();
  return set.rules.empty() ? Rule{} : set.rules[0];
}

class AlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(AlertsTest, FastLineAsSnortPrintsIt) {
  const Rule r = OneRule(
      "alert tcp any any -> any 80 (msg:\"SERVER-WEBAPP evil\"; content:\"x\"; "
      "classtype:attempted-admin; sid:2001; rev:3;)");
  PacketHeader h;
  h.protocol = Protocol::kTcp;
  h.src = {192, 0, 2, 1};
  h.dst = {192, 0, 2, 2};
  h.src_port = 40000;
  h.dst_port = 80;
  const AlertEvent e = MakeEvent(r, h, 1700000000'123456789ull);
  EXPECT_EQ(FormatFast(e),
            "11/14-22:13:20.123456 [**] [1:2001:3] \"SERVER-WEBAPP evil\" [**] "
            "[Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} "
            "192.0.2.1:40000 -> 192.0.2.2:80");
  const nlohmann::json j = nlohmann::json::parse(FormatJson(e));
  EXPECT_EQ(j.at("rule"), "1:2001:3");
  EXPECT_EQ(j.at("sid"), 2001);
  EXPECT_EQ(j.at("src_ap"), "192.0.2.1:40000");
  EXPECT_EQ(j.at("dst_port"), 80);
  EXPECT_EQ(j.at("priority"), 1);
  EXPECT_EQ(j.at("class"), "Attempted Administrator Privilege Gain");
}

TEST_F(AlertsTest, NoClassificationNoPortsAndIpv6) {
  const Rule r = OneRule("alert icmp any any -> any any (msg:\"ping\"; itype:8; sid:5; rev:1;)");
  PacketHeader h;
  h.protocol = Protocol::kIcmp;
  h.v6 = true;
  h.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  h.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const AlertEvent e = MakeEvent(r, h, 0);
  EXPECT_EQ(FormatFast(e),
            "01/01-00:00:00.000000 [**] [1:5:1] \"ping\" [**] [Priority: 0] {ICMP} "
            "2001:db8::1 -> 2001:db8::2");
  const nlohmann::json j = nlohmann::json::parse(FormatJson(e));
  EXPECT_FALSE(j.contains("src_port"));
  EXPECT_EQ(j.at("class"), "none");
}

}  // namespace
}  // namespace snort
